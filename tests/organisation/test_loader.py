"""`loader.parse()` and `manage.py load_organisation` with a file it refuses: every problem is reported with
the file, the entry and the field, and nothing is written."""

import copy
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from incubateur.core.models import JournalEntry
from incubateur.organisation import loader
from incubateur.organisation.loader import OrganisationFileError
from incubateur.organisation.models import (
    Commitment,
    ContactChannel,
    Department,
    Pole,
    Portfolio,
    Position,
    Reason,
)
from tests.factories import UserFactory

REAL_FILE = Path(settings.BASE_DIR) / "data" / "organisation.yaml"
PATH = "orga.yaml"

# A small organisation, in the shape of data/organisation.yaml.
SMALL = {
    "department": {
        "name": "Incubateur d'essai",
        "contact_email": "contact@example.org",
        "mattermost_channel": "essai",
        "fallback_pole": "direction",
        "operations_lead": "alice.martin",
    },
    "contacts": [{"label": "Nous écrire", "kind": "email", "value": "contact@example.org"}],
    "people": [
        {"username": "alice.martin", "first_name": "Alice", "last_name": "Martin"},
        {"username": "bruno.petit", "first_name": "Bruno", "last_name": "Petit", "email": "bruno@example.org"},
        {"username": "chloe.roux", "first_name": "Chloé", "last_name": "Roux"},
    ],
    "poles": [
        {
            "slug": "direction",
            "name": "Direction",
            "positions": [{"person": "alice.martin", "title": "Cheffe", "lead": True}],
        },
        {"slug": "partenariats", "name": "Partenariats"},
        {
            "slug": "outils",
            "name": "Outils",
            "positions": [
                {"person": "bruno.petit", "title": "Développeur"},
                {"person": "alice.martin", "title": "Aide"},
            ],
        },
    ],
    "portfolios": [
        {
            "slug": "justice",
            "label": "Justice",
            "manager": "chloe.roux",
            "ministries": ["justice"],
            "themes": ["Droit"],
        },
        {"slug": "culture", "label": "Culture", "manager": "chloe.roux", "ministries": ["culture"], "themes": []},
    ],
    "reasons": [{"code": "question", "title": "Une question"}],
    "commitments": {"intro": "Nos engagements.", "items": [{"title": "Confiance", "text": "Nous faisons confiance."}]},
}


def small(**changes) -> dict:
    data = copy.deepcopy(SMALL)
    data.update(changes)
    return data


def dump(data) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def problems_of(data, path=PATH) -> list[str]:
    with pytest.raises(OrganisationFileError) as caught:
        loader.parse(dump(data), path)
    error = caught.value
    # The message names the file on every line.
    assert str(error).splitlines() == [f"{path}: {problem}" for problem in error.problems]
    return error.problems


# --- Files it accepts ------------------------------------------------------------------------------


def test_the_real_file_parses():
    data = loader.load(REAL_FILE)
    assert len(data.people) == 37
    assert len(data.poles) == 8
    assert len(data.portfolios) == 10
    assert sum(len(pole.positions) for pole in data.poles) == 29  # + one position per portfolio manager
    assert len(data.reasons) == 7
    assert len(data.commitments["items"]) == 5
    assert {c["value"] for c in data.contacts} == {
        "dinum@beta.gouv.fr",
        "animation@beta.gouv.fr",
        "incubateur-animation",
    }


def test_a_small_file_parses_into_its_entries():
    data = loader.parse(dump(SMALL), PATH)
    assert [p.username for p in data.people] == ["alice.martin", "bruno.petit", "chloe.roux"]
    assert data.people[0].email is None  # defaults to <username>@MEMBER_EMAIL_DOMAIN when loaded
    assert data.people[1].email == "bruno@example.org"
    assert data.people[2].first_name == "Chloé"
    assert [p.slug for p in data.poles] == ["direction", "partenariats", "outils"]
    assert data.poles[0].positions[0].lead is True
    assert data.poles[1].positions == []
    assert data.poles[2].positions[0].lead is False
    assert data.portfolios[0].manager == "chloe.roux"
    assert data.portfolios[0].ministries == ["justice"]
    assert data.department["fallback_pole"] == "direction"
    assert data.department["recruitment"] == ""
    assert data.commitments["items"] == [{"title": "Confiance", "text": "Nous faisons confiance."}]


def test_text_is_written_on_one_line_with_single_spaces():
    data = small()
    data["poles"][0]["name"] = "  La   Direction\n  et les opérations "
    assert loader.parse(dump(data), PATH).poles[0].name == "La Direction et les opérations"


# --- Files it refuses ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,line",
    [
        ("department:\n  name: Essai\n\tcontact_email: contact@example.org\n", 3),
        ("department:\n  name: Essai\npeople:\n  - {username: alice.martin, first_name: Alice\npoles: []\n", 5),
        ("department:\n  name: Essai\n  contact_email: contact@example.org\n people: []\n", 4),
        ("department:\n  name: Essai\n  description: un caractère \x1f interdit\n", 3),
    ],
    ids=["tab", "unclosed-flow-mapping", "bad-indentation", "forbidden-character"],
)
def test_invalid_yaml_is_reported_with_its_line(text, line):
    with pytest.raises(OrganisationFileError) as caught:
        loader.parse(text, PATH)
    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].startswith(f"YAML invalide (ligne {line}) : ")
    assert str(caught.value).startswith(f"{PATH}: YAML invalide (ligne {line}) : ")


@pytest.mark.parametrize(
    "text,line",
    [
        ("department:\n  name: Essai\n  date: 2024-13-01\n", 3),  # a 13th month
        ("department:\n  name: !!int douze\n", 2),
        ("people:\n  - first_name: !!float abc\n", 2),
        ("department:\n  at: 2024-01-01 10:00:00+99:00\n", 2),  # an offset of 99 hours
    ],
    ids=["month", "int", "float", "offset"],
)
def test_a_value_yaml_cannot_build_is_reported_with_its_line(text, line):
    # PyYAML raises ValueError for these, not a YAMLError: the loader reports them like any YAML error.
    with pytest.raises(OrganisationFileError) as caught:
        loader.parse(text, PATH)
    assert caught.value.problems[0].startswith(f"YAML invalide (ligne {line}) : valeur illisible")


def test_too_deep_a_nesting_is_reported_not_raised():
    with pytest.raises(OrganisationFileError) as caught:
        loader.parse("department: " + "[" * 5000, PATH)
    assert caught.value.problems == ["YAML invalide : trop de niveaux imbriqués"]


def _without(data: dict, *keys) -> None:
    for key in keys[:-1]:
        data = data[key]
    del data[keys[-1]]


def _set(data: dict, value, *keys) -> None:
    for key in keys[:-1]:
        data = data[key]
    data[keys[-1]] = value


def missing_position_title(d):
    _without(d, "poles", 2, "positions", 0, "title")


def missing_department_name(d):
    _without(d, "department", "name")


def missing_first_name(d):
    _without(d, "people", 2, "first_name")


def unknown_person_in_a_position(d):
    _set(d, "bruno.peti", "poles", 2, "positions", 0, "person")


def unknown_portfolio_manager(d):
    _set(d, "chloe.rou", "portfolios", 1, "manager")


def unknown_operations_lead(d):
    _set(d, "zoe.durand", "department", "operations_lead")


def unknown_ministry(d):
    _set(d, ["justice", "justise"], "portfolios", 0, "ministries")


def duplicate_username(d):
    d["people"].append({"username": "bruno.petit", "first_name": "Bruno", "last_name": "Petit"})


def two_leads_in_a_pole(d):
    _set(d, True, "poles", 2, "positions", 0, "lead")
    _set(d, True, "poles", 2, "positions", 1, "lead")


def bad_person_email(d):
    _set(d, "bruno@", "people", 1, "email")


def bad_department_email(d):
    _set(d, "contact.example.org", "department", "contact_email")


def ministry_in_two_portfolios(d):
    _set(d, ["culture", "justice"], "portfolios", 1, "ministries")


def username_not_prenom_nom(d):
    d["people"].append({"username": "Zoé Durand", "first_name": "Zoé", "last_name": "Durand"})


def unknown_fallback_pole(d):
    _set(d, "accueil", "department", "fallback_pole")


def lead_not_a_boolean(d):
    _set(d, "oui", "poles", 0, "positions", 0, "lead")


def no_partenariats_pole(d):
    del d["poles"][1]


def unknown_contact_kind(d):
    _set(d, "fax", "contacts", 0, "kind")


@pytest.mark.parametrize(
    "change,problem",
    [
        (missing_position_title, "poles[2] (outils).positions[0].title: champ obligatoire manquant"),
        (missing_department_name, "department.name: champ obligatoire manquant"),
        (missing_first_name, "people[2] (chloe.roux).first_name: champ obligatoire manquant"),
        (unknown_person_in_a_position, "poles[2] (outils).positions[0].person: « bruno.peti » n'est pas dans people"),
        (unknown_portfolio_manager, "portfolios[1] (culture).manager: « chloe.rou » n'est pas dans people"),
        (unknown_operations_lead, "department.operations_lead: « zoe.durand » n'est pas dans people"),
        (
            unknown_ministry,
            "portfolios[0] (justice).ministries[1]: « justise » n'est pas un domaine ministériel de beta.gouv.fr",
        ),
        (duplicate_username, "people[3] (bruno.petit).username: cette personne est déjà dans la liste"),
        (two_leads_in_a_pole, "poles[2] (outils).positions: un pôle a au plus un responsable (lead: true)"),
        (bad_person_email, "people[1] (bruno.petit).email: « bruno@ » n'est pas une adresse e-mail valide"),
        (
            bad_department_email,
            "department.contact_email: « contact.example.org » n'est pas une adresse e-mail valide",
        ),
        (
            ministry_in_two_portfolios,
            "portfolios (culture).ministries: « justice » est déjà dans le portefeuille justice",
        ),
        (
            username_not_prenom_nom,
            "people[3] (Zoé Durand).username: identifiant attendu au format prenom.nom (minuscules, sans accents)",
        ),
        (unknown_fallback_pole, "department.fallback_pole: « accueil » n'est pas dans poles"),
        (lead_not_a_boolean, "poles[0] (direction).positions[0].lead: true ou false est attendu"),
        (no_partenariats_pole, "poles: le pôle « partenariats » (les responsables de portefeuille) est obligatoire"),
        (unknown_contact_kind, "contacts[0].kind: email, mattermost ou url est attendu"),
    ],
    ids=lambda value: value.__name__ if callable(value) else "",
)
def test_each_problem_names_the_file_the_entry_and_the_field(change, problem):
    data = small()
    change(data)
    problems = problems_of(data)
    # The unknown ministry's message goes on with the list of the codes.
    assert [p for p in problems if p.startswith(problem)] != [], problems
    assert len(problems) == 1, problems


def test_every_problem_is_reported_at_once():
    data = small()
    missing_position_title(data)
    unknown_ministry(data)
    bad_person_email(data)
    assert len(problems_of(data)) == 3


def test_an_entry_without_its_identifier_is_not_called_a_duplicate():
    data = small()
    data["people"] += [{"first_name": "Sans", "last_name": "Identifiant"}, {"first_name": "Autre", "last_name": "Cas"}]
    assert problems_of(data) == [
        "people[3].username: champ obligatoire manquant",
        "people[4].username: champ obligatoire manquant",
    ]


@pytest.mark.parametrize(
    "text,problem",
    [
        ("", "(fichier): une table (clé: valeur) est attendue"),
        ("- une\n- liste\n", "(fichier): une table (clé: valeur) est attendue"),
        ("department: Essai\n", "department: une table (clé: valeur) est attendue"),
        ("people: personne\n", "people: une liste est attendue"),
        ("people: [alice.martin]\n", "people[0]: une table (clé: valeur) est attendue"),
    ],
)
def test_a_file_of_the_wrong_shape_is_reported(text, problem):
    with pytest.raises(OrganisationFileError) as caught:
        loader.parse(text, PATH)
    assert problem in caught.value.problems


def test_an_unreadable_file_is_reported(tmp_path):
    path = tmp_path / "absent.yaml"
    with pytest.raises(OrganisationFileError) as caught:
        loader.load(path)
    assert str(caught.value).startswith(f"{path}: fichier illisible")


# --- parse() raises OrganisationFileError or returns, whatever it is given ------------------------------


def _parse_or_report(text: str) -> None:
    try:
        loader.parse(text, PATH)
    except OrganisationFileError as error:
        assert error.problems
        assert all(line.startswith(f"{PATH}: ") for line in str(error).splitlines() if line)


YAMLISH = st.text(
    alphabet=st.sampled_from(list("abcdé- :\n\t{}[],#&*!|>'\"%@`?0123456789.+_")) | st.characters(),
    max_size=200,
)

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**12), max_value=10**12)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(["justice", "alice.martin", "partenariats", "direction", "a@b.fr", "2024-13-01", "yes"])
)
KEYS = st.sampled_from(
    [
        "department",
        "people",
        "poles",
        "portfolios",
        "contacts",
        "reasons",
        "commitments",
        "items",
        "username",
        "first_name",
        "last_name",
        "email",
        "slug",
        "name",
        "positions",
        "person",
        "title",
        "lead",
        "manager",
        "ministries",
        "themes",
        "label",
        "kind",
        "value",
        "url",
        "pole",
        "code",
        "fallback_pole",
        "operations_lead",
        "contact_email",
    ]
) | st.text(max_size=10)
TREES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=6),
    max_leaves=40,
)
ORGANISATION_SHAPED = st.fixed_dictionaries(
    {},
    optional={
        key: TREES for key in ["department", "people", "poles", "portfolios", "contacts", "reasons", "commitments"]
    },
)


@hypothesis_settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=YAMLISH)
def test_parse_never_raises_anything_else_on_yamlish_text(text):
    _parse_or_report(text)


@hypothesis_settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=TREES | ORGANISATION_SHAPED)
def test_parse_never_raises_anything_else_on_any_structure(data):
    _parse_or_report(yaml.safe_dump(data, allow_unicode=True))


@hypothesis_settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    section=st.sampled_from(["department", "people", "poles", "portfolios", "contacts", "reasons", "commitments"]),
    value=TREES,
)
def test_parse_never_raises_anything_else_when_one_section_of_a_good_file_is_replaced(section, value):
    _parse_or_report(dump(small(**{section: value})))


# --- manage.py load_organisation BADFILE changes nothing ------------------------------------------------

MODELS = [get_user_model(), Department, Pole, Position, Portfolio, ContactChannel, Reason, Commitment, JournalEntry]


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def test_load_organisation_with_a_bad_file_raises_command_error_and_changes_nothing(tmp_path, organisation):
    before = row_counts()
    data = small()
    unknown_person_in_a_position(data)
    path = tmp_path / "orga.yaml"
    path.write_text(dump(data), encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        call_command("load_organisation", str(path), stdout=StringIO())
    message = str(caught.value)
    assert message.startswith("Rien n'a été modifié.")
    assert f"{path}: poles[2] (outils).positions[0].person: « bruno.peti » n'est pas dans people" in message
    assert row_counts() == before


def test_load_organisation_with_invalid_yaml_changes_nothing(tmp_path, organisation):
    before = row_counts()
    path = tmp_path / "orga.yaml"
    path.write_text("department:\n  name: [Essai\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"YAML invalide \(ligne 3\)"):
        call_command("load_organisation", str(path), stdout=StringIO())
    assert row_counts() == before


def test_load_organisation_with_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="fichier illisible"):
        call_command("load_organisation", str(tmp_path / "absent.yaml"), stdout=StringIO())
    assert row_counts() == {model.__name__: 0 for model in MODELS}


def test_an_address_held_by_another_account_rolls_the_whole_load_back(tmp_path):
    UserFactory(username="bruno.autre", email="bruno@example.org")
    before = row_counts()
    path = tmp_path / "orga.yaml"
    path.write_text(dump(SMALL), encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        call_command("load_organisation", str(path), stdout=StringIO())
    assert "L'adresse bruno@example.org appartient déjà au compte bruno.autre." in str(caught.value)
    # Alice, created before Bruno failed, is gone with the rest.
    assert row_counts() == before
