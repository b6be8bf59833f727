"""The public indicators (#17): each one computes a table from the platform's data, with a constant number of
queries (one or two `values_list` reads, counted in Python). Only validated products and members count
(`review_state == "valide"`); confidential guichet requests are never broken down by kind.

A table is rows × columns of numbers. Tables counting people or requests (`people=True`) are published through
`transparency.suppression.suppress`; the others (products, programme editions, amounts) are public facts.
"""

import datetime
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Count, Q, Sum
from django.utils import timezone

from incubateur.guichet.kinds import CONFIDENTIAL_KINDS, Kind
from incubateur.guichet.models import Ticket
from incubateur.programmes.models import GRANTED, Call
from incubateur.registry.enums import Domaine, EventName, MissionStatus, PhaseName, ReviewState
from incubateur.registry.models import Event, Mission, Phase, Product, ProductIncubator

VALID = ReviewState.VALIDATED
NOT_GIVEN = "non renseigné"
CONFIDENTIAL_COLUMN = "Demandes confidentielles (tous types)"
FAST_PROGRAMME = "fast"


@dataclass
class Table:
    """What an indicator computes: `rows` are (label, numbers) in display order, `columns` the numbers' labels."""

    row_header: str
    columns: list[str]
    rows: list[tuple[str, list[int | float | None]]]
    # A rate table: the last column is a percentage computed from the two before (no totals, no suppression).
    rate: bool = False


@dataclass(frozen=True)
class Indicator:
    key: str  # the URL slug: /statistiques/<key>/
    title: str
    definition: str  # one line
    compute: Callable[[datetime.date], Table]
    people: bool = False  # counts people or requests: small numbers suppressed
    chart: str = "columns"  # "columns" (x: years, quarters; series stacked) or "bars" (horizontal, one series)
    unit: str = "produits"
    margins: bool = True  # add row/column totals (counts tables)


def _validated_products():
    return Product.objects.filter(review_state=VALID)


def _years(first: int | None, last: int) -> list[int]:
    return list(range(first, last + 1)) if first is not None else []


def _per_year(dates: list[datetime.date], today: datetime.date) -> list[tuple[str, list[int]]]:
    counts = Counter(day.year for day in dates)
    return [(str(year), [counts[year]]) for year in _years(min(counts, default=None), today.year)]


def products_entering_construction(today: datetime.date) -> Table:
    starts = Phase.objects.filter(product__review_state=VALID, name=PhaseName.CONSTRUCTION).values_list(
        "start", flat=True
    )
    return Table("Année", ["Produits entrés en construction"], _per_year(list(starts), today))


def products_national_impact(today: datetime.date) -> Table:
    firsts: dict[int, datetime.date] = {}
    for product, day in Event.objects.filter(product__review_state=VALID, name=EventName.NATIONAL_IMPACT).values_list(
        "product", "date"
    ):
        firsts[product] = min(day, firsts.get(product, day))
    return Table("Année", ["Produits arrivés à l'impact national"], _per_year(list(firsts.values()), today))


def _current_phases() -> dict[int, str | None]:
    return dict(_validated_products().with_current_phase().values_list("pk", "current_phase"))


def _phase_rows() -> list[tuple[str, str | None]]:
    return [(str(label), value) for value, label in PhaseName.choices] + [(NOT_GIVEN, None)]


def products_per_phase(today: datetime.date) -> Table:
    counts = Counter(_current_phases().values())
    rows = [(label, [counts[value]]) for label, value in _phase_rows() if value is not None or counts[None]]
    return Table("Phase actuelle", ["Produits"], rows)


def products_per_incubator(today: datetime.date) -> Table:
    """Products by their principal incubator and the year they started (their first phase)."""
    first_start: dict[int, datetime.date] = {}
    for product, start in Phase.objects.filter(product__review_state=VALID).values_list("product", "start"):
        first_start[product] = min(start, first_start.get(product, start))
    incubator_of = dict(
        ProductIncubator.objects.filter(is_principal=True, product__review_state=VALID).values_list(
            "product", "incubator__title"
        )
    )
    years = _years(min((day.year for day in first_start.values()), default=None), today.year)
    counts: dict[str, Counter] = defaultdict(Counter)
    for product, start in first_start.items():
        counts[incubator_of.get(product) or NOT_GIVEN][start.year] += 1
    rows = [(name, [counts[name][year] for year in years]) for name in sorted(counts, key=str.casefold)]
    return Table("Incubateur principal", [str(year) for year in years], rows)


def _rate_by_phase(flags: dict[int, bool], with_label: str) -> Table:
    phases = _current_phases()
    total: Counter = Counter()
    having: Counter = Counter()
    for product, phase in phases.items():
        total[phase] += 1
        having[phase] += bool(flags.get(product))
    rows = []
    for label, value in _phase_rows():
        if total[value]:
            rows.append((label, [total[value], having[value], _percent(having[value], total[value])]))
    all_products, all_having = sum(total.values()), sum(having.values())
    rows.append(("Ensemble", [all_products, all_having, _percent(all_having, all_products)]))
    return Table("Phase actuelle", ["Produits", with_label, "Taux (%)"], rows, rate=True)


def _percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def open_source_rate(today: datetime.date) -> Table:
    flags = {pk: bool(repository.strip()) for pk, repository in _validated_products().values_list("pk", "repository")}
    return _rate_by_phase(flags, "Avec code source public")


def stats_page_rate(today: datetime.date) -> Table:
    flags = {
        pk: bool(stats) or bool(url.strip())
        for pk, stats, url in _validated_products().values_list("pk", "stats", "stats_url")
    }
    return _rate_by_phase(flags, "Avec page de statistiques")


def accessibility_status(today: datetime.date) -> Table:
    counts = Counter(
        (status or "").strip().lower() or NOT_GIVEN
        for status in _validated_products().values_list("accessibility_status", flat=True)
    )
    order = ["totalement conforme", "partiellement conforme", "non conforme"]
    labels = [label for label in order if counts[label]] + sorted(
        (label for label in counts if label not in order and label != NOT_GIVEN), key=str.casefold
    )
    if counts[NOT_GIVEN]:
        labels.append(NOT_GIVEN)
    return Table(
        "Statut d'accessibilité (RGAA)", ["Produits"], [(label.capitalize(), [counts[label]]) for label in labels]
    )


def _missions():
    return Mission.objects.filter(member__review_state=VALID).values_list(
        "member", "member__domaine", "start", "end", "status"
    )


def new_members(today: datetime.date) -> Table:
    """Members by the year of their first mission and their domaine."""
    first: dict[int, tuple[datetime.date, str]] = {}
    for member, domaine, start, _end, _status in _missions():
        if member not in first or start < first[member][0]:
            first[member] = (start, domaine)
    years = _years(min((start.year for start, _ in first.values()), default=None), today.year)
    present = {domaine for _, domaine in first.values()}
    domaines = [(value, str(label)) for value, label in Domaine.choices if value in present]
    counts = Counter((start.year, domaine) for start, domaine in first.values())
    rows = [(str(year), [counts[(year, value)] for value, _ in domaines]) for year in years]
    return Table("Année d'arrivée", [label for _, label in domaines], rows)


def members_by_status(today: datetime.date) -> Table:
    """Each year, the members with a mission running during the year, by the status of the last one to start."""
    latest: dict[tuple[int, int], tuple[datetime.date, str]] = {}
    first_year = None
    for member, _domaine, start, end, status in _missions():
        if start > today:
            continue
        last = min((end or today).year, today.year)
        for year in range(start.year, last + 1):
            key = (member, year)
            if key not in latest or start > latest[key][0]:
                latest[key] = (start, status or "")
        first_year = start.year if first_year is None else min(first_year, start.year)
    statuses = [(str(value), str(label)) for value, label in MissionStatus.choices]
    if any(status == "" for _, status in latest.values()):
        statuses.append(("", NOT_GIVEN))
    counts = Counter((year, status) for (_member, year), (_start, status) in latest.items())
    rows = [(str(year), [counts[(year, value)] for value, _ in statuses]) for year in _years(first_year, today.year)]
    return Table("Année", [label.capitalize() for _, label in statuses], rows)


def _quarter(moment: datetime.datetime) -> tuple[int, int]:
    local = timezone.localtime(moment)
    return local.year, (local.month - 1) // 3 + 1


def requests_per_kind(today: datetime.date) -> Table:
    """Guichet requests received each quarter, by kind; confidential requests (by nature or by choice) only in one
    column of their own, never by kind."""
    kinds = [(str(value), str(label)) for value, label in Kind.choices if value not in CONFIDENTIAL_KINDS]
    counts: Counter = Counter()
    for kind, confidential, created_at in Ticket.objects.values_list("kind", "confidential", "created_at"):
        column = CONFIDENTIAL_COLUMN if confidential or kind in CONFIDENTIAL_KINDS else kind
        counts[(_quarter(created_at), column)] += 1
    quarters = sorted({quarter for quarter, _ in counts})
    rows = []
    if quarters:
        year, number = quarters[0]
        last = (today.year, (today.month - 1) // 3 + 1)
        while (year, number) <= last:
            values = [counts[((year, number), value)] for value, _ in kinds]
            rows.append((f"{year} T{number}", [*values, counts[((year, number), CONFIDENTIAL_COLUMN)]]))
            year, number = (year + 1, 1) if number == 4 else (year, number + 1)
    return Table("Trimestre", [label for _, label in kinds] + [CONFIDENTIAL_COLUMN], rows)


def fast_editions(today: datetime.date) -> Table:
    """Each FAST edition whose results are public: its envelope, its laureates, the amounts granted."""
    granted = Q(applications__status__in=GRANTED)
    calls = (
        Call.objects.visible()
        .filter(programme__slug=FAST_PROGRAMME)
        .filter(Q(historical=True) | Q(results_published_at__isnull=False))
        .annotate(
            laureates=Count("applications", filter=granted), amount=Sum("applications__amount_granted", filter=granted)
        )
        .order_by("number", "opens_at", "pk")
        .values_list("title", "number", "envelope", "laureates", "amount")
    )
    rows = [
        (title or f"FAST {number}", [laureates, envelope, amount or 0])
        for title, number, envelope, laureates, amount in calls
    ]
    return Table("Édition", ["Lauréats", "Enveloppe (€)", "Montant accordé (€)"], rows)


INDICATORS: list[Indicator] = [
    Indicator(
        "produits-en-construction",
        "Produits entrés en construction par année",
        "Nombre de produits validés dont la phase de construction a commencé dans l'année.",
        products_entering_construction,
    ),
    Indicator(
        "produits-impact-national",
        "Produits arrivés à l'impact national par année",
        "Nombre de produits validés dont le premier événement « impact national » du registre est daté de l'année.",
        products_national_impact,
    ),
    Indicator(
        "produits-par-phase",
        "Produits par phase",
        "Nombre de produits validés selon leur phase actuelle (la dernière commencée).",
        products_per_phase,
        chart="bars",
    ),
    Indicator(
        "produits-par-incubateur",
        "Produits par incubateur et par année de démarrage",
        "Nombre de produits validés selon leur incubateur principal et l'année où a commencé leur première phase.",
        products_per_incubator,
        chart="bars",
    ),
    Indicator(
        "code-source-ouvert",
        "Taux de code source ouvert par phase",
        "Part des produits validés, selon leur phase actuelle, dont la fiche donne l'adresse d'un dépôt de code.",
        open_source_rate,
        chart="bars",
        margins=False,
    ),
    Indicator(
        "page-de-statistiques",
        "Taux de produits publiant une page de statistiques",
        "Part des produits validés, selon leur phase actuelle, dont la fiche indique une page de statistiques "
        "publique.",
        stats_page_rate,
        chart="bars",
        margins=False,
    ),
    Indicator(
        "accessibilite",
        "Statut d'accessibilité (RGAA) des produits",
        "Nombre de produits validés selon le statut de conformité au RGAA déclaré sur leur fiche.",
        accessibility_status,
        chart="bars",
    ),
    Indicator(
        "nouveaux-membres",
        "Nouveaux membres par année et par domaine",
        "Nombre de membres validés dont la première mission a commencé dans l'année, selon leur domaine.",
        new_members,
        people=True,
        unit="membres",
    ),
    Indicator(
        "membres-par-statut",
        "Membres par statut au fil des années",
        "Nombre de membres validés ayant une mission en cours dans l'année, selon le statut de la dernière "
        "commencée (agent public, indépendant, prestataire).",
        members_by_status,
        people=True,
        unit="membres",
    ),
    Indicator(
        "demandes-au-guichet",
        "Demandes au guichet par type et par trimestre",
        "Nombre de demandes reçues par le guichet dans le trimestre, selon leur type ; les demandes "
        "confidentielles ne sont comptées qu'ensemble, jamais par type.",
        requests_per_kind,
        people=True,
        unit="demandes",
    ),
    Indicator(
        "fast",
        "FAST : enveloppes et lauréats par édition",
        "Pour chaque édition du FAST dont les résultats sont publiés : lauréats, enveloppe et montants accordés.",
        fast_editions,
        chart="bars",
        unit="lauréats",
        margins=False,
    ),
]

BY_KEY = {indicator.key: indicator for indicator in INDICATORS}
