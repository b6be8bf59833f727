"""The Atom feed (parsed back with feedparser) and beta.gouv.fr's /api/v2.6/jobs.json: public open posts only."""

import feedparser
import pytest
from django.test import Client

from incubateur.organisation.models import Pole
from incubateur.recruitment import services
from tests.factories import UserFactory
from tests.recruitment.helpers import make_post, product_team

PAST = -10


@pytest.fixture
def posts():
    product, author = product_team(ghid="mon-produit", name="Mon Produit")
    pole = Pole.objects.create(slug="animation", name="Animation")
    public = make_post(by=author, product=product, title="Publique", days_to_community=PAST)
    services.tick()  # announced and published by the worker
    make_post(by=author, product=product, title="Communauté", days_to_community=-1)
    make_post(by=author, product=product, title="Brouillon", days_to_community=PAST, draft=True)
    closed = make_post(by=author, product=product, title="Pourvue", days_to_community=PAST)
    services.post_close(post=closed, by=author, status="pourvu")
    incubator = make_post(
        by=UserFactory(staff=True),
        pole=pole,
        title="Mission animation",
        kind="mission",
        contract="",
        contracting_body="Titulaire du marché",
        days_to_community=PAST,
    )
    return public, incubator


def test_the_atom_feed_lists_public_open_posts_only(posts):
    public, incubator = posts
    response = Client().get("/recrutement/flux.atom")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.title.startswith("Recrutement")
    assert {entry.title for entry in parsed.entries} == {
        "Publique (Mon Produit)",
        "Mission animation (Incubateur — Animation)",
    }
    entry = next(e for e in parsed.entries if e.title.startswith("Publique"))
    assert entry.link == f"http://testserver/recrutement/{public.pk}/"
    assert entry.id == entry.link
    assert "<h2>Le poste</h2>" in entry.summary or "Le poste" in entry.summary
    assert {tag.term for tag in entry.tags} >= {"Emploi", "Développement"}
    assert entry.updated_parsed is not None


def test_the_feed_is_the_same_for_a_member(posts):
    client = Client()
    client.force_login(UserFactory())
    titles = {entry.title for entry in feedparser.parse(client.get("/recrutement/flux.atom").content).entries}
    assert "Communauté (Mon Produit)" not in titles


def test_jobs_json_has_beta_gouv_fr_s_shape(posts):
    public, incubator = posts
    response = Client().get("/api/v2.6/jobs.json")
    assert response.status_code == 200
    rows = response.json()
    assert {row["title"] for row in rows} == {"Publique", "Mission animation"}
    row = next(r for r in rows if r["title"] == "Publique")
    assert set(row) == {
        "id",
        "domaines",
        "title",
        "url",
        "published",
        "startup",
        "updated",
        "author",
        "technos",
        "content",
        "contacts",
    }
    assert row["startup"] == "mon-produit"
    assert row["domaines"] == ["Développement"]
    assert row["technos"] == "Django, PostgreSQL"
    assert row["url"] == f"http://testserver/recrutement/{public.pk}/"
    assert row["contacts"] == ["recrutement@produit.example.org"]
    assert row["published"].endswith(("+01:00", "+02:00"))
    assert public.author.email not in response.content.decode()
    mission = next(r for r in rows if r["title"] == "Mission animation")
    assert mission["startup"] is None
