"""Helpers of the registry's tests: its tables as compared before and after a round trip (export, import)."""

from incubateur.registry.models import (
    Event,
    Incubator,
    Member,
    Mission,
    MissionProduct,
    Organisation,
    Phase,
    Product,
    ProductIncubator,
    ProductSponsor,
    Team,
)


def _fields(model, *related) -> list[str]:
    """Every concrete field but the pk, foreign keys by the natural key given in `related`."""
    names = [f.attname for f in model._meta.concrete_fields if not f.primary_key and not f.is_relation]
    return [*related, *names]


# The registry's tables, each with the fields that say the same thing whatever the pks.
CANONICAL = [
    (Organisation, _fields(Organisation)),
    (Incubator, _fields(Incubator, "owner__ghid")),
    (Product, _fields(Product)),
    (ProductSponsor, _fields(ProductSponsor, "product__ghid", "organisation__ghid")),
    (ProductIncubator, _fields(ProductIncubator, "product__ghid", "incubator__ghid")),
    (Phase, _fields(Phase, "product__ghid")),
    (Event, _fields(Event, "product__ghid")),
    (Team, _fields(Team, "incubator__ghid")),
    (Member, _fields(Member, "user__username", "user__email")),
    (Member.teams.through, ["member__username", "team__ghid"]),
    (Mission, _fields(Mission, "member__username")),
    (MissionProduct, _fields(MissionProduct, "mission__member__username", "mission__order", "product__ghid")),
]
