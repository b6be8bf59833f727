"""The public journal (#17): the Incubator's own actions, as recorded at write time.

A row reaches `/journal/`, its Atom feed and `/api/v1/journal` only if both hold:
- it was written PUBLIC (`JournalEntry.visibility`, decided by the writing service, never changed after);
- its `action` is in `ALLOWED`, the explicit allow-list below. Each entry says which keys of `data` may be shown;
  every other key is dropped. The message is shown as written: each allowed writer was read, its message names only
  public facts (a call's title and laureates, a post's title and owner, who holds which position or portfolio in the
  public organisation chart), never an e-mail address or a request's content; `tests/transparency/
  test_journal_leaks.py` walks every `journal.record(` call of the code base to keep it so.

Not in the list, on purpose: the registry's rows (except the committee events, the public trace of a comité
d'investissement held): a member's or a product's fiche, missions, phases, events, the
sync with beta.gouv.fr. They are public data, but the teams' and the members' facts, not the Incubator's actions;
they are read on the fiches themselves. Offers of help are INTERNAL rows (they name the team): the journal shows
only their counts per month, from the "consentement" commitment's snapshot.
"""

import datetime
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone

from incubateur.core import journal
from incubateur.core.models import JournalEntry, Visibility
from incubateur.core.text import MONTHS, date_fr
from incubateur.organisation.models import Pole, Portfolio
from incubateur.programmes.models import Call
from incubateur.recruitment.models import JobPost
from incubateur.registry.enums import EventName


@dataclass(frozen=True)
class Publishable:
    kind: str
    fields: tuple[str, ...] = ()
    when: tuple[tuple[str, str], ...] = ()  # (data key, value): only the rows whose data match


KINDS = {
    "programmes": "Programmes : appels, décisions et résultats",
    "comites": "Comités d'investissement",
    "organisation": "Organisation et portefeuilles",
    "recrutement": "Recrutement",
    "engagements": "Engagements",
}

# action → what of it is publishable. Only PUBLIC writers belong here (the leak test checks it).
ALLOWED: dict[str, Publishable] = {
    "programmes.call_opened": Publishable("programmes", ("call",)),
    "programmes.results_published": Publishable("programmes", ("laureates", "total")),
    "programmes.laureate_published": Publishable("programmes", ("call", "amount")),
    # A comité d'investissement held: its public trace is the committee event on the product's history
    # (`portfolios.committee_record`), the committee row itself being INTERNAL.
    "registry.event_added": Publishable("comites", ("ghid", "date"), when=(("event", EventName.COMMITTEE),)),
    "organisation.position_started": Publishable("organisation", ("pole", "title")),
    "organisation.position_ended": Publishable("organisation", ("pole", "title")),
    "organisation.portfolio_manager": Publishable("organisation"),
    "recruitment.published": Publishable("recrutement"),
    "recruitment.closed": Publishable("recrutement", ("status",)),
    "transparency.commitments_published": Publishable("engagements", ("month",)),
}

PARIS = ZoneInfo("Europe/Paris")
PAGE_SIZE = 50

# A person without a name is rendered by their e-mail address (`User.__str__`): the organisation's rows may then hold
# one. Never published: masked, whatever the writer.
EMAIL = re.compile(r"[^\s@<>«»()]+@[^\s@<>«»()]+\.[^\s@<>«»()]+")
MASKED = "(nom non renseigné)"


def published() -> QuerySet[JournalEntry]:
    """Every row of the public journal, newest first."""
    allowed = Q()
    for action, rule in ALLOWED.items():
        allowed |= Q(action=action, **{f"data__{key}": value for key, value in rule.when})
    return JournalEntry.objects.filter(allowed, visibility=Visibility.PUBLIC).order_by("-at", "-pk")


def _month_bounds(month: str) -> tuple[datetime.datetime, datetime.datetime]:
    """`YYYY-MM` → its first instant and the next month's, in Paris time. ValueError when malformed."""
    year, number = (int(part) for part in month.split("-", 1))
    if not (2000 <= year <= 2100 and len(month) == 7):
        raise ValueError(month)
    start = datetime.datetime(year, number, 1, tzinfo=PARIS)
    end = datetime.datetime(year + number // 12, number % 12 + 1, 1, tzinfo=PARIS)
    return start, end


def parse_month(month: str | None) -> str | None:
    if not month:
        return None
    try:
        _month_bounds(month)
    except ValueError:
        return None
    return month


def filtered(*, pole: str | None = None, kind: str | None = None, month: str | None = None) -> QuerySet[JournalEntry]:
    """The public journal filtered by pole (its slug), kind (a key of KINDS) and month (`YYYY-MM`). Unknown
    values filter nothing out but are ignored by the callers' forms. One query, whatever the filters."""
    rows = published()
    if kind:
        rows = rows.filter(action__in=[action for action, rule in ALLOWED.items() if rule.kind == kind])
    if month := parse_month(month):
        start, end = _month_bounds(month)
        rows = rows.filter(at__gte=start, at__lt=end)
    if pole:
        # The rows' `object_id` is text: the subqueries give the ids as text too.
        as_text = Cast("pk", output_field=CharField())
        posts = JobPost.objects.filter(pole__slug=pole).annotate(key=as_text).values("key")
        portfolios = Portfolio.objects.filter(positions__pole__slug=pole).annotate(key=as_text).values("key")
        rows = rows.filter(
            Q(action__startswith="organisation.position_", data__pole=pole)
            | Q(action__startswith="recruitment.", object_id__in=posts)
            | Q(action="organisation.portfolio_manager", object_id__in=portfolios)
        )
    return rows


def poles() -> list[tuple[str, str]]:
    return list(Pole.objects.order_by("order", "name").values_list("slug", "name"))


def months(now: datetime.datetime | None = None, count: int = 12) -> list[tuple[str, str]]:
    """The last `count` months, newest first, as (`YYYY-MM`, "novembre 2026")."""
    today = timezone.localtime(now or timezone.now(), PARIS).date()
    year, month = today.year, today.month
    found = []
    for _ in range(count):
        found.append((f"{year:04d}-{month:02d}", f"{MONTHS[month - 1]} {year}"))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return found


def link(entry: JournalEntry) -> str | None:
    """The public page of the row's object, if it has one (no query: from the action and the stored ids)."""
    action = entry.action
    if action == "programmes.results_published" and entry.object_id:
        return reverse("programmes:results", args=[entry.object_id])
    if action == "programmes.call_opened" and entry.data.get("call"):
        return reverse("programmes:call", args=[entry.data["call"]])
    if action == "programmes.laureate_published" and entry.data.get("call"):
        return reverse("programmes:results", args=[entry.data["call"]])
    if action == "registry.event_added" and entry.data.get("ghid"):
        return reverse("registry:product_detail", args=[entry.data["ghid"]])
    if action == "recruitment.published" and entry.object_id:
        return reverse("recruitment:detail", args=[entry.object_id])
    if action.startswith("organisation."):
        return reverse("organisation:who_does_what")
    if action == "transparency.commitments_published":
        return reverse("transparency:commitments")
    return None


def present(entry: JournalEntry) -> dict:
    """What the journal publishes of one row: nothing else (no author, no other data key)."""
    rule = ALLOWED[entry.action]
    return {
        "at": entry.at,
        "action": entry.action,
        "kind": rule.kind,
        "kind_label": KINDS[rule.kind],
        "message": EMAIL.sub(MASKED, entry.message),
        "url": link(entry),
        "data": {key: entry.data[key] for key in rule.fields if key in entry.data},
    }


def record_opened_calls(now: datetime.datetime | None = None) -> int:
    """Housekeeping hook: a call opens by the clock, not by a write, so its public row (`programmes.call_opened`) is
    written by the first beat after its opening, once per call (the call's row is locked while checking). Only calls
    open now: a call that closed before this existed is not announced late. Returns the rows written."""
    now = now or timezone.now()
    done = {
        int(pk)
        for pk in JournalEntry.objects.filter(action="programmes.call_opened").values_list("data__call", flat=True)
    }
    written = 0
    for pk in Call.objects.open(now).filter(historical=False).exclude(pk__in=done).values_list("pk", flat=True):
        with transaction.atomic():
            call = Call.objects.select_for_update().select_related("programme").get(pk=pk)
            if JournalEntry.objects.filter(action="programmes.call_opened", data__call=call.pk).exists():
                continue
            journal.record(
                actor=None,
                action="programmes.call_opened",
                message=f"Appel « {call.title} » ({call.programme.name}) ouvert aux candidatures jusqu'au "
                f"{date_fr(timezone.localtime(call.closes_at).date())}",
                visibility=Visibility.PUBLIC,
                obj=call,
                data={"call": call.pk},
            )
            written += 1
    return written
