"""/journal/, its Atom feed and /api/v1/journal: the allow-listed PUBLIC rows only, filters, pagination, flat
queries. What must never reach them (internal, confidential, personal) is in test_journal_leaks.py."""

import feedparser
import pytest
from django.test import Client

from incubateur.core.models import Visibility
from incubateur.organisation.models import Pole
from incubateur.recruitment import services as recruitment
from incubateur.registry.enums import EventName
from incubateur.transparency import journal as public_journal
from tests.factories import UserFactory
from tests.recruitment.helpers import make_post
from tests.transparency.journal_helpers import paris, row

pytestmark = pytest.mark.django_db


def test_the_empty_journal_says_so():
    response = Client().get("/journal/")
    assert response.status_code == 200
    assert "Aucune action publique n'a encore été enregistrée" in response.content.decode()


def test_only_allow_listed_public_rows_are_listed():
    row("programmes.results_published", "Résultats de « FAST 2026 » : 3 lauréats", laureates=3, total=600000)
    row("organisation.portfolio_manager", "Marie Curie est désormais responsable du portefeuille Santé")
    row("registry.member_updated", "Fiche de Jean Dupont modifiée : mission")  # public, not the Incubator's
    row("registry.event_added", "Produit X : mise en ligne le 1er mars", event="launch", ghid="x")
    row("registry.event_added", "Produit Y : comité d'investissement le 2 mars", event=EventName.COMMITTEE, ghid="y")
    row("programmes.call_created", "Appel « Secret » créé", visibility=Visibility.INTERNAL)
    row("organisation.portfolio_manager", "Un brouillon interne", visibility=Visibility.INTERNAL)

    page = Client().get("/journal/").content.decode()
    assert "Résultats de « FAST 2026 »" in page
    assert "responsable du portefeuille Santé" in page
    assert "comité d&#x27;investissement le 2 mars" in page
    assert 'href="/produits/y/"' in page
    for absent in ("Jean Dupont", "mise en ligne", "Secret", "brouillon interne"):
        assert absent not in page
    assert "3 actions" in page


def test_the_filters_by_kind_month_and_pole(organisation):
    author = UserFactory(staff=True)
    pole = Pole.objects.create(slug="animation-test", name="Animation test")
    make_post(
        by=author,
        pole=pole,
        title="Mission animation",
        kind="mission",
        contract="",
        contracting_body="Titulaire du marché",
        days_to_community=-10,
    )
    recruitment.tick()  # published by the worker: a PUBLIC recruitment.published row
    row("programmes.results_published", "Résultats de « Vieil appel »", at=paris(2026, 3, 10))
    row("organisation.position_started", "Zoé Test a rejoint Animation test (cheffe)", pole=pole.slug, title="cheffe")

    client = Client()
    by_kind = client.get("/journal/", {"type": "programmes"}).content.decode()
    assert "Vieil appel" in by_kind and "Mission animation" not in by_kind
    by_pole = client.get("/journal/", {"pole": pole.slug}).content.decode()
    assert "Mission animation" in by_pole and "Zoé Test" in by_pole and "Vieil appel" not in by_pole
    by_month = client.get("/journal/", {"mois": "2026-03"}).content.decode()
    assert "Vieil appel" in by_month and "Zoé Test" not in by_month
    nothing = client.get("/journal/", {"mois": "2025-01"}).content.decode()
    assert "Aucune action ne correspond à ces critères" in nothing
    # Unknown values are ignored, not errors.
    assert client.get("/journal/", {"mois": "demain", "type": "x", "pole": "y"}).status_code == 200


def test_the_journal_is_paginated():
    for n in range(public_journal.PAGE_SIZE + 3):
        row("organisation.portfolio_manager", f"Changement n°{n:03d}")
    client = Client()
    first = client.get("/journal/").content.decode()
    assert "Changement n°052" in first and "Changement n°002" not in first
    second = client.get("/journal/", {"page": 2}).content.decode()
    assert "Changement n°002" in second and "Changement n°052" not in second


def test_only_the_allow_listed_data_keys_are_published_in_the_api():
    row(
        "organisation.position_started",
        "Zoé Test a rejoint Animation (cheffe)",
        person="zoe.test",
        pole="animation",
        title="cheffe",
    )
    body = Client().get("/api/v1/journal").json()
    assert body["count"] == 1
    [item] = body["items"]
    assert item["data"] == {"pole": "animation", "title": "cheffe"}
    assert item["kind"] == "organisation"
    assert item["url"].endswith("/qui-fait-quoi/")
    assert set(item) == {"at", "action", "kind", "message", "url", "data"}


def test_the_api_filters_and_pages():
    for n in range(5):
        row("programmes.results_published", f"Résultats n°{n}", at=paris(2026, 2, 1 + n))
    row("organisation.portfolio_manager", "Autre chose", at=paris(2026, 4, 1))
    client = Client()
    body = client.get("/api/v1/journal", {"kind": "programmes", "limit": 2, "offset": 1}).json()
    assert body["count"] == 5
    assert [i["message"] for i in body["items"]] == ["Résultats n°3", "Résultats n°2"]
    assert client.get("/api/v1/journal", {"month": "2026-04"}).json()["count"] == 1
    assert client.get("/api/v1/journal", {"month": "avril"}).status_code == 400


def test_the_atom_feed_parses_back():
    row("programmes.results_published", "Résultats de « FAST 2026 » : 3 lauréats", obj=None)
    row("programmes.call_created", "Appel interne", visibility=Visibility.INTERNAL)
    response = Client().get("/journal/flux.atom")
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    assert feed.feed.title.startswith("Journal public")
    assert [e.title for e in feed.entries] == ["Résultats de « FAST 2026 » : 3 lauréats"]
    assert feed.entries[0].tags[0].term == public_journal.KINDS["programmes"]


@pytest.mark.parametrize(
    "path", ["/journal/", "/journal/flux.atom", "/api/v1/journal", "/api/v1/journal?pole=direction&month=2026-05"]
)
def test_queries_stay_flat(path, django_assert_max_num_queries):
    def fill(count):
        for n in range(count):
            row("organisation.portfolio_manager", f"Changement {n}")
            row("programmes.laureate_published", f"Lauréat {n}", call=n + 1, amount=1000)

    client = Client()
    fill(5)
    with django_assert_max_num_queries(6) as small:
        assert client.get(path).status_code == 200
    fill(45)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(path).status_code == 200
