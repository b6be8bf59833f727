"""Path converters for the registry's identifiers, one per kind: `<product:ghid>`, `<member:username>`,
`<incubator:ghid>`, `<organisation:ghid>`, `<team:ghid>`. Every URL of the project that names a registry object
uses them (tests/registry/test_identifiers.py checks it), never `slug` or `int`.

An identifier is the name of its file in beta.gouv.fr's content tree (`content/_startups/<id>.md`), and the real
tree has them with dots (`rdv.mjd`), underscores (`atelier_meae`), capitals (`FabNum-MI`) and accents
(`Préfecture`): any character but the path separator. Registered when this module is imported (by the URLconfs
that use them).
"""

from django.urls import register_converter


class Identifier:
    regex = "[^/]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class ProductId(Identifier):
    pass


class MemberId(Identifier):
    pass


class IncubatorId(Identifier):
    pass


class OrganisationId(Identifier):
    pass


class TeamId(Identifier):
    pass


CONVERTERS = {
    "product": ProductId,
    "member": MemberId,
    "incubator": IncubatorId,
    "organisation": OrganisationId,
    "team": TeamId,
}

for _name, _converter in CONVERTERS.items():
    register_converter(_converter, _name)
