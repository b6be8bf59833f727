"""Fixtures of the guichet's tests (beside tests/conftest.py's `organisation`: the fictional one and the routing
table): a product sponsored by the Justice ministry with an active team, and the people of the access matrix."""

from dataclasses import dataclass

import pytest

from tests.factories import UserFactory, person
from tests.organisation.helpers import justice_product as make_justice_product
from tests.registry.factories import team_member


@pytest.fixture
def justice_product(organisation):
    """A product sponsored by a Justice organisation (no themes: the ministry decides)."""
    return make_justice_product()


@dataclass
class Cast:
    """Everyone the guichet's access tests need around one product."""

    product: object
    requester: object  # in the product's active team
    teammate: object  # also in the team
    other_member: object  # a community member outside the team
    assignee: object  # Pierre Boussole, portfolio manager for Justice
    other_staff: object  # staff, not involved
    pole_lead: object  # lead of the direction (the fallback pole)
    admin: object


@pytest.fixture
def cast(justice_product) -> Cast:
    return Cast(
        product=justice_product,
        requester=team_member(justice_product, username="camille.requerante"),
        teammate=team_member(justice_product, username="dominique.coequipier"),
        other_member=UserFactory(username="alex.autre"),
        assignee=person("pierre.boussole"),
        other_staff=person("antoine.rivage"),
        pole_lead=person("igor.balise"),
        admin=UserFactory(username="admin.site", admin=True),
    )
