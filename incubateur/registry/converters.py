"""Path converters for the registry's identifiers, one per kind: `<product:ghid>`, `<member:username>`,
`<incubator:ghid>`, `<organisation:ghid>`, `<team:ghid>`. Every URL of the project that names a registry object
uses them (tests/registry/test_identifiers.py checks it), never `slug` or `int`.

An identifier is the name of its file in beta.gouv.fr's content tree (`content/_startups/<id>.md`), and the real
tree has them with dots (`rdv.mjd`), underscores (`atelier_meae`), capitals (`FabNum-MI`) and accents
(`Préfecture`). One rule says which are valid, here, for every entry point: the URLs (a path that names an invalid
identifier matches no route: a 404), the model fields (`validate_identifier`: the admin and every model form), the
importer (a file named so is an error) and the exporter (a row so named is not written):

- not empty, at most one path segment: no `/`, no `\\` (a path separator on some systems), not `.` or `..`,
  and not starting with a dot (a hidden file, which the importer does not read);
- no control or invisible formatting character (NUL, line breaks, U+202E…), no lone surrogate (not UTF-8).

Registered when this module is imported (by the URLconfs that use them, and by the models).
"""

import unicodedata

from django.core.exceptions import ValidationError
from django.urls import register_converter

# Unicode categories refused in an identifier: controls (NUL, tabulations, line breaks, DEL…), formatting
# characters (invisible: zero-width, bidirectional overrides), lone surrogates, line and paragraph separators.
_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}


def identifier_problem(value: str) -> str | None:
    """Why `value` cannot be a registry identifier, in French (as the importer words its problems); None when it
    can."""
    if not value:
        return "l'identifiant est vide"
    if value in (".", ".."):
        return f"« {value} » ne peut pas être un identifiant"
    if "/" in value or "\\" in value:
        return "un identifiant ne contient ni « / » ni « \\ » (il est le nom d'un fichier)"
    if value.startswith("."):
        return "un identifiant ne commence pas par un point (ce serait un fichier caché)"
    for char in value:
        if unicodedata.category(char) in _REFUSED_CATEGORIES:
            return f"un identifiant ne contient pas de caractère de contrôle ou invisible (U+{ord(char):04X})"
    return None


def validate_identifier(value: str) -> None:
    """The model fields' validator (admin, model forms): `identifier_problem` as a ValidationError."""
    if message := identifier_problem(value):
        raise ValidationError(f"{message[0].upper()}{message[1:]}.", code="invalid_identifier")


class Identifier:
    regex = "[^/]+"

    def to_python(self, value: str) -> str:
        if identifier_problem(value):
            raise ValueError(value)  # no match: a 404
        return value

    def to_url(self, value: str) -> str:
        # Reversing stays lenient (the regex still refuses a `/`): a row saved before the rule keeps its links.
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
