"""Reads of the registry (besides its QuerySet methods): here, the lists the APIs (/api/v2.7/, /api/v1/) serve
and what other apps read (`perimeters`); `selectors.pages`, what the registry's own pages show.

Every function returns a QuerySet with what its readers need prefetched: the number of queries does not grow
with the number of rows. Registry data is public: there is no per-user scoping here (personal fields are the
API's business, see `accounts.api_auth`).
"""

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.utils import timezone

from incubateur.core.text import fold
from incubateur.registry.enums import ACTIVE_PHASES, ReviewState
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
)

# --- Organisations and incubators ------------------------------------------------------------------


def organisations() -> QuerySet[Organisation]:
    return Organisation.objects.order_by("ghid")


def incubators_for_listing() -> QuerySet[Incubator]:
    return Incubator.objects.select_related("owner").order_by("ghid")


# --- Products ---------------------------------------------------------------------------------------


def products_for_listing() -> QuerySet[Product]:
    """Products in id order with their phases, events, sponsors and incubators (principal first), and
    `current_phase` annotated. Six queries whatever the number of products."""
    return (
        Product.objects.filter(review_state=ReviewState.VALIDATED)  # pending or refused: in no public read (#14)
        .order_by("ghid")
        .with_current_phase()
        .prefetch_related(
            Prefetch("phases", queryset=Phase.objects.order_by("start", "pk")),
            Prefetch("events", queryset=Event.objects.order_by("order", "date", "pk")),
            Prefetch(
                "productsponsor_set",
                queryset=ProductSponsor.objects.select_related("organisation").order_by("order", "pk"),
            ),
            Prefetch(
                "productincubator_set",
                queryset=ProductIncubator.objects.select_related("incubator").order_by("-is_principal", "order", "pk"),
            ),
        )
    )


def products_with_principal_incubator() -> QuerySet[Product]:
    """Products that have a principal incubator, with their phases and that incubator (`principal_links`)."""
    return (
        Product.objects.filter(productincubator__is_principal=True, review_state=ReviewState.VALIDATED)
        .order_by("ghid")
        .prefetch_related(
            Prefetch("phases", queryset=Phase.objects.order_by("start", "pk")),
            Prefetch(
                "productincubator_set",
                queryset=ProductIncubator.objects.filter(is_principal=True).select_related("incubator"),
                to_attr="principal_links",
            ),
        )
    )


def filter_products(
    products: QuerySet[Product],
    *,
    incubator: str | None = None,
    phase: str | None = None,
    ministry: str | None = None,
    thematique: str | None = None,
    active: bool | None = None,
) -> QuerySet[Product]:
    """Filters of the product lists. `products` must be annotated with `current_phase` (`with_current_phase()`).

    - incubator: the id of one of its incubators (principal or co-incubation);
    - phase: its current phase; active: whether that phase is one beta.gouv.fr shows as active;
    - ministry: the `domaine_ministeriel` of one of its sponsors;
    - thematique: one of its thématiques, compared without case or accents.
    """
    if incubator:
        products = products.filter(
            Exists(ProductIncubator.objects.filter(product=OuterRef("pk"), incubator__ghid=incubator))
        )
    if phase:
        products = products.filter(current_phase=phase)
    if active is not None:
        running = products.filter(current_phase__in=[str(p) for p in ACTIVE_PHASES])
        products = running if active else products.exclude(pk__in=running.values("pk"))
    if ministry:
        products = products.filter(
            Exists(ProductSponsor.objects.filter(product=OuterRef("pk"), organisation__domaine_ministeriel=ministry))
        )
    if thematique:
        products = products.filter(pk__in=product_ids_with_thematique(thematique))
    return products


def product_ids_with_thematique(thematique: str) -> list[int]:
    """Ids of the products having this thématique, without case or accents (`Écologie` = `ecologie`).

    Matched in Python over a few hundred short lists: the same on SQLite and PostgreSQL (JSON containment is
    not portable, and neither is accent folding).
    """
    wanted = fold(thematique)
    return [
        pk
        for pk, thematiques in Product.objects.filter(review_state=ReviewState.VALIDATED).values_list(
            "pk", "thematiques"
        )
        if any(fold(str(t)) == wanted for t in thematiques or [])
    ]


# --- Members ----------------------------------------------------------------------------------------


def missions_prefetch(to_attr: str | None = None) -> Prefetch:
    """A member's missions in their order, each with its products (`mission.missionproduct_set`, product loaded)."""
    return Prefetch(
        "missions",
        queryset=Mission.objects.order_by("order", "start", "pk").prefetch_related(
            Prefetch(
                "missionproduct_set",
                queryset=MissionProduct.objects.select_related("product").order_by("order", "pk"),
            )
        ),
        to_attr=to_attr,
    )


def members_for_listing() -> QuerySet[Member]:
    """Validated members in id order with their account, missions (and their products) and teams. Four queries.
    A member awaiting validation (or refused) is in none of the files (#14)."""
    return (
        Member.objects.filter(review_state=ReviewState.VALIDATED)
        .select_related("user")
        .order_by("username")
        .prefetch_related(missions_prefetch(), "teams")
    )


def filter_members(
    members: QuerySet[Member],
    *,
    active: bool | None = None,
    incubator: str | None = None,
    startup: str | None = None,
    domaine: str | None = None,
) -> QuerySet[Member]:
    """Filters of the member lists.

    - active: a mission running today (or not);
    - startup: a mission (past or present) on this product;
    - incubator: a mission (past or present) on a product of this incubator (principal or co-incubation);
    - domaine: the member's domaine.
    """
    if active is not None:
        running = Member.objects.active(timezone.localdate()).values("pk")
        members = members.filter(pk__in=running) if active else members.exclude(pk__in=running)
    if startup:
        members = members.filter(
            Exists(MissionProduct.objects.filter(mission__member=OuterRef("pk"), product__ghid=startup))
        )
    if incubator:
        members = members.filter(
            Exists(
                MissionProduct.objects.filter(
                    mission__member=OuterRef("pk"), product__productincubator__incubator__ghid=incubator
                )
            )
        )
    if domaine:
        members = members.filter(domaine=domaine)
    return members


def perimeters(products) -> dict[int, tuple[list[str], list[str]]]:
    """Each product's perimeter, as the organisation's `match_portfolio` wants it: its themes, and its
    ministries most specific first (its sponsors' in order, then its principal incubator owner's).
    Three queries whatever the number of products."""
    products = list(products)
    pks = [p.pk for p in products]
    ministries: dict[int, list[str]] = {pk: [] for pk in pks}
    for pk, code in (
        ProductSponsor.objects.filter(product_id__in=pks)
        .exclude(organisation__domaine_ministeriel="")
        .order_by("product_id", "order")
        .values_list("product_id", "organisation__domaine_ministeriel")
    ):
        ministries[pk].append(code)
    for pk, code in (
        ProductIncubator.objects.filter(product_id__in=pks, is_principal=True)
        .exclude(incubator__owner__domaine_ministeriel="")
        .exclude(incubator__owner__isnull=True)
        .values_list("product_id", "incubator__owner__domaine_ministeriel")
    ):
        ministries[pk].append(code)
    return {
        p.pk: ([t for t in (p.thematiques or []) if isinstance(t, str)], list(dict.fromkeys(ministries[p.pk])))
        for p in products
    }
