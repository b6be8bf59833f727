"""Who receives a request: the routing table (`RoutingRule`, data) applied to what the request is about.

`route()` is pure reading: it returns the assignee, the pole, the portfolio, who is in copy and a French
sentence that explains the choice ("attribuée à Paul Burgun : portefeuille Justice, ministère Justice, produit
X"), shown on the request. The portfolio comes from `organisation.selectors.contact_for()` (themes first, then
ministries) — the same answer as the public "qui contacter" page.
"""

from dataclasses import dataclass, field

from incubateur.core.ministries import MINISTRIES
from incubateur.guichet.kinds import Kind, Topic
from incubateur.guichet.models import RoutingRule
from incubateur.organisation.models import Department, Pole, Portfolio, Position
from incubateur.organisation.selectors import contact_for

Target = RoutingRule.Target

# The table of the issue, seeded by `manage.py load_routing` (kind, topic, target, pole, fallback pole, copy).
DEFAULT_RULES: list[dict] = [
    dict(kind=Kind.DOUTE_PRODUIT, target=Target.PORTFOLIO_MANAGER, fallback_pole="coaching"),
    dict(kind=Kind.PARTENARIAT, target=Target.PORTFOLIO_MANAGER, fallback_pole="direction"),
    dict(kind=Kind.CONVENTION, target=Target.OPERATIONS_LEAD, copy_portfolio_manager=True, fallback_pole="direction"),
    dict(kind=Kind.ADMINISTRATIF, target=Target.OPERATIONS_LEAD, fallback_pole="direction"),
    dict(kind=Kind.SOUTIEN, target=Target.PORTFOLIO_MANAGER, fallback_pole="direction"),
    dict(kind=Kind.SOUTIEN, topic=Topic.ACCELERATION, target=Target.POLE, pole="acceleration"),
    dict(kind=Kind.SOUTIEN, topic=Topic.GAMMA, target=Target.POLE, pole="acceleration"),
    dict(kind=Kind.SOUTIEN, topic=Topic.REFINANCEMENT, target=Target.POLE, pole="acceleration"),
    dict(kind=Kind.SOUTIEN, topic=Topic.AIDE_TRANSVERSE, target=Target.POLE, pole="animation"),
    dict(kind=Kind.SOUTIEN, topic=Topic.AUTONOMIE, target=Target.PORTFOLIO_MANAGER, fallback_pole="direction"),
    dict(kind=Kind.SOUTIEN, topic=Topic.DEBLOCAGE, target=Target.PORTFOLIO_MANAGER, fallback_pole="direction"),
    dict(kind=Kind.MAL_ETRE, target=Target.CHOSEN),
    dict(kind=Kind.COMMUNAUTE, target=Target.POLE, pole="animation"),
    dict(kind=Kind.SIGNALEMENT, target=Target.CHOSEN),
    dict(kind=Kind.AUTRE, target=Target.POLE, pole="direction"),
]


@dataclass
class Routing:
    assignee: object | None
    pole: Pole | None
    portfolio: Portfolio | None
    reason: str
    copied: list = field(default_factory=list)
    rule: RoutingRule | None = None


def rule_for(kind: str, topic: str, portfolio: Portfolio | None) -> RoutingRule | None:
    """The most specific rule: topic and portfolio, then topic, then portfolio, then the kind alone."""
    rules = list(RoutingRule.objects.filter(kind=kind).select_related("pole", "person", "fallback_pole"))

    def rank(rule: RoutingRule):
        if rule.topic and rule.topic != topic:
            return None
        if rule.portfolio_id and (portfolio is None or rule.portfolio_id != portfolio.pk):
            return None
        return (bool(rule.topic), bool(rule.portfolio_id))

    ranked = [(rank(rule), rule) for rule in rules]
    ranked = [(r, rule) for r, rule in ranked if r is not None]
    if not ranked:
        return None
    return max(ranked, key=lambda pair: pair[0])[1]


def product_scope(product) -> tuple[list[str], list[str]]:
    """A product's themes and ministries, most specific first (the registry's `perimeters`, for one product)."""
    if product is None:
        return [], []
    from incubateur.registry.selectors import perimeters

    return perimeters([product])[product.pk]


def _pole_of(user) -> Pole | None:
    if user is None:
        return None
    position = Position.objects.current().filter(person=user).select_related("pole").order_by("order", "pk").first()
    return position.pole if position else None


def _portfolio_pole(manager, portfolio: Portfolio) -> Pole | None:
    """The pole in which `manager` holds `portfolio` (the Pôle Partenariats), else their first pole."""
    position = (
        Position.objects.current()
        .filter(person=manager, portfolio=portfolio)
        .select_related("pole")
        .order_by("order", "pk")
        .first()
    )
    return position.pole if position else _pole_of(manager)


def _name(user) -> str:
    return (user.get_full_name() or user.username or user.email) if user else "personne"


def can_receive(user) -> bool:
    """Only an active member of the Incubator can be handed a request (anyone else could not even see it)."""
    return user is not None and user.is_active and user.is_incubator_staff


def pole_contact(pole: Pole | None):
    """Who receives what is sent to `pole`: its guichet referent, else its lead — whoever can receive it."""
    if pole is None:
        return None
    return next((user for user in (pole.guichet_assignee, pole.lead) if can_receive(user)), None)


def _portfolio_contact(*, ministry: str, themes: list[str], ministries: list[str]):
    """Who covers the request: the ministry it names first (a partnership with that administration), else the
    product's perimeter (its themes, then its ministries). None when nothing is known."""
    if ministry:
        named = contact_for(ministries=[ministry])
        if named.portfolio is not None:
            return named
    if themes or ministries:
        return contact_for(ministries=ministries, themes=themes)
    return None


def route(*, kind: str, topic: str = "", product=None, ministry: str = "", recipient=None) -> Routing:
    department = Department.objects.select_related("operations_lead", "fallback_pole").first()
    themes, ministries = product_scope(product)
    contact = _portfolio_contact(ministry=ministry, themes=themes, ministries=ministries)
    portfolio = contact.portfolio if contact else None
    details = []
    if portfolio is not None:
        details.append(contact.explanation)
    if product is not None:
        details.append(f"produit {product.name}")

    rule = rule_for(kind, topic, portfolio)
    assignee = pole = None
    why = ""
    if rule is None:
        why = "aucune règle de routage pour ce type de demande"
    elif rule.target == Target.CHOSEN:
        assignee = recipient
        why = "personne choisie par l'auteur de la demande"
        details = []
    elif rule.target == Target.PERSON:
        assignee = rule.person if can_receive(rule.person) else None
        why = (
            "règle de routage" if assignee is not None else f"{_name(rule.person)} ne fait plus partie de l'Incubateur"
        )
    elif rule.target == Target.POLE:
        pole = rule.pole
        assignee = pole_contact(pole)
        if assignee is None:
            why = f"{pole.name} n'a ni référent du guichet ni responsable"
            pole = None
        else:
            why = pole.name
            if topic:
                why += f", sujet « {Topic(topic).label} »"
    elif rule.target == Target.OPERATIONS_LEAD:
        lead = department.operations_lead if department else None
        assignee = lead if can_receive(lead) else None
        why = "responsable des opérations" if assignee is not None else "pas de responsable des opérations"
    elif rule.target == Target.PORTFOLIO_MANAGER:
        if portfolio is not None and can_receive(portfolio.manager):
            assignee = portfolio.manager
            pole = _portfolio_pole(assignee, portfolio)
            details = [d for d in details if d != contact.explanation]
            why = contact.explanation
        elif portfolio is not None:
            why = f"le portefeuille {portfolio.label} n'a pas de responsable"
        elif themes or ministries or ministry:
            why = "aucun portefeuille ne couvre ce périmètre"
        else:
            why = "aucun périmètre indiqué"

    if assignee is None and rule is not None and rule.target != Target.CHOSEN:
        # The rule's fallback pole, else the department's (when the first has nobody either).
        for fallback in (rule.fallback_pole, department.fallback_pole if department else None):
            if pole_contact(fallback) is not None:
                pole = fallback
                assignee = pole_contact(fallback)
                why = f"{why} : {fallback.name} prend le relais"
                break

    copied = []
    if rule is not None and rule.copy_portfolio_manager and portfolio is not None and can_receive(portfolio.manager):
        if portfolio.manager != assignee:
            copied.append(portfolio.manager)
            details.append(f"{_name(portfolio.manager)} en copie (portefeuille {portfolio.label})")

    if pole is None:
        pole = _pole_of(assignee)
    if ministry and portfolio is None:
        details.append(f"ministère {MINISTRIES.get(ministry, ministry)}")
    if assignee is not None:
        reason = f"attribuée à {_name(assignee)} : {why}"
    else:
        reason = f"à attribuer : {why}"
    if details:
        reason += ", " + ", ".join(details)
    return Routing(assignee=assignee, pole=pole, portfolio=portfolio, reason=reason[:500], copied=copied, rule=rule)


def load_default_rules() -> int:
    """Create the rules of DEFAULT_RULES that do not exist yet (by kind and topic, any portfolio). Returns the
    number created. Poles missing from the organisation are skipped (run `load_organisation` first)."""
    poles = {pole.slug: pole for pole in Pole.objects.all()}
    created = 0
    for spec in DEFAULT_RULES:
        spec = dict(spec)
        kind, topic = spec.pop("kind"), spec.pop("topic", "")
        for key in ("pole", "fallback_pole"):
            if key in spec:
                spec[key] = poles.get(spec[key])
        if spec.get("target") == Target.POLE and spec.get("pole") is None:
            continue
        _, was_created = RoutingRule.objects.get_or_create(kind=kind, topic=topic, portfolio=None, defaults=spec)
        created += was_created
    return created
