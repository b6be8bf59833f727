"""/journal/ and its Atom feed: the Incubator's public actions (see `transparency.journal`)."""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.views.decorators.http import require_safe

from incubateur.core import published
from incubateur.core.pagecache import public_page
from incubateur.transparency import cache as journal_cache
from incubateur.transparency import commitments
from incubateur.transparency import journal as public_journal


def _absolute(path: str) -> str:
    return settings.BASE_URL.rstrip("/") + path


def _offers_by_month() -> dict | None:
    """The offers of help per month, from the "consentement" snapshot (counts only, never which team)."""
    snapshot = commitments.one("consentement")
    return snapshot.payload["tables"][0] if snapshot else None


@public_page(*journal_cache.JOURNAL_PAGE_STAMPS)
@login_not_required
@require_safe
def journal(request):
    poles = public_journal.poles()
    pole = request.GET.get("pole") if request.GET.get("pole") in {slug for slug, _ in poles} else ""
    kind = request.GET.get("type") if request.GET.get("type") in public_journal.KINDS else ""
    month = public_journal.parse_month(request.GET.get("mois")) or ""
    rows = public_journal.filtered(pole=pole, kind=kind, month=month)
    page = Paginator(rows, public_journal.PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "transparency/journal.html",
        {
            "page_obj": page,
            "entries": [public_journal.present(entry) for entry in page.object_list],
            "poles": poles,
            "kinds": list(public_journal.KINDS.items()),
            "months": public_journal.months(),
            "pole": pole,
            "kind": kind,
            "month": month,
            "filters": bool(pole or kind or month),
            "offers": _offers_by_month(),
        },
    )


@login_not_required
@require_safe
def feed(request):
    """Atom 1.0: the latest 50 rows of the public journal. Published like a file (transparency/cache.py)."""
    return published.serve(request, build=_feed_bytes, path=journal_cache.FEED)


def _feed_bytes() -> bytes:
    url = _absolute(reverse("transparency:journal_feed"))
    atom = Atom1Feed(
        title="Journal public — Incubateur de services numériques",
        link=_absolute(reverse("transparency:journal")),
        description="Les actions de l'Incubateur de services numériques : programmes, organisation, recrutement, "
        "engagements.",
        feed_url=url,
        language="fr",
        feed_guid=url,
    )
    for entry in public_journal.published()[:50]:
        row = public_journal.present(entry)
        atom.add_item(
            title=row["message"],
            link=_absolute(row["url"] or reverse("transparency:journal")),
            unique_id=f"{url}#{entry.pk}",
            description=row["message"],
            pubdate=entry.at,
            categories=[row["kind_label"]],
        )
    return atom.writeString("utf-8").encode()
