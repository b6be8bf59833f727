"""Reads for the requester pages and the request page. Every read of a request starts from
`Ticket.objects.for_user(user)`; nothing here decides a permission (that is `perms.py`)."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Max, Q
from django.urls import reverse

from incubateur.guichet.kinds import KIND_INFO, Kind
from incubateur.guichet.models import Message, Participant, Read, RoutingRule, Ticket
from incubateur.organisation.models import Department, Pole, Position

MINE_PER_PAGE = 20

Target = RoutingRule.Target


# --- /guichet/: the kinds and who answers them -------------------------------------------------------------------


@dataclass
class KindCard:
    code: str
    label: str
    explanation: str
    confidential: bool
    answer: str  # "Réponse : …", derived from the routing table
    url: str


def _lower_article(name: str) -> str:
    """« Le Pôle Accélération » inside a sentence: « le Pôle Accélération »."""
    if name[:3] in ("Le ", "La ") or name[:2] in ("L'", "L’"):
        return name[0].lower() + name[1:]
    return name


def _answerer(rule: RoutingRule, operations_lead) -> str:
    if rule.target == Target.CHOSEN:
        return "la personne de l'Incubateur que vous choisissez"
    if rule.target == Target.PORTFOLIO_MANAGER:
        if rule.kind == Kind.PARTENARIAT:
            return "la ou le responsable du portefeuille du ministère concerné"
        return "la ou le responsable du portefeuille de votre produit"
    if rule.target == Target.POLE:
        return _lower_article(rule.pole.name)
    if rule.target == Target.PERSON:
        return rule.person.display_name
    if rule.target == Target.OPERATIONS_LEAD:
        if operations_lead is not None:
            return f"{operations_lead.display_name}, responsable des opérations"
        return "la ou le responsable des opérations"
    return "l'équipe de l'Incubateur"


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " ou " + items[-1]


def kind_cards() -> list[KindCard]:
    """The kinds in the seed's order, each with one honest line about who answers (the rules that apply to every
    portfolio: a portfolio-specific row only refines them)."""
    rules = list(RoutingRule.objects.filter(portfolio__isnull=True).select_related("pole", "person"))
    department = Department.objects.select_related("operations_lead").first()
    operations_lead = department.operations_lead if department else None
    cards = []
    for kind in Kind:
        info = KIND_INFO[kind]
        own = [rule for rule in rules if rule.kind == kind]
        base = next((rule for rule in own if not rule.topic), None)
        by_topic = [rule for rule in own if rule.topic]
        answerers = list(dict.fromkeys(_answerer(rule, operations_lead) for rule in by_topic))
        if base is not None:
            general = _answerer(base, operations_lead)
            answerers = [a for a in answerers if a != general] + [general]
        if not answerers:
            answer = "Réponse : l'équipe de l'Incubateur, qui oriente votre demande"
        elif by_topic and len(answerers) > 1:
            answer = f"Réponse, selon le sujet : {_join(answerers)}"
        else:
            answer = f"Réponse : {answerers[0]}"
        cards.append(
            KindCard(
                code=kind.value,
                label=kind.label,
                explanation=info.explanation,
                confidential=info.confidential,
                answer=answer,
                url=reverse("guichet:new", args=[kind.value]),
            )
        )
    return cards


# --- People and poles offered in the forms -----------------------------------------------------------------------


@dataclass
class StaffChoice:
    user: object
    label: str  # "Prénom Nom — rôle, pôle"


def current_staff() -> list[StaffChoice]:
    """The Incubator's current staff (a current position), by name, in one query. Someone holding several
    positions is listed once, with their first position."""
    positions = (
        Position.objects.current()
        .filter(person__is_active=True, person__is_incubator_staff=True)
        .select_related("person", "pole")
        .order_by("person__first_name", "person__last_name", "person__pk", "pole__order", "order", "pk")
    )
    choices: dict[int, StaffChoice] = {}
    for position in positions:
        if position.person_id not in choices:
            label = f"{position.person.display_name} — {position.title}, {_lower_article(position.pole.name)}"
            choices[position.person_id] = StaffChoice(user=position.person, label=label)
    return list(choices.values())


def poles():
    return Pole.objects.order_by("order", "name")


# --- "Mes demandes" ----------------------------------------------------------------------------------------------


def my_tickets_page(user, page_number) -> Page:
    tickets = Ticket.objects.for_user(user).requester_side(user).select_related("product", "assignee")
    tickets = tickets.order_by("-created_at", "-pk")
    return Paginator(tickets, MINE_PER_PAGE).get_page(page_number)


# --- The request page --------------------------------------------------------------------------------------------


@dataclass
class ReadSummary:
    name: str
    count: int
    last: object  # datetime
    # When the reader's address changed, if one of these reads came within CONFIDENTIAL_EMAIL_CHANGE_DAYS of it
    # (before or after: a change made to read and then undone is flagged too); else None.
    email_changed_at: object = None


@dataclass
class TicketPage:
    ticket: Ticket
    messages: list[Message]
    participants: list[Participant] = field(default_factory=list)
    reads: list[ReadSummary] = field(default_factory=list)


def ticket_page(ticket: Ticket, *, with_notes: bool, with_reads: bool) -> TicketPage:
    """The thread (with the internal notes for the people who handle the request: `perms.can_write_internal_note`),
    and for a confidential request who has access (and, `with_reads`, who read it)."""
    messages = list(
        Message.objects.visible(include_internal=with_notes).filter(ticket=ticket).select_related("author")
    )
    page = TicketPage(ticket=ticket, messages=messages)
    if ticket.confidential:
        page.participants = list(ticket.participants.select_related("user", "added_by"))
    if with_reads:
        # Someone who could change an account's address (an administrator) could then log in as it: a read near
        # such a change is shown as such to the requester.
        window = timedelta(days=settings.CONFIDENTIAL_EMAIL_CHANGE_DAYS)
        changed = F("user__email_changed_at")
        rows = (
            Read.objects.filter(ticket=ticket)
            .values(
                "user",
                "user__first_name",
                "user__last_name",
                "user__username",
                "user__email",
                "user__email_changed_at",
            )
            .annotate(
                count=Count("pk"),
                last=Max("at"),
                near_change=Count("pk", filter=Q(at__gte=changed - window, at__lte=changed + window)),
            )
            .order_by("-last")
        )
        page.reads = [
            ReadSummary(
                name=f"{row['user__first_name']} {row['user__last_name']}".strip()
                or row["user__username"]
                or row["user__email"],
                count=row["count"],
                last=row["last"],
                email_changed_at=row["user__email_changed_at"] if row["near_change"] else None,
            )
            for row in rows
        ]
    return page
