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
from incubateur.registry.selectors import perimeters

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
    return perimeters([product])[product.pk]


def pole_of(user) -> Pole | None:
    """The pole of the account's first current position (its « Mon pôle »), or None."""
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
    return position.pole if position else pole_of(manager)


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
    """Find the portfolio that covers the request, pick the rule, apply it (with its fallbacks), explain."""
    department = Department.objects.select_related("operations_lead", "fallback_pole").first()
    themes, ministries = product_scope(product)
    contact = _portfolio_contact(ministry=ministry, themes=themes, ministries=ministries)
    portfolio = contact.portfolio if contact else None
    rule = rule_for(kind, topic, portfolio)
    assignee, pole, why = _apply(
        rule,
        topic=topic,
        recipient=recipient,
        department=department,
        contact=contact,
        perimeter=bool(themes or ministries or ministry),
    )
    if assignee is None and rule is not None and rule.target != Target.CHOSEN:
        assignee, pole, why = _fall_back(rule, department, pole=pole, why=why)

    details = []
    if rule is None or rule.target != Target.CHOSEN:
        if portfolio is not None and not _managed(rule, portfolio):
            details.append(contact.explanation)
        if product is not None:
            details.append(f"produit {product.name}")
    copied = _copied(rule, portfolio, assignee)
    if copied:
        details.append(f"{portfolio.manager.display_name} en copie (portefeuille {portfolio.label})")
    if pole is None:
        pole = pole_of(assignee)
    if ministry and portfolio is None:
        details.append(f"ministère {MINISTRIES.get(ministry, ministry)}")
    reason = f"attribuée à {assignee.display_name} : {why}" if assignee is not None else f"à attribuer : {why}"
    if details:
        reason += ", " + ", ".join(details)
    return Routing(assignee=assignee, pole=pole, portfolio=portfolio, reason=reason[:500], copied=copied, rule=rule)


def _managed(rule: RoutingRule | None, portfolio: Portfolio) -> bool:
    """The portfolio's manager receives the request: the `why` is already the portfolio's explanation."""
    return rule is not None and rule.target == Target.PORTFOLIO_MANAGER and can_receive(portfolio.manager)


def _apply(rule: RoutingRule | None, *, topic: str, recipient, department, contact, perimeter: bool) -> tuple:
    """What the rule says alone: (assignee, pole, why), the assignee None when the rule finds nobody."""
    if rule is None:
        return None, None, "aucune règle de routage pour ce type de demande"
    if rule.target == Target.CHOSEN:
        return recipient, None, "personne choisie par l'auteur de la demande"
    if rule.target == Target.PERSON:
        if can_receive(rule.person):
            return rule.person, None, "règle de routage"
        name = rule.person.display_name if rule.person else "personne"
        return None, None, f"{name} ne fait plus partie de l'Incubateur"
    if rule.target == Target.POLE:
        return _to_pole(rule.pole, topic)
    if rule.target == Target.OPERATIONS_LEAD:
        lead = department.operations_lead if department else None
        if can_receive(lead):
            return lead, None, "responsable des opérations"
        return None, None, "pas de responsable des opérations"
    if rule.target == Target.PORTFOLIO_MANAGER:
        return _to_portfolio_manager(contact, perimeter=perimeter)
    return None, None, ""


def _to_pole(pole: Pole, topic: str) -> tuple:
    assignee = pole_contact(pole)
    if assignee is None:
        return None, None, f"{pole.name} n'a ni référent du guichet ni responsable"
    why = pole.name
    if topic:
        why += f", sujet « {Topic(topic).label} »"
    return assignee, pole, why


def _to_portfolio_manager(contact, *, perimeter: bool) -> tuple:
    portfolio = contact.portfolio if contact else None
    if portfolio is not None and can_receive(portfolio.manager):
        return portfolio.manager, _portfolio_pole(portfolio.manager, portfolio), contact.explanation
    if portfolio is not None:
        return None, None, f"le portefeuille {portfolio.label} n'a pas de responsable"
    if perimeter:
        return None, None, "aucun portefeuille ne couvre ce périmètre"
    return None, None, "aucun périmètre indiqué"


def _fall_back(rule: RoutingRule, department, *, pole: Pole | None, why: str) -> tuple:
    """The rule's fallback pole, else the department's (when the first has nobody either)."""
    for fallback in (rule.fallback_pole, department.fallback_pole if department else None):
        contact = pole_contact(fallback)
        if contact is not None:
            return contact, fallback, f"{why} : {fallback.name} prend le relais"
    return None, pole, why


def _copied(rule: RoutingRule | None, portfolio: Portfolio | None, assignee) -> list:
    """The portfolio's manager, in copy when the rule says so and someone else receives the request."""
    if rule is None or not rule.copy_portfolio_manager or portfolio is None:
        return []
    manager = portfolio.manager
    return [manager] if can_receive(manager) and manager != assignee else []


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
