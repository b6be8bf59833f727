"""The kinds of file of beta.gouv.fr's content tree: one folder each, read (and written back) in this order."""

from dataclasses import dataclass

from incubateur.core.text import quantity


@dataclass(frozen=True)
class Kind:
    name: str  # organisations, incubators, products, members, teams
    folder: str  # _organisations…
    label: str  # French, plural
    singular: str  # French
    feminine: bool = False  # « 2 créées » or « 2 créés »

    def count(self, value: int) -> str:
        """« 1 organisation », « 2 organisations »."""
        return quantity(value, self.singular, self.label)

    def agree(self, value: int, participle: str) -> str:
        """« 2 créées » for organisations, « 2 créés » for products: `participle` (masculine singular) agreeing."""
        return quantity(value, participle + ("e" if self.feminine else ""))


KINDS = [
    Kind("organisations", "_organisations", "organisations", "organisation", feminine=True),
    Kind("incubators", "_incubators", "incubateurs", "incubateur"),
    Kind("products", "_startups", "produits", "produit"),
    Kind("members", "_authors", "membres", "membre"),
    Kind("teams", "_teams", "équipes", "équipe", feminine=True),
]
KIND = {kind.name: kind for kind in KINDS}
FOLDER_ORDER = {kind.folder: i for i, kind in enumerate(KINDS)}

# Organisations and teams have no Markdown field: a body is kept in `extra` under this key (never a front-matter
# key: a file that has one is refused).
BODY_KEY = "_body"
