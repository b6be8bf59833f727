"""The seed's commitments, measured (#17, `/engagements/`).

`refresh(now=…)` computes each commitment's figures over the last 12 months from the platform's data and stores
them, as published, in one `Snapshot` per commitment (`engagement:<key>`); the pages and downloads read only the
snapshots. `daily(now=…)` is the worker's housekeeping hook: it runs `refresh` once per day (Paris), whatever the
number of workers, by a conditional UPDATE on the marker snapshot's `computed_at`.

Each payload: title, commitment (the seed's words), definition (one line), computed_at, and tables, each with a
caption, columns and rows (a row: its label then its cells; a cell is a number, a string, or None when there is no
data). Cells counting confidential requests go through `transparency.suppression` (STATS_SUPPRESSION_THRESHOLD:
small counts « < 5 », and complementary cells « s » so that none is recovered from the published total).
"""

import datetime
import statistics
from collections import defaultdict
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from incubateur.core import journal
from incubateur.core.models import JournalEntry, Notification, Visibility
from incubateur.core.text import MONTHS, month_fr
from incubateur.guichet.models import Offer, OfferStatus, Ticket
from incubateur.transparency import journal as public_journal
from incubateur.transparency import suppression
from incubateur.transparency.models import Snapshot

PARIS = ZoneInfo("Europe/Paris")
MARKER = "engagements"
PREFIX = "engagement:"
LICENCE_URL = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
LICENCE = f"Licence Ouverte / Open Licence version 2.0 (Etalab) — {LICENCE_URL}"

# Notifications that ask a team for reporting (a figure, a form, a document to send back). None today: the
# platform sends none. Add a kind here the day one is built, and the page will count it.
REPORTING_KINDS: frozenset[str] = frozenset()
# E-mails the platform sends to teams that are information, not reporting (nothing to send back).
INFORMATION_KINDS = frozenset(
    {
        "community.incubator_digest",
        "community.mission_ending",
        "community.mission_ending_team",
        "programmes.digest",
        "recruitment.reminder",
    }
)

ORDER = ["premiere-reponse", "consentement", "reporting", "transparence", "signalements"]


def threshold() -> int:
    return settings.STATS_SUPPRESSION_THRESHOLD


def suppressed_row(counts: list[int]) -> list[str]:
    """One row of counts of people or requests and its total, as published: the suppression of
    `transparency.suppression` (small counts « < 5 », and their complements « s », so that no hidden count can be
    recovered from the total)."""
    published = suppression.suppress([counts], threshold())
    return [suppression.label(entry, threshold()) for entry in published.rows[0]]


def _months(now: datetime.datetime) -> list[tuple[int, int]]:
    """The 12 months ending with the current one, oldest first, as (year, month)."""
    today = timezone.localtime(now, PARIS).date()
    year, month = today.year, today.month
    found = []
    for _ in range(12):
        found.append((year, month))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return found[::-1]


def _start(now: datetime.datetime) -> datetime.datetime:
    year, month = _months(now)[0]
    return datetime.datetime(year, month, 1, tzinfo=PARIS)


def _month_of(moment: datetime.datetime) -> tuple[int, int]:
    local = timezone.localtime(moment, PARIS)
    return local.year, local.month


def _label(year: int, month: int) -> str:
    return f"{MONTHS[month - 1]} {year}"


def _columns(months) -> list[str]:
    return ["", *(_label(*m) for m in months)]


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def first_answer(now: datetime.datetime) -> dict:
    months = _months(now)
    rows = Ticket.objects.filter(created_at__gte=_start(now)).values_list(
        "created_at", "first_response_at", "first_response_due", "confidential", "pole__name"
    )
    total, on_time, delays = defaultdict(int), defaultdict(int), defaultdict(list)
    pole_total, pole_on_time = defaultdict(int), defaultdict(int)
    for created, answered, due, confidential, pole in rows:
        month = _month_of(created)
        in_time = answered is not None and answered <= due
        total[month] += 1
        on_time[month] += in_time
        if answered is not None:
            delays[month].append((answered - created).total_seconds() / 3600)
        if not confidential:
            # Confidential requests count in the totals only, never broken down.
            name = pole or "Sans pôle"
            pole_total[name, month] += 1
            pole_on_time[name, month] += in_time
    median = [round(statistics.median(delays[m]), 1) if delays[m] else None for m in months]
    by_pole = [
        [name, *(_share(pole_on_time[name, m], pole_total[name, m]) for m in months)]
        for name in sorted({name for name, _ in pole_total})
    ]
    return {
        "title": "Réponse sous un jour ouvré",
        "commitment": "Le guichet de l'Incubateur promet une première réponse sous un jour ouvré.",
        "definition": "Part des demandes du guichet reçues dans le mois qui ont eu une première réponse dans "
        "un jour ouvré après leur dépôt (l'échéance fixée par le guichet, week-ends et jours fériés exclus), et délai "
        "médian (en heures, calendaires) jusqu'à la première réponse.",
        "tables": [
            {
                "caption": "Demandes reçues et première réponse, par mois",
                "columns": _columns(months),
                "rows": [
                    ["Demandes reçues", *(total[m] for m in months)],
                    ["Réponse sous un jour ouvré", *(on_time[m] for m in months)],
                    ["Part sous un jour ouvré (%)", *(_share(on_time[m], total[m]) for m in months)],
                    ["Délai médian de première réponse (heures)", *median],
                ],
            },
            {
                "caption": "Part des demandes avec une réponse sous un jour ouvré (%), par pôle (hors demandes "
                "confidentielles, comptées dans les totaux seulement)",
                "columns": _columns(months),
                "rows": by_pole,
            },
        ],
    }


def consent(now: datetime.datetime) -> dict:
    months = _months(now)
    start = _start(now)
    made = defaultdict(int)
    for created in Offer.objects.filter(created_at__gte=start).values_list("created_at", flat=True):
        made[_month_of(created)] += 1
    accepted, declined = defaultdict(int), defaultdict(int)
    decided = Offer.objects.filter(
        decided_at__gte=start, status__in=[OfferStatus.ACCEPTED, OfferStatus.DECLINED]
    ).values_list("decided_at", "status")
    for at, status in decided:
        (accepted if status == OfferStatus.ACCEPTED else declined)[_month_of(at)] += 1
    # The computed check, over all time: a request opened from an offer the team declined.
    breaches = Ticket.objects.filter(offer__status=OfferStatus.DECLINED).count()
    return {
        "title": "Pas d'aide sans consentement",
        "commitment": "… sans jamais leur imposer de l'aide sans consentement ni prendre des décisions qui les "
        "concernent à leur place.",
        "definition": "Offres d'aide proposées aux équipes, acceptées et déclinées par mois (jamais quelle équipe), "
        "et nombre de demandes ouvertes à partir d'une offre déclinée (vérifié sur les données : doit être 0).",
        "check": {"label": "Demandes ouvertes à partir d'une offre déclinée (depuis toujours)", "value": breaches},
        "tables": [
            {
                "caption": "Offres d'aide par mois",
                "columns": _columns(months),
                "rows": [
                    ["Offres proposées", *(made[m] for m in months)],
                    ["Offres acceptées", *(accepted[m] for m in months)],
                    ["Offres déclinées", *(declined[m] for m in months)],
                ],
            }
        ],
    }


def reporting(now: datetime.datetime) -> dict:
    months = _months(now)
    asked, informed = defaultdict(int), defaultdict(int)
    sent = Notification.objects.filter(
        created_at__gte=_start(now), kind__in=[*REPORTING_KINDS, *INFORMATION_KINDS]
    ).values_list("created_at", "kind")
    for created, kind in sent:
        (asked if kind in REPORTING_KINDS else informed)[_month_of(created)] += 1
    return {
        "title": "Limiter le reporting",
        "commitment": "Nous essayons au maximum de limiter les demandes de reporting.",
        "definition": "Demandes de reporting (un chiffre, un formulaire ou un document à renvoyer) envoyées aux "
        "équipes par la plateforme, par mois. Les synthèses et rappels envoyés aux équipes sont de l'information, "
        "pas du reporting : rien n'est à renvoyer ; ils sont comptés à part.",
        "tables": [
            {
                "caption": "Messages envoyés aux équipes par la plateforme, par mois",
                "columns": _columns(months),
                "rows": [
                    ["Demandes de reporting", *(asked[m] for m in months)],
                    ["Information (synthèses, rappels) — pas du reporting", *(informed[m] for m in months)],
                ],
            }
        ],
    }


def transparency(now: datetime.datetime) -> dict:
    months = _months(now)
    counts = defaultdict(int)
    for at, action in public_journal.published().filter(at__gte=_start(now)).values_list("at", "action"):
        counts[public_journal.ALLOWED[action].kind, _month_of(at)] += 1
    rows = [[label, *(counts[kind, m] for m in months)] for kind, label in public_journal.KINDS.items()]
    rows.append(["Total", *(sum(counts[kind, m] for kind in public_journal.KINDS) for m in months)])
    return {
        "title": "Transparence",
        "commitment": "Pour cela, nous nous engageons à maintenir une transparence maximale sur nos actions.",
        "definition": "Actions de l'Incubateur publiées dans le journal public (/journal/), par mois et par type.",
        "tables": [
            {"caption": "Entrées publiées dans le journal, par mois", "columns": _columns(months), "rows": rows}
        ],
    }


def _quarters(now: datetime.datetime) -> list[tuple[int, int]]:
    found = []
    for year, month in _months(now):
        quarter = (year, (month - 1) // 3 + 1)
        if quarter not in found:
            found.append(quarter)
    return found


def safety(now: datetime.datetime) -> dict:
    quarters = _quarters(now)
    first_year, first_quarter = quarters[0]
    start = datetime.datetime(first_year, 3 * first_quarter - 2, 1, tzinfo=PARIS)
    received, closed = defaultdict(int), defaultdict(int)
    confidential = Ticket.objects.filter(confidential=True)
    for (at,) in confidential.filter(created_at__gte=start).values_list("created_at"):
        year, month = _month_of(at)
        received[year, (month - 1) // 3 + 1] += 1
    for (at,) in confidential.filter(closed_at__gte=start).values_list("closed_at"):
        year, month = _month_of(at)
        closed[year, (month - 1) // 3 + 1] += 1
    return {
        "title": "Sécurité pour faire remonter les problèmes",
        "commitment": "Nous souhaitons que les équipes se sentent en sécurité pour nous faire remonter leurs "
        "problèmes afin que nous puissions les aider à les régler.",
        "definition": f"Demandes confidentielles reçues et closes, par trimestre ; un nombre inférieur à "
        f"{threshold()} est masqué (« < {threshold()} »), et d'autres (« s ») le sont aussi quand il le faut pour "
        "qu'on ne puisse pas le retrouver à partir du total.",
        "tables": [
            {
                "caption": "Demandes confidentielles par trimestre",
                "columns": [
                    "",
                    *(f"{q}e trimestre {y}" if q > 1 else f"1er trimestre {y}" for y, q in quarters),
                    "Total sur la période",
                ],
                "rows": [
                    ["Reçues", *suppressed_row([received[q] for q in quarters])],
                    ["Closes", *suppressed_row([closed[q] for q in quarters])],
                ],
            }
        ],
    }


BUILDERS = {
    "premiere-reponse": first_answer,
    "consentement": consent,
    "reporting": reporting,
    "transparence": transparency,
    "signalements": safety,
}


def refresh(*, now: datetime.datetime | None = None) -> list[str]:
    """Compute every commitment into its snapshot; record, once per month, that last month's figures are published.
    Returns the keys computed."""
    now = now or timezone.now()
    for key in ORDER:
        payload = {"key": key, **BUILDERS[key](now)}
        Snapshot.objects.update_or_create(key=PREFIX + key, defaults={"computed_at": now, "payload": payload})
    _record_month(now)
    return list(ORDER)


def _record_month(now: datetime.datetime) -> None:
    year, month = _months(now)[-2]  # the last complete month
    stamp = f"{year:04d}-{month:02d}"
    with transaction.atomic():
        if JournalEntry.objects.filter(action="transparency.commitments_published", data__month=stamp).exists():
            return
        journal.record(
            actor=None,
            action="transparency.commitments_published",
            message=f"Chiffres des engagements de l'Incubateur publiés pour {month_fr(datetime.date(year, month, 1))}",
            visibility=Visibility.PUBLIC,
            data={"month": stamp},
        )


def daily(now: datetime.datetime | None = None) -> bool:
    """Housekeeping hook: `refresh` once per Paris day. The first worker to move the marker's `computed_at` past
    today's midnight runs it; the others see the UPDATE match no row. True when this call refreshed."""
    now = now or timezone.now()
    midnight = timezone.localtime(now, PARIS).replace(hour=0, minute=0, second=0, microsecond=0)
    Snapshot.objects.get_or_create(
        key=MARKER, defaults={"computed_at": datetime.datetime(2000, 1, 1, tzinfo=PARIS), "payload": {}}
    )
    with transaction.atomic():
        # The UPDATE locks the marker until the refresh commits: another worker waits, then matches no row. A
        # refresh that fails rolls the marker back, and the next beat tries again.
        if not Snapshot.objects.filter(key=MARKER, computed_at__lt=midnight).update(computed_at=now):
            return False
        refresh(now=now)
    return True


def published() -> list[dict]:
    """The snapshots of the commitments, in the page's order, with their `computed_at` (one query)."""
    found = {s.key: s for s in Snapshot.objects.filter(key__in=[PREFIX + key for key in ORDER])}
    return [
        {**found[PREFIX + key].payload, "computed_at": found[PREFIX + key].computed_at}
        for key in ORDER
        if PREFIX + key in found
    ]


def one(key: str) -> Snapshot | None:
    if key not in BUILDERS:
        return None
    return Snapshot.objects.filter(key=PREFIX + key).first()


def csv_rows(payload: dict) -> list[list]:
    """A commitment as CSV rows: one header, then each table's rows prefixed with the table's caption."""
    rows = []
    for table in payload["tables"]:
        rows.append(["tableau", *table["columns"]])
        rows.extend([table["caption"], *row] for row in table["rows"])
    if check := payload.get("check"):
        rows.append(["vérification", check["label"], check["value"]])
    return rows
