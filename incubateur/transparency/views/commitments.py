"""/engagements/: the seed's commitments measured, read from the snapshots (see `transparency.commitments`)."""

import csv
import json

from django.contrib.auth.decorators import login_not_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from incubateur.core.pagecache import public_page
from incubateur.transparency import cache, commitments


@public_page(*cache.STATISTICS_STAMPS)
@login_not_required
@require_safe
def commitments_page(request):
    return render(
        request,
        "transparency/engagements.html",
        {"commitments": commitments.published(), "licence": commitments.LICENCE},
    )


def _found(key: str):
    snapshot = commitments.one(key)
    if snapshot is None:
        raise Http404("Engagement inconnu ou pas encore calculé.")
    return snapshot


@login_not_required
@require_safe
def commitment_csv(request, key: str):
    snapshot = _found(key)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="engagement-{key}.csv"'
    # A plain table (no comment lines, which CSV readers take for data): the licence in a Link header, on the page
    # and in the JSON.
    response["Link"] = f'<{commitments.LICENCE_URL}>; rel="license"'
    writer = csv.writer(response)
    writer.writerows(commitments.csv_rows(snapshot.payload))
    return response


@login_not_required
@require_safe
def commitment_json(request, key: str):
    snapshot = _found(key)
    body = {**snapshot.payload, "computed_at": snapshot.computed_at, "licence": commitments.LICENCE}
    response = HttpResponse(
        json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="engagement-{key}.json"'
    return response
