"""One version stamp for everything the public sees of the organisation.

Pages and the API cache what they render under the current stamp; any write to the organisation's tables
(services, admin, load) bumps it. The stamp lives in the database cache, so it is written in the same
transaction as the change: a rolled-back change leaves the old stamp, a committed one is seen at once by
every process.
"""

import uuid

from django.core.cache import cache
from django.utils import timezone

VERSION_KEY = "organisation:version"


def version() -> str:
    stamp = cache.get(VERSION_KEY)
    if stamp is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
        stamp = cache.get(VERSION_KEY)
    return stamp


def bump(update_fields=None, **kwargs) -> None:
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # a login changes nothing anyone sees here
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)


def key(name: str) -> str:
    # The date is part of the key: positions start and end on dates, without any write on that day.
    return f"organisation:{name}:{version()}:{timezone.localdate():%Y%m%d}"
