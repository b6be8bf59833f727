"""Helpers of the programmes' and the portfolios' tests: the people around one product (their `team` fixture), and
an API client with a bearer token."""

from dataclasses import dataclass

from django.db import connection
from django.test.utils import CaptureQueriesContext

from incubateur.programmes.models import Application
from tests.factories import UserFactory, person
from tests.organisation.helpers import justice_product
from tests.registry.factories import team_member
from tests.utils import Caller

API = "/api/v1"
ANSWERS = {"probleme": "Trop de papier", "impact": "1000 usagers par mois"}


@dataclass
class Team:
    product: object
    member: object  # in the product's active team
    teammate: object
    outsider: object  # a community member outside the team
    manager: object  # pierre.boussole, the Justice portfolio manager
    staff: object  # another member of the Incubator
    admin: object


def make_team() -> Team:
    """A product of the Justice ministry with its team, and the people around it (the organisation loaded)."""
    product = justice_product(repository="https://github.com/betagouv/justice")
    return Team(
        product=product,
        member=team_member(product, username="camille.candidate"),
        teammate=team_member(product, username="dominique.coequipier"),
        outsider=UserFactory(username="alex.exterieur"),
        manager=person("pierre.boussole"),
        staff=person("antoine.rivage"),
        admin=UserFactory(username="admin.site", admin=True),
    )


def apply(team, call, **fields) -> Application:
    """The team's draft through the API (by its member), then submitted (by a teammate): the application."""
    created = Caller(team.member).post(
        f"/calls/{call.pk}/applications",
        {"startup": team.product.ghid, "answers": ANSWERS, "stated_budget": 400_000, **fields},
    )
    assert created.status_code == 201, created.content
    submitted = Caller(team.teammate).post(f"/applications/{created.json()['id']}/submit")
    assert submitted.status_code == 200, submitted.content
    return Application.objects.get(pk=created.json()["id"])


def count_api_queries(caller, path, params=None) -> int:
    """The queries of one GET of `path` by `caller` (after a first one: a token's last use is written once a
    minute)."""
    caller.get(path, params)
    with CaptureQueriesContext(connection) as queries:
        response = caller.get(path, params)
        assert response.status_code == 200, response.content
    return len(queries)
