"""Reads of the organisation: the directory, search, and who handles a ministry or a theme.

`contact_for()` is the one function that answers "who is the portfolio manager for this ministry / this
theme / this product": the guichet routes with it, the public page and the API answer with it.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model

from incubateur.core.ministries import MINISTRIES
from incubateur.core.text import fold
from incubateur.organisation.models import (
    Commitment,
    ContactChannel,
    Department,
    Pole,
    Portfolio,
    Position,
    Reason,
)
from incubateur.registry.models import Member


@dataclass(frozen=True)
class Directory:
    department: Department | None
    poles: list[Pole]
    portfolios: list[Portfolio]
    contacts: list[ContactChannel]
    reasons: list[Reason]
    commitments: list[Commitment]


def directory() -> Directory:
    return Directory(
        department=Department.objects.select_related("fallback_pole", "operations_lead").first(),
        poles=list(Pole.objects.with_current_positions()),
        portfolios=list(Portfolio.objects.select_related("manager")),
        contacts=list(ContactChannel.objects.select_related("pole")),
        reasons=list(Reason.objects.all()),
        commitments=list(Commitment.objects.all()),
    )


def department_contact_email() -> str:
    department = Department.objects.only("contact_email").first()
    return department.contact_email if department else ""


@dataclass(frozen=True)
class Contact:
    person: object | None  # the account to contact, None if nobody holds the role
    portfolio: Portfolio | None  # None: the fallback answered
    explanation: str  # French, shown to people: why this person


def fallback_contact(reason: str) -> Contact:
    department = Department.objects.select_related("fallback_pole").first()
    pole = department.fallback_pole if department else None
    lead = pole.lead if pole else None
    where = f"{pole.name}" if pole else "l'Incubateur"
    return Contact(person=lead, portfolio=None, explanation=f"{reason} : {where} prend le relais")


def match_portfolio(portfolios: list[Portfolio], *, ministries=(), themes=()) -> tuple[Portfolio, str] | None:
    """The portfolio that covers these themes, else these ministries (in order), with the French explanation;
    None when none does. Pure: pass the portfolios read once (boards match hundreds of products with it)."""
    for theme in themes:
        wanted = fold(theme)
        for portfolio in portfolios:
            if any(fold(t) == wanted for t in portfolio.themes):
                return portfolio, f"portefeuille {portfolio.label}, thématique {theme}"
    for code in ministries:
        for portfolio in portfolios:
            if code in portfolio.ministries:
                label = MINISTRIES.get(code, code)
                return portfolio, f"portefeuille {portfolio.label}, ministère {label}"
    return None


def contact_for(*, ministries=(), themes=()) -> Contact:
    """The portfolio manager for these themes, else these ministries (in order), else the fallback.

    For a product, pass its themes (the more specific) and its sponsors' ministries in order, then its
    incubator owner's ministry.
    """
    found = match_portfolio(list(Portfolio.objects.select_related("manager")), ministries=ministries, themes=themes)
    if found is not None:
        portfolio, explanation = found
        return Contact(portfolio.manager, portfolio, explanation)
    if ministries or themes:
        return fallback_contact("aucun portefeuille ne couvre ce périmètre")
    return fallback_contact("aucun périmètre indiqué")


@dataclass(frozen=True)
class SearchHit:
    username: str
    fullname: str
    role: str
    pole: str
    pole_slug: str


def search(query: str, *, limit: int = 50) -> list[SearchHit]:
    """Case- and accent-insensitive search on names, roles, poles, ministries and themes.

    The organisation is a few dozen people: it is read whole (2 queries) and matched in Python, which
    behaves the same on SQLite and PostgreSQL.
    """
    words = fold(query).split()
    if not words:
        return []
    hits = []
    for pole in Pole.objects.with_current_positions():
        for position in pole.current_positions:
            person = position.person
            haystack = [person.get_full_name(), person.username or "", position.title, pole.name, pole.slug]
            if position.portfolio is not None:
                haystack += [position.portfolio.label, *position.portfolio.themes]
                haystack += position.portfolio.ministries
                haystack += [MINISTRIES.get(code, "") for code in position.portfolio.ministries]
            text = fold(" ".join(haystack))
            if all(word in text for word in words):
                hits.append(
                    SearchHit(
                        username=person.username or "",
                        fullname=person.display_name,
                        role=position.title,
                        pole=pole.name,
                        pole_slug=pole.slug,
                    )
                )
    return hits[:limit]


# --- A person's page, and "Votre interlocuteur à l'Incubateur" ------------------------------------------------


@dataclass(frozen=True)
class PersonPage:
    person: object  # the account
    positions: list[Position]  # current ones, in the directory's order
    portfolios: list[Portfolio]  # the ministerial portfolios they hold
    channels: list[ContactChannel]  # their poles' own contact channels
    has_member_page: bool  # a fiche in the registry (/membres/<username>/)


def person_page(username: str) -> PersonPage | None:
    """Everyone of *Qui fait quoi* (a current position, or a portfolio held) has a page; nobody else does.
    Four queries, or two for an identifier that names nobody of the organisation."""
    positions = list(
        Position.objects.current()
        .filter(person__username=username)
        .select_related("person", "pole", "portfolio")
        .order_by("pole__order", "-is_lead", "order", "pk")
    )
    portfolios = list(Portfolio.objects.filter(manager__username=username).select_related("manager"))
    if not positions and not portfolios:
        return None
    person = positions[0].person if positions else portfolios[0].manager
    pole_ids = list(dict.fromkeys(position.pole_id for position in positions))
    return PersonPage(
        person=person,
        positions=positions,
        portfolios=portfolios,
        channels=list(ContactChannel.objects.filter(pole__in=pole_ids)) if pole_ids else [],
        has_member_page=Member.objects.filter(username=username).exists(),
    )


@dataclass(frozen=True)
class Named:
    """Someone named on a page: their name and where it links (their page here, else their registry fiche)."""

    name: str
    username: str = ""
    in_organisation: bool = False  # has a page of *Qui fait quoi* (organisation:person)
    has_member_page: bool = False  # has a fiche in the registry (registry:member_detail)


@dataclass(frozen=True)
class Interlocutor:
    contact: Contact  # the portfolio manager (or the fallback pole's lead), with the explanation
    contact_dinum: Named | None  # the product's `contact_dinum`, when set and not the same person


def _named(username: str) -> Named:
    """`contact_dinum` is a beta.gouv.fr member id: an account of the platform, else a registry fiche, else the id
    itself (one or two queries)."""
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    member = Member.objects.filter(username=username).only("username", "fullname").first()
    if user is not None:
        return Named(
            name=user.display_name,
            username=username,
            in_organisation=user.is_incubator_staff,
            has_member_page=member is not None,
        )
    if member is not None:
        return Named(name=member.fullname or username, username=username, has_member_page=True)
    return Named(name=username)


def interlocutor(*, ministries=(), themes=(), contact_dinum: str = "") -> Interlocutor | None:
    """« Votre interlocuteur à l'Incubateur » for a product or an incubator: who `contact_for` names for its
    perimeter (the guichet routes a product's requests with the same answer), and the product's `contact_dinum`.
    None before the organisation is loaded. One query then, two or three (four with a `contact_dinum` who is not
    the portfolio manager) once it is: the same whatever the size of the registry."""
    if not Department.objects.exists():
        return None
    contact = contact_for(ministries=ministries, themes=themes)
    dinum = None
    if contact_dinum and (contact.person is None or contact.person.username != contact_dinum):
        dinum = _named(contact_dinum)
    return Interlocutor(contact=contact, contact_dinum=dinum)
