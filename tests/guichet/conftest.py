"""Fixtures of the guichet's tests: the real organisation (data/organisation.yaml) and routing table, a product
sponsored by the Justice ministry with an active team, and the people of the access matrix."""

from dataclasses import dataclass
from io import StringIO

import pytest
from django.core.management import call_command

from tests.factories import UserFactory, person
from tests.registry.factories import OrganisationFactory, ProductFactory, team_member


@pytest.fixture
def organisation():
    """The real organisation and the default routing table, loaded as `make run` does."""
    call_command("load_organisation", stdout=StringIO())
    call_command("load_routing", stdout=StringIO())


@pytest.fixture
def justice_product(organisation):
    """A product sponsored by a Justice organisation (no themes: the ministry decides)."""
    sponsor = OrganisationFactory(ghid="dir-justice", name="Direction de la Justice", domaine_ministeriel="justice")
    product = ProductFactory(ghid="justice-pour-tous", name="Justice pour tous", phase="construction")
    product.productsponsor_set.create(organisation=sponsor, order=0)
    return product


@dataclass
class Cast:
    """Everyone the guichet's access tests need around one product."""

    product: object
    requester: object  # in the product's active team
    teammate: object  # also in the team
    other_member: object  # a community member outside the team
    assignee: object  # Paul Burgun, portfolio manager for Justice
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
        assignee=person("paul.burgun"),
        other_staff=person("arnaud.robin"),
        pole_lead=person("ishan.bhojwani"),
        admin=UserFactory(username="admin.site", admin=True),
    )
