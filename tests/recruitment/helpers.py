"""Posts for the recruitment tests, made through the services (the way the pages make them)."""

import datetime

from django.utils import timezone

from incubateur.recruitment import services
from tests.registry.factories import ProductFactory, team_member


def product_team(username: str = "lea.poste", **product_fields):
    """A product and an account in its active team."""
    product = ProductFactory(**product_fields)
    return product, team_member(product, username=username)


def make_post(*, by, product=None, pole=None, days_to_community: int = 0, **fields):
    """A post (an `emploi` unless told) opening to the community `days_to_community` days from today."""
    values = dict(
        title="Développeuse ou développeur Django",
        kind="emploi",
        contract="cdd",
        description="## Le poste\n\nConstruire le service avec l'équipe.",
        domaines=["Développement"],
        technos=["Django", "PostgreSQL"],
        contacts="recrutement@produit.example.org",
        community_from=timezone.localdate() + datetime.timedelta(days=days_to_community),
    )
    values.update(fields)
    return services.post_create(by=by, product=product, pole=pole, **values)
