"""Reads of the staff pages: the desk, the offers of help, the routing table.

Every list of requests starts from `Ticket.objects.for_user(user)` and every list of offers from
`Offer.objects.for_user(user)`: a confidential request exists, on these pages, only for its requester and its
participants — in the rows, in the tab counts and in the search alike.
"""

import datetime
from dataclasses import dataclass
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.utils import timezone

from incubateur.guichet.models import Offer, OfferStatus, RoutingRule, Ticket, TicketQuerySet
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


def tab_counts(tickets: TicketQuerySet, *, user, pole, now: datetime.datetime) -> dict[str, int]:
    """Every tab's count in one query over the same scoped queryset as the rows, whatever the volume."""
    counts = {}
    for n, tab in enumerate(TABS):
        if tab == POLE and pole is None:
            continue
        condition = tab_condition(tab, user=user, pole=pole, now=now)
        counts[f"tab{n}"] = Count("pk") if condition is None else Count("pk", filter=condition)
    values = tickets.order_by().aggregate(**counts)
    return {tab: values.get(f"tab{n}", 0) for n, tab in enumerate(TABS)}


def desk_page(tickets: TicketQuerySet, tab: str, page_number) -> Page:
    """One page of the tab's requests (2 queries: the count and the rows with their people and product)."""
    if tab == ALL:
        tickets = tickets.order_by("-created_at", "-pk")
    else:  # a work queue: the most urgent first
        tickets = tickets.order_by("first_response_due", "pk")
    tickets = tickets.select_related("product", "requester", "assignee").defer("body", "product__description")
    page = Paginator(tickets, PER_PAGE).get_page(page_number)
    now = timezone.now()
    for ticket in page.object_list:
        ticket.late = ticket.is_overdue(now)
    return page


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
                "count": tab_counts[tab],
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
