"""What the portfolios' pages, API and digests read. The portfolio boards: each portfolio's products (the
organisation's rule: themes, then ministries) grouped by current phase, with what already exists about them —
committees, time in phase against the norms, open guichet requests, pending offers of help, running applications.
No reporting is asked of teams. And a product's committees (`committees_of`).

A board costs a constant number of queries whatever the number of products (tests add products and check it).
"""

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Max
from django.utils import timezone

from incubateur.core.dates import add_months
from incubateur.core.text import date_fr
from incubateur.guichet.models import Offer, Ticket
from incubateur.organisation.models import Portfolio
from incubateur.organisation.selectors import match_portfolio
from incubateur.portfolios.models import Committee, CommitteeDecision
from incubateur.programmes.models import Application
from incubateur.registry.enums import ACTIVE_PHASES, EventName, PhaseName, ReviewState
from incubateur.registry.models import Event, Phase, Product
from incubateur.registry.selectors import perimeters

# The order of the board's groups.
PHASE_ORDER = [
    PhaseName.INVESTIGATION,
    PhaseName.CONSTRUCTION,
    PhaseName.ACCELERATION,
    PhaseName.CONSOLIDATION,
    PhaseName.OPERE,
]
assert set(PHASE_ORDER) == set(ACTIVE_PHASES), "every active phase has its group on the board"

# The keys of a board's totals, in the order of the pages and the API.
TOTALS = ("products", "committees_overdue", "over_norm", "open_requests", "pending_offers", "running_applications")


@dataclass
class ProductRow:
    product: object
    phase: str
    phase_label: str
    phase_start: datetime.date
    months_in_phase: float
    norm_months: int | None
    last_committee: datetime.date | None
    next_committee_due: datetime.date | None
    open_requests: int = 0
    pending_offers: int = 0
    running_applications: int = 0
    today: datetime.date = field(default_factory=timezone.localdate)

    @property
    def committee_overdue(self) -> bool:
        return self.next_committee_due is not None and self.next_committee_due < self.today

    @property
    def committee_known(self) -> bool:
        """A committee recorded here or in the product's history; without one, nothing is due (never late)."""
        return self.last_committee is not None

    @property
    def over_norm(self) -> bool:
        return self.norm_months is not None and self.months_in_phase > self.norm_months


@dataclass
class PhaseGroup:
    phase: str
    label: str
    rows: list[ProductRow]


@dataclass
class PortfolioBoard:
    portfolio: object
    groups: list[PhaseGroup]

    @property
    def rows(self) -> list[ProductRow]:
        return [row for group in self.groups for row in group.rows]

    @property
    def totals(self) -> dict[str, int]:
        rows = self.rows
        return {
            "products": len(rows),
            "committees_overdue": sum(r.committee_overdue for r in rows),
            "over_norm": sum(r.over_norm for r in rows),
            "open_requests": sum(r.open_requests for r in rows),
            "pending_offers": sum(r.pending_offers for r in rows),
            "running_applications": sum(r.running_applications for r in rows),
        }

    def count_in(self, phase: str) -> int:
        return next((len(g.rows) for g in self.groups if g.phase == phase), 0)


def last_and_next_committee(latest: Committee | None, last_event: datetime.date | None) -> tuple:
    """(last committee date, next due date) by the boards' rule: the last recorded committee's own due date,
    unless the history knows a later committee (then 6 months after it). Without any committee known (recorded
    here or in the product's history), nothing is due: the board says "aucun comité connu", never "en retard" (a
    product imported on day one is not late for a committee nobody planned)."""
    interval = settings.PROGRAMMES_COMMITTEE_INTERVAL_MONTHS
    if latest is not None and (last_event is None or latest.date >= last_event):
        return latest.date, latest.next_due
    if last_event is not None:
        return last_event, add_months(last_event, interval)
    return None, None


def boards(portfolios, *, today: datetime.date | None = None) -> list[PortfolioBoard]:
    """The boards of these portfolios (one pass over the products in an active phase)."""
    today = today or timezone.localdate()
    wanted = {p.pk for p in portfolios}
    every_portfolio = list(Portfolio.objects.select_related("manager"))

    # The current phase of each product: the one that started last (products in an active phase only).
    current: dict[int, Phase] = {}
    for phase in Phase.objects.order_by("product_id", "start", "pk").only("product_id", "name", "start", "end"):
        current[phase.product_id] = phase
    active = {pk: phase for pk, phase in current.items() if phase.name in ACTIVE_PHASES and phase.end is None}
    products = list(
        Product.objects.filter(pk__in=list(active), review_state=ReviewState.VALIDATED)
        .only("pk", "ghid", "name", "thematiques")
        .order_by("name")
    )
    scopes = perimeters(products)
    mine: dict[int, list] = defaultdict(list)
    for product in products:
        themes, ministries = scopes[product.pk]
        found = match_portfolio(every_portfolio, ministries=ministries, themes=themes)
        if found is not None and found[0].pk in wanted:
            mine[found[0].pk].append(product)
    pks = [p.pk for products_ in mine.values() for p in products_]

    last_event = dict(
        Event.objects.filter(product_id__in=pks, name=EventName.COMMITTEE)
        .values("product_id")
        .annotate(last=Max("date"))
        .values_list("product_id", "last")
    )
    latest_committee = {
        c.product_id: c for c in Committee.objects.filter(product_id__in=pks).latest_per_product().order_by("pk")
    }
    # Never a confidential request: the board counts what its readers may all see.
    requests = Counter(
        dict(
            Ticket.objects.open()
            .filter(product_id__in=pks, confidential=False)
            .values("product_id")
            .annotate(n=Count("pk"))
            .values_list("product_id", "n")
        )
    )
    offers = Counter(
        dict(
            Offer.objects.pending()
            .filter(product_id__in=pks)
            .values("product_id")
            .annotate(n=Count("pk"))
            .values_list("product_id", "n")
        )
    )
    applications = Counter(
        dict(
            Application.objects.running()
            .filter(product_id__in=pks)
            .values("product_id")
            .annotate(n=Count("pk"))
            .values_list("product_id", "n")
        )
    )
    norms = settings.PROGRAMMES_PHASE_NORMS_MONTHS

    result = []
    for portfolio in portfolios:
        by_phase: dict[str, list[ProductRow]] = defaultdict(list)
        for product in mine.get(portfolio.pk, []):
            phase = active[product.pk]
            last, due = last_and_next_committee(latest_committee.get(product.pk), last_event.get(product.pk))
            by_phase[phase.name].append(
                ProductRow(
                    product=product,
                    phase=phase.name,
                    phase_label=PhaseName(phase.name).label,
                    phase_start=phase.start,
                    months_in_phase=round((today - phase.start).days / 30.44, 1),
                    norm_months=norms.get(phase.name),
                    last_committee=last,
                    next_committee_due=due,
                    open_requests=requests[product.pk],
                    pending_offers=offers[product.pk],
                    running_applications=applications[product.pk],
                    today=today,
                )
            )
        groups = [
            PhaseGroup(phase=name, label=PhaseName(name).label, rows=by_phase[name])
            for name in PHASE_ORDER
            if by_phase.get(name)
        ]
        result.append(PortfolioBoard(portfolio=portfolio, groups=groups))
    return result


def overdue_items(board: PortfolioBoard) -> list[str]:
    """What a weekly digest lists: committees overdue and phases longer than their norm (French lines)."""
    lines = []
    for row in board.rows:
        if row.committee_overdue:
            lines.append(
                f"{row.product.name} : comité d'investissement attendu avant le {date_fr(row.next_committee_due)}"
                f" (dernier le {date_fr(row.last_committee)})"
            )
        if row.over_norm:
            lines.append(
                f"{row.product.name} : en {row.phase_label} depuis {row.months_in_phase:.0f} mois "
                f"(repère : {row.norm_months} mois)"
            )
    return lines


def sum_totals(boards_: list[PortfolioBoard]) -> dict[str, int]:
    """The totals of several boards (all zero without any)."""
    totals = dict.fromkeys(TOTALS, 0)
    for board_ in boards_:
        for key, value in board_.totals.items():
            totals[key] += value
    return totals


# --- What the pages read of other apps ----------------------------------------------------------------------------


def portfolios():
    return Portfolio.objects.select_related("manager")


def products():
    return Product.objects.only("pk", "ghid", "name")


def current_phase(product) -> Phase | None:
    return Phase.objects.filter(product=product).order_by("-start", "-pk").first()


@dataclass
class CommitteesOfProduct:
    """What a product's committees page shows."""

    recorded: list[Committee]
    imported: list[Event]  # the committee events of its public history not recorded here
    phase: Phase | None
    portfolio: Portfolio | None
    next_due: datetime.date | None

    @property
    def latest(self) -> Committee | None:
        return self.recorded[0] if self.recorded else None

    @property
    def stopped(self) -> bool:
        latest = self.latest
        return bool(latest and latest.decision == CommitteeDecision.STOP and self.next_due is None)

    @property
    def none_known(self) -> bool:
        return self.latest is None and not self.imported


def committees_of(product) -> CommitteesOfProduct:
    """A product's recorded committees (newest first), the committee events imported from beta.gouv.fr that were not
    recorded here (recording a committee also writes its event, on the same date), its current phase, the portfolio
    that covers it, and when its next committee is due."""
    recorded = list(Committee.objects.filter(product=product).select_related("recorded_by"))
    recorded_dates = {committee.date for committee in recorded}
    imported = [
        event
        for event in Event.objects.filter(product=product, name=EventName.COMMITTEE).order_by("-date", "-pk")
        if event.date not in recorded_dates
    ]
    themes, ministries = perimeters([product])[product.pk]
    found = match_portfolio(list(portfolios()), ministries=ministries, themes=themes)
    phase = current_phase(product)
    latest = recorded[0] if recorded else None
    _, next_due = last_and_next_committee(latest, imported[0].date if imported else None)
    return CommitteesOfProduct(
        recorded=recorded,
        imported=imported,
        phase=phase,
        portfolio=found[0] if found else None,
        next_due=next_due,
    )
