"""Joining (#14) through /api/v1/: propose a member or a product, validate or refuse. Token or session auth; 400 with
the field, 404 outside one's scope, 409 once decided."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from incubateur.accounts.models import User
from incubateur.registry.enums import ReviewState
from incubateur.registry.models import Member, Product, Review
from tests.factories import UserFactory
from tests.registry.factories import (
    IncubatorFactory,
    MemberFactory,
    OrganisationFactory,
    ProductFactory,
    TeamFactory,
    team_member,
)
from tests.utils import Caller


@pytest.fixture
def world(db):
    incubator = IncubatorFactory(ghid="incubateur-sud", title="Incubateur du Sud")
    product = ProductFactory(ghid="rdv.mjd", name="RDV Justice", incubator=incubator)
    reviewer = UserFactory(username="rose.incub")
    MemberFactory(username="rose.incub", user=reviewer).teams.add(TeamFactory(incubator=incubator))
    return {
        "product": product,
        "teammate": team_member(product, username="alice.equipe"),
        "reviewer": reviewer,
        "outsider": UserFactory(username="olga.dehors"),
        "sponsor": OrganisationFactory(ghid="dinum", name="DINUM"),
    }


NEWCOMER = {
    "first_name": "Jeanne",
    "last_name": "Dupré",
    "email": "jeanne.dupre@example.org",
    "domaine": "Design",
    "role": "Designer",
    "startup": "rdv.mjd",
    "start": timezone.localdate().isoformat(),
    "end": (timezone.localdate() + datetime.timedelta(days=60)).isoformat(),
    "status": "independent",
}


def _locs(response) -> list[list]:
    return [item["loc"] for item in response.json()["detail"]]


def test_a_teammate_proposes_a_member_with_a_token(world):
    response = Caller(world["teammate"]).post("/members", NEWCOMER)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id"] == "jeanne.dupre" and body["review_state"] == "en_attente" and body["decision"] == ""
    assert body["requested_at"].endswith("+01:00")  # Paris time, with its offset
    assert not User.objects.get(email="jeanne.dupre@example.org").is_active


def test_member_proposal_errors_name_their_field(world):
    UserFactory(email="jeanne.dupre@example.org")
    caller = Caller(world["teammate"])
    response = caller.post("/members", {**NEWCOMER, "end": "2020-11-01", "domaine": "Cuisine"})
    assert response.status_code == 400
    assert sorted(_locs(response)) == [["body", "payload", field] for field in ("domaine", "email", "end")]
    assert caller.post("/members", {**NEWCOMER, "startup": "inconnu"}).status_code == 400
    outsider = Caller(world["outsider"]).post("/members", {**NEWCOMER, "email": "autre@example.org"})
    assert outsider.status_code == 400 and _locs(outsider) == [["body", "payload", "startup"]]
    assert not Member.objects.filter(username="jeanne.dupre").exists()


def test_validation_in_scope_only_and_once(world):
    Caller(world["teammate"]).post("/members", NEWCOMER)
    for who in ("teammate", "outsider"):
        response = Caller(world[who]).post("/members/jeanne.dupre/validation", {"decision": "valider"})
        assert response.status_code == 404
    assert Caller(world["reviewer"]).post("/members/inconnu/validation", {"decision": "valider"}).status_code == 404
    reviewer = Caller(world["reviewer"])
    refused = reviewer.post("/members/jeanne.dupre/validation", {"decision": "refuser"})
    assert refused.status_code == 400 and _locs(refused) == [["body", "payload", "reason"]]
    assert reviewer.post("/members/jeanne.dupre/validation", {"decision": "peut-etre"}).status_code == 400
    done = reviewer.post("/members/jeanne.dupre/validation", {"decision": "valider"})
    assert done.status_code == 200
    assert done.json()["review_state"] == "valide" and done.json()["decision"] == "valider"
    assert User.objects.get(email="jeanne.dupre@example.org").is_active
    again = reviewer.post("/members/jeanne.dupre/validation", {"decision": "refuser", "reason": "Non"})
    assert again.status_code == 409


def test_a_member_proposes_a_product_and_the_incubator_validates_it(world):
    caller = Caller(world["outsider"])
    response = caller.post(
        "/startups",
        {"name": "Aide Numérique", "pitch": "Aider.", "incubator": "incubateur-sud", "sponsors": ["dinum"]},
    )
    assert response.status_code == 201, response.content
    assert response.json()["id"] == "aide-numerique"
    product = Product.objects.get(ghid="aide-numerique")
    assert product.review_state == ReviewState.PENDING
    assert [s.ghid for s in product.sponsors.all()] == ["dinum"]
    assert product.phases.get().start == timezone.localdate()
    assert Caller().get("/startups/aide-numerique").status_code == 404

    bad = caller.post("/startups", {"name": "X", "pitch": "Y", "incubator": "nulle-part", "sponsors": ["personne"]})
    assert bad.status_code == 400
    assert sorted(_locs(bad)) == [["body", "payload", "incubator"], ["body", "payload", "sponsors"]]

    assert caller.post("/startups/aide-numerique/validation", {"decision": "valider"}).status_code == 404
    ok = Caller(world["reviewer"]).post("/startups/aide-numerique/validation", {"decision": "valider"})
    assert ok.status_code == 200 and ok.json()["review_state"] == "valide"
    assert Caller().get("/startups/aide-numerique").status_code == 200
    assert Review.objects.get(product=product).decided_by == world["reviewer"]


def test_session_auth_needs_the_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["teammate"])
    response = client.post("/api/v1/members", NEWCOMER, content_type="application/json")
    assert response.status_code == 403
    assert Client().post("/api/v1/members", NEWCOMER, content_type="application/json").status_code == 401


def test_dates_are_checked_by_the_mission_rules(world):
    far = (timezone.localdate() + datetime.timedelta(days=400)).isoformat()
    response = Caller(world["teammate"]).post("/members", {**NEWCOMER, "end": far})
    assert response.status_code == 400 and _locs(response) == [["body", "payload", "end"]]
