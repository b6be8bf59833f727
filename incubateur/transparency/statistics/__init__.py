"""The public statistics (#17): indicators computed from the platform's data into snapshots, read by the pages.

- `INDICATORS` / `BY_KEY` (indicators.py): what each indicator is and how it is computed;
- `refresh(now=None)`: compute every indicator and replace its snapshot (`Snapshot(key="statistiques/<key>")`),
  small numbers already suppressed (transparency.suppression): a snapshot holds only what may be published;
- `daily(now=None)`: the worker's housekeeping hook (WORKER_HOUSEKEEPING_HOOKS): `refresh` once a day, even with
  several workers (a conditional UPDATE on a claim row decides which one);
- `published(key)` / `published_all()`: what the pages read, one query whatever the size of the data; computed on
  the first read when no snapshot exists yet.
"""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from incubateur.transparency.models import Snapshot
from incubateur.transparency.statistics.indicators import BY_KEY, INDICATORS, Indicator, Table
from incubateur.transparency.suppression import is_hidden, label, suppress

__all__ = [
    "BY_KEY",
    "INDICATORS",
    "LICENCE",
    "csv_value",
    "daily",
    "published",
    "published_all",
    "refresh",
    "snapshot_key",
]

PREFIX = "statistiques/"
CLAIM_KEY = "statistiques:calcul-du-jour"
LICENCE = "Licence Ouverte / Open Licence version 2.0 (Etalab 2.0)"
LICENCE_URL = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
TOTAL = "Total"


def csv_value(value, payload: dict):
    """A published value for the downloads: the number, « < 5 » or « s » for a hidden one, empty when unknown."""
    if value is None:
        return ""
    if is_hidden(value):
        return label(value, payload["threshold"])
    return value


def snapshot_key(key: str) -> str:
    return PREFIX + key


def threshold() -> int:
    return int(settings.STATS_SUPPRESSION_THRESHOLD)


def publish(indicator: Indicator, table: Table, limit: int) -> dict:
    """The indicator's payload as published: its table with totals, small numbers suppressed when it counts
    people or requests, and how to chart it."""
    columns = list(table.columns)
    labels = [label for label, _ in table.rows]
    values = [list(row) for _, row in table.rows]
    total_row = total_column = False
    suppressed = False
    if table.rows and indicator.margins and not table.rate:
        result = suppress([[value or 0 for value in row] for row in values], limit if indicator.people else 0)
        suppressed = result.suppressed
        total_row = True
        total_column = len(columns) > 1
        values = result.rows if total_column else [row[:-1] for row in result.rows]
        labels.append(TOTAL)
        if total_column:
            columns.append(TOTAL)
    if indicator.chart == "bars":
        if table.rate:
            series = [len(columns) - 1]
        elif total_column:
            series = [len(columns) - 1]
        else:
            series = [0]
    else:
        series = list(range(len(columns) - (1 if total_column else 0)))
    return {
        "key": indicator.key,
        "title": indicator.title,
        "definition": indicator.definition,
        "unit": "%" if table.rate else indicator.unit,
        "row_header": table.row_header,
        "columns": columns,
        "rows": [{"label": label, "values": row} for label, row in zip(labels, values, strict=True)],
        "total_row": total_row,
        "total_column": total_column,
        "threshold": limit if indicator.people else None,
        "suppressed": suppressed,
        "chart": {"kind": indicator.chart, "series": series, "percent": table.rate},
        "licence": LICENCE,
    }


def compute(indicator: Indicator, *, now: datetime.datetime | None = None) -> dict:
    now = now or timezone.now()
    return publish(indicator, indicator.compute(timezone.localdate(now)), threshold())


def refresh(*, now: datetime.datetime | None = None) -> list[Snapshot]:
    """Compute every indicator and replace its snapshot, in one transaction (the pages never see half a refresh)."""
    now = now or timezone.now()
    with transaction.atomic():
        return [
            Snapshot.objects.update_or_create(
                key=snapshot_key(indicator.key), defaults={"computed_at": now, "payload": compute(indicator, now=now)}
            )[0]
            for indicator in INDICATORS
        ]


def _midnight(now: datetime.datetime) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(timezone.localdate(now), datetime.time.min))


def claim_today(now: datetime.datetime | None = None) -> bool:
    """Whether this caller is the first to claim today's computation (a conditional UPDATE: one winner among the
    workers)."""
    now = now or timezone.now()
    epoch = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
    Snapshot.objects.get_or_create(key=CLAIM_KEY, defaults={"computed_at": epoch, "payload": {}})
    return bool(Snapshot.objects.filter(key=CLAIM_KEY, computed_at__lt=_midnight(now)).update(computed_at=now))


def daily(now: datetime.datetime | None = None) -> bool:
    """The worker's hook: refresh the statistics once a day (returns whether this call did it)."""
    now = now or timezone.now()
    if not claim_today(now):
        return False
    refresh(now=now)
    return True


def _ensure(snapshots: dict[str, Snapshot]) -> dict[str, Snapshot]:
    if len(snapshots) < len(INDICATORS):
        # No snapshot yet (a new site, or a new indicator): compute them all once; later reads find them.
        snapshots = {snapshot.key: snapshot for snapshot in refresh()}
    return snapshots


def published_all() -> list[Snapshot]:
    """Every indicator's snapshot, in the indicators' order (one query)."""
    keys = [snapshot_key(indicator.key) for indicator in INDICATORS]
    snapshots = _ensure({snapshot.key: snapshot for snapshot in Snapshot.objects.filter(key__in=keys)})
    return [snapshots[key] for key in keys]


def published(key: str) -> Snapshot | None:
    """The snapshot of one indicator (None for an unknown key; one query)."""
    if key not in BY_KEY:
        return None
    snapshot = Snapshot.objects.filter(key=snapshot_key(key)).first()
    if snapshot is None:
        snapshot = {s.key: s for s in refresh()}[snapshot_key(key)]
    return snapshot
