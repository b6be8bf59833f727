"""Reads of the staff pages: the desk, the offers of help, the routing table.

Every list of requests starts from `Ticket.objects.for_user(user)` and every list of offers from
`Offer.objects.for_user(user)`: a confidential request exists, on these pages, only for its requester and its
participants — in the rows, in the tab counts and in the search alike.
"""

import datetime
from dataclasses import dataclass
from urllib.parse import urlencode

from django.core import signing
from django.core.paginator import Page, Paginator
from django.db import connections
from django.db.models import Case, IntegerField, Q, Value, When
from django.utils import timezone

from incubateur.guichet.models import OPEN_STATUSES, Offer, OfferStatus, RoutingRule, Ticket, TicketQuerySet
from incubateur.guichet.routing import pole_contact
from incubateur.organisation.models import Department, Pole
from incubateur.registry.models import Product

PER_PAGE = 25

# The desk's tabs (`?vue=`), in their order on the page.
MINE, POLE, UNASSIGNED, OVERDUE, ALL = "a-traiter", "pole", "non-attribuees", "en-retard", "toutes"
TABS: dict[str, str] = {
    MINE: "À traiter",
    POLE: "Par pôle",
    UNASSIGNED: "Non attribuées",
    OVERDUE: "En retard",
    ALL: "Toutes",
}
EMPTY: dict[str, str] = {
    MINE: "Aucune demande ouverte ne vous est attribuée.",
    POLE: "Aucune demande ouverte n'est attribuée à ce pôle.",
    UNASSIGNED: "Toutes les demandes ouvertes ont une personne attribuée.",
    OVERDUE: "Aucune demande n'attend sa première réponse au-delà du délai d'un jour ouvré.",
    ALL: "Aucune demande pour l'instant.",
}


@dataclass(frozen=True)
class DeskFilters:
    kind: str = ""
    status: str = ""
    product: str = ""  # a product's ghid
    q: str = ""

    def any(self) -> bool:
        return bool(self.kind or self.status or self.product or self.q)

    def params(self) -> dict[str, str]:
        """The filters as query-string parameters (for the tab links and the pagination)."""
        pairs = {"type": self.kind, "statut": self.status, "produit": self.product, "q": self.q}
        return {key: value for key, value in pairs.items() if value}


def poles() -> list:
    return list(Pole.objects.only("pk", "slug", "name", "order"))


def desk_scope(user, filters: DeskFilters) -> TicketQuerySet:
    """The requests this account may see, narrowed by the filters (never widened)."""
    tickets = Ticket.objects.for_user(user)
    if filters.kind:
        tickets = tickets.filter(kind=filters.kind)
    if filters.status:
        tickets = tickets.filter(status=filters.status)
    if filters.product:
        tickets = tickets.filter(product__ghid=filters.product)
    if filters.q:
        tickets = tickets.search(filters.q)
    return tickets


def tab_condition(tab: str, *, user, pole, now: datetime.datetime) -> Q | None:
    """What puts a request in a tab (None: every request of the scope), for its rows and its count alike."""
    if tab == MINE:
        return TicketQuerySet.open_q() & Q(assignee=user)
    if tab == POLE:
        return TicketQuerySet.open_q() & Q(pole=pole) if pole is not None else Q(pk__in=[])
    if tab == UNASSIGNED:
        return TicketQuerySet.open_q() & Q(assignee__isnull=True)
    if tab == OVERDUE:
        return TicketQuerySet.overdue_q(now)
    return None


def in_tab(tickets: TicketQuerySet, tab: str, *, user, pole, now: datetime.datetime) -> TicketQuerySet:
    condition = tab_condition(tab, user=user, pole=pole, now=now)
    return tickets if condition is None else tickets.filter(condition)


# Counts stop at COUNT_CAP: a tab with more rows says "plus de 1 000" (read at call time: tests lower it).
COUNT_CAP = 1000


def tab_counts(
    tickets: TicketQuerySet, *, user, pole, now: datetime.datetime, tabs: tuple[str, ...] | None = None
) -> dict[str, int]:
    """Every tab's count (or only those of `tabs`), bounded: one query whose cost does not grow with the number of
    requests.

    Each tab counts the rows of a subquery LIMITed to COUNT_CAP + 1 over the same scoped queryset as its rows (the
    same `for_user` scope: a confidential request is counted only for the people who see it). A count above
    COUNT_CAP means "more than COUNT_CAP" (`count_label`).
    """
    cap = COUNT_CAP
    wanted = [tab for tab in TABS if tabs is None or tab in tabs]
    parts, params = [], []
    for n, tab in enumerate(wanted):
        if tab == POLE and pole is None:
            parts.append("0")
            continue
        rows = in_tab(tickets, tab, user=user, pole=pole, now=now).order_by().values("pk")[: cap + 1]
        sql, sql_params = rows.query.get_compiler(using=rows.db).as_sql()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS tab{n})")
        params.extend(sql_params)
    with connections[tickets.db].cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        values = cursor.fetchone()
    return {tab: int(value) for tab, value in zip(wanted, values, strict=True)}


def count_label(count: int) -> str:
    """A bounded count in words: "12", or "plus de 1 000" once it passes COUNT_CAP."""
    if count > COUNT_CAP:
        return "plus de " + f"{COUNT_CAP:,}".replace(",", "\u00a0")
    return str(count)


# --- Keyset pagination ----------------------------------------------------------------------------------------
#
# A page is read from where the previous one ended, along an index (no OFFSET: page 4,000 costs what page 1 does):
# "toutes" newest first (-created_at, -pk), the work queues most urgent first (first_response_due, pk). The cursor
# in the address (`?curseur=`) is signed: a forged or broken one gives the first page, never an error. It says
# nothing a reader could not see: the moment and id of a row on the page they had.

CURSOR_SALT = "incubateur.guichet.desk.cursor"


@dataclass(frozen=True)
class Cursor:
    forward: bool  # True: the rows after `moment`/`pk` in the tab's order; False: the rows before them
    moment: datetime.datetime
    pk: int
    number: int  # the page's number along the walk (for the title)

    def encode(self) -> str:
        return signing.dumps(
            ["a" if self.forward else "b", self.moment.isoformat(), self.pk, self.number], salt=CURSOR_SALT
        )

    @classmethod
    def decode(cls, value: str | None) -> "Cursor | None":
        """The cursor, or None for an absent, broken or forged one (the first page)."""
        if not value or len(value) > 300:
            return None
        try:
            way, moment, pk, number = signing.loads(value, salt=CURSOR_SALT)
            moment = datetime.datetime.fromisoformat(moment)
        except (signing.BadSignature, ValueError, TypeError):
            return None
        if way not in ("a", "b") or not isinstance(pk, int) or not isinstance(number, int) or number < 1:
            return None
        if timezone.is_naive(moment):
            return None
        return cls(forward=way == "a", moment=moment, pk=pk, number=number)


@dataclass
class DeskPage:
    """One page of a tab: its rows, its number along the walk and the cursors of its neighbours."""

    object_list: list
    number: int
    next_cursor: str | None
    previous_cursor: str | None

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_previous(self) -> bool:
        return self.previous_cursor is not None

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous


def tab_order(tab: str) -> tuple[str, bool]:
    """The column a tab is ordered by, and whether newest first (then -pk) or ascending (then pk)."""
    return ("created_at", True) if tab == ALL else ("first_response_due", False)


def keyset_q(field: str, *, moment: datetime.datetime, pk: int, greater: bool) -> Q:
    """The rows strictly after (`greater`) or before (moment, pk) in (field, pk) order: ties on the moment are
    broken by the primary key, so no row is skipped or shown twice."""
    op = "gt" if greater else "lt"
    return Q(**{f"{field}__{op}": moment}) | Q(**{field: moment, f"pk__{op}": pk})


def _read(tickets: TicketQuerySet, tab: str, order: tuple[str, str], limit: int) -> list:
    """The first `limit` rows in `order`. A work queue (open requests only) is read as one index range per open
    status, merged here: `status IN (…) ORDER BY first_response_due` would sort every open request of the queue,
    whereas each `status = … ORDER BY first_response_due, id` walks an index (assignee or pole, status, due, id)
    and stops after `limit` rows; then the page's rows by id. A constant number of queries (len(OPEN_STATUSES) + 1),
    whatever the volume."""
    if tab == ALL:
        return list(tickets.order_by(*order)[:limit])
    keys = []
    for status in OPEN_STATUSES:  # the keys only: the rows are built once, for the page's ids
        keys += tickets.filter(status=status).order_by(*order).values_list("first_response_due", "pk")[:limit]
    keys.sort(reverse=order[0].startswith("-"))
    ids = [pk for _, pk in keys[:limit]]
    found = {ticket.pk: ticket for ticket in tickets.filter(pk__in=ids)}
    return [found[pk] for pk in ids if pk in found]


# What a row of the desk's table shows (views/desk.py `desk_rows`; « Mon espace »'s preview of it, public/
# my_space.html, also names people with `display_name`), its cursor and `is_overdue` read: these columns and
# nothing else (a user's password hash, a product's texts…: columns the page would convert for nothing). A field
# left out would cost a query per row: tests/synthetic/test_query_counts.py counts both pages.
DESK_COLUMNS = (
    "reference",
    "subject",
    "confidential",
    "recorded_by_id",
    "kind",
    "topic",
    "channel",
    "status",
    "first_response_due",
    "first_response_at",
    "created_at",
    "product__name",
    "requester__first_name",
    "requester__last_name",
    "requester__email",
    "requester__username",
    "assignee__first_name",
    "assignee__last_name",
    "assignee__email",
    "assignee__username",
)


def desk_page(tickets: TicketQuerySet, tab: str, cursor: str | None, *, per_page: int | None = None) -> DeskPage:
    """One page of the tab's requests, from the cursor (`?curseur=`), with their people and product: 1 query for
    "toutes", 4 for a work queue (`_read`); twice that when a "previous" cursor reaches the start, which is then
    the first page. `per_page`: fewer rows (« Mon espace »'s first few); PER_PAGE by default, read at call time
    (tests lower it)."""
    per_page = per_page or PER_PAGE
    field, descending = tab_order(tab)
    order = (f"-{field}", "-pk") if descending else (field, "pk")
    reverse = (field, "pk") if descending else (f"-{field}", "-pk")
    tickets = tickets.select_related("product", "requester", "assignee").only(*DESK_COLUMNS)
    position = Cursor.decode(cursor)
    rows: list | None = None
    number, has_more_before, has_more_after = 1, False, False
    if position is not None and not position.forward:
        # Backwards: the PER_PAGE rows before the cursor, read in reverse order and put back in the tab's order.
        after_q = keyset_q(field, moment=position.moment, pk=position.pk, greater=descending)
        found = _read(tickets.filter(after_q), tab, reverse, per_page + 1)
        if len(found) > per_page:
            rows, number, has_more_before, has_more_after = found[:per_page][::-1], position.number, True, True
        else:
            position = None  # the start is reached: the first page (full, whatever was added or removed)
    if rows is None:
        if position is not None:  # forwards from the cursor
            tickets = tickets.filter(keyset_q(field, moment=position.moment, pk=position.pk, greater=not descending))
            number, has_more_before = position.number, True
        found = _read(tickets, tab, order, per_page + 1)
        rows, has_more_after = found[:per_page], len(found) > per_page
    now = timezone.now()
    for ticket in rows:
        ticket.late = ticket.is_overdue(now)
    next_cursor = previous_cursor = None
    if has_more_after and rows:
        last = rows[-1]
        next_cursor = Cursor(forward=True, moment=getattr(last, field), pk=last.pk, number=number + 1).encode()
    if has_more_before and rows:
        first = rows[0]
        previous_cursor = Cursor(
            forward=False, moment=getattr(first, field), pk=first.pk, number=max(number - 1, 1)
        ).encode()
    return DeskPage(object_list=rows, number=number, next_cursor=next_cursor, previous_cursor=previous_cursor)


def tab_links(tab_counts: dict[str, int], *, current: str, filters: DeskFilters, pole) -> list[dict]:
    links = []
    for tab, label in TABS.items():
        params = {"vue": tab, **filters.params()}
        if tab == POLE and pole is not None:
            params["pole"] = pole.slug
        links.append(
            {
                "tab": tab,
                "label": label,
                "count": count_label(tab_counts[tab]),
                "url": "?" + urlencode(params),
                "current": tab == current,
            }
        )
    return links


# --- Offers of help -------------------------------------------------------------------------------------------

# Staff's views of the offers (`?vue=`).
OFFERS_MINE, OFFERS_MY_TEAMS, OFFERS_ALL = "mes-offres", "mes-equipes", "toutes"
OFFER_VIEWS: dict[str, str] = {
    OFFERS_MINE: "Offres que j'ai faites",
    OFFERS_MY_TEAMS: "Offres faites à mes équipes",
    OFFERS_ALL: "Toutes les offres",
}


def product_by_ghid(ghid: str):
    return Product.objects.filter(ghid=ghid).first()


def team_product_ids(user) -> set[int]:
    """The products in whose active team this account is (one query)."""
    return set(Product.objects.with_active_member(user).values_list("pk", flat=True))


def offers_page(user, *, view: str, status: str, team_products: set[int], page_number) -> Page:
    """One page of the offers this account may see (`Offer.objects.for_user`), pending ones first.

    `view` narrows staff's list (their own offers, those made to their teams, all); a community member's list is
    always the offers made to their teams, which is everything `for_user` gives them.
    """
    offers = Offer.objects.for_user(user)
    if view == OFFERS_MINE:
        offers = offers.filter(offered_by=user)
    elif view == OFFERS_MY_TEAMS:
        offers = offers.filter(product__in=team_products)
    if status:
        offers = offers.filter(status=status)
    offers = (
        offers.annotate(
            pending_first=Case(
                When(status=OfferStatus.PENDING, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .order_by("pending_first", "-created_at", "-pk")
        .select_related("product", "offered_by", "decided_by")
        .defer("message", "decline_reason", "product__description", "product__extra")
    )
    page = Paginator(offers, PER_PAGE).get_page(page_number)
    for offer in page.object_list:
        # `perms.can_decide_offer` for a whole page at once (the service checks it again on the POST).
        offer.decidable = offer.is_pending and offer.product_id in team_products
    return page


def offer_for(user, pk: int) -> Offer | None:
    return (
        Offer.objects.for_user(user)
        .select_related("product", "offered_by", "decided_by", "ticket")
        .filter(pk=pk)
        .first()
    )


# --- Routing table --------------------------------------------------------------------------------------------


@dataclass
class RoutingRow:
    rule: RoutingRule
    receiver: str  # who receives such a request today, in words
    fallback: str


def routing_rows() -> list[RoutingRow]:
    """The routing table with who receives each kind of request today (a fixed number of queries)."""
    department = Department.objects.select_related("operations_lead", "fallback_pole").first()
    poles_by_pk = {pole.pk: pole for pole in Pole.objects.with_current_positions().select_related("guichet_assignee")}
    rules = RoutingRule.objects.select_related("portfolio__manager", "pole", "person", "fallback_pole")
    Target = RoutingRule.Target
    department_fallback = poles_by_pk.get(department.fallback_pole_id) if department else None
    rows = []
    for rule in rules:
        if rule.target == Target.PERSON:
            receiver = rule.person.display_name if rule.person else ""
        elif rule.target == Target.POLE:
            pole = poles_by_pk.get(rule.pole_id)
            contact = pole_contact(pole)
            receiver = contact.display_name if contact else "personne : le pôle n'a ni référent ni responsable"
        elif rule.target == Target.OPERATIONS_LEAD:
            lead = department.operations_lead if department else None
            receiver = lead.display_name if lead else "personne : le poste est vacant"
        elif rule.target == Target.PORTFOLIO_MANAGER:
            if rule.portfolio_id:
                manager = rule.portfolio.manager
                receiver = manager.display_name if manager else "personne : le portefeuille n'a pas de responsable"
            else:
                receiver = "la ou le responsable du portefeuille du produit ou du ministère"
        else:
            receiver = "la personne que le demandeur choisit"
        if rule.target == Target.CHOSEN:
            fallback = "sans objet"
        elif rule.fallback_pole_id:
            fallback = rule.fallback_pole.name
        elif department_fallback is not None:
            fallback = f"{department_fallback.name} (repli du département)"
        else:
            fallback = "aucun"
        rows.append(RoutingRow(rule=rule, receiver=receiver, fallback=fallback))
    return rows
