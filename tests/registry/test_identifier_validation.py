"""#13 finding 10: an identifier (a member's username, the `ghid` of a product, an incubator, an organisation, a
team) is valid by one rule, the URL converters' (registry/converters.py), at every entry point: the admin and every
model form (the fields' validator), the URLs (no route matches), the importer (an error naming the file) and the
exporter (the row is not written). The identifiers of the real tree stay valid: dots, underscores, capitals,
accents."""

import os
from html.parser import HTMLParser

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import Resolver404, resolve, reverse

from incubateur.registry.converters import identifier_problem, validate_identifier
from incubateur.registry.models import Incubator, Member, Organisation, Product, Team
from tests.factories import UserFactory
from tests.registry.factories import (
    IncubatorFactory,
    MemberFactory,
    OrganisationFactory,
    ProductFactory,
    TeamFactory,
)
from tests.registry.test_identifiers import IDENTIFIERS
from tests.registry.test_import import FILES, Tree, refused
from tests.utils import SAMPLE

HOSTILE = {
    "../../x": "un identifiant ne contient ni « / » ni « \\ » (il est le nom d'un fichier)",
    "a/b": "un identifiant ne contient ni « / » ni « \\ » (il est le nom d'un fichier)",
    "a\\b": "un identifiant ne contient ni « / » ni « \\ » (il est le nom d'un fichier)",
    "..": "« .. » ne peut pas être un identifiant",
    ".": "« . » ne peut pas être un identifiant",
    ".cache": "un identifiant ne commence pas par un point (ce serait un fichier caché)",
    "a\x00b": "un identifiant ne contient pas de caractère de contrôle ou invisible (U+0000)",
    "a\nb": "un identifiant ne contient pas de caractère de contrôle ou invisible (U+000A)",
    "a\x1bb": "un identifiant ne contient pas de caractère de contrôle ou invisible (U+001B)",
    "a\u202eb": "un identifiant ne contient pas de caractère de contrôle ou invisible (U+202E)",
    "a\ud800b": "un identifiant ne contient pas de caractère de contrôle ou invisible (U+D800)",
}


@pytest.mark.parametrize("value", list(HOSTILE), ids=repr)
def test_hostile_identifiers_are_refused_with_a_french_message(value):
    assert identifier_problem(value) == HOSTILE[value]
    with pytest.raises(ValidationError) as caught:
        validate_identifier(value)
    message = caught.value.messages[0]
    assert message == f"{HOSTILE[value][0].upper()}{HOSTILE[value][1:]}."


def test_an_empty_identifier_is_refused():
    assert identifier_problem("") == "l'identifiant est vide"


def test_every_identifier_of_the_real_tree_stays_valid():
    names = [
        entry.name.removesuffix(".md")
        for folder in ("_authors", "_startups", "_incubators", "_organisations", "_teams")
        if (SAMPLE / folder).is_dir()
        for entry in os.scandir(SAMPLE / folder)
        if not entry.name.startswith(".")
    ]
    if not names:
        pytest.skip("no sample of the content tree here")
    assert [name for name in names if identifier_problem(name)] == []
    assert [name for name in IDENTIFIERS if identifier_problem(name)] == []


# --- URLs: the converters apply the same rule ----------------------------------------------------------------


@pytest.mark.parametrize("value", ["a\x01b", "a\u202eb", ".cache", ".."], ids=repr)
def test_no_route_matches_an_invalid_identifier(value):
    with pytest.raises(Resolver404):
        resolve(f"/membres/{value}/")
    with pytest.raises(Resolver404):
        resolve(f"/produits/{value}/")


def test_a_valid_odd_identifier_still_resolves():
    assert resolve("/membres/Préfecture.x_y/").kwargs == {"username": "Préfecture.x_y"}


# --- The admin: every identifier field ----------------------------------------------------------------------


class _Form(HTMLParser):
    """The fields of the admin's change form, as a browser would post them."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._select: str | None = None
        self._textarea: str | None = None
        self._in_form = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id", "").endswith("_form"):
            self._in_form = True
        if not self._in_form:
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.data.setdefault(name, []).append(a.get("value") or "")
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select].append(a.get("value") or "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = [""]

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea][0] += data.removeprefix("\n") if not self.data[self._textarea][0] else data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._in_form = False


def admin_client() -> Client:
    client = Client()
    client.force_login(UserFactory(admin=True))
    return client


def change(client: Client, obj, field: str, value: str):
    url = reverse(f"admin:registry_{obj._meta.model_name}_change", args=[obj.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = _Form()
    form.feed(page.content.decode())
    data = {key: values if len(values) > 1 else values[0] for key, values in form.data.items() if values}
    assert field in data, sorted(data)
    data[field] = value
    return client.post(url, data)


KINDS = [
    (Member, "username", lambda: MemberFactory(username="alix.dupont", fullname="Alix Dupont")),
    (Product, "ghid", lambda: ProductFactory(ghid="mon-service")),
    (Incubator, "ghid", lambda: IncubatorFactory(ghid="fabrique")),
    (Organisation, "ghid", lambda: OrganisationFactory(ghid="dinum")),
    (Team, "ghid", lambda: TeamFactory(ghid="animation")),
]


@pytest.mark.parametrize(("model", "field", "make"), KINDS, ids=[m.__name__ for m, _, _ in KINDS])
@pytest.mark.parametrize("value", ["../../x", "a/b", "..", "a\x01b", ""], ids=repr)
def test_the_admin_refuses_an_invalid_identifier_beside_its_field(model, field, make, value):
    obj = make()
    before = getattr(obj, field)
    response = change(admin_client(), obj, field, value)
    assert response.status_code == 200  # the form again, with its error
    errors = response.context["adminform"].form.errors
    assert list(errors) == [field], errors
    expected = "Ce champ est obligatoire." if value == "" else identifier_problem(value)
    assert expected[1:] in errors[field][0]
    obj.refresh_from_db()
    assert getattr(obj, field) == before


@pytest.mark.parametrize(("model", "field", "make"), KINDS, ids=[m.__name__ for m, _, _ in KINDS])
def test_the_admin_accepts_a_real_odd_identifier(model, field, make):
    obj = make()
    response = change(admin_client(), obj, field, "Préfecture.rdv_mjd-MI")
    assert response.status_code == 302, response.context["adminform"].form.errors
    obj.refresh_from_db()
    assert getattr(obj, field) == "Préfecture.rdv_mjd-MI"


def test_the_published_authors_file_cannot_be_given_a_path_through_the_admin(client):
    """The attack of the finding: `../../x` as a username, then published as is in authors.json."""
    member = MemberFactory(username="alix.dupont")
    change(admin_client(), member, "username", "../../x")
    authors = client.get("/api/v2.7/authors.json")
    assert authors.status_code == 200
    assert "../../x" not in authors.content.decode()
    assert Member.objects.filter(username="alix.dupont").exists()


# --- The importer: the same rule, an error naming the file ----------------------------------------------------


@pytest.mark.parametrize("name", ["a\x01b", "a\\b", "a\u202eb"], ids=repr)
def test_the_importer_refuses_a_file_whose_name_is_no_identifier(tmp_path, name):
    tree = Tree(tmp_path / "content")
    tree.write(f"_organisations/{name}.md", FILES["_organisations/agence-exemple.md"])
    message = refused(tree.root)
    assert f"_organisations/{name}.md: {identifier_problem(name)}" in message
