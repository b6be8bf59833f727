"""`/api/v1/organisation`: the organisation, search and who to contact, as JSON for everyone."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incubateur.core.ministries import MINISTRIES
from incubateur.organisation import cache as organisation_cache
from incubateur.organisation import services
from incubateur.organisation.models import Pole, Portfolio
from tests.factories import UserFactory

API = "/api/v1/organisation"


def test_an_empty_organisation(client):
    response = client.get(API)
    assert response.status_code == 200
    assert response.json() == {
        "department": None,
        "poles": [],
        "portfolios": [],
        "contacts": {"email": "", "mattermost_channel": "", "channels": []},
    }


def test_the_organisation(client, organisation):
    response = client.get(API)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"department", "poles", "portfolios", "contacts"}

    assert set(body["department"]) == {"name", "description", "contact_email", "mattermost_channel"}
    assert body["department"]["name"] == "Incubateur de services numériques"
    assert body["department"]["contact_email"] == "dinum@beta.gouv.fr"

    poles = {pole["slug"]: pole for pole in body["poles"]}
    assert list(poles) == list(Pole.objects.values_list("slug", flat=True))
    assert len(poles) == 8
    for pole in body["poles"]:
        assert set(pole) == {"slug", "name", "mission", "members"}
        for member in pole["members"]:
            assert set(member) == {"username", "fullname", "role", "lead"}
    assert sum(len(pole["members"]) for pole in body["poles"]) == 28
    assert poles["acceleration"]["name"] == "Le Pôle Accélération"
    assert poles["acceleration"]["members"][0] == {
        "username": "pierre.boussole",
        "fullname": "Pierre Boussole",
        "role": "Responsable du pôle",
        "lead": True,
    }
    assert {
        "username": "caius.marelle",
        "fullname": "Caïus Marelle",
        "role": "Expert accélération",
        "lead": False,
    } in (poles["acceleration"]["members"])
    assert len(poles["partenariats"]["members"]) == 10
    assert [m["lead"] for m in poles["partenariats"]["members"]] == [False] * 10

    assert len(body["portfolios"]) == 10
    for portfolio in body["portfolios"]:
        assert set(portfolio) == {"label", "manager", "ministries", "themes"}
        assert set(portfolio["manager"]) == {"username", "fullname"}
    justice = next(p for p in body["portfolios"] if p["label"] == "Justice")
    assert justice == {
        "label": "Justice",
        "manager": {"username": "pierre.boussole", "fullname": "Pierre Boussole"},
        "ministries": ["justice"],
        "themes": ["Justice"],
    }
    logement = next(p for p in body["portfolios"] if p["label"] == "Logement")
    assert (logement["manager"]["username"], logement["ministries"], logement["themes"]) == (
        "gael.ivoire",
        [],
        ["Logement"],
    )

    contacts = body["contacts"]
    assert contacts["email"] == "dinum@beta.gouv.fr"
    assert contacts["mattermost_channel"] == "incubateur-animation"
    assert {(c["kind"], c["value"]) for c in contacts["channels"]} == {
        ("email", "dinum@beta.gouv.fr"),
        ("mattermost", "incubateur-animation"),
        ("email", "animation@beta.gouv.fr"),
    }
    for channel in contacts["channels"]:
        assert set(channel) == {"label", "kind", "value", "url"}


def test_a_vacant_portfolio(client, organisation):
    services.portfolio_set_manager(portfolio=Portfolio.objects.get(slug="interieur"), manager=None, by=None)
    body = client.get(API).json()
    interieur = next(p for p in body["portfolios"] if p["label"] == "Intérieur")
    assert interieur["manager"] is None


def test_the_query_count_stays_flat(client, organisation):
    client.get(API)
    cold, warm = _queries(client, cold=True), _queries(client, cold=False)
    assert warm < cold
    pole = Pole.objects.get(slug="animation")
    for i in range(20):
        services.position_add(pole=pole, person=UserFactory(username=f"nouveau{i}.membre"), title="Rôle", by=None)
    assert _queries(client, cold=True) == cold
    assert _queries(client, cold=False) == warm
    body = client.get(API).json()
    assert len(next(p for p in body["poles"] if p["slug"] == "animation")["members"]) == 22


def test_conditional_get_and_a_change_visible_at_once(client, organisation):
    first = client.get(API)
    etag = first["ETag"]
    assert client.get(API, HTTP_IF_NONE_MATCH=etag).status_code == 304
    services.portfolio_set_manager(
        portfolio=Portfolio.objects.get(slug="justice"), manager=UserFactory(username="nouvelle.personne"), by=None
    )
    changed = client.get(API, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    justice = next(p for p in changed.json()["portfolios"] if p["label"] == "Justice")
    assert justice["manager"]["username"] == "nouvelle.personne"


def _queries(client, *, cold: bool) -> int:
    if cold:
        organisation_cache.bump()
    with CaptureQueriesContext(connection) as ctx:
        client.get(API)
    return len(ctx.captured_queries)


# --- /search ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query,username",
    [("gael", "gael.ivoire"), ("GAËL", "gael.ivoire"), ("caius", "caius.marelle"), ("cyber", "eline.le-brizec")],
)
def test_search(client, organisation, query, username):
    response = client.get(f"{API}/search", {"q": query})
    assert response.status_code == 200
    items = response.json()["items"]
    assert items
    assert {item["username"] for item in items} == {username}
    for item in items:
        assert set(item) == {"username", "fullname", "role", "pole"}


def test_search_justice(client, organisation):
    assert client.get(f"{API}/search", {"q": "justice"}).json() == {
        "items": [
            {
                "username": "pierre.boussole",
                "fullname": "Pierre Boussole",
                "role": "Responsable de portefeuille : Justice",
                "pole": "Le Pôle Partenariats / Responsables de Portefeuille Ministériel",
            }
        ]
    }


def test_search_a_pole(client, organisation):
    items = client.get(f"{API}/search", {"q": "acceleration"}).json()["items"]
    assert len(items) == 7
    assert {item["pole"] for item in items} == {"Le Pôle Accélération"}


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "   "}])
def test_an_empty_search(client, organisation, params):
    assert client.get(f"{API}/search", params).json() == {"items": []}


def test_a_long_query_is_cut_not_refused(client, organisation):
    response = client.get(f"{API}/search", {"q": "gael " + "x" * 500})
    assert response.status_code == 200
    assert response.json() == {"items": []}


# --- /contact --------------------------------------------------------------------------------------


def test_contact_for_a_ministry(client, organisation):
    response = client.get(f"{API}/contact", {"ministry": "justice"})
    assert response.status_code == 200
    assert response.json() == {
        "manager": {
            "username": "pierre.boussole",
            "fullname": "Pierre Boussole",
            "email": "pierre.boussole@beta.gouv.fr",
        },
        "portfolio": "Justice",
        "explanation": "portefeuille Justice, ministère Justice",
    }


def test_contact_for_a_theme(client, organisation):
    body = client.get(f"{API}/contact", {"theme": "Logement"}).json()
    assert body["manager"] == {
        "username": "gael.ivoire",
        "fullname": "Gaël Ivoire",
        "email": "gael.ivoire@beta.gouv.fr",
    }
    assert body["portfolio"] == "Logement"


def test_contact_theme_before_ministry(client, organisation):
    body = client.get(f"{API}/contact", {"theme": " vie associative ", "ministry": "justice"}).json()
    assert body["manager"]["username"] == "eva.sorbier"
    assert body["portfolio"] == "Jeunesse et Vie Associative"


@pytest.mark.parametrize("params", [{"ministry": "spm"}, {"ministry": "outre-mer"}, {"theme": "Astronomie"}, {}])
def test_contact_fallback(client, organisation, params):
    body = client.get(f"{API}/contact", params).json()
    assert body["manager"] == {
        "username": "igor.balise",
        "fullname": "Igor Balise",
        "email": "igor.balise@beta.gouv.fr",
    }
    assert body["portfolio"] is None
    assert body["explanation"].endswith(": L'Équipe de Direction et Opérations prend le relais")


def test_contact_for_a_vacant_portfolio(client, organisation):
    services.portfolio_set_manager(portfolio=Portfolio.objects.get(slug="justice"), manager=None, by=None)
    body = client.get(f"{API}/contact", {"ministry": "justice"}).json()
    assert (body["manager"], body["portfolio"]) == (None, "Justice")


@pytest.mark.parametrize("code", ["atlantide", "JUSTICE", "<script>"])
def test_an_unknown_ministry_is_a_400_in_french(client, organisation, code):
    response = client.get(f"{API}/contact", {"ministry": code})
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail.startswith(f"Ministère inconnu : « {code} ». Codes possibles : ")
    for known in MINISTRIES:
        assert known in detail


def test_a_long_unknown_ministry_is_cut_in_the_message(client, organisation):
    detail = client.get(f"{API}/contact", {"ministry": "x" * 500}).json()["detail"]
    assert f"« {'x' * 50} »" in detail


# --- OpenAPI ---------------------------------------------------------------------------------------


def test_the_openapi_lists_the_three_paths(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in [API, f"{API}/search", f"{API}/contact"]:
        assert set(paths[path]) == {"get"}, path
    contact = paths[f"{API}/contact"]["get"]
    assert {p["name"] for p in contact["parameters"]} == {"ministry", "theme"}
    assert {"200", "400"} <= set(contact["responses"])
    assert {p["name"] for p in paths[f"{API}/search"]["get"]["parameters"]} == {"q"}


def test_the_api_is_read_only(client, organisation):
    assert client.post(API).status_code == 405
    assert client.post(f"{API}/contact", {"ministry": "justice"}).status_code == 405
