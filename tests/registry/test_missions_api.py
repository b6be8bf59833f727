"""/api/v1/ of a member's missions (#14): GET/POST /members/{username}/missions, PATCH/DELETE /missions/{id}.

A token or the session; the same rights as the pages (404 outside one's scope) and every rule a 400 naming the
field."""

import datetime

import pytest
from dateutil.relativedelta import relativedelta
from django.test import Client
from django.utils import timezone

from incubateur.accounts.api_auth import api_token_issue
from incubateur.core.models import JournalEntry, Notification
from incubateur.core.text import date_fr
from incubateur.registry.enums import ReviewState
from incubateur.registry.models import Mission
from incubateur.registry.services import missions as services
from tests.registry.factories import MissionFactory, ProductFactory
from tests.registry.test_missions import EMPLOYER, World

TODAY = timezone.localdate()


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


def months(n: int) -> datetime.date:
    return TODAY + relativedelta(months=n)


@pytest.fixture
def world():
    return World()


def bearer(user) -> dict:
    _, secret = api_token_issue(user=user)
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def call(user, method: str, url: str, body=None, *, session: bool = False):
    client = Client()
    headers = {}
    if session:
        client.force_login(user)
    elif user is not None:
        headers = bearer(user)
    if body is None:
        return getattr(client, method)(url, **headers)
    return getattr(client, method)(url, body, content_type="application/json", **headers)


def locs(response) -> dict:
    assert response.status_code == 400, response.content
    return {tuple(item["loc"]): item["msg"] for item in response.json()["detail"]}


def test_list(world):
    MissionFactory(member=world.member, start=days(-700), end=days(-400))
    response = call(world.teammate, "get", "/api/v1/members/jeanne.dupont/missions")
    assert response.status_code == 200
    older, current = response.json()  # in their order, then by start
    assert current == {
        "id": world.mission.pk,
        "start": days(-100).isoformat(),
        "end": days(30).isoformat(),
        "status": "independent",
        "employer": EMPLOYER,
        "startups": ["dossier-facile"],
        "active": True,
        "editable": True,
    }
    # Her ended mission names no product: only she and the Incubator may change it.
    assert older["active"] is False and older["editable"] is False
    assert [m["editable"] for m in call(world.owner, "get", "/api/v1/members/jeanne.dupont/missions").json()] == [
        True,
        True,
    ]
    assert call(None, "get", "/api/v1/members/jeanne.dupont/missions").status_code == 401
    assert call(world.stranger, "get", "/api/v1/members/personne/missions").status_code == 404


def test_add_with_a_token(world):
    body = {
        "start": days(1).isoformat(),
        "end": months(2).isoformat(),
        "status": "service",
        "startups": ["dossier-facile"],
    }
    response = call(world.teammate, "post", "/api/v1/members/jeanne.dupont/missions", body)
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["startups"] == ["dossier-facile"] and created["employer"] == ""
    mission = Mission.objects.get(pk=created["id"])
    assert mission.member == world.member
    assert JournalEntry.objects.filter(action="registry.mission_added", actor=world.teammate).count() == 1
    assert Notification.objects.filter(recipient=world.owner.email, kind=services.NOTIFICATION_KIND).count() == 1


def test_add_with_the_session_needs_csrf(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.owner)
    body = {"start": days(1).isoformat(), "end": months(2).isoformat(), "status": "admin"}
    response = client.post("/api/v1/members/jeanne.dupont/missions", body, content_type="application/json")
    assert response.status_code == 403
    assert call(world.owner, "post", "/api/v1/members/jeanne.dupont/missions", body, session=True).status_code == 201


@pytest.mark.parametrize(
    ("who", "body", "loc", "message"),
    [
        ("owner", {"end": months(7).isoformat()}, ("body", "payload", "end"), "Au plus tard le"),
        ("owner", {"end": None}, ("body", "payload", "end"), "Indiquez une date de fin"),
        ("staff", {"start": days(10).isoformat(), "end": days(2).isoformat()}, ("body", "payload", "end"), "précéder"),
        ("owner", {"startups": ["inconnu"]}, ("body", "payload", "startups"), "Produit inconnu : « inconnu »"),
        ("owner", {"status": "benevole"}, ("body", "payload", "status"), ""),
        ("owner", {"employer": "x" * 301}, ("body", "payload", "employer"), ""),
    ],
)
def test_add_rules_are_400_with_the_field(world, who, body, loc, message):
    body = {"start": days(1).isoformat(), "end": months(2).isoformat(), "status": "service", **body}
    response = call(getattr(world, who), "post", "/api/v1/members/jeanne.dupont/missions", body)
    errors = locs(response)
    assert loc in errors
    assert message in errors[loc]
    assert world.member.missions.count() == 1


def test_add_pending_product_is_400_on_startups(world):

    ProductFactory(ghid="en-attente", name="En attente", review_state=ReviewState.PENDING)
    body = {"start": days(1).isoformat(), "end": months(2).isoformat(), "status": "admin", "startups": ["en-attente"]}
    errors = locs(call(world.owner, "post", "/api/v1/members/jeanne.dupont/missions", body))
    assert "non validé" in errors[("body", "payload", "startups")]


@pytest.mark.parametrize("who", ["former_teammate", "elsewhere", "other_incubator_team", "stranger"])
def test_outside_ones_scope_is_404(world, who):
    user = getattr(world, who)
    body = {"start": days(1).isoformat(), "end": months(2).isoformat(), "status": "admin"}
    assert call(user, "post", "/api/v1/members/jeanne.dupont/missions", body).status_code == 404
    url = f"/api/v1/missions/{world.mission.pk}"
    assert call(user, "patch", url, {"end": months(1).isoformat()}).status_code == 404
    assert call(user, "delete", url).status_code == 404
    assert call(user, "patch", "/api/v1/missions/999999", {}).status_code == 404
    world.mission.refresh_from_db()
    assert world.mission.end == days(30)


def test_patch_extends_and_journals_without_the_employer(world):
    url = f"/api/v1/missions/{world.mission.pk}"
    response = call(world.incubator_team, "patch", url, {"end": months(9).isoformat()})
    assert response.status_code == 200, response.content
    assert response.json()["end"] == months(9).isoformat()
    assert response.json()["employer"] == EMPLOYER
    entry = JournalEntry.objects.get(action="registry.mission_updated")
    assert entry.message == f"Mission de Jeanne Dupont prolongée jusqu'au {date_fr(months(9))}"
    assert EMPLOYER not in entry.message and EMPLOYER not in str(entry.data)
    # Only the fields sent change.
    world.mission.refresh_from_db()
    assert (world.mission.status, world.mission.employer) == ("independent", EMPLOYER)
    assert [p.ghid for p in world.mission.products.all()] == ["dossier-facile"]


def test_patch_rules(world):
    url = f"/api/v1/missions/{world.mission.pk}"
    assert (
        "Au plus tard le"
        in locs(call(world.owner, "patch", url, {"end": months(8).isoformat()}))[("body", "payload", "end")]
    )
    assert ("body", "payload", "status") in locs(call(world.owner, "patch", url, {"status": None}))
    assert ("body", "payload", "startups") in locs(call(world.owner, "patch", url, {"startups": ["nope"]}))
    # A public agent's mission has no limit; an open end is fine then.
    response = call(world.owner, "patch", url, {"status": "admin", "end": None})
    assert response.status_code == 200 and response.json()["end"] is None
    # The member changed it herself: no e-mail to her.
    assert not Notification.objects.exists()


def test_patch_products(world):
    url = f"/api/v1/missions/{world.mission.pk}"
    response = call(world.teammate, "patch", url, {"startups": ["autre-produit", "dossier-facile"]})
    assert response.json()["startups"] == ["autre-produit", "dossier-facile"]
    response = call(world.teammate, "patch", url, {"startups": []})
    assert response.json()["startups"] == []
    # No product left: the teammate is no longer in its scope.
    assert call(world.teammate, "patch", url, {}).status_code == 404


def test_delete(world):
    url = f"/api/v1/missions/{world.mission.pk}"
    refused = call(world.owner, "delete", url)
    assert "Seule une mission saisie par erreur se supprime" in locs(refused)[()]
    added = services.mission_add(member=world.member, by=world.owner, start=days(-5), end=days(5), status="admin")
    assert call(world.owner, "delete", f"/api/v1/missions/{added.pk}").status_code == 204
    assert not Mission.objects.filter(pk=added.pk).exists()
    assert call(world.admin, "delete", url).status_code == 204
    assert JournalEntry.objects.filter(action="registry.mission_deleted").count() == 2


def test_openapi_documents_the_operations(client):
    schema = client.get("/api/v1/openapi.json").json()
    member_missions = schema["paths"]["/api/v1/members/{username}/missions"]
    assert set(member_missions) == {"get", "post"}
    assert {"201", "400", "401", "404"} <= set(member_missions["post"]["responses"])
    mission = schema["paths"]["/api/v1/missions/{mission_id}"]
    assert set(mission) == {"patch", "delete"}
    assert {"200", "400", "404"} <= set(mission["patch"]["responses"])
    assert "204" in mission["delete"]["responses"]
