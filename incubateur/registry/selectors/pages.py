"""Reads of the registry's public pages (the APIs' lists are in the package's `__init__`).

The registry is public data (beta.gouv.fr publishes it): there is no per-user scoping, every page reads the
same rows whoever asks. Each function here reads a fixed number of queries, whatever the number of rows.

Ordering and search are done in Python on folded text (`core.text.fold`): database collations differ
(SQLite compares bytes, PostgreSQL follows its locale) and neither folds accents portably, so the products
list reads the candidates' ids, names and (only when searching) pitches and themes in one query, matches and
sorts them in Python, then reads the 30 rows of the page. The registry holds a few thousand products at most.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlsplit

from django.core.cache import cache as django_cache
from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.utils import timezone

from incubateur.core.ministries import MINISTRIES
from incubateur.core.text import fold
from incubateur.registry import cache
from incubateur.registry.enums import ACTIVE_PHASES, OrganisationType, PhaseName, ReviewState
from incubateur.registry.models import (
    Incubator,
    Member,
    Mission,
    MissionProduct,
    Organisation,
    Phase,
    Product,
    ProductIncubator,
    ProductSponsor,
    Team,
)

PRODUCTS_PER_PAGE = 30
PHASE_LABELS: dict[str, str] = dict(PhaseName.choices)
PHASE_ORDER: list[str] = [value for value, _ in PhaseName.choices]
ENDED_PHASES = {PhaseName.TRANSFERE, PhaseName.ABANDON, PhaseName.ABANDON_INVESTIGATION}
GITHUB_USERNAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")


# --- Presentation helpers -------------------------------------------------------------------------------------


def external_url(value: str) -> str:
    """`value` when it is an absolute http(s) URL, else "": only those become links (no `javascript:`)."""
    value = (value or "").strip()
    try:
        parts = urlsplit(value)
    except ValueError:
        return ""
    return value if parts.scheme in ("http", "https") and parts.netloc else ""


def github_url(value: str) -> str:
    """A GitHub profile's address from a username (beta.gouv.fr's convention) or a full URL."""
    value = (value or "").strip()
    if GITHUB_USERNAME.match(value):
        return f"https://github.com/{value}"
    return external_url(value)


def phase_label(code: str | None) -> str:
    return PHASE_LABELS.get(code or "", "")


def phase_badge(code: str | None) -> str:
    """The DSFR badge modifier for a phase: running phases in green, ended ones plain grey."""
    if not code:
        return ""
    if code in ENDED_PHASES:
        return "fr-badge--no-icon"
    if code in ACTIVE_PHASES:
        return "fr-badge--success fr-badge--no-icon"
    return "fr-badge--info fr-badge--no-icon"


def _strings(values) -> list[str]:
    return [v for v in values or [] if isinstance(v, str) and v.strip()]


def _incubator_links() -> Prefetch:
    return Prefetch("productincubator_set", queryset=ProductIncubator.objects.select_related("incubator"))


def _with_phase(product: Product) -> Product:
    code = getattr(product, "current_phase", None)
    product.phase_label = phase_label(code)
    product.phase_badge = phase_badge(code)
    return product


# --- Products list --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FilterChoices:
    incubators: list[tuple[str, str]]  # (ghid, title)
    thematiques: list[str]  # one spelling per folded theme


def filter_choices() -> FilterChoices:
    """The incubators and themes to filter on: read whole once per registry version (cached)."""
    key = cache.key("products:filter_choices", daily=False)
    choices = django_cache.get(key)
    if choices is None:
        incubators = sorted(Incubator.objects.values_list("ghid", "title"), key=lambda row: (fold(row[1]), row[0]))
        themes: dict[str, str] = {}
        # In creation order: the first spelling of a theme is the one offered, whatever the database's collation.
        validated = Product.objects.filter(review_state=ReviewState.VALIDATED)
        for values in validated.order_by("pk").values_list("thematiques", flat=True):
            for theme in _strings(values):
                themes.setdefault(fold(theme), theme.strip())
        choices = FilterChoices(incubators=incubators, thematiques=[themes[k] for k in sorted(themes)])
        django_cache.set(key, choices, timeout=24 * 3600)
    return choices


@dataclass(frozen=True)
class ProductFilters:
    q: str = ""
    phase: str = ""
    incubator: str = ""  # an incubator's ghid
    ministry: str = ""  # a sponsor's domaine_ministeriel
    thematique: str = ""

    @property
    def any(self) -> bool:
        return any((self.q, self.phase, self.incubator, self.ministry, self.thematique))


def product_ids(filters: ProductFilters) -> list[int]:
    """The ids of the products that match, in name order (one query; sorted here, see the module's docstring).
    Only validated products: one awaiting its incubator's validation (or refused) is in no public list (#14)."""
    products = Product.objects.filter(review_state=ReviewState.VALIDATED).order_by()
    if filters.phase:
        products = products.with_current_phase().filter(current_phase=filters.phase)
    if filters.incubator:
        links = ProductIncubator.objects.filter(product=OuterRef("pk"), incubator__ghid=filters.incubator)
        products = products.filter(Exists(links))
    if filters.ministry:
        sponsors = ProductSponsor.objects.filter(
            product=OuterRef("pk"), organisation__domaine_ministeriel=filters.ministry
        )
        products = products.filter(Exists(sponsors))
    words = fold(filters.q).split()
    theme = fold(filters.thematique)
    if not words and not theme:
        rows = [(fold(name), pk) for pk, name in products.values_list("pk", "name")]
    else:
        rows = []
        for pk, name, pitch, thematiques in products.values_list("pk", "name", "pitch", "thematiques"):
            if theme and theme not in {fold(t) for t in _strings(thematiques)}:
                continue
            text = fold(f"{name} {pitch}")
            if all(word in text for word in words):
                rows.append((fold(name), pk))
    return [pk for _, pk in sorted(rows)]


def products_page(filters: ProductFilters, page_number) -> Page:
    """One page of matching products (3 queries: the ids, the page's rows, their incubators)."""
    page = Paginator(product_ids(filters), PRODUCTS_PER_PAGE).get_page(page_number)
    ids = list(page.object_list)
    rows = (
        Product.objects.filter(pk__in=ids)
        .only("pk", "ghid", "name", "pitch")  # not the long Markdown description nor the other fields
        .with_current_phase()
        .prefetch_related(
            Prefetch(
                "productincubator_set",
                queryset=ProductIncubator.objects.select_related("incubator").only(
                    "product_id", "is_principal", "order", "incubator__ghid", "incubator__title"
                ),
            )
        )
    )
    by_pk = {product.pk: product for product in rows}
    page.object_list = [_with_phase(by_pk[pk]) for pk in ids if pk in by_pk]
    return page


# --- Product page ---------------------------------------------------------------------------------------------


@dataclass
class TeamMember:
    member: Member
    start: date
    end: date | None  # None: a mission still runs with no end
    active: bool


@dataclass
class Link:
    label: str
    value: str
    url: str  # "" when the value is not an http(s) address: shown as text


@dataclass
class ProductPage:
    product: Product
    phases: list[Phase]
    current_phase: Phase | None
    incubators: list[ProductIncubator]
    sponsors: list[Organisation]
    active_team: list[TeamMember]
    alumni: list[TeamMember]
    links: list[Link] = field(default_factory=list)


PRODUCT_LINKS = [
    ("link", "Site du service"),
    ("repository", "Code source"),
    ("stats_url", "Statistiques"),
    ("budget_url", "Budget"),
    ("impact_url", "Impact"),
    ("dashlord_url", "DashLord"),
]


def team(missions: Iterable[Mission], today: date | None = None) -> tuple[list[TeamMember], list[TeamMember]]:
    """Members of these missions, active (a mission running today) then alumni, each in name order."""
    today = today or timezone.localdate()
    people: dict[int, TeamMember] = {}
    for mission in missions:
        running = mission.start <= today and (mission.end is None or mission.end >= today)
        seen = people.get(mission.member_id)
        if seen is None:
            people[mission.member_id] = TeamMember(mission.member, mission.start, mission.end, running)
            continue
        seen.start = min(seen.start, mission.start)
        seen.end = None if seen.end is None or mission.end is None else max(seen.end, mission.end)
        seen.active = seen.active or running
    members = sorted(people.values(), key=lambda p: (fold(p.member.fullname), p.member.username))
    return [p for p in members if p.active], [p for p in members if not p.active]


def product_page(ghid: str) -> ProductPage | None:
    """Everything the product page shows (5 queries)."""
    product = (
        Product.objects.filter(ghid=ghid)
        .prefetch_related(
            Prefetch("phases", queryset=Phase.objects.order_by("start", "pk")),
            _incubator_links(),
            Prefetch("productsponsor_set", queryset=ProductSponsor.objects.select_related("organisation")),
        )
        .first()
    )
    if product is None:
        return None
    phases = list(product.phases.all())
    current = max(phases, key=lambda p: (p.start, p.pk)) if phases else None
    for phase in phases:
        phase.badge = phase_badge(phase.name)
    product.current_phase = current.name if current else None
    _with_phase(product)
    # A member awaiting validation shows with a badge (`member.review_state`); a refused one nowhere (#14).
    missions = (
        Mission.objects.filter(products=product)
        .exclude(member__review_state=ReviewState.REFUSED)
        .select_related("member")
        .order_by("start", "pk")
    )
    active, alumni = team(missions)
    links = [
        Link(label, value, external_url(value))
        for name, label in PRODUCT_LINKS
        if (value := getattr(product, name).strip())
    ]
    return ProductPage(
        product=product,
        phases=phases,
        current_phase=current,
        incubators=list(product.productincubator_set.all()),
        sponsors=[link.organisation for link in product.productsponsor_set.all()],
        active_team=active,
        alumni=alumni,
        links=links,
    )


def product_for_edit(ghid: str) -> Product | None:
    """The product with its phases (2 queries)."""
    return (
        Product.objects.filter(ghid=ghid)
        .prefetch_related(Prefetch("phases", queryset=Phase.objects.order_by("start", "pk")))
        .first()
    )


# --- Incubators -----------------------------------------------------------------------------------------------


def incubators() -> list[Incubator]:
    """Every incubator with its owner and its number of products (principal or co-incubation), in name order."""
    rows = Incubator.objects.select_related("owner").annotate(
        product_count=Count(
            "productincubator", filter=Q(productincubator__product__review_state=ReviewState.VALIDATED)
        )
    )
    return sorted(rows, key=lambda incubator: (fold(incubator.title), incubator.ghid))


@dataclass
class PhaseGroup:
    code: str
    label: str
    products: list[Product]


def by_phase(links: Iterable[ProductIncubator | ProductSponsor]) -> list[PhaseGroup]:
    """Products (read through their links, annotated `current_phase`) grouped by current phase, in the phases'
    order, products without a phase last; in name order in each group."""
    groups: dict[str, list[Product]] = {}
    for link in links:
        product = link.product
        product.current_phase = link.current_phase
        product.is_principal = getattr(link, "is_principal", None)
        groups.setdefault(link.current_phase or "", []).append(_with_phase(product))
    order = [code for code in PHASE_ORDER if code in groups] + ([""] if "" in groups else [])
    return [
        PhaseGroup(
            code=code or "sans-phase",
            label=phase_label(code) or "sans phase",
            products=sorted(groups[code], key=lambda p: (fold(p.name), p.ghid)),
        )
        for code in order
    ]


def _linked_products(queryset):
    """Links to validated products only (one awaiting validation, or refused, is in no public read: #14)."""
    return (
        queryset.filter(product__review_state=ReviewState.VALIDATED)
        .select_related("product")
        .annotate(current_phase=Phase.objects.current_name("product_id"))
    )


@dataclass
class IncubatorPage:
    incubator: Incubator
    groups: list[PhaseGroup]
    product_count: int
    teams: list


def incubator_page(ghid: str) -> IncubatorPage | None:
    """The incubator, its products grouped by current phase, its teams and their members (4 queries)."""
    incubator = Incubator.objects.select_related("owner").filter(ghid=ghid).first()
    if incubator is None:
        return None
    groups = by_phase(_linked_products(ProductIncubator.objects.filter(incubator=incubator)))
    teams = list(incubator.teams.prefetch_related(Prefetch("members", queryset=Member.objects.order_by("fullname"))))
    incubator.website_url = external_url(incubator.website)
    incubator.github_url = external_url(incubator.github)
    return IncubatorPage(
        incubator=incubator,
        groups=groups,
        product_count=sum(len(group.products) for group in groups),
        teams=sorted(teams, key=lambda t: (fold(t.name), t.ghid)),
    )


# --- Organisations --------------------------------------------------------------------------------------------


@dataclass
class OrganisationPage:
    organisation: Organisation
    ministry: str
    type: str
    groups: list[PhaseGroup]
    product_count: int
    incubators: list[Incubator]


def organisation_page(ghid: str) -> OrganisationPage | None:
    """The organisation, the products it sponsors (by current phase) and the incubators it owns (3 queries)."""
    organisation = Organisation.objects.filter(ghid=ghid).first()
    if organisation is None:
        return None
    groups = by_phase(_linked_products(ProductSponsor.objects.filter(organisation=organisation)))
    owned = sorted(organisation.incubators.all(), key=lambda i: (fold(i.title), i.ghid))
    return OrganisationPage(
        organisation=organisation,
        ministry=MINISTRIES.get(organisation.domaine_ministeriel, organisation.domaine_ministeriel),
        type=dict(OrganisationType.choices).get(organisation.type, organisation.type),
        groups=groups,
        product_count=sum(len(group.products) for group in groups),
        incubators=owned,
    )


# --- Members --------------------------------------------------------------------------------------------------


@dataclass
class MemberPage:
    member: Member
    domaine: str
    competences: list[str]
    link_url: str
    github_url: str
    missions: list[Mission]
    teams: list


def member_page(username: str) -> MemberPage | None:
    """The member's public fiche: never the e-mail (4 queries: member, missions, their products, teams)."""
    member = (
        Member.objects.filter(username=username)
        .exclude(review_state=ReviewState.REFUSED)  # refused on joining: appears nowhere (#14)
        .prefetch_related(
            Prefetch(
                "missions",
                queryset=Mission.objects.prefetch_related(
                    Prefetch("missionproduct_set", queryset=MissionProduct.objects.select_related("product"))
                ),
            ),
            Prefetch("teams", queryset=Team.objects.select_related("incubator")),
        )
        .first()
    )
    if member is None:
        return None
    missions = list(member.missions.all())
    for mission in missions:
        mission.product_list = [link.product for link in mission.missionproduct_set.all()]
    return MemberPage(
        member=member,
        domaine=member.domaine,  # the values are French labels already ("Développement")
        competences=_strings(member.competences),
        link_url=external_url(member.link),
        github_url=github_url(member.github),
        missions=missions,
        teams=sorted(member.teams.all(), key=lambda t: fold(t.name)),
    )


def member_for_edit(username: str) -> Member | None:
    return Member.objects.filter(username=username).first()


# --- beta.gouv.fr's addresses ---------------------------------------------------------------------------------

BETAGOUV_PRODUCT_PREFIX = "/startups/"


def _betagouv_path(path: str) -> str:
    """An address of beta.gouv.fr as Jekyll serves it: with a leading slash, without a trailing one nor `.html`
    (jekyll-redirect-from writes `/startups/old` as `startups/old.html`, served at both addresses)."""
    path = "/" + str(path).strip().strip("/")
    return path.removesuffix(".html")


def product_for_old_address(segment: str) -> str | None:
    """The id of the product beta.gouv.fr serves at `/startups/<segment>`: its own page (`<id>.html`, its permalink)
    or an old address listed in its `redirect_from`; None when there is none.

    Matched in Python over the few hundred (id, redirect_from) rows: JSON containment is not portable.
    """
    wanted = _betagouv_path(BETAGOUV_PRODUCT_PREFIX + segment)
    own = wanted.removeprefix(BETAGOUV_PRODUCT_PREFIX)
    if Product.objects.filter(ghid=own).exists():
        return own
    for ghid, old in Product.objects.exclude(redirect_from=[]).order_by("ghid").values_list("ghid", "redirect_from"):
        if any(_betagouv_path(path) == wanted for path in (old if isinstance(old, list) else [old])):
            return ghid
    return None
