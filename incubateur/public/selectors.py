"""Reads of the public app's pages: « Mon espace » (a person's home, read from every domain app's own selectors)
and the home page (the guichet's reasons, open calls, a few registry figures).

The public app sits above every domain app: it composes their selectors and scoping (`for_user`), never repeats
their rules. Each block costs a constant number of queries, whatever the number of rows behind it.
"""

from dataclasses import dataclass, field

from django.utils import timezone

from incubateur.core.roles import is_staff
from incubateur.guichet.kinds import Kind
from incubateur.guichet.models import OfferStatus
from incubateur.guichet.selectors import desk as desk_selectors
from incubateur.guichet.selectors import requester as requester_selectors
from incubateur.organisation.models import Portfolio, Reason
from incubateur.portfolios import selectors as portfolio_selectors
from incubateur.programmes.selectors import public as programme_selectors
from incubateur.registry import perms as registry_perms
from incubateur.registry.enums import ACTIVE_PHASES, PhaseName, ReviewState
from incubateur.registry.models import Incubator, Member, Product

# How many rows of each list « Mon espace » shows (the block links to the whole list).
PREVIEW = 5


@dataclass
class Block:
    """The first rows of a list and how many there are in all."""

    rows: list
    count: int | str  # a number, or the desk's bounded count in words ("plus de 1 000")

    @classmethod
    def of(cls, page) -> "Block":
        return cls(rows=list(page.object_list[:PREVIEW]), count=page.paginator.count)


@dataclass
class StaffBlocks:
    to_handle: Block  # the desk's « À traiter »: open requests assigned to me
    overdue: Block  # the desk's « En retard »: waiting for a first answer past the deadline
    portfolios: list = field(default_factory=list)  # the portfolios I hold
    totals: dict[str, int] | None = None  # their boards' totals (None: I hold none)


@dataclass
class MySpace:
    member: Member | None  # my fiche in the registry
    products: list[Product]  # the products in whose active team I am
    requests: Block  # my requests at the guichet
    applications: Block  # my and my teams' applications to the programmes
    offers: Block  # offers of help waiting for my teams' decision
    staff: StaffBlocks | None  # for Incubator staff and administrators
    reviews_waiting: int  # newcomers and products awaiting my decision (a member of an incubator's team, staff)


def my_space(user) -> MySpace:
    products = list(Product.objects.with_active_member(user).with_current_phase().order_by("name"))
    for product in products:
        product.phase_label = PhaseName(product.current_phase).label if product.current_phase in PhaseName else ""
    team_products = {product.pk for product in products}
    # The offers made to my teams: none without a team (not even a query to build and send).
    offers = Block(rows=[], count=0)
    if team_products:
        offers = Block.of(
            desk_selectors.offers_page(
                user,
                view=desk_selectors.OFFERS_MY_TEAMS,
                status=OfferStatus.PENDING,
                team_products=team_products,
                page_number=1,
            )
        )
    return MySpace(
        member=Member.objects.filter(user=user).first(),
        products=products,
        requests=Block.of(requester_selectors.my_tickets_page(user, 1)),
        applications=Block.of(programme_selectors.my_applications_page(user, 1)),
        offers=offers,
        staff=_staff_blocks(user) if is_staff(user) else None,
        # Counted in the database: never every review read to count the undecided ones (an administrator sees all).
        reviews_waiting=registry_perms.waiting_review_count(user),
    )


def _staff_blocks(user) -> StaffBlocks:
    now = timezone.now()
    scope = desk_selectors.desk_scope(user, desk_selectors.DeskFilters())

    # The desk's own bounded counts ("plus de 1 000") of the two tabs shown, in one query: never a scan of every
    # open request (#19), nor the counts of the tabs not shown.
    shown = (desk_selectors.MINE, desk_selectors.OVERDUE)
    counts = desk_selectors.tab_counts(scope, user=user, pole=None, now=now, tabs=shown)

    def tab(name: str) -> Block:
        rows = desk_selectors.in_tab(scope, name, user=user, pole=None, now=now)
        page = desk_selectors.desk_page(rows, name, None, per_page=PREVIEW)  # the desk's first rows, no more
        return Block(rows=list(page.object_list), count=desk_selectors.count_label(counts[name]))

    blocks = StaffBlocks(to_handle=tab(desk_selectors.MINE), overdue=tab(desk_selectors.OVERDUE))
    mine = list(Portfolio.objects.filter(manager=user).order_by("order", "label"))
    if mine:
        blocks.portfolios = mine
        blocks.totals = portfolio_selectors.sum_totals(portfolio_selectors.boards(mine))
    return blocks


# --- The home page ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReasonLink:
    title: str
    detail: str
    kind: str  # the guichet's kind of request for this reason ("" when none matches: the guichet's home)


def reasons() -> list[ReasonLink]:
    """« Pourquoi faire appel à l'Incubateur ? » (the organisation's data), each leading to its kind of request."""
    return [
        ReasonLink(title=r.title, detail=r.detail, kind=r.code if r.code in Kind.values else "")
        for r in Reason.objects.all()
    ]


@dataclass(frozen=True)
class Figures:
    products: int  # products in an active phase
    members: int  # members with a mission running today
    incubators: int


def figures() -> Figures:
    """A few registry figures (three queries: the home page caches them under the registry's stamp)."""
    return Figures(
        products=Product.objects.filter(review_state=ReviewState.VALIDATED)
        .with_current_phase()
        .filter(current_phase__in=ACTIVE_PHASES)
        .count(),
        members=Member.objects.filter(review_state=ReviewState.VALIDATED).active().count(),
        incubators=Incubator.objects.count(),
    )


def open_calls(limit: int = 3, *, now=None) -> list:
    """The calls open at `now` (default: now), closing soonest first (the programmes' own reading, one query)."""
    return programme_selectors.open_calls(now=now, limit=limit)
