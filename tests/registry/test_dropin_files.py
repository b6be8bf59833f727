"""The drop-in files added for beta.gouv.fr's set, on small fixtures: startups.csv, startups_details.json,
/api/v3/startups/<id>.json, /compteur_smiirl.json, and beta.gouv.fr's product addresses (301)."""

import datetime
import gzip
import json

import pytest
from freezegun import freeze_time

from incubateur.registry.models import Phase, ProductIncubator
from tests.registry.factories import IncubatorFactory, MemberFactory, MissionFactory, ProductFactory

D = datetime.date
TODAY = D(2025, 6, 15)


@pytest.fixture
def products():
    """A dotted id co-incubated with its principal incubator second, and a product with every optional text empty."""
    mtes, ademe = IncubatorFactory(ghid="mtes"), IncubatorFactory(ghid="ademe")
    dotted = ProductFactory(
        ghid="rdv.mjd",
        name="RDV MJD",
        pitch="Prendre rendez-vous",
        description="\n\n## Problème\n\nUn problème.\n",
        link="https://rdv.example.org",
        repository="https://github.com/betagouv/rdv",
        stats_url="https://rdv.example.org/stats",
        accessibility_status="partiellement conforme",
        techno=["Ruby"],
        redirect_from=["/startups/ancien-rdv"],
        incubator=mtes,
    )
    ProductIncubator.objects.filter(product=dotted).update(order=1)
    ProductIncubator.objects.create(product=dotted, incubator=ademe, order=0)
    Phase.objects.create(product=dotted, name="investigation", start=D(2023, 1, 2), end=D(2023, 6, 1))
    Phase.objects.create(product=dotted, name="construction", start=D(2023, 6, 1))
    bare = ProductFactory(ghid="sobre", name="Sobre", pitch="Peu", description="", contact="", incubator=ademe)
    return {"dotted": dotted, "bare": bare}


def get_json(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return json.loads(response.content)


# --- startups.csv --------------------------------------------------------------------------------------------


def test_the_csv_has_the_templates_columns_and_null_for_empty_values(client, products):
    response = client.get("/api/v2.7/startups.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.decode() == (
        "id;name;mission;start;status;incubator;stats;link;repository;accessibility;contact;incubators\n"
        "\n"
        'rdv.mjd;"RDV MJD";"Prendre rendez-vous";2023-01-02;construction;mtes;https://rdv.example.org/stats;'
        'https://rdv.example.org;https://github.com/betagouv/rdv;"partiellement conforme";contact@produit.example.org;'
        '"ademe,mtes"\n'
        'sobre;"Sobre";"Peu";;;ademe;null;null;null;"";;"ademe"\n'
        "\n"
    )


def test_the_csv_is_served_like_the_json_files(client, products):
    plain = client.get("/api/v2.7/startups.csv")
    zipped = client.get("/api/v2.7/startups.csv", HTTP_ACCEPT_ENCODING="gzip")
    assert gzip.decompress(zipped.content) == plain.content
    assert client.get("/api/v2.7/startups.csv", HTTP_IF_NONE_MATCH=plain["ETag"]).status_code == 304


# --- startups_details.json -----------------------------------------------------------------------------------


@freeze_time("2025-06-15 12:00:00")
def test_details_sort_members_as_the_plugin_does(client, products):
    dotted = products["dotted"]
    running = MemberFactory(username="a.encours")
    MissionFactory(member=running, start=D(2025, 1, 1), end=None, products=[dotted])
    ended = MemberFactory(username="b.fini")
    MissionFactory(member=ended, start=D(2023, 1, 1), end=D(2024, 1, 1), products=[dotted])
    future = MemberFactory(username="c.futur")
    MissionFactory(member=future, start=D(2025, 9, 1), end=D(2026, 1, 1), products=[dotted])
    # Legacy keys as written: `startups` follows the last mission's end; `previously` is previous.
    legacy = MemberFactory(username="d.ancien", extra={"startups": ["rdv.mjd", "disparu"], "previously": ["sobre"]})
    MissionFactory(member=legacy, start=D(2020, 1, 1), end=D(2021, 1, 1))
    details = get_json(client, "/api/v2.7/startups_details.json")

    assert list(details) == ["rdv.mjd", "sobre", "disparu"]
    assert details["rdv.mjd"] == {
        "id": "rdv.mjd",
        "name": "RDV MJD",
        "repository": "https://github.com/betagouv/rdv",
        "contact": "contact@produit.example.org",
        "phases": [
            {"name": "investigation", "start": "2023-01-02", "end": "2023-06-01"},
            {"name": "construction", "start": "2023-06-01"},
        ],
        "active_members": ["a.encours"],
        "previous_members": [],
        "expired_members": ["b.fini", "d.ancien"],  # c.futur: a mission not started yet is in no list
    }
    assert details["sobre"]["repository"] is None and details["sobre"]["contact"] is None
    assert details["sobre"]["previous_members"] == ["d.ancien"]
    # An id named by a member without a product file: its product fields are null.
    assert details["disparu"] == {
        "id": "disparu",
        "name": None,
        "repository": None,
        "contact": None,
        "phases": None,
        "active_members": [],
        "previous_members": [],
        "expired_members": ["d.ancien"],
    }


# --- /api/v3/startups/<id>.json ------------------------------------------------------------------------------


@freeze_time("2025-06-15 12:00:00")
def test_v3_of_a_dotted_id(client, products):
    dotted = products["dotted"]
    MissionFactory(member=MemberFactory(username="a.encours"), start=D(2025, 1, 1), end=None, products=[dotted])
    MissionFactory(member=MemberFactory(username="b.fini"), start=D(2023, 1, 1), end=D(2024, 1, 1), products=[dotted])
    # A mission that has not started yet: active for lib/models (only its end counts).
    MissionFactory(member=MemberFactory(username="c.futur"), start=D(2025, 9, 1), end=None, products=[dotted])
    assert get_json(client, "/api/v3/startups/rdv.mjd.json") == {
        "name": "RDV MJD",
        "repository": "https://github.com/betagouv/rdv",
        "contact": "contact@produit.example.org",
        "phases": [
            {"name": "investigation", "start": "2023-01-02", "end": "2023-06-01"},
            {"name": "construction", "start": "2023-06-01"},
        ],
        "mission": "Prendre rendez-vous",
        "link": "https://rdv.example.org",
        "incubator": "mtes",
        "accessibility_status": "partiellement conforme",
        "stats_url": "https://rdv.example.org/stats",
        "redirect_from": ["/startups/ancien-rdv"],
        "techno": ["Ruby"],
        "incubators": ["ademe", "mtes"],
        "active_members": ["a.encours", "c.futur"],
        "previous_members": ["b.fini"],
        "content": "## Problème\n\nUn problème.\n",  # Jekyll's content: the blank lines after `---` are not in it
    }


def test_v3_of_a_bare_product_and_of_an_unknown_id(client, products):
    assert get_json(client, "/api/v3/startups/sobre.json") == {
        "name": "Sobre",
        "mission": "Peu",
        "incubator": "ademe",
        "incubators": ["ademe"],
        "active_members": [],
        "previous_members": [],
        "content": "",
    }
    assert client.get("/api/v3/startups/inconnu.json").status_code == 404
    assert client.get("/api/v3/startups/rdv.json").status_code == 404


def test_a_v3_file_follows_the_registry(client, products):
    first = client.get("/api/v3/startups/rdv.mjd.json")
    MissionFactory(member=MemberFactory(username="nouvelle.venue"), end=None, products=[products["dotted"]])
    again = client.get("/api/v3/startups/rdv.mjd.json", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200
    assert json.loads(again.content)["active_members"] == ["nouvelle.venue"]
    assert client.get("/api/v3/startups/rdv.mjd.json", HTTP_IF_NONE_MATCH=again["ETag"]).status_code == 304


# --- /compteur_smiirl.json -----------------------------------------------------------------------------------


@freeze_time("2025-06-15 12:00:00")
def test_the_counter_counts_the_members_with_a_running_mission(client, products):
    MissionFactory(member=MemberFactory(username="a.encours"), start=D(2025, 1, 1), end=None)
    MissionFactory(member=MemberFactory(username="b.encours"), start=D(2024, 1, 1), end=D(2025, 6, 15))
    MissionFactory(member=MemberFactory(username="c.fini"), start=D(2023, 1, 1), end=D(2024, 1, 1))
    MissionFactory(member=MemberFactory(username="d.futur"), start=D(2025, 9, 1), end=None)
    response = client.get("/compteur_smiirl.json")
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert json.loads(response.content) == {"number": 2}


# --- beta.gouv.fr's addresses --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "old",
    ["/startups/rdv.mjd.html", "/startups/rdv.mjd", "/startups/ancien-rdv", "/startups/ancien-rdv.html"],
)
def test_beta_gouv_addresses_of_a_product_redirect_permanently(client, products, old):
    response = client.get(old)
    assert response.status_code == 301
    assert response["Location"] == "/produits/rdv.mjd/"


def test_an_unknown_old_address_is_a_404(client, products):
    assert client.get("/startups/inconnu.html").status_code == 404
    assert client.get("/startups/ancien").status_code == 404
