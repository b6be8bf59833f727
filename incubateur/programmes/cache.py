"""The version stamp of what the public sees of the programmes and their calls, and the next instant it changes by
the clock (see core/stamps.py and core/pagecache.py).

The home page's open calls and /programmes/ are cached whole for anonymous visitors. Two things change them:
- a write to a programme or a call (title, dates, results published, a historical edition imported): every save and
  delete of `Programme` and `Call` bumps `stamp` (apps.py), in the writer's transaction;
- the clock: a call opens at its `opens_at` and closes at its `closes_at`, with no write. `next_change(now)` is the
  first of those instants after `now`; the pages store their entry until then (`pagecache.valid_until`).
"""

import datetime

from django.db.models import Min, Q

from incubateur.core.stamps import Stamp
from incubateur.programmes.models import Call

stamp = Stamp("programmes")


def next_change(now: datetime.datetime) -> datetime.datetime | None:
    """The first instant after `now` at which a call opens or closes (None: no call will). One query."""
    found = Call.objects.aggregate(
        opens=Min("opens_at", filter=Q(opens_at__gt=now)), closes=Min("closes_at", filter=Q(closes_at__gt=now))
    )
    return min(filter(None, found.values()), default=None)
