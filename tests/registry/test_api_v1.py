"""/api/v1/ registry routes: members, startups, incubators, organisations; filters, pagination, tokens, errors."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incubateur.accounts.api_auth import api_token_issue, api_tokens_revoke_for
from incubateur.accounts.models import ApiToken
from incubateur.registry import cache as registry_cache
from incubateur.registry.models import Phase, ProductIncubator
from tests.factories import UserFactory
from tests.registry.factories import (
    IncubatorFactory,
    MemberFactory,
    MissionFactory,
    OrganisationFactory,
    ProductFactory,
    TeamFactory,
)

API = "/api/v1"
D = datetime.date
LISTS = ["members", "startups", "incubators", "organisations"]


def today():
    return timezone.localdate()


def bearer(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.fixture
def secret():
    _, secret = api_token_issue(user=UserFactory(), name="tests")
    return secret


@pytest.fixture
def world():
    territoires = OrganisationFactory(
        ghid="anct", name="ANCT", acronym="ANCT", domaine_ministeriel="territoires", type="operateur"
    )
    justice = OrganisationFactory(ghid="dac", name="Direction des affaires criminelles", acronym="DACG")
    anct = IncubatorFactory(ghid="anct", title="Incubateur des territoires", owner=territoires)
    fabrique = IncubatorFactory(ghid="fabrique", title="Fabrique numérique", owner=justice)

    service = ProductFactory(
        ghid="mon-service",
        name="Mon Service",
        incubator=anct,
        thematiques=["Écologie", "Territoires"],
        techno=["Python"],
        link="https://mon-service.beta.gouv.fr",
    )
    Phase.objects.create(product=service, name="investigation", start=D(2023, 9, 1), end=D(2024, 1, 31))
    Phase.objects.create(product=service, name="construction", start=D(2024, 2, 1))
    service.productsponsor_set.create(organisation=territoires)
    ProductIncubator.objects.create(product=service, incubator=fabrique, order=1)  # co-incubated

    dossier = ProductFactory(ghid="dossier", name="Dossier", incubator=fabrique, thematiques=["Justice"])
    Phase.objects.create(product=dossier, name="investigation", start=D(2024, 1, 1), end=D(2024, 6, 1))
    Phase.objects.create(product=dossier, name="abandon", start=D(2024, 6, 1))
    dossier.productsponsor_set.create(organisation=justice)

    ProductFactory(ghid="sans-phase", name="Sans phase", incubator=fabrique)

    account = UserFactory(email="camille.martin@beta.gouv.fr", username="camille.martin")
    camille = MemberFactory(
        username="camille.martin", fullname="Camille Martin", user=account, domaine="Design", competences=["UX"]
    )
    camille.teams.add(TeamFactory(ghid="equipe-design", incubator=anct))
    MissionFactory(member=camille, employer="ACME SAS", status="service", products=[service], end=None)
    dominique = MemberFactory(username="dominique.durand", fullname="Dominique Durand", domaine="Développement")
    MissionFactory(
        member=dominique,
        start=D(2024, 1, 1),
        end=D(2024, 6, 1),
        employer="Indépendant",
        products=[dossier],
    )
    return {"service": service, "dossier": dossier, "camille": camille, "dominique": dominique}


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


# --- Lists and details -------------------------------------------------------------------------------


def test_startups(client, world):
    response = client.get(f"{API}/startups")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert ids(response) == ["dossier", "mon-service", "sans-phase"]
    service = body["items"][1]
    assert service["current_phase"] == "construction"
    assert service["active"] is True
    assert service["incubator"] == "anct"
    assert service["incubators"] == ["anct", "fabrique"]
    assert service["sponsors"] == ["anct"]
    assert service["thematiques"] == ["Écologie", "Territoires"]
    assert service["technos"] == ["Python"]
    assert service["phases"] == [
        {"name": "investigation", "start": "2023-09-01", "end": "2024-01-31", "comment": ""},
        {"name": "construction", "start": "2024-02-01", "end": None, "comment": ""},
    ]
    assert body["items"][0]["active"] is False  # abandon
    assert body["items"][2]["current_phase"] is None and body["items"][2]["active"] is False
    assert client.get(f"{API}/startups/mon-service").json() == service


def test_incubators_and_organisations(client, world):
    incubators = client.get(f"{API}/incubators").json()
    assert incubators["count"] == 2
    assert [(i["id"], i["owner"]) for i in incubators["items"]] == [("anct", "anct"), ("fabrique", "dac")]
    assert client.get(f"{API}/incubators/anct").json() == incubators["items"][0]
    organisations = client.get(f"{API}/organisations").json()
    assert organisations == {
        "items": [
            {
                "id": "anct",
                "name": "ANCT",
                "acronym": "ANCT",
                "domaine_ministeriel": "territoires",
                "type": "operateur",
            },
            {
                "id": "dac",
                "name": "Direction des affaires criminelles",
                "acronym": "DACG",
                "domaine_ministeriel": "justice",
                "type": "administration-centrale",
            },
        ],
        "count": 2,
    }
    assert client.get(f"{API}/organisations/dac").json() == organisations["items"][1]
    assert ids(client.get(f"{API}/organisations", {"ministry": "justice"})) == ["dac"]


def test_members_without_a_token_have_no_personal_fields(client, world):
    response = client.get(f"{API}/members")
    assert ids(response) == ["camille.martin", "dominique.durand"]
    camille = response.json()["items"][0]
    assert camille == {
        "id": "camille.martin",
        "fullname": "Camille Martin",
        "role": "Développeuse",
        "domaine": "Design",
        "member_type": "",
        "bio": "",
        "link": "",
        "github": "",
        "avatar": "",
        "competences": ["UX"],
        "teams": ["equipe-design"],
        "active": True,
        "missions": [
            {
                "start": (today() - datetime.timedelta(days=100)).isoformat(),
                "end": None,
                "status": "service",
                "startups": ["mon-service"],
            }
        ],
    }
    assert client.get(f"{API}/members/camille.martin").json() == camille
    assert response.json()["items"][1]["active"] is False


def test_members_with_a_token_have_the_personal_fields(client, world, secret):
    camille, dominique = client.get(f"{API}/members", **bearer(secret)).json()["items"]
    assert camille["email"] == "camille.martin@beta.gouv.fr"
    assert camille["missions"][0]["employer"] == "ACME SAS"
    assert dominique["email"] is None  # no linked account
    assert dominique["missions"][0]["employer"] == "Indépendant"
    detail = client.get(f"{API}/members/camille.martin", **bearer(secret)).json()
    assert detail == camille


def test_the_openapi_schema(client):
    schema = client.get(f"{API}/openapi.json").json()
    for path in (
        "/api/v1/members",
        "/api/v1/members/{username}",
        "/api/v1/startups",
        "/api/v1/startups/{ghid}",
        "/api/v1/incubators",
        "/api/v1/incubators/{ghid}",
        "/api/v1/organisations",
        "/api/v1/organisations/{ghid}",
    ):
        assert path in schema["paths"]
    assert schema["components"]["securitySchemes"]["OptionalBearer"] == {"type": "http", "scheme": "bearer"}
    parameters = {p["name"] for p in schema["paths"]["/api/v1/startups"]["get"]["parameters"]}
    assert parameters == {"limit", "offset", "incubator", "phase", "ministry", "thematique", "active"}


# --- 404 and 400 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path,message",
    [
        ("members/personne.inconnue", "Membre introuvable : « personne.inconnue »."),
        ("startups/inconnu", "Produit introuvable : « inconnu »."),
        ("incubators/inconnu", "Incubateur introuvable : « inconnu »."),
        ("organisations/inconnue", "Organisation introuvable : « inconnue »."),
    ],
)
def test_an_unknown_id_is_a_404_in_json(client, world, path, message):
    response = client.get(f"{API}/{path}")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": message}


@pytest.mark.parametrize(
    "path,params,field",
    [
        ("startups", {"limit": "0"}, "limit"),
        ("startups", {"limit": "501"}, "limit"),
        ("startups", {"limit": "beaucoup"}, "limit"),
        ("members", {"offset": "-1"}, "offset"),
        ("startups", {"phase": "lancement"}, "phase"),
        ("startups", {"ministry": "finances"}, "ministry"),
        ("startups", {"active": "peut-etre"}, "active"),
        ("members", {"active": "peut-etre"}, "active"),
        ("members", {"domaine": "Cuisine"}, "domaine"),
        ("organisations", {"ministry": "finances"}, "ministry"),
        ("incubators", {"limit": "0"}, "limit"),
    ],
)
def test_bad_query_parameters_are_a_400_with_details(client, path, params, field):
    response = client.get(f"{API}/{path}", params)
    assert response.status_code == 400
    details = response.json()["detail"]
    assert [d["loc"] for d in details] == [["query", field]]
    assert details[0]["msg"]


# --- Pagination --------------------------------------------------------------------------------------


def test_pagination(client):
    for i in range(7):
        OrganisationFactory(ghid=f"organisation-{i}")
    first = client.get(f"{API}/organisations", {"limit": 3}).json()
    assert first["count"] == 7
    assert [o["id"] for o in first["items"]] == ["organisation-0", "organisation-1", "organisation-2"]
    last = client.get(f"{API}/organisations", {"limit": 3, "offset": 6}).json()
    assert last == {"count": 7, "items": [last["items"][0]]} and last["items"][0]["id"] == "organisation-6"
    assert client.get(f"{API}/organisations", {"offset": 50}).json() == {"items": [], "count": 7}


def test_the_default_page_is_100(client):
    for i in range(105):
        OrganisationFactory(ghid=f"organisation-{i:03}")
    body = client.get(f"{API}/organisations").json()
    assert (len(body["items"]), body["count"]) == (100, 105)
    assert len(client.get(f"{API}/organisations", {"limit": 500}).json()["items"]) == 105


def test_pagination_with_filters_counts_the_filtered_rows(client, world):
    body = client.get(f"{API}/startups", {"incubator": "fabrique", "limit": 1, "offset": 1}).json()
    assert body["count"] == 3
    assert [s["id"] for s in body["items"]] == ["mon-service"]


# --- Filters -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params,expected",
    [
        ({"incubator": "anct"}, ["mon-service"]),
        ({"incubator": "fabrique"}, ["dossier", "mon-service", "sans-phase"]),  # co-incubation counts
        ({"incubator": "inconnu"}, []),
        ({"phase": "construction"}, ["mon-service"]),
        ({"phase": "investigation"}, []),  # a past phase is not the current one
        ({"phase": "abandon"}, ["dossier"]),
        ({"ministry": "territoires"}, ["mon-service"]),
        ({"ministry": "justice"}, ["dossier"]),
        ({"ministry": "culture"}, []),
        ({"thematique": "Écologie"}, ["mon-service"]),
        ({"thematique": "ecologie"}, ["mon-service"]),
        ({"thematique": "  ÉCOLOGIE "}, ["mon-service"]),
        ({"thematique": "ecolo"}, []),  # a thématique, not a substring
        ({"thematique": "justice"}, ["dossier"]),
        ({"active": "true"}, ["mon-service"]),
        ({"active": "false"}, ["dossier", "sans-phase"]),
        ({"active": "true", "incubator": "fabrique", "ministry": "territoires"}, ["mon-service"]),
        ({"active": "false", "incubator": "anct"}, []),
    ],
)
def test_startup_filters(client, world, params, expected):
    assert ids(client.get(f"{API}/startups", params)) == expected


def test_the_current_phase_is_the_latest_started(client, world):
    Phase.objects.create(product=world["service"], name="acceleration", start=today())
    assert ids(client.get(f"{API}/startups", {"phase": "acceleration"})) == ["mon-service"]
    assert ids(client.get(f"{API}/startups", {"phase": "construction"})) == []


@pytest.mark.parametrize(
    "params,expected",
    [
        ({"active": "true"}, ["camille.martin"]),
        ({"active": "false"}, ["dominique.durand"]),
        ({"startup": "mon-service"}, ["camille.martin"]),
        ({"startup": "dossier"}, ["dominique.durand"]),
        ({"incubator": "anct"}, ["camille.martin"]),
        ({"incubator": "fabrique"}, ["camille.martin", "dominique.durand"]),  # mon-service is co-incubated
        ({"incubator": "fabrique", "active": "false"}, ["dominique.durand"]),
        ({"domaine": "Design"}, ["camille.martin"]),
        ({"startup": "inconnu"}, []),
    ],
)
def test_member_filters(client, world, params, expected):
    assert ids(client.get(f"{API}/members", params)) == expected


def test_a_member_with_several_matching_missions_is_listed_once(client, world):
    MissionFactory(member=world["camille"], products=[world["service"]], start=D(2020, 1, 1), end=D(2020, 2, 1))
    body = client.get(f"{API}/members", {"incubator": "anct"}).json()
    assert body["count"] == 1 and [m["id"] for m in body["items"]] == ["camille.martin"]


# --- Tokens ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [*LISTS, "members/camille.martin", "startups/mon-service"])
def test_a_valid_token_is_accepted_everywhere(client, world, secret, path):
    assert client.get(f"{API}/{path}", **bearer(secret)).status_code == 200


@pytest.mark.parametrize("path", [*LISTS, "members/camille.martin", "startups/mon-service"])
@pytest.mark.parametrize(
    "header,message",
    [
        ("Bearer inconnu", "Jeton d'API invalide ou révoqué."),
        ("Bearer ", "En-tête Authorization invalide : attendu « Bearer <jeton> »."),
        ("Basic dXNlcjpwYXNz", "En-tête Authorization invalide : attendu « Bearer <jeton> »."),
    ],
)
def test_an_invalid_token_is_a_401_in_json(client, world, path, header, message):
    response = client.get(f"{API}/{path}", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": message}


def test_a_revoked_token_is_a_401(client, world):
    user = UserFactory()
    _, secret = api_token_issue(user=user)
    assert client.get(f"{API}/members", **bearer(secret)).status_code == 200
    api_tokens_revoke_for(user=user)
    response = client.get(f"{API}/members", **bearer(secret))
    assert response.status_code == 401
    assert response.json() == {"detail": "Jeton d'API invalide ou révoqué."}


def test_the_token_of_a_deactivated_account_is_a_401(client, world):
    user = UserFactory()
    _, secret = api_token_issue(user=user)
    user.is_active = False
    user.save()
    assert client.get(f"{API}/members", **bearer(secret)).status_code == 401


def test_the_scheme_is_case_insensitive(client, world, secret):
    response = client.get(f"{API}/members", HTTP_AUTHORIZATION=f"bearer {secret}")
    assert response.status_code == 200
    assert "email" in response.json()["items"][0]


def test_last_used_at_is_written_at_most_once_a_minute(client, world, secret):
    token = ApiToken.objects.get(token_hash=ApiToken.hash(secret))
    assert token.last_used_at is None
    client.get(f"{API}/organisations", **bearer(secret))
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None

    with CaptureQueriesContext(connection) as ctx:
        client.get(f"{API}/organisations", **bearer(secret))
    assert not [q for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith("UPDATE")]
    token.refresh_from_db()
    assert token.last_used_at == first

    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - datetime.timedelta(seconds=61))
    client.get(f"{API}/organisations", **bearer(secret))
    token.refresh_from_db()
    assert token.last_used_at > first - datetime.timedelta(seconds=61)


# --- Queries: flat as rows grow; unfiltered lists from the cache -------------------------------------


def _queries(client, path: str, *, cold: bool = False, **headers) -> int:
    if cold:
        registry_cache.bump()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"{API}/{path}", **headers)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _more_rows(n: int, start: int) -> None:
    for i in range(start, start + n):
        organisation = OrganisationFactory(ghid=f"org-{i}")
        incubator = IncubatorFactory(ghid=f"inc-{i}", owner=organisation)
        product = ProductFactory(
            ghid=f"produit-{i}", incubator=incubator, phase="construction", thematiques=["Écologie", "Santé"]
        )
        product.productsponsor_set.create(organisation=organisation)
        member = MemberFactory(username=f"membre{i}.nom", user=UserFactory(), domaine="Design")
        member.teams.add(TeamFactory(ghid=f"team-{i}", incubator=incubator))
        MissionFactory(member=member, products=[product])
        MissionFactory(member=member, products=[product], start=D(2020, 1, 1), end=D(2020, 12, 31))


@pytest.mark.parametrize(
    "path",
    [
        "startups?thematique=ecologie&active=true&ministry=justice&incubator=inc-1&phase=construction",
        "startups?active=false",
        "startups?phase=construction",
        "members?active=true&incubator=inc-1&startup=produit-1",
        "members?domaine=Design",
        "organisations?ministry=justice",
    ],
)
def test_the_query_count_of_a_filtered_list_stays_flat(client, secret, path):
    _more_rows(2, 0)
    client.get(f"{API}/{path}", **bearer(secret))  # last_used_at written
    assert client.get(f"{API}/{path}").json()["items"] or "active=false" in path  # rows to prefetch for
    anonymous, with_token = _queries(client, path), _queries(client, path, **bearer(secret))
    assert with_token == anonymous + 1  # the token
    _more_rows(12, 100)
    assert _queries(client, path) == anonymous
    assert _queries(client, path, **bearer(secret)) == with_token


@pytest.mark.parametrize("name", LISTS)
def test_an_unfiltered_first_page_is_served_from_the_cache(client, secret, name):
    _more_rows(2, 0)
    client.get(f"{API}/{name}", **bearer(secret))  # last_used_at written
    cold = _queries(client, name, cold=True)
    warm = _queries(client, name)
    assert warm == 1  # the version stamp: the page's bytes are kept in the process, next to their tag
    assert _queries(client, f"{name}?limit=500", cold=True) == cold
    assert _queries(client, f"{name}?limit=500") == warm
    other_page = _queries(client, f"{name}?limit=2&offset=1")  # not cached: computed, flat all the same
    _more_rows(12, 100)
    assert _queries(client, name, cold=True) == cold
    assert _queries(client, name) == warm
    assert _queries(client, f"{name}?limit=2&offset=1") == other_page
    if name == "members":  # with personal fields: never from the cache, flat all the same
        with_token = _queries(client, name, **bearer(secret))
        _more_rows(3, 200)
        assert _queries(client, name, **bearer(secret)) == with_token
    else:  # the same bytes with a token (one more query: the token)
        assert _queries(client, name, **bearer(secret)) == warm + 1


def test_the_cache_holds_one_entry_per_list_and_size(client, world):
    for _ in range(3):
        world["service"].save()  # a new version
        client.get(f"{API}/startups")
        client.get(f"{API}/startups", {"limit": 500})
        client.get(f"{API}/startups", {"limit": 3, "offset": 1})
        client.get(f"{API}/startups", {"offset": 100})
    assert cache_keys("registry:api-v1:") == [":1:registry:api-v1:startups:100", ":1:registry:api-v1:startups:500"]


def cache_keys(prefix: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT cache_key FROM django_cache WHERE cache_key LIKE %s ORDER BY cache_key", [f"%{prefix}%"]
        )
        return [row[0] for row in cursor.fetchall()]


def test_a_change_is_visible_on_the_next_request(client, world, secret):
    assert client.get(f"{API}/startups").json()["items"][1]["name"] == "Mon Service"
    assert client.get(f"{API}/members").json()["items"][0]["role"] == "Développeuse"
    world["service"].name = "Mon Service renommé"
    world["service"].save()
    world["camille"].role = "Coach"
    world["camille"].save()
    assert client.get(f"{API}/startups").json()["items"][1]["name"] == "Mon Service renommé"
    assert client.get(f"{API}/members").json()["items"][0]["role"] == "Coach"
    # The linked account is outside the registry: the personal fields are never served from the cache.
    assert client.get(f"{API}/members", **bearer(secret)).json()["items"][0]["email"] == "camille.martin@beta.gouv.fr"
    account = world["camille"].user
    account.email = "camille.martin@numerique.gouv.fr"
    account.save()
    assert client.get(f"{API}/members", **bearer(secret)).json()["items"][0]["email"] == account.email


def test_the_cached_page_is_the_same_as_the_rendered_one(client, world):
    for name in LISTS:
        cached = client.get(f"{API}/{name}")
        assert cached["Content-Type"] == "application/json; charset=utf-8"
        assert client.get(f"{API}/{name}").content == cached.content
        # A page size that is never cached goes through django-ninja's own rendering: the same bytes.
        assert client.get(f"{API}/{name}", {"limit": 99}).content == cached.content
