"""The public statistics (#17): /statistiques/, a page per indicator, its CSV and JSON. Public pages
(login_not_required) that read snapshots only (transparency.statistics): a constant number of queries."""

import csv
import io
import json

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from incubateur.core.pagecache import public_page
from incubateur.core.text import number_fr
from incubateur.transparency import cache, statistics
from incubateur.transparency.charts import chart
from incubateur.transparency.suppression import is_hidden, label


def _snapshot_or_404(key: str):
    snapshot = statistics.published(key)
    if snapshot is None:
        raise Http404
    return snapshot


def _display(value, payload: dict) -> str:
    if value is None:
        return "—"
    if is_hidden(value):
        return label(value, payload["threshold"])
    return number_fr(value)


def _table(payload: dict) -> list[dict]:
    percent_column = len(payload["columns"]) - 1 if payload["chart"].get("percent") else None
    rows = []
    for position, row in enumerate(payload["rows"]):
        cells = []
        for index, value in enumerate(row["values"]):
            text = _display(value, payload)
            if index == percent_column and not is_hidden(value) and value is not None:
                text += " %"
            cells.append({"text": text, "hidden": is_hidden(value)})
        total = payload["total_row"] and position == len(payload["rows"]) - 1
        rows.append({"label": row["label"], "cells": cells, "total": total})
    return rows


@public_page(*cache.STATISTICS_STAMPS)
@login_not_required
@require_safe
def index(request):
    snapshots = statistics.published_all()
    return render(
        request,
        "transparency/statistics.html",
        {
            "indicators": [snapshot.payload for snapshot in snapshots],
            "computed_at": min(snapshot.computed_at for snapshot in snapshots),
            "licence": statistics.LICENCE,
            "licence_url": statistics.LICENCE_URL,
        },
    )


@public_page(*cache.STATISTICS_STAMPS)
@login_not_required
@require_safe
def indicator(request, key: str):
    snapshot = _snapshot_or_404(key)
    payload = snapshot.payload
    return render(
        request,
        "transparency/statistics_indicator.html",
        {
            "payload": payload,
            "computed_at": snapshot.computed_at,
            "chart": chart(payload),
            "table": _table(payload),
            "licence": statistics.LICENCE,
            "licence_url": statistics.LICENCE_URL,
        },
    )


def _filename(key: str, snapshot, extension: str) -> str:
    return f"statistiques-{key}-{timezone.localdate(snapshot.computed_at):%Y-%m-%d}.{extension}"


@login_not_required
@require_safe
def indicator_csv(request, key: str):
    """The table as CSV (UTF-8 with a BOM for spreadsheets; « ; »-free: commas, quoted as needed); the licence and
    the source in a comment-like first rows block."""
    snapshot = _snapshot_or_404(key)
    payload = snapshot.payload
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([payload["row_header"], *payload["columns"]])
    for row in payload["rows"]:
        writer.writerow([row["label"], *(statistics.csv_value(value, payload) for value in row["values"])])
    writer.writerow([])
    writer.writerow([f"# {payload['title']} — {payload['definition']}"])
    writer.writerow([f"# Calculé le {timezone.localtime(snapshot.computed_at).isoformat()}"])
    if payload["threshold"]:
        writer.writerow(
            [
                f"# « < {payload['threshold']} » : moins de {payload['threshold']} ; « s » : masqué pour "
                "qu'une petite valeur ne puisse pas être retrouvée par différence"
            ]
        )
    writer.writerow([f"# {statistics.LICENCE} — {statistics.LICENCE_URL}"])
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(key, snapshot, "csv")}"'
    return response


@login_not_required
@require_safe
def indicator_json(request, key: str):
    snapshot = _snapshot_or_404(key)
    payload = snapshot.payload
    document = {
        "indicateur": payload["key"],
        "titre": payload["title"],
        "definition": payload["definition"],
        "unite": payload["unit"],
        "calcule_le": timezone.localtime(snapshot.computed_at).isoformat(),
        "licence": statistics.LICENCE,
        "licence_url": statistics.LICENCE_URL,
        "seuil_de_secret": payload["threshold"],
        "legende": {"< n": "moins de n", "s": "masqué (secret secondaire)"} if payload["threshold"] else {},
        "colonnes": [payload["row_header"], *payload["columns"]],
        "lignes": [
            {"libelle": row["label"], "valeurs": [statistics.csv_value(value, payload) for value in row["values"]]}
            for row in payload["rows"]
        ],
    }
    response = HttpResponse(
        json.dumps(document, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
    )
    response["Access-Control-Allow-Origin"] = "*"
    return response
