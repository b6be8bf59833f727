"""The kinds of file of beta.gouv.fr's content tree: one folder each, read (and written back) in this order."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    name: str  # organisations, incubators, products, members, teams
    folder: str  # _organisations…
    label: str  # French, plural


KINDS = [
    Kind("organisations", "_organisations", "organisations"),
    Kind("incubators", "_incubators", "incubateurs"),
    Kind("products", "_startups", "produits"),
    Kind("members", "_authors", "membres"),
    Kind("teams", "_teams", "équipes"),
]
KIND = {kind.name: kind for kind in KINDS}
FOLDER_ORDER = {kind.folder: i for i, kind in enumerate(KINDS)}

# Organisations and teams have no Markdown field: a body is kept in `extra` under this key (never a front-matter
# key: a file that has one is refused).
BODY_KEY = "_body"
