"""Fixtures of the programmes' tests: the real organisation, a product sponsored by the Justice ministry with
its active team, and a FAST-like call (open now, four weighted criteria, envelope, cap, co-financing share)."""

import datetime
from dataclasses import dataclass
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from incubateur.programmes.models import (
    Call,
    EligibilityCriterion,
    Programme,
    Question,
    SelectionCriterion,
)
from tests.factories import UserFactory, person
from tests.registry.factories import OrganisationFactory, ProductFactory, team_member


@pytest.fixture
def organisation():
    call_command("load_organisation", stdout=StringIO())
    call_command("load_routing", stdout=StringIO())


def justice_product(ghid: str = "justice-pour-tous", name: str = "Justice pour tous", **fields):
    sponsor = OrganisationFactory(ghid="dir-justice", name="Direction de la Justice", domaine_ministeriel="justice")
    product = ProductFactory(ghid=ghid, name=name, phase=fields.pop("phase", "construction"), **fields)
    product.productsponsor_set.create(organisation=sponsor, order=0)
    return product


def fast_call(*, opens_at=None, closes_at=None, envelope=1_000_000, cap=300_000, share=50, **fields) -> Call:
    """A FAST-like call, open from yesterday to in 30 days unless told otherwise."""
    now = timezone.now()
    programme, _ = Programme.objects.get_or_create(slug="fast", defaults={"name": "FAST"})
    call = Call.objects.create(
        programme=programme,
        title=fields.pop("title", "FAST 18"),
        number=fields.pop("number", 18),
        opens_at=opens_at or now - datetime.timedelta(days=1),
        closes_at=closes_at or now + datetime.timedelta(days=30),
        envelope=envelope,
        cap=cap,
        max_cofinancing_share=share,
        **fields,
    )
    Question.objects.create(call=call, key="probleme", label="Le problème, chiffré", type="texte-long", order=0)
    Question.objects.create(call=call, key="impact", label="L'impact mesuré", type="texte-long", order=1)
    Question.objects.create(call=call, key="stats", label="Page de statistiques", type="url", required=False, order=2)
    EligibilityCriterion.objects.create(
        call=call, label="En construction ou accélération", verification="phase-active"
    )
    EligibilityCriterion.objects.create(call=call, label="Code source ouvert", verification="code-public", order=1)
    EligibilityCriterion.objects.create(
        call=call, label="Stratégie de passage à l'échelle", verification="manuel", order=2
    )
    for order, (label, weight) in enumerate([("Impact", 3), ("Maturité", 2), ("Ambition", 2), ("Soutien", 1)]):
        SelectionCriterion.objects.create(call=call, label=label, weight=weight, order=order)
    return call


@dataclass
class Team:
    product: object
    member: object  # in the product's active team
    teammate: object
    outsider: object  # a community member outside the team
    manager: object  # paul.burgun, the Justice portfolio manager
    staff: object  # another member of the Incubator
    admin: object


@pytest.fixture
def team(organisation) -> Team:
    product = justice_product(repository="https://github.com/betagouv/justice")
    return Team(
        product=product,
        member=team_member(product, username="camille.candidate"),
        teammate=team_member(product, username="dominique.coequipier"),
        outsider=UserFactory(username="alex.exterieur"),
        manager=person("paul.burgun"),
        staff=person("arnaud.robin"),
        admin=UserFactory(username="admin.site", admin=True),
    )


@pytest.fixture
def call(db) -> Call:
    return fast_call()
