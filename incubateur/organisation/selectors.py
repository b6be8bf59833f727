"""Reads of the organisation: the directory, search, and who handles a ministry or a theme.

`contact_for()` is the one function that answers "who is the portfolio manager for this ministry / this
theme / this product": the guichet routes with it, the public page and the API answer with it.
"""

from dataclasses import dataclass, field

from incubateur.core.ministries import MINISTRIES
from incubateur.core.text import fold
from incubateur.organisation.models import Commitment, ContactChannel, Department, Pole, Portfolio, Reason
from incubateur.registry.models import Member


@dataclass(frozen=True)
class Directory:
    department: Department | None
    poles: list[Pole]
    portfolios: list[Portfolio]
    contacts: list[ContactChannel]
    reasons: list[Reason]
    commitments: list[Commitment]
    # People who have a page in the registry (/membres/<username>/): the directory links their name to it.
    member_usernames: frozenset[str] = field(default_factory=frozenset)


def directory() -> Directory:
    poles = list(Pole.objects.with_current_positions())
    portfolios = list(Portfolio.objects.select_related("manager"))
    return Directory(
        department=Department.objects.select_related("fallback_pole", "operations_lead").first(),
        poles=poles,
        portfolios=portfolios,
        contacts=list(ContactChannel.objects.select_related("pole")),
        reasons=list(Reason.objects.all()),
        commitments=list(Commitment.objects.all()),
        member_usernames=_registry_members(poles, portfolios),
    )


def _registry_members(poles: list[Pole], portfolios: list[Portfolio]) -> frozenset[str]:
    """The usernames of the directory's people that have a member page in the registry (one query).

    The organisation reads the registry one way only, through its QuerySet (ARCHITECTURE.md).
    """
    people = [position.person for pole in poles for position in pole.current_positions]
    people += [portfolio.manager for portfolio in portfolios if portfolio.manager is not None]
    usernames = {person.username for person in people if person.username}
    if not usernames:
        return frozenset()
    return frozenset(Member.objects.filter(username__in=usernames).values_list("username", flat=True))


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
