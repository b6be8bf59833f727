"""Builders of the portfolios' tests: products placed in a portfolio by their sponsor's ministry and their themes
(the organisation's perimeter rule), in a phase since a given day."""

import datetime

from django.utils import timezone

from incubateur.registry.models import Phase
from tests.registry.factories import OrganisationFactory, ProductFactory


def sponsor(ministry: str):
    """The (one) sponsor of `ministry`."""
    return OrganisationFactory(ghid=f"sponsor-{ministry}", name=f"Sponsor {ministry}", domaine_ministeriel=ministry)


def product(
    ghid: str,
    *,
    phase: str = "construction",
    start: datetime.date | None = None,
    ministry: str = "justice",
    themes=(),
    name: str | None = None,
):
    """A product sponsored by `ministry`, with these themes, in `phase` since `start` (a month ago by default)."""
    made = ProductFactory(ghid=ghid, name=name or ghid.replace("-", " ").capitalize(), thematiques=list(themes))
    made.productsponsor_set.create(organisation=sponsor(ministry), order=0)
    Phase.objects.create(product=made, name=phase, start=start or timezone.localdate() - datetime.timedelta(days=30))
    return made
