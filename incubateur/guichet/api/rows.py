"""`GET /api/v1/requests` at scale: keyset pages and a serialiser that does per row only what is the row's own.

The list is the API's hot path for staff (pages of 100 over every request). What it guarantees:

- pages follow the list's order (newest first: `-created_at`, `-pk`) from an opaque, signed cursor (`after`), along
  the `guichet_ticket_newest` index: the 4,000th page costs what the first does (no OFFSET);
- `count` is bounded: the rows are counted up to COUNT_CAP + 1 (a LIMITed subquery); above it, `count` is
  COUNT_CAP and `count_capped` is true;
- the rows are read as tuples of the columns `RequestOut` shows (no model instances), each person is rendered once
  per page, and the answer is written with orjson, without django-ninja's response validation: the output is the
  project's own. tests/guichet/test_api_requests_keyset.py checks it equals what `RequestList` renders.
"""

import datetime

import orjson
from django.core import signing
from django.utils import timezone

from incubateur.guichet.models import TicketQuerySet
from incubateur.guichet.selectors.desk import keyset_q

COUNT_CAP = 1000
CURSOR_SALT = "incubateur.guichet.api.requests.after"

# The columns of a row, in the order `row_json` reads them.
PERSON = ("pk", "username", "first_name", "last_name", "email")
COLUMNS = (
    "pk",
    "reference",
    "kind",
    "topic",
    "subject",
    "status",
    "confidential",
    "product__ghid",
    "ministry",
    "routing_reason",
    "first_response_due",
    "first_response_at",
    "created_at",
    "updated_at",
    "version",
    *(f"requester__{field}" for field in PERSON),
    *(f"assignee__{field}" for field in PERSON),
)


def encode_after(created_at: datetime.datetime, pk: int) -> str:
    return signing.dumps([created_at.isoformat(), pk], salt=CURSOR_SALT)


def decode_after(value: str) -> tuple[datetime.datetime, int] | None:
    """The position an `after` cursor names, or None when it is broken or forged (the endpoint answers a 400)."""
    if len(value) > 300:
        return None
    try:
        moment, pk = signing.loads(value, salt=CURSOR_SALT)
        moment = datetime.datetime.fromisoformat(moment)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(pk, int) or timezone.is_naive(moment):
        return None
    return moment, pk


def bounded_count(tickets: TicketQuerySet) -> tuple[int, bool]:
    """(count, capped): at most COUNT_CAP + 1 rows are read, whatever the volume."""
    count = tickets.order_by().values("pk")[: COUNT_CAP + 1].count()
    return min(count, COUNT_CAP), count > COUNT_CAP


def page_rows(tickets: TicketQuerySet, *, after: tuple[datetime.datetime, int] | None, offset: int, limit: int):
    """One page of tuples (COLUMNS) in the list's order, and whether more rows follow (one query)."""
    if after is not None:
        moment, pk = after
        tickets = tickets.filter(keyset_q("created_at", moment=moment, pk=pk, greater=False))
    rows = list(tickets.order_by("-created_at", "-pk").values_list(*COLUMNS)[offset : offset + limit + 1])
    return rows[:limit], len(rows) > limit


def _person(values: tuple, people: dict) -> dict | None:
    pk, username, first_name, last_name, email = values
    if pk is None:
        return None
    person = people.get(pk)
    if person is None:  # `PersonOut`: the full name, else the username, else the address
        fullname = f"{first_name} {last_name}".strip() or username or email
        person = people[pk] = {"username": username or None, "fullname": fullname}
    return person


def rows_json(rows: list[tuple], *, count: int, capped: bool, next_url: str | None) -> bytes:
    """The answer of the list, as `RequestList` describes it.

    Its moments are what `core.api.when` writes (ISO 8601, Paris time, with the offset), the current time zone
    read once per page: `timezone.localtime` looks it up on every call (an asgiref `Local` read each time), 400
    times a page of 100."""
    zone = timezone.get_current_timezone()

    def when(moment: datetime.datetime | None) -> str | None:
        return moment.astimezone(zone).isoformat() if moment is not None else None

    people: dict[int, dict] = {}
    items = []
    for row in rows:
        (
            _pk,
            reference,
            kind,
            topic,
            subject,
            status,
            confidential,
            ghid,
            ministry,
            routing_reason,
            due,
            answered,
            created,
            updated,
            version,
        ) = row[:15]
        items.append(
            {
                "reference": reference,
                "kind": kind,
                "topic": topic,
                "subject": subject,
                "status": status,
                "confidential": confidential,
                "startup": ghid,
                "ministry": ministry,
                "requester": _person(row[15:20], people),
                "assignee": _person(row[20:25], people),
                "routing_reason": routing_reason,
                "first_response_due": when(due),
                "first_response_at": when(answered),
                "created_at": when(created),
                "updated_at": when(updated),
                "version": version,
            }
        )
    return orjson.dumps({"items": items, "count": count, "count_capped": capped, "next": next_url})
