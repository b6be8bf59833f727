"""A fixed-window rate limit on the shared cache (the database cache: every process sees the same counts), and the
client address the limits count by."""

import hashlib
import ipaddress
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction


@transaction.atomic  # the database cache swallows a failed write: a locked database must fail here, once
def hit(key: str, *, limit: int, window: int) -> bool:
    """Count one hit on `key`; True while at most `limit` hits happened in the current window."""
    # The window is in the key: `incr` on some backends resets the expiry, the key name does not move. `key` is
    # hashed: it holds what a client typed (an address of up to 254 characters), and cache keys are at most 250.
    digest = hashlib.sha256(key.encode()).hexdigest()[:40]
    cache_key = f"ratelimit:{digest}:{int(time.time() // window)}"
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


def _ip(value: str | None) -> str | None:
    """`value` as a canonical IP address (a port, `1.2.3.4:5678` or `[::1]:5678`, dropped), or None."""
    value = (value or "").strip()
    if value.startswith("[") and "]" in value:
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The address of the client, for rate limits and the journal.

    `REMOTE_ADDR` (the peer of the web server) unless `settings.TRUSTED_PROXIES` is N > 0: then the site runs behind
    N proxies that each append the address they saw to `X-Forwarded-For`, and the client is the N-th entry from the
    right (entries further left are whatever the client sent: never trusted). A header with fewer entries than that
    did not come through the proxies: `REMOTE_ADDR` then.
    """
    remote = _ip(request.META.get("REMOTE_ADDR"))
    hops = settings.TRUSTED_PROXIES
    if hops <= 0:
        return remote
    forwarded = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < hops:
        return remote
    return _ip(forwarded[-hops]) or remote


def client_bucket(ip: str | None) -> str:
    """What a per-client limit counts by: the IPv4 address, or the IPv6 /64 (one connection gets a whole /64, so
    its addresses are one client); "unknown" without an address."""
    try:
        address = ipaddress.ip_address(ip or "")
    except ValueError:
        return "unknown"
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)
