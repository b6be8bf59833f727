"""A fixed-window rate limit on the shared cache (the database cache: every process sees the same counts)."""

import time

from django.core.cache import cache
from django.db import transaction


@transaction.atomic  # the database cache swallows a failed write: a locked database must fail here, once
def hit(key: str, *, limit: int, window: int) -> bool:
    """Count one hit on `key`; True while at most `limit` hits happened in the current window."""
    # The window is in the key: `incr` on some backends resets the expiry, the key name does not move.
    cache_key = f"ratelimit:{key}:{int(time.time() // window)}"
    if cache.add(cache_key, 1, timeout=window):
        return True
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add() and incr()
        cache.add(cache_key, 1, timeout=window)
        return True
    # The database cache's incr() writes the new value with the cache's default timeout (5 minutes): without this,
    # a quiet pause would forget the count before the end of a longer window.
    cache.touch(cache_key, timeout=window)
    return count <= limit
