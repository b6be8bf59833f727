"""`manage.py export_betagouv`: the tree beta.gouv.fr expects, and `import(export(x))` changes nothing."""

import datetime
import json
import re
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.db import transaction

from incubateur.programmes.models import Call
from incubateur.registry.content import frontmatter
from incubateur.registry.enums import Domaine, EventName, PhaseName
from incubateur.registry.models import (
    Organisation,
)
from tests.registry.factories import OrganisationFactory
from tests.registry.helpers import CANONICAL
from tests.utils import SAMPLE

FOLDERS = ["_organisations", "_incubators", "_startups", "_authors", "_teams"]


def run(command: str, path) -> str:
    out = StringIO()
    call_command(command, str(path), stdout=out)
    return out.getvalue()


def canonical_dump() -> dict[str, list[str]]:
    """The registry without its pks: each row as sorted JSON, rows sorted."""
    return {
        model.__name__: sorted(
            json.dumps(row, sort_keys=True, default=str) for row in model.objects.order_by().values(*fields)
        )
        for model, fields in CANONICAL
    }


@pytest.fixture(scope="module")
def sample_export(django_db_setup, django_db_blocker, tmp_path_factory):
    """The real sample, imported once for this module (in a transaction rolled back at its end), and exported."""
    folder = tmp_path_factory.mktemp("export")
    with django_db_blocker.unblock(), transaction.atomic():
        run("import_betagouv", SAMPLE)
        run("export_betagouv", folder)
        yield folder
        transaction.set_rollback(True)


@pytest.fixture
def exported(sample_export, db) -> Path:
    return sample_export


def read(path: Path) -> frontmatter.Document:
    return frontmatter.parse(path.read_text(encoding="utf-8"))


def test_import_of_the_export_changes_nothing(exported):
    before = canonical_dump()
    assert sum(map(len, before.values())) > 3000
    output = run("import_betagouv", exported)
    counts = {"organisations": 145, "incubateurs": 23, "produits": 160, "membres": 772, "équipes": 36}
    for label, n in counts.items():
        e = "e" if label in ("organisations", "équipes") else ""  # « 0 créée » agrees with the kind
        assert f"  {label} : 0 créé{e}, 0 modifié{e}, {n} inchangé{e}s," in output, output
    assert "comptes : 0 créé, 0 existant relié" in output
    assert canonical_dump() == before


def test_the_past_fast_editions_are_written_back_and_their_import_changes_nothing(exported):
    # One file per edition of the sample's `_fasts/`; FAST 15 has none (its file lacks `.md`), and needs none: its
    # laureates give it, under its default title.
    names = sorted(p.name for p in (exported / "_fasts").iterdir())
    assert names == [f"{n:02d}_fast.md" for n in range(1, 18) if n != 15]
    assert read(exported / "_fasts" / "02_fast.md").data == {
        "title": "FAST 2 - Novembre 2019",
        "sidebar": "sidebar-fast.html",
        "promotion": 2,
    }
    calls = Call.objects.filter(programme__slug="fast").order_by("number").values_list("number", "title", "historical")
    before = list(calls)
    assert len(before) == 17 and (15, "FAST 15", True) in before
    output = run("import_betagouv", exported)
    assert "éditions FAST : 17 (0 créée) ; lauréats : 0 créé, 0 modifié, 0 retiré" in output
    assert list(calls) == before


@pytest.mark.shared_sample  # the team's sample's own files and figures
def test_the_export_has_one_file_per_row_under_its_id(exported):
    names = {folder: sorted(p.name for p in (exported / folder).iterdir()) for folder in FOLDERS}
    assert len(names["_organisations"]) == 145
    assert "idfm.md" in names["_organisations"] and "Préfecture.md" in names["_organisations"]  # .md added
    assert len(names["_incubators"]) == 23 and "MEN.md" in names["_incubators"]
    assert len(names["_startups"]) == 160
    assert len(names["_authors"]) == 772
    assert len(names["_teams"]) == 36
    assert names["_startups"] == sorted(p.name for p in (SAMPLE / "_startups").iterdir())
    assert names["_authors"] == sorted(p.name for p in (SAMPLE / "_authors").iterdir())


def test_the_export_is_the_same_twice(exported, tmp_path):
    run("export_betagouv", tmp_path / "again")
    for folder in FOLDERS:
        for path in (exported / folder).iterdir():
            assert path.read_bytes() == (tmp_path / "again" / folder / path.name).read_bytes(), path


# --- beta.gouv.fr's own checks (ci/authors.mjs, ci/startups.mjs), in Python ----------------------------------


def test_the_export_passes_beta_gouv_fr_checks_on_authors(exported):
    products = {p.stem for p in (exported / "_startups").glob("*.md")}
    teams = {p.stem for p in (exported / "_teams").glob("*.md")}
    for path in (exported / "_authors").glob("*.md"):
        data = read(path).data
        assert isinstance(data["fullname"], str) and data["fullname"], path
        assert isinstance(data["role"], str) and data["role"], path
        assert data["domaine"] in Domaine.values, path
        for key in ("link", "github"):
            assert isinstance(data.get(key, ""), str), path
        for mission in data["missions"]:
            assert isinstance(mission["start"], datetime.date), path
            if "end" in mission:
                assert isinstance(mission["end"], datetime.date) and mission["end"] > mission["start"], path
            assert isinstance(mission.get("status", ""), str)
            startups = mission.get("startups", [])
            assert len(startups) == len(set(startups)) and set(startups) <= products, path
        for key in ("previously", "startups", "competences"):
            values = data.get(key) or []
            assert len(values) == len(set(values)), path
        assert set(data.get("previously") or []) <= products
        assert {t.removeprefix("/teams/") for t in data.get("teams", [])} <= teams
        assert all(t.startswith("/teams/") for t in data.get("teams", []))


def test_the_export_passes_beta_gouv_fr_checks_on_startups(exported):
    organisations = {f"/organisations/{p.stem}" for p in (exported / "_organisations").glob("*.md")}
    incubators = {p.stem for p in (exported / "_incubators").glob("*.md")}
    for path in (exported / "_startups").glob("*.md"):
        data = read(path).data
        for key in ("title", "mission", "incubator", "contact"):
            assert isinstance(data[key], str), (path, key)
        assert data["incubator"] in incubators
        assert set(data.get("sponsors", [])) <= organisations, path
        if "incubators" in data:
            assert len(data["incubators"]) >= 2 and data["incubator"] in data["incubators"], path
            assert set(data["incubators"]) <= incubators
        names = [phase["name"] for phase in data["phases"]]
        assert len(names) == len(set(names)) and set(names) <= set(PhaseName.values), path
        for phase in data["phases"]:
            assert isinstance(phase["start"], datetime.date), path
            if "end" in phase:
                assert phase["end"] > phase["start"], path
        for event in data.get("events", []):
            assert event["name"] in EventName.values and isinstance(event["date"], datetime.date), path
        for key in ("stats", "analyse_risques", "mon_service_securise"):
            assert isinstance(data.get(key, False), bool), path
        if "fast" in data:
            assert set(data["fast"]) <= {"promotion", "montant"}
            assert all(isinstance(v, int) for v in data["fast"].values())


# --- The format -------------------------------------------------------------------------------------------


@pytest.mark.shared_sample  # the team's sample's own files and figures
def test_a_product_file(exported):
    text = (exported / "_startups" / "ecobalyse.md").read_text(encoding="utf-8")
    data = read(exported / "_startups" / "ecobalyse.md").data
    assert list(data)[:5] == ["title", "mission", "incubator", "incubators", "sponsors"]
    assert data["incubator"] == "mtes" and data["incubators"] == ["ademe", "mtes"]
    assert data["sponsors"] == ["/organisations/ademe", "/organisations/cgdd", "/organisations/mtes"]
    assert "  - name: investigation\n    start: 2021-04-11\n    end: 2021-07-16\n" in text  # plain YYYY-MM-DD
    assert data["redirect_from"] == ["/startups/wikicarbone"]
    assert data["stats"] is True
    body = (SAMPLE / "_startups" / "ecobalyse.md").read_text(encoding="utf-8").split("\n---\n", 1)[1]
    assert read(exported / "_startups" / "ecobalyse.md").body == body
    stage = read(exported / "_startups" / "1-eleve-1-stage.md").data
    assert stage["link"] == "https://1eleve1stage.education.gouv.fr"  # stripped on import, as stored
    assert stage["fast"] == {"promotion": 15, "montant": 120000}
    assert "incubators" not in stage


@pytest.mark.shared_sample  # the team's sample's own files and figures
def test_extra_keys_are_written_back_as_they_were_read(exported):
    emplois = read(exported / "_startups" / "les-emplois.md").data
    original = yaml.safe_load(
        (SAMPLE / "_startups" / "les-emplois.md").read_text(encoding="utf-8")[3:].split("\n---\n", 1)[0]
    )
    assert emplois["rgpd"] == original["rgpd"]  # dates and times included
    assert read(exported / "_incubators" / "sgmas.md").data["hidden"] is True
    hcc = read(exported / "_organisations" / "hcc.md").data
    assert hcc["annuaire"].startswith("https://lannuaire.service-public.fr/")
    gip = read(exported / "_organisations" / "gip-inclusion.md")
    assert gip.body.startswith("\n**La Plateforme de l’inclusion**")
    assert "_body" not in gip.data
    lena = read(exported / "_authors" / "lena.viller.md").data
    assert lena["avatar"].startswith("data:image/")  # too long for the field: kept in extra, written back
    with_badges = [p for p in (exported / "_authors").glob("*.md") if "badges" in read(p).data]
    assert len(with_badges) == 96


@pytest.mark.shared_sample  # the team's sample's own files and figures
def test_a_member_file(exported):
    path = exported / "_authors" / "adrien.joly.md"
    data = read(path).data
    assert list(data)[:3] == ["fullname", "role", "domaine"]
    assert data["missions"][0] == {
        "start": datetime.date(2020, 3, 23),
        "end": datetime.date(2021, 4, 30),
        "status": "service",
        "employer": "SHODO",
        "startups": ["signaux-faibles"],
    }
    members_with_teams = [p for p in (exported / "_authors").glob("*.md") if "teams" in read(p).data]
    assert len(members_with_teams) == 20
    assert all(re.fullmatch(r"/teams/[\w.-]+", t) for p in members_with_teams for t in read(p).data["teams"])


@pytest.mark.shared_sample  # the team's sample's own files and figures
def test_an_incubator_and_a_team_file(exported):
    incubator = read(exported / "_incubators" / "FabNum-MI.md")
    assert incubator.data["owner"] == "/organisations/interieur"
    assert incubator.data["website"] == ""  # written even when empty, as espace-membre does
    assert incubator.body.startswith("Rebaptisée en janvier")
    assert read(exported / "_incubators" / "menj.md").data["owner"] == "/organisations/menj"  # kept as written
    team = read(exported / "_teams" / "atelier_meae.md").data
    assert set(team) == {"name", "mission", "incubator"}


# --- Small cases ------------------------------------------------------------------------------------------


def test_a_checkout_gets_its_content_folder_written(db, tmp_path):
    (tmp_path / "content").mkdir()
    OrganisationFactory(ghid="dinum-essai", name="Essai", acronym="", domaine_ministeriel="spm", type="autre")
    output = run("export_betagouv", tmp_path)
    assert f"Export vers {tmp_path / 'content'}" in output
    assert (tmp_path / "content" / "_organisations" / "dinum-essai.md").read_text(encoding="utf-8") == (
        "---\nname: Essai\nacronym: ''\ndomaine_ministeriel: spm\ntype: autre\n---\n"
    )


def test_an_identifier_that_cannot_be_a_file_name_is_not_exported(db, tmp_path):
    OrganisationFactory(ghid="../dehors", name="Dehors")
    output = run("export_betagouv", tmp_path / "export")
    assert "non exportés : _organisations/../dehors" in output
    assert not [path for path in tmp_path.rglob("*dehors*")]


def export_and_import_one(tmp_path, folder: str, ident: str) -> str:
    """Export the registry, import the file of one row alone (the rest of the export is the sample's, when the
    module imported it): its text."""
    run("export_betagouv", tmp_path / "export")
    text = (tmp_path / "export" / folder / f"{ident}.md").read_text(encoding="utf-8")
    (tmp_path / "tree" / folder).mkdir(parents=True)
    (tmp_path / "tree" / folder / f"{ident}.md").write_text(text, encoding="utf-8")
    assert "Rien n'a été importé" not in run("import_betagouv", tmp_path / "tree")
    return text


DATE_LIKE = {
    # What the importer keeps of a YAML date or time (its isoformat): written back as one.
    "2024-01-15": "a: 2024-01-15\n",
    "2024-01-15T10:00:00": "a: 2024-01-15T10:00:00\n",
    "2024-01-15T10:00:00.500000+00:00": "a: 2024-01-15T10:00:00.500000+00:00\n",
    "2024-01-15T10:00:00-02:00": "a: 2024-01-15T10:00:00-02:00\n",
    # Any other text, however like a date it looks, as a text: it reads back as it was.
    "2024-01-15T10:00:00.5": "a: '2024-01-15T10:00:00.5'\n",
    "2024-01-15T10:00:00.000000": "a: '2024-01-15T10:00:00.000000'\n",
    "2024-01-15T10:00:00-00:00": "a: '2024-01-15T10:00:00-00:00'\n",
    "2024-01-15 10:00:00": "a: '2024-01-15 10:00:00'\n",
    "2024-02-30": "a: '2024-02-30'\n",
    "٢٠٢٤-٠١-١٥": "a: ٢٠٢٤-٠١-١٥\n",
}


def test_a_text_in_extra_that_looks_like_a_date_comes_back_as_it_was(db, tmp_path):
    extra = {f"k{i}": {"a": value, "b": [value]} for i, value in enumerate(DATE_LIKE)}
    OrganisationFactory(ghid="essai-dates", name="Essai", extra=extra)
    text = export_and_import_one(tmp_path, "_organisations", "essai-dates")
    for i, written in enumerate(DATE_LIKE.values()):
        assert f"k{i}:\n  {written}" in text, (written, text)
    assert Organisation.objects.get(ghid="essai-dates").extra == extra


def test_a_text_with_a_line_break_yaml_knows_comes_back_as_it_was(db, tmp_path):
    texts = {"nel": "A\x85B", "ls": "A\u2028B", "ps": "A\u2029B", "lignes": "A\nB\r\n\x85"}
    OrganisationFactory(ghid="essai-sauts", name="DI\x85NUM", acronym="D\u2028N", extra=texts)
    export_and_import_one(tmp_path, "_organisations", "essai-sauts")
    organisation = Organisation.objects.get(ghid="essai-sauts")
    assert (organisation.name, organisation.acronym, organisation.extra) == ("DI\x85NUM", "D\u2028N", texts)
