"""/api/v1/jobs: reads scoped like the pages (community-window posts for members), writes with the same rules,
400 with details, 404 outside scope, 410 for a post no longer open."""

import json

import pytest
from django.test import Client
from django.utils import timezone

from incubateur.accounts.api_auth import api_token_issue
from incubateur.organisation.models import Pole
from incubateur.recruitment.models import JobPost, Status
from tests.factories import UserFactory
from tests.recruitment.helpers import make_post, product_team

PAST = -10


def bearer(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_issue(user=user)[1]}"}


@pytest.fixture
def team():
    return product_team(ghid="mon-produit", name="Mon Produit")


def test_members_read_community_posts_anonymous_only_public_ones(team):
    product, author = team
    make_post(by=author, product=product, title="Publique", days_to_community=PAST)
    community = make_post(by=author, product=product, title="Communauté", days_to_community=-1)
    anonymous = Client().get("/api/v1/jobs").json()
    assert [item["title"] for item in anonymous["items"]] == ["Publique"]
    member = Client().get("/api/v1/jobs", **bearer(UserFactory())).json()
    assert [item["title"] for item in member["items"]] == ["Communauté", "Publique"]
    assert Client().get(f"/api/v1/jobs/{community.pk}").status_code == 404
    assert Client().get(f"/api/v1/jobs/{community.pk}", **bearer(UserFactory())).status_code == 200
    assert Client().get("/api/v1/jobs", HTTP_AUTHORIZATION="Bearer faux").status_code == 401


def test_create_with_a_token(team):
    product, author = team
    payload = {
        "title": "Mission data",
        "kind": "mission",
        "contracting_body": "Titulaire",
        "description": "Texte",
        "startup": "mon-produit",
        "community_from": timezone.localdate().isoformat(),
        "domaines": ["Data"],
        "contacts": ["a@example.org"],
    }
    response = Client().post("/api/v1/jobs", json.dumps(payload), content_type="application/json", **bearer(author))
    assert response.status_code == 201, response.content
    body = response.json()
    assert (
        body["startup"] == "mon-produit" and body["status"] == "communaute" and body["contacts"] == ["a@example.org"]
    )
    assert JobPost.objects.get().author == author


def test_create_refusals_are_400_with_details(team):
    product, author = team
    base = {
        "title": "X",
        "kind": "mission",
        "description": "Texte",
        "community_from": timezone.localdate().isoformat(),
    }
    client = Client()
    no_body = client.post(
        "/api/v1/jobs",
        json.dumps({**base, "startup": "mon-produit"}),
        content_type="application/json",
        **bearer(author),
    )
    assert no_body.status_code == 400
    assert any(item["loc"][-1] == "contracting_body" for item in no_body.json()["detail"])
    unknown = client.post(
        "/api/v1/jobs", json.dumps({**base, "startup": "inconnu"}), content_type="application/json", **bearer(author)
    )
    assert unknown.status_code == 400 and unknown.json()["detail"][0]["loc"] == ["body", "payload", "startup"]
    Pole.objects.create(slug="animation", name="Animation")
    not_staff = client.post(
        "/api/v1/jobs",
        json.dumps({**base, "pole": "animation", "contracting_body": "T"}),
        content_type="application/json",
        **bearer(author),
    )
    assert not_staff.status_code == 400
    assert JobPost.objects.count() == 0


def test_update_and_close_follow_the_same_rules(team):
    product, author = team
    post = make_post(by=author, product=product, days_to_community=PAST)
    outsider = bearer(UserFactory())
    client = Client()
    patch = json.dumps({"title": "Nouveau titre"})
    assert (
        client.patch(f"/api/v1/jobs/{post.pk}", patch, content_type="application/json", **outsider).status_code == 404
    )
    response = client.patch(f"/api/v1/jobs/{post.pk}", patch, content_type="application/json", **bearer(author))
    assert response.status_code == 200 and response.json()["title"] == "Nouveau titre"
    bad = client.patch(
        f"/api/v1/jobs/{post.pk}",
        json.dumps({"unpublish_on": post.community_from.isoformat()}),
        content_type="application/json",
        **bearer(author),
    )
    assert bad.status_code == 400 and bad.json()["detail"][0]["loc"][-1] == "unpublish_on"
    close = json.dumps({"status": "pourvu"})
    assert (
        client.post(f"/api/v1/jobs/{post.pk}/close", close, content_type="application/json", **outsider).status_code
        == 404
    )
    closed = client.post(f"/api/v1/jobs/{post.pk}/close", close, content_type="application/json", **bearer(author))
    assert closed.status_code == 200 and closed.json()["status"] == Status.POURVU
    assert client.get(f"/api/v1/jobs/{post.pk}").status_code == 410
    assert client.get("/api/v1/jobs").json()["count"] == 0


def test_session_writes_need_the_csrf_token(team):
    product, author = team
    client = Client(enforce_csrf_checks=True)
    client.force_login(author)
    response = client.post("/api/v1/jobs", json.dumps({}), content_type="application/json")
    assert response.status_code == 403
