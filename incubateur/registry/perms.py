"""Who may change what in the registry: one function per decision, used by the views and (through the
context they pass) by the templates. Reading the registry is public: there is no read permission."""

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q
from django.utils import timezone

from incubateur.core.models import JournalEntry
from incubateur.core.roles import is_admin, is_member, is_staff
from incubateur.registry.enums import ReviewState
from incubateur.registry.models import Member, Mission, MissionProduct, Product, ProductIncubator, Review, Team


def can_edit_member(user, member: Member) -> bool:
    """A member edits their own fiche (the account linked through `Member.user`); an administrator edits all."""
    if not is_member(user):
        return False
    if is_admin(user):
        return True
    return member.user_id is not None and member.user_id == user.pk


def can_edit_product(user, product: Product) -> bool:
    """Incubator staff and administrators edit every product; a member edits a product when they are in its
    active team (a mission naming it runs today) or in a team of one of its incubators. One query at most."""
    if not is_member(user):
        return False
    if is_staff(user):
        return True
    today = timezone.localdate()
    on_the_product = Mission.objects.filter(member=OuterRef("pk"), products=product, start__lte=today).filter(
        Q(end__isnull=True) | Q(end__gte=today)
    )
    in_an_incubator_team = Team.objects.filter(members=OuterRef("pk"), incubator__productincubator__product=product)
    return Member.objects.filter(user=user).filter(Exists(on_the_product) | Exists(in_an_incubator_team)).exists()


# --- Missions (#14) ---------------------------------------------------------------------------------------------


def _running_on(products, today) -> Exists:
    """A mission of the outer member that names one of `products` (a subquery of product ids) and runs today."""
    return Exists(
        Mission.objects.filter(member=OuterRef("pk"), products__in=products, start__lte=today).filter(
            Q(end__isnull=True) | Q(end__gte=today)
        )
    )


def _in_incubator_team_of(products) -> Exists:
    """The outer member is in a team of an incubator (principal or co-incubation) of one of `products`."""
    return Exists(Team.objects.filter(members=OuterRef("pk"), incubator__productincubator__product__in=products))


def _missions_scope(user, products) -> bool:
    """`user`'s member fiche is in the active team of one of `products`, or in a team of one of their incubators.
    One query."""
    today = timezone.localdate()
    return (
        Member.objects.filter(user=user)
        .filter(_running_on(products, today) | _in_incubator_team_of(products))
        .exists()
    )


def can_edit_mission(user, mission: Mission) -> bool:
    """Who extends, shortens, ends or changes a mission: the member themself (their account, `Member.user`), the
    active members of a product the mission is on, the members of a team of one of those products' incubators,
    Incubator staff and administrators. Load `mission.member` with the mission: one query at most then."""
    if not is_member(user):
        return False
    if is_staff(user):
        return True
    if mission.member.user_id is not None and mission.member.user_id == user.pk:
        return True
    return _missions_scope(user, MissionProduct.objects.filter(mission=mission).values("product"))


def can_add_mission(user, member: Member) -> bool:
    """Who adds a mission to `member`: the member themself, the active members of a product one of the member's
    missions (past or present) is on, the members of a team of one of those products' incubators, Incubator staff
    and administrators. One query at most."""
    if not is_member(user):
        return False
    if is_staff(user):
        return True
    if member.user_id is not None and member.user_id == user.pk:
        return True
    return _missions_scope(user, MissionProduct.objects.filter(mission__member=member).values("product"))


# A mission added on the platform may be deleted (entered by error) this many days after it was added.
MISSION_DELETE_DAYS = 7


def can_delete_mission(user, mission: Mission) -> bool:
    """A mission is deleted only when it was entered by error: by someone who may edit it, when it has not started
    yet or was added on the platform less than `MISSION_DELETE_DAYS` days ago; administrators delete any mission
    (an imported one included). Two queries at most."""
    if not can_edit_mission(user, mission):
        return False
    if is_admin(user) or mission.start > timezone.localdate():
        return True
    since = timezone.now() - timedelta(days=MISSION_DELETE_DAYS)
    return JournalEntry.objects.filter(
        action="registry.mission_added",
        content_type=ContentType.objects.get_for_model(Mission),
        object_id=str(mission.pk),
        at__gte=since,
    ).exists()


def mission_limit_applies(user, mission: Mission | None = None, *, products=None) -> bool:
    """Whether `user` is held to the limit on a mission's end (`MISSION_MAX_MONTHS_AHEAD` months from today, for a
    status other than public agent): everyone but Incubator staff, administrators and the members of a team of an
    incubator of the mission's products. `products` (product instances or ids) replaces the mission's own: the
    products of a mission being added or changed. One query at most."""
    if is_staff(user):
        return False
    if not is_member(user):
        return True
    if products is not None:
        ids = [getattr(product, "pk", product) for product in products]
    elif mission is not None:
        ids = MissionProduct.objects.filter(mission=mission).values("product")
    else:
        return True
    return not Member.objects.filter(user=user).filter(_in_incubator_team_of(ids)).exists()


# --- Joining and validation (#14) --------------------------------------------------------------------------------

PARIS = ZoneInfo("Europe/Paris")


@lru_cache(maxsize=16)
def _public_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.France(years=year))


def _is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _public_holidays(day.year)


def review_escalation_due(requested_at: datetime) -> datetime:
    """When an undecided review is escalated: `REVIEW_ESCALATION_WORKDAYS` working days (Monday to Friday, French
    public holidays excepted, Europe/Paris) after it was asked for, at the same time of day. A request made on a
    Saturday counts from the next working day's start."""
    moment = requested_at.astimezone(PARIS)
    day = moment.date()
    if not _is_working_day(day):
        while not _is_working_day(day):
            day += timedelta(days=1)
        moment = datetime.combine(day, time(0), tzinfo=PARIS)
    clock = moment.time()
    for _ in range(settings.REVIEW_ESCALATION_WORKDAYS):
        day += timedelta(days=1)
        while not _is_working_day(day):
            day += timedelta(days=1)
    return datetime.combine(day, clock).replace(tzinfo=PARIS)


def can_propose_member(user, product: Product) -> bool:
    """Who adds a new member to a product's team: its active members, the members of a team of one of its
    incubators, Incubator staff and administrators (the same people who edit the product). One query at most."""
    if product.review_state != ReviewState.VALIDATED and not is_staff(user):
        return False
    return can_edit_product(user, product)


def can_propose_product(user) -> bool:
    """Any member of the community proposes a new product; its incubator validates it."""
    return is_member(user)


def review_incubator_ids(review: Review) -> list[int]:
    """The incubators that validate `review`: for a member, those of the products of their first mission; for a
    product, its own. One query."""
    if review.product_id is not None:
        links = ProductIncubator.objects.filter(product_id=review.product_id)
    else:
        first = Mission.objects.filter(member_id=review.member_id).order_by("order", "start", "pk").values("pk")[:1]
        links = ProductIncubator.objects.filter(product__missionproduct__mission__in=first)
    return list(links.values_list("incubator_id", flat=True).distinct())


def review_is_escalated(review: Review, now: datetime | None = None) -> bool:
    """Undecided past its delay (or already reminded): Incubator staff may decide it too."""
    now = now or timezone.now()
    return review.escalated_at is not None or review_escalation_due(review.requested_at) <= now


def can_review(user, review: Review) -> bool:
    """Who validates or refuses a new member or product: a member of a team of the incubator(s) concerned
    (`review_incubator_ids`); Incubator staff only once the review is escalated; administrators always. Two
    queries at most."""
    if not is_member(user):
        return False
    if is_admin(user):
        return True
    if is_staff(user) and review_is_escalated(review):
        return True
    incubators = review_incubator_ids(review)
    return Team.objects.filter(incubator_id__in=incubators, members__user=user).exists()


def _team_review_scope(my_incubators) -> Q:
    """The reviews of the incubators `my_incubators` (ids, or a subquery of them): a newcomer's, through the products
    of their first mission; a product's, through its incubators."""
    first_mission = (
        Mission.objects.filter(member=OuterRef(OuterRef("member_id")))  # the review's, from inside `for_member`
        .order_by("order", "start", "pk")
        .values("pk")[:1]
    )
    for_member = Exists(
        ProductIncubator.objects.filter(incubator_id__in=my_incubators, product__missionproduct__mission=first_mission)
    )
    for_product = Exists(
        ProductIncubator.objects.filter(incubator_id__in=my_incubators, product_id=OuterRef("product_id"))
    )
    return Q(member__isnull=False) & for_member | Q(product__isnull=False) & for_product


def reviews_for(user, now: datetime | None = None) -> list[Review]:
    """The reviews `user` may see and decide (the queue's scope), newest first: what `can_review` allows. Two
    queries; everyone else: none."""
    reviews = Review.objects.select_related("member", "product", "requested_by", "decided_by")
    if not is_member(user):
        return []
    if is_admin(user):
        return list(reviews)
    scope = _team_review_scope(Team.objects.filter(members__user=user).values("incubator_id"))
    if not is_staff(user):
        return list(reviews.filter(scope))
    # Staff: also the escalated ones, or those past the delay (in working days: checked here, in Python, on the few
    # asked for at least that many calendar days ago).
    now = now or timezone.now()
    old_enough = Q(requested_at__lte=now - timedelta(days=settings.REVIEW_ESCALATION_WORKDAYS))
    rows = reviews.filter(scope | Q(escalated_at__isnull=False) | old_enough)
    mine = set(reviews.filter(scope).values_list("pk", flat=True))
    return [review for review in rows if review.pk in mine or review_is_escalated(review, now)]


def waiting_review_count(user, now: datetime | None = None) -> int:
    """How many of `reviews_for(user)` wait for a decision, counted in the database (« Mon espace »'s link to the
    queue): the same scope, without reading every review. One query; everyone else: none."""
    if not is_member(user):
        return 0
    waiting = Review.objects.filter(decision="")
    if is_admin(user):
        return waiting.count()
    scope = _team_review_scope(Team.objects.filter(members__user=user).values("incubator_id"))
    if not is_staff(user):
        return waiting.filter(scope).count()
    # Staff: also the escalated ones, or those past the delay (in working days: checked here, in Python, as
    # `reviews_for` does, on the few undecided ones asked for at least that many calendar days ago).
    now = now or timezone.now()
    old_enough = Q(requested_at__lte=now - timedelta(days=settings.REVIEW_ESCALATION_WORKDAYS))
    rows = (
        waiting.filter(scope | Q(escalated_at__isnull=False) | old_enough)
        .annotate(mine=ExpressionWrapper(scope, output_field=BooleanField()))
        .values_list("mine", "escalated_at", "requested_at")
    )
    return sum(
        1 for mine, escalated_at, at in rows if mine or escalated_at is not None or review_escalation_due(at) <= now
    )


def can_see_pending_product(user, product: Product) -> bool:
    """A product not validated (pending or refused) is shown only to its proposer, the teams of its incubators,
    Incubator staff and administrators; a validated one to everyone."""
    if product.review_state == ReviewState.VALIDATED:
        return True
    if not is_member(user):
        return False
    if is_staff(user):
        return True
    review = Review.objects.filter(product=product).only("requested_by_id").first()
    if review is not None and review.requested_by_id == user.pk:
        return True
    return Team.objects.filter(incubator__productincubator__product=product, members__user=user).exists()


def editable_mission_ids(user, missions) -> set[int]:
    """`can_edit_mission` for many missions of one member (the member page): the ids of those `user` may edit.
    Each mission needs `member` loaded and `missionproduct_set` prefetched. One query at most."""
    missions = list(missions)
    if not missions or not is_member(user):
        return set()
    if is_staff(user):
        return {mission.pk for mission in missions}
    own = {m.pk for m in missions if m.member.user_id is not None and m.member.user_id == user.pk}
    others = [mission for mission in missions if mission.pk not in own]
    candidates = {link.product_id for mission in others for link in mission.missionproduct_set.all()}
    if not candidates:
        return own
    today = timezone.localdate()
    scope = (
        Product.objects.filter(pk__in=candidates)
        .filter(
            Exists(
                MissionProduct.objects.filter(product=OuterRef("pk"), mission__member__user=user)
                .filter(mission__start__lte=today)
                .filter(Q(mission__end__isnull=True) | Q(mission__end__gte=today))
            )
            | Exists(Team.objects.filter(members__user=user, incubator__productincubator__product=OuterRef("pk")))
        )
        .values_list("pk", flat=True)
    )
    in_scope = set(scope)
    return own | {m.pk for m in others if any(link.product_id in in_scope for link in m.missionproduct_set.all())}


def deletable_mission_ids(user, missions, editable: set[int]) -> set[int]:
    """`can_delete_mission` for many missions, given the ids `user` may edit (`editable_mission_ids`). One query
    at most."""
    missions = [mission for mission in missions if mission.pk in editable]
    if not missions:
        return set()
    if is_admin(user):
        return {mission.pk for mission in missions}
    today = timezone.localdate()
    future = {mission.pk for mission in missions if mission.start > today}
    rest = [str(mission.pk) for mission in missions if mission.pk not in future]
    if not rest:
        return future
    recent = JournalEntry.objects.filter(
        action="registry.mission_added",
        content_type=ContentType.objects.get_for_model(Mission),
        object_id__in=rest,
        at__gte=timezone.now() - timedelta(days=MISSION_DELETE_DAYS),
    ).values_list("object_id", flat=True)
    return future | {int(pk) for pk in recent}


def products_open_to_proposals(user):
    """The validated products `user` may add a new member to (`can_propose_member` as a QuerySet): every one for
    Incubator staff; else those of their active team and those of the incubators whose teams they are in."""
    validated = Product.objects.filter(review_state=ReviewState.VALIDATED)
    if not is_member(user):
        return validated.none()
    if is_staff(user):
        return validated
    mine = Product.objects.with_active_member(user).values("pk")
    incubators = Team.objects.filter(members__user=user).values("incubator_id")
    return validated.filter(Q(pk__in=mine) | Q(productincubator__incubator_id__in=incubators)).distinct()
