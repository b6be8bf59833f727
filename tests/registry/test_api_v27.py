"""/api/v2.7/*.json: beta.gouv.fr's public API as a drop-in, served from a cache."""

import datetime
import gzip
import json
import re
from io import StringIO
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.core.cache import cache as django_cache
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils.http import http_date

from incubateur.registry import cache as registry_cache
from incubateur.registry.api import v27 as api_v27
from incubateur.registry.models import Event, Member, Mission, Organisation, Phase, Product, ProductIncubator
from tests.registry.factories import (
    IncubatorFactory,
    MemberFactory,
    MissionFactory,
    OrganisationFactory,
    ProductFactory,
    TeamFactory,
)
from tests.utils import SAMPLE

FILES = ["authors", "startups", "incubators", "organisations", "sponsors"]
D = datetime.date


def url(name: str) -> str:
    return f"/api/v2.7/{name}.json"


def get_json(client, name: str):
    response = client.get(url(name))
    assert response.status_code == 200
    return json.loads(response.content)


@pytest.fixture
def anct():
    """The anchor's example: ANCT sponsors "Mon Service", incubated at ANCT; Camille Martin works on it."""
    anct = OrganisationFactory(
        ghid="anct",
        name="Agence Nationale de la Cohésion des Territoires",
        acronym="ANCT",
        domaine_ministeriel="territoires",
        type="operateur",
    )
    incubator = IncubatorFactory(
        ghid="anct",
        title="Incubateur des territoires",
        owner=anct,
        contact="contact@incubateur.anct.gouv.fr",
        address="20 avenue de Ségur, Paris",
        website="https://incubateur.anct.gouv.fr",
        github="https://github.com/incubateur-territoires",
    )
    product = ProductFactory(
        ghid="mon-service",
        name="Mon Service",
        pitch="Simplifier X",
        description="## Problème\n\nUn problème.\n",
        link="https://mon-service.beta.gouv.fr",
        repository="https://github.com/betagouv/mon-service",
        contact="contact@mon-service.beta.gouv.fr",
        thematiques=["Territoires"],
        techno=["Python"],
        accessibility_status="partiellement conforme",
        incubator=incubator,
    )
    Phase.objects.create(product=product, name="investigation", start=D(2023, 9, 1), end=D(2024, 1, 31))
    Phase.objects.create(product=product, name="construction", start=D(2024, 2, 1), comment="Équipe au complet")
    Event.objects.create(product=product, name="committee", date=D(2024, 3, 1))
    product.productsponsor_set.create(organisation=anct)
    member = MemberFactory(
        username="camille.martin",
        fullname="Camille Martin",
        role="Développeuse",
        domaine="Développement",
        link="https://example.org",
        bio="Texte <em>brut</em>…\n",
        github="cmartin",
        competences=["React"],
        extra={"previously": ["ancien-service"]},
    )
    MissionFactory(
        member=member,
        start=D(2024, 1, 15),
        end=D(2025, 6, 30),
        status="independent",
        employer="ACME SAS",
        products=[product],
    )
    return {"organisation": anct, "incubator": incubator, "product": product, "member": member}


# --- authors.json ------------------------------------------------------------------------------------


def test_authors(client, anct):
    assert get_json(client, "authors") == [
        {
            "id": "camille.martin",
            "fullname": "Camille Martin",
            "role": "Développeuse",
            "domaine": "Développement",
            "link": "https://example.org",
            "bio": "Texte brut…",
            "github": "cmartin",
            "missions": [
                {
                    "start": "2024-01-15",
                    "end": "2025-06-30",
                    "status": "independent",
                    "employer": "ACME SAS",
                    "startups": ["mon-service"],
                }
            ],
            "competences": ["React"],
            # No top-level `startups`: the template prints the front matter's list, never the missions' products.
            "previously": ["ancien-service"],
        }
    ]


def test_an_author_with_only_the_required_keys(client):
    member = MemberFactory(username="dominique.durand", fullname="Dominique Durand", role="Coach", domaine="Coaching")
    MissionFactory(member=member, start=D(2025, 1, 6), end=None, status="", employer="")
    MissionFactory(member=member, start=D(2020, 1, 6), end=D(2021, 1, 6), status="admin", employer="DINUM")
    Mission.objects.filter(member=member, start=D(2020, 1, 6)).update(order=0)
    Mission.objects.filter(member=member, start=D(2025, 1, 6)).update(order=1)
    registry_cache.bump()  # update() sends no signal
    (author,) = get_json(client, "authors")
    # `link` is always there; `bio, github, competences, startups, previously` only when not empty.
    assert author == {
        "id": "dominique.durand",
        "fullname": "Dominique Durand",
        "role": "Coach",
        "domaine": "Coaching",
        "link": "",
        "missions": [
            {"start": "2020-01-06", "end": "2021-01-06", "status": "admin", "employer": "DINUM", "startups": []},
            {"start": "2025-01-06", "end": "", "status": "", "employer": "", "startups": []},
        ],
    }


def test_authors_are_in_id_order_and_the_legacy_startups_key_is_published_as_written(client, anct):
    MemberFactory(username="aaron.abel", extra={"startups": ["ancienne-cle"], "previously": []})
    authors = get_json(client, "authors")
    assert [a["id"] for a in authors] == ["aaron.abel", "camille.martin"]
    assert authors[0]["startups"] == ["ancienne-cle"]
    assert authors[0]["previously"] == []  # Liquid's `{% if %}` is true for an empty list
    assert "missions" in authors[0] and authors[0]["missions"] == []
    assert "startups" not in authors[1]  # not derived from the missions


def test_the_bio_is_plain_text_without_entities(client):
    MemberFactory(bio="<p>En méthode &quot;produit&quot;&#x20;**&#x70;ortée** &amp; <b>pilotée</b></p>\n")
    (author,) = get_json(client, "authors")
    assert author["bio"] == 'En méthode "produit" **portée** & pilotée'


def test_a_bio_of_only_markup_is_left_out(client):
    MemberFactory(bio="<p>  </p>\n<!-- rien -->")
    (author,) = get_json(client, "authors")
    assert "bio" not in author


# --- startups.json -----------------------------------------------------------------------------------


def test_startups(client, anct):
    body = get_json(client, "startups")
    assert set(body) == {"links", "data", "included"}
    assert body["links"] == {"self": "https://beta.gouv.fr/startups"}
    assert body["data"] == [
        {
            "id": "mon-service",
            "type": "startup",
            "attributes": {
                "name": "Mon Service",
                "pitch": "Simplifier X",
                "stats_url": "",
                "link": "https://mon-service.beta.gouv.fr",
                "impact_url": "",
                "repository": "https://github.com/betagouv/mon-service",
                "contact": "contact@mon-service.beta.gouv.fr",
                "content_url_encoded_markdown": "%23%23%20Probl%C3%A8me%0A%0AUn%20probl%C3%A8me.%0A",
                "events": [{"name": "committee", "date": "2024-03-01", "comment": ""}],
                "phases": [
                    {"name": "investigation", "start": "2023-09-01", "end": "2024-01-31"},
                    {"name": "construction", "start": "2024-02-01", "end": ""},
                ],
                "sponsors": ["anct"],
                "thematiques": ["Territoires"],
                "technos": ["Python"],
                "accessibility_status": "partiellement conforme",
            },
            "relationships": {
                "incubator": {"data": {"type": "incubator", "id": "anct"}},
                "incubators": {"data": [{"type": "incubator", "id": "anct"}]},
            },
        }
    ]
    assert body["included"] == [
        {
            "id": "anct",
            "type": "incubator",
            "attributes": {
                "title": "Incubateur des territoires",
                "owner": "/organisations/anct",
                "website": "https://incubateur.anct.gouv.fr",
                "github": "https://github.com/incubateur-territoires",
                "contact": "contact@incubateur.anct.gouv.fr",
            },
        }
    ]


def test_a_startup_without_optional_values(client):
    ProductFactory(ghid="sobre", name="Sobre", pitch="Peu", description="", contact="", link="", stats=True)
    (startup,) = get_json(client, "startups")["data"]
    # `stats_url` is always there; `impact_url` and `link` only with a link; the others only when set.
    assert startup["attributes"] == {
        "name": "Sobre",
        "pitch": "Peu",
        "stats_url": "/stats",
        "contact": "",
        "content_url_encoded_markdown": "",
        "events": [],
        "phases": [],
        "sponsors": [],
        "thematiques": [],
        "technos": [],
    }


def test_the_optional_startup_keys_when_set(client):
    ProductFactory(
        ghid="complet",
        link=" https://complet.beta.gouv.fr ",
        stats=True,
        impact_url="https://complet.beta.gouv.fr/impact",
        budget_url="https://pad.example.org/budget",
        analyse_risques=True,
        analyse_risques_url="https://example.org/SECURITY.md",
        dashlord_url="https://dashlord.example.org/complet",
    )
    ProductFactory(ghid="sans-analyse", analyse_risques=False, stats_url="https://stats.example.org", stats=True)
    complet, sans_analyse = get_json(client, "startups")["data"]
    attributes = complet["attributes"]
    assert attributes["stats_url"] == "https://complet.beta.gouv.fr/stats"  # `link | strip` + /stats
    assert attributes["impact_url"] == "https://complet.beta.gouv.fr/impact"
    assert attributes["budget_url"] == "https://pad.example.org/budget"
    assert attributes["analyse_risques"] == "true"  # a scalar as a string
    assert attributes["analyse_risques_url"] == "https://example.org/SECURITY.md"
    assert attributes["dashlord_url"] == "https://dashlord.example.org/complet"
    assert "analyse_risques" not in sans_analyse["attributes"]
    assert sans_analyse["attributes"]["stats_url"] == "https://stats.example.org"  # stats_url wins over stats


def test_co_incubation_events_and_sponsors_keep_the_tree_order(client):
    ademe, mtes = IncubatorFactory(ghid="ademe"), IncubatorFactory(ghid="mtes")
    product = ProductFactory(ghid="ecobalyse", incubator=mtes)
    ProductIncubator.objects.filter(product=product).update(order=1)
    ProductIncubator.objects.create(product=product, incubator=ademe, order=0)
    for order, ghid in enumerate(["cgdd", "ademe"]):
        product.productsponsor_set.create(organisation=OrganisationFactory(ghid=ghid), order=order)
    Event.objects.create(product=product, name="product_launch", date=D(2026, 7, 29), order=1)
    Event.objects.create(product=product, name="fast", date=D(2024, 1, 1), order=0, comment="Montant\r\nde 300000€\n")
    registry_cache.bump()
    (startup,) = get_json(client, "startups")["data"]
    assert startup["relationships"] == {
        "incubator": {"data": {"type": "incubator", "id": "mtes"}},
        "incubators": {"data": [{"type": "incubator", "id": "ademe"}, {"type": "incubator", "id": "mtes"}]},
    }
    assert startup["attributes"]["sponsors"] == ["cgdd", "ademe"]
    assert startup["attributes"]["events"] == [
        {"name": "fast", "date": "2024-01-01", "comment": "Montantde 300000€"},  # strip_newlines
        {"name": "product_launch", "date": "2026-07-29", "comment": ""},
    ]


def test_a_startup_without_incubator(client):
    product = ProductFactory(ghid="orphelin")
    ProductIncubator.objects.filter(product=product).delete()
    (startup,) = get_json(client, "startups")["data"]
    assert startup["relationships"] == {
        "incubator": {"data": {"type": "incubator", "id": ""}},
        "incubators": {"data": []},
    }


def test_included_lists_every_incubator(client):
    IncubatorFactory(ghid="sans-produit", title="Sans produit", owner=None, website="", github="")
    IncubatorFactory(ghid="cache", extra={"hidden": True})  # the template loops on every incubator
    assert [i["id"] for i in get_json(client, "startups")["included"]] == ["cache", "sans-produit"]
    assert get_json(client, "startups")["included"][1] == {
        "id": "sans-produit",
        "type": "incubator",
        "attributes": {
            "title": "Sans produit",
            "owner": "",
            "website": "",
            "github": "",
            "contact": "contact@incubateur.example.org",
        },
    }


def test_the_markdown_is_url_encoded(client):
    description = "# Titre\n\nÀ l'école : 50 % & « guillemets » <b>gras</b> ~_-.\n"
    ProductFactory(description=description)
    (startup,) = get_json(client, "startups")["data"]
    encoded = startup["attributes"]["content_url_encoded_markdown"]
    assert unquote(encoded) == description
    assert set(encoded) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789%-_.~")
    assert encoded.startswith("%23%20Titre%0A%0A%C3%80%20l%27%C3%A9cole%20%3A%2050%20%25%20%26")


# --- incubators.json ---------------------------------------------------------------------------------


def test_incubators(client, anct):
    IncubatorFactory(ghid="vide", title="Sans produit", owner=None, contact="", address="", website="", github="")
    assert get_json(client, "incubators") == {
        "anct": {
            "startups": [
                {
                    "id": "mon-service",
                    "name": "Mon Service",
                    "pitch": "Simplifier X",
                    "repository": "https://github.com/betagouv/mon-service",
                    "contact": "contact@mon-service.beta.gouv.fr",
                    # Raw front matter: `end` and `comment` only when present.
                    "phases": [
                        {"name": "investigation", "start": "2023-09-01", "end": "2024-01-31"},
                        {"name": "construction", "start": "2024-02-01", "comment": "Équipe au complet"},
                    ],
                }
            ],
            "title": "Incubateur des territoires",
            "owner": "/organisations/anct",
            "contact": "contact@incubateur.anct.gouv.fr",
            "address": "20 avenue de Ségur, Paris",
            "website": "https://incubateur.anct.gouv.fr",
            "github": "https://github.com/incubateur-territoires",
        },
        # Without products, no `startups` key; a value the file does not have is nil (as beta.gouv.fr's plugin).
        "vide": {
            "title": "Sans produit",
            "owner": None,
            "contact": None,
            "address": None,
            "website": None,
            "github": None,
        },
    }


def test_incubators_list_products_under_their_principal_incubator_only(client):
    principal, other = IncubatorFactory(ghid="principal"), IncubatorFactory(ghid="autre")
    product = ProductFactory(ghid="partage", incubator=principal, repository="", contact="")
    ProductIncubator.objects.create(product=product, incubator=other, order=1)
    body = get_json(client, "incubators")
    assert [s["id"] for s in body["principal"]["startups"]] == ["partage"]
    assert body["principal"]["startups"][0]["repository"] is None  # a Ruby plugin prints nil
    assert body["principal"]["startups"][0]["contact"] is None
    assert "startups" not in body["autre"]


def test_a_hidden_incubator_is_published_like_the_others(client):
    # `_plugins/incubators.rb` does not read `hidden`: every incubator file has its entry.
    hidden = IncubatorFactory(ghid="sgmas", title="Fabrique", extra={"hidden": True})
    IncubatorFactory(ghid="cache-vide", extra={"hidden": True})
    ProductFactory(ghid="mano", incubator=hidden)
    body = get_json(client, "incubators")
    assert set(body) == {"sgmas", "cache-vide"}
    assert [s["id"] for s in body["sgmas"]["startups"]] == ["mano"]
    assert body["sgmas"]["title"] == "Fabrique"
    assert "startups" not in body["cache-vide"]


# --- organisations.json and sponsors.json ------------------------------------------------------------


def test_organisations(client, anct):
    OrganisationFactory(ghid="sans-sigle", name="Sans sigle", acronym="", domaine_ministeriel="", type="")
    assert get_json(client, "organisations") == [
        {
            "id": "anct",
            "name": "Agence Nationale de la Cohésion des Territoires",
            "acronym": "ANCT",
            "domaine_ministeriel": "territoires",
            "type": "operateur",
        },
        {"id": "sans-sigle", "name": "Sans sigle", "acronym": "", "domaine_ministeriel": "", "type": ""},
    ]


def test_sponsors(client, anct):
    OrganisationFactory(ghid="sans-sigle", name="Sans sigle", acronym="", domaine_ministeriel="", type="")
    assert get_json(client, "sponsors") == {
        "anct": {
            "name": "Agence Nationale de la Cohésion des Territoires",
            "acronym": "ANCT",
            "domaine_ministeriel": "territoires",
            "type": "operateur",
        },
        "sans-sigle": {"name": "Sans sigle", "acronym": None, "domaine_ministeriel": None, "type": None},
    }


# --- Valid JSON, no HTML entities --------------------------------------------------------------------

AWKWARD = 'Tom & Jerry <b>"Les Gros"</b> l\'été \\ /\t'


@pytest.fixture
def awkward():
    organisation = OrganisationFactory(ghid="awkward", name=AWKWARD, acronym=AWKWARD)
    incubator = IncubatorFactory(ghid="awkward", title=AWKWARD, owner=organisation, address=AWKWARD)
    product = ProductFactory(ghid="awkward", name=AWKWARD, pitch=AWKWARD, contact=AWKWARD, incubator=incubator)
    product.productsponsor_set.create(organisation=organisation)
    Event.objects.create(product=product, name="other", date=D(2024, 1, 1), comment=AWKWARD)
    member = MemberFactory(fullname=AWKWARD, role=AWKWARD, link="https://example.org/?a=1&b=2")
    MissionFactory(member=member, employer=AWKWARD, products=[product])


@pytest.mark.parametrize("name", FILES)
def test_valid_json_without_html_entities(client, awkward, name):
    response = client.get(url(name))
    text = response.content.decode("utf-8")
    for entity in ("&amp;", "&lt;", "&gt;", "&quot;", "&#"):
        assert entity not in text
    assert AWKWARD in _strings(json.loads(text))  # parsed back exactly


def _strings(value) -> set[str]:
    if isinstance(value, dict):
        return set().union(*(_strings(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_strings(v) for v in value))
    return {value} if isinstance(value, str) else set()


def test_awkward_values_come_back_as_they_are(client, awkward):
    (author,) = get_json(client, "authors")
    assert author["fullname"] == AWKWARD and author["role"] == AWKWARD
    assert author["link"] == "https://example.org/?a=1&b=2"
    assert author["missions"][0]["employer"] == AWKWARD
    (startup,) = get_json(client, "startups")["data"]
    assert startup["attributes"]["name"] == AWKWARD
    assert startup["attributes"]["events"][0]["comment"] == AWKWARD
    assert get_json(client, "organisations")[0]["name"] == AWKWARD
    assert get_json(client, "incubators")["awkward"]["address"] == AWKWARD


# --- HTTP: headers, gzip, conditional GET ------------------------------------------------------------


@pytest.mark.parametrize("name", FILES)
def test_headers(client, anct, name):
    response = client.get(url(name))
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["ETag"].startswith('W/"')
    assert response["Last-Modified"]
    assert "public" in response["Cache-Control"]
    assert "Accept-Encoding" in response["Vary"]
    assert response["Access-Control-Allow-Origin"] == "*"
    assert int(response["Content-Length"]) == len(response.content)
    assert not response.has_header("Content-Encoding")


@pytest.mark.parametrize("name", FILES)
def test_gzip_when_the_client_accepts_it(client, anct, name):
    plain = client.get(url(name))
    zipped = client.get(url(name), HTTP_ACCEPT_ENCODING="br, gzip;q=0.8, deflate")
    assert zipped.status_code == 200
    assert zipped["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.content) == plain.content
    assert int(zipped["Content-Length"]) == len(zipped.content)
    assert zipped["ETag"] == plain["ETag"]  # weak: the same content


@pytest.mark.parametrize(
    "accept,gzipped",
    [("", False), ("gzip", True), ("GZIP", True), ("gzip;q=0", False), ("deflate, br", False), ("*", True)],
)
def test_accept_encoding(client, accept, gzipped):
    response = client.get(url("organisations"), HTTP_ACCEPT_ENCODING=accept)
    assert response.has_header("Content-Encoding") is gzipped


def test_a_large_file_compresses_well(client):
    for i in range(50):
        OrganisationFactory(ghid=f"organisation-{i:03}", name=f"Direction interministérielle numéro {i}")
    plain = client.get(url("organisations"))
    zipped = client.get(url("organisations"), HTTP_ACCEPT_ENCODING="gzip")
    assert len(zipped.content) < len(plain.content) / 4


@pytest.mark.parametrize("name", FILES)
def test_conditional_get(client, anct, name):
    first = client.get(url(name))
    etag, last_modified = first["ETag"], first["Last-Modified"]
    not_modified = client.get(url(name), HTTP_IF_NONE_MATCH=etag)
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not_modified["ETag"] == etag
    assert not_modified["Last-Modified"] == last_modified
    assert client.get(url(name), HTTP_IF_NONE_MATCH=f'{etag}, "autre"').status_code == 304
    assert client.get(url(name), HTTP_IF_NONE_MATCH=etag.removeprefix("W/")).status_code == 304  # weak comparison
    assert client.get(url(name), HTTP_IF_NONE_MATCH='"autre"').status_code == 200
    assert client.get(url(name), HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 304
    assert client.get(url(name), HTTP_IF_MODIFIED_SINCE=http_date(0)).status_code == 200


def test_conditional_get_on_a_process_that_has_not_read_the_file(client, anct):
    first = client.get(url("startups"))
    api_v27._memo.clear()  # another process: only the shared cache knows the file
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url("startups"), HTTP_IF_NONE_MATCH=first["ETag"])
    assert response.status_code == 304
    assert len(ctx.captured_queries) == 2  # the version stamp, then the file


def test_head(client, anct):
    response = client.head(url("startups"))
    assert response.status_code == 200
    assert response["ETag"]


def test_only_get_and_head(client):
    assert client.post(url("startups")).status_code == 405


# --- The cache ---------------------------------------------------------------------------------------


def test_a_change_through_the_orm_is_visible_on_the_next_request(client, anct):
    etags = {name: client.get(url(name))["ETag"] for name in FILES}

    product = Product.objects.get(ghid="mon-service")
    product.name = "Mon Service renommé"
    product.save()
    assert get_json(client, "startups")["data"][0]["attributes"]["name"] == "Mon Service renommé"
    assert get_json(client, "incubators")["anct"]["startups"][0]["name"] == "Mon Service renommé"

    Phase.objects.create(product=product, name="acceleration", start=D(2025, 3, 1))
    assert get_json(client, "startups")["data"][0]["attributes"]["phases"][-1] == {
        "name": "acceleration",
        "start": "2025-03-01",
        "end": "",
    }

    organisation = Organisation.objects.get(ghid="anct")
    organisation.acronym = "ANCT2"
    organisation.save()
    assert get_json(client, "organisations")[0]["acronym"] == "ANCT2"
    assert get_json(client, "sponsors")["anct"]["acronym"] == "ANCT2"

    member = Member.objects.get(username="camille.martin")
    member.role = "Coach"
    member.save()
    assert get_json(client, "authors")[0]["role"] == "Coach"
    Mission.objects.get(member=member).delete()
    assert get_json(client, "authors")[0]["missions"] == []

    for name in FILES:
        response = client.get(url(name), HTTP_IF_NONE_MATCH=etags[name])
        assert response.status_code == 200, name
        assert response["ETag"] != etags[name]


def test_a_change_within_the_same_second_moves_last_modified(client, anct):
    first = client.get(url("organisations"))
    OrganisationFactory(ghid="nouvelle")
    response = client.get(url("organisations"), HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert response.status_code == 200
    assert len(json.loads(response.content)) == 2
    assert response["Last-Modified"] != first["Last-Modified"]


def test_a_write_that_does_not_change_a_file_keeps_its_etag_and_last_modified(client, anct):
    first = client.get(url("organisations"))
    TeamFactory(incubator=anct["incubator"])  # bumps the registry version; organisations.json stays the same
    again = client.get(url("organisations"), HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again["Last-Modified"] == first["Last-Modified"]


def test_a_rolled_back_change_leaves_the_cache_as_it_was(client, anct):
    before = get_json(client, "organisations")
    with pytest.raises(RuntimeError), transaction.atomic():
        OrganisationFactory(ghid="fantome")
        raise RuntimeError
    assert get_json(client, "organisations") == before


def test_the_bytes_are_stored_in_the_shared_cache_once_per_file(client, anct):
    plain = client.get(url("authors")).content
    tag, etag, last_modified, stored_plain, stored_gzip = django_cache.get("registry:api-v2.7:authors")
    assert tag == registry_cache.key("api-v2.7:authors", daily=False)
    assert stored_plain == plain
    assert gzip.decompress(stored_gzip) == plain
    # A new version replaces the entry: stale copies do not pile up in the shared cache.
    registry_cache.bump()
    client.get(url("authors"))
    assert django_cache.get("registry:api-v2.7:authors")[0] == registry_cache.key("api-v2.7:authors", daily=False)
    assert django_cache.get("registry:api-v2.7:authors")[0] != tag
    for name in FILES:
        client.get(url(name))
    registry_cache.bump()
    for name in FILES:
        client.get(url(name), HTTP_ACCEPT_ENCODING="gzip")
    assert cache_keys("registry:api-v2.7:") == sorted(f":1:registry:api-v2.7:{name}" for name in FILES)


def cache_keys(prefix: str) -> list[str]:
    """The keys of the shared (database) cache that contain `prefix`."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key FROM django_cache WHERE cache_key LIKE %s", [f"%{prefix}%"])
        return sorted(row[0] for row in cursor.fetchall())


# --- Queries: few on a hit, and flat as rows grow ----------------------------------------------------


def _queries(client, name: str, *, cold: bool, memo: bool = True) -> int:
    if cold:
        registry_cache.bump()
    if not memo:
        api_v27._memo.clear()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url(name))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _more_rows(n: int, start: int) -> None:
    for i in range(start, start + n):
        organisation = OrganisationFactory(ghid=f"org-{i}")
        incubator = IncubatorFactory(ghid=f"inc-{i}", owner=organisation)
        product = ProductFactory(ghid=f"produit-{i}", incubator=incubator, phase="construction")
        product.productsponsor_set.create(organisation=organisation)
        Event.objects.create(product=product, name="committee", date=D(2024, 1, 1))
        member = MemberFactory(username=f"membre{i}.nom")
        member.teams.add(TeamFactory(ghid=f"team-{i}", incubator=incubator))
        MissionFactory(member=member, products=[product])
        MissionFactory(member=member, products=[product], start=D(2020, 1, 1), end=D(2020, 12, 31))


@pytest.mark.parametrize("name", FILES)
def test_the_query_count_stays_flat(client, name):
    _more_rows(2, 0)
    client.get(url(name))
    cold = _queries(client, name, cold=True)
    shared = _queries(client, name, cold=False, memo=False)
    warm = _queries(client, name, cold=False)
    assert warm == 1  # the version stamp; the bytes are in this process
    assert shared == 2  # the version stamp and the bytes from the shared cache
    _more_rows(15, 100)
    assert _queries(client, name, cold=True) == cold
    assert _queries(client, name, cold=False, memo=False) == shared
    assert _queries(client, name, cold=False) == warm


@pytest.mark.parametrize("name", FILES)
def test_a_hit_does_no_serialisation(client, anct, name, monkeypatch):
    client.get(url(name))
    api_v27._memo.clear()

    def fail():
        raise AssertionError("built again")

    monkeypatch.setitem(api_v27.BUILDERS, name, fail)
    assert client.get(url(name)).status_code == 200
    assert client.get(url(name), HTTP_ACCEPT_ENCODING="gzip").status_code == 200


# --- The real sample ---------------------------------------------------------------------------------

OPTIONAL_AUTHOR_KEYS = {"bio", "github", "competences", "startups", "previously"}


def startups_by_incubator(incubators: dict) -> dict:
    return {ghid: [s["id"] for s in entry["startups"]] for ghid, entry in incubators.items() if "startups" in entry}


def test_the_real_sample(client):
    call_command("import_betagouv", str(SAMPLE), stdout=StringIO())
    authors = get_json(client, "authors")
    startups = get_json(client, "startups")
    incubators = get_json(client, "incubators")
    organisations = get_json(client, "organisations")
    sponsors = get_json(client, "sponsors")

    assert len(authors) == Member.objects.count() > 700
    assert len(startups["data"]) == Product.objects.count() > 100
    assert len(organisations) == len(sponsors) == Organisation.objects.count() > 100
    for author in authors:
        assert {"id", "fullname", "role", "domaine", "link", "missions"} <= set(author)
        assert set(author) <= {"id", "fullname", "role", "domaine", "link", "missions", *OPTIONAL_AUTHOR_KEYS}
        for mission in author["missions"]:
            assert set(mission) == {"start", "end", "status", "employer", "startups"}
            assert len(mission["start"]) == 10 and len(mission["end"]) in (0, 10)
    adrien = next(a for a in authors if a["id"] == "adrien.joly")
    assert adrien["missions"][0] == {
        "start": "2020-03-23",
        "end": "2021-04-30",
        "status": "service",
        "employer": "SHODO",
        "startups": ["signaux-faibles"],
    }
    assert adrien["github"] == "adrienjoly" and adrien["link"] == "https://adrienjoly.com"
    for startup in startups["data"]:
        assert "stats_url" in startup["attributes"]
        assert ("impact_url" in startup["attributes"]) == ("link" in startup["attributes"])
    ecobalyse = next(s for s in startups["data"] if s["id"] == "ecobalyse")
    assert ecobalyse["relationships"]["incubator"]["data"] == {"type": "incubator", "id": "mtes"}
    assert {i["id"] for i in ecobalyse["relationships"]["incubators"]["data"]} == {"ademe", "mtes"}
    assert ecobalyse["attributes"]["sponsors"] == ["ademe", "cgdd", "mtes"]
    assert ecobalyse["attributes"]["stats_url"] == "https://ecobalyse.beta.gouv.fr/#/stats"
    assert ecobalyse["attributes"]["technos"][:2] == ["Elm", "Python"]
    assert [(p["name"], p["start"]) for p in ecobalyse["attributes"]["phases"]] == [
        ("investigation", "2021-04-11"),
        ("construction", "2021-07-16"),
        ("acceleration", "2025-09-06"),
    ]
    assert ecobalyse["attributes"]["phases"][0]["end"] == "2021-07-16"
    assert {"ademe", "mtes"} <= set(startups_by_incubator(incubators))
    assert incubators["sgmas"]["title"] == "Fabrique numérique des ministères sociaux"  # hidden: true, published
    assert {s["id"] for s in incubators["sgmas"]["startups"]} >= {"conventionnement.iae", "mano", "tremplin"}
    # No entity of our making: the only ones are in values that the tree itself holds so (an employer
    # "Ministère de l&#x27;Économie" in one author's front matter).
    tree = "".join(path.read_text() for path in Path(SAMPLE).rglob("*") if path.is_file())
    for name in FILES:
        with_entities = {s for s in _strings(get_json(client, name)) if re.search(r"&(#x?[0-9a-f]+|[a-z]+);", s)}
        assert all(value in tree for value in with_entities), with_entities
