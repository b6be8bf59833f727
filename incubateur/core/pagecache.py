"""Whole-response cache for public pages seen anonymously.

A view opts in with `@public_page(stamp, …)`. For a GET/HEAD with no session and no flash message, the
middleware answers from the cache before sessions, authentication, CSRF and the view run. The key holds the
path and query, the versions of the given stamps (any write to their data makes the entry stale at once), the
day (dates shown change at midnight) and the process (a deployment restarts processes: templates may have
changed). Only a 200 without cookies is stored.

What changes by the clock alone, without a write that moves a stamp (a call opens or closes at its minute), is
bounded by the view: `valid_until(response, moment)` stores the entry with that instant (the next time what the page
shows changes by itself), and a hit at or after it is a miss (the view renders again).
"""

import functools
import math
import threading
import uuid
from collections import OrderedDict

from django.conf import settings
from django.core.cache import cache
from django.core.signals import setting_changed
from django.db import DatabaseError
from django.dispatch import receiver
from django.http import HttpResponse
from django.urls import Resolver404, resolve
from django.utils import timezone

from incubateur.core.stamps import Stamp

PROCESS = uuid.uuid4().hex[:12]
TIMEOUT = 3600
_SKIPPED_HEADERS = {"set-cookie", "content-length"}


class _LocalPages:
    """The most recent entries, kept in this process too: a hit then reads only the stamps from the database.

    Safe because the key holds the stamps' versions: a stale entry is never looked up again.
    """

    def __init__(self, size: int = 256):
        self.size = size
        self.entries: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            entry = self.entries.get(key)
            if entry is not None:
                self.entries.move_to_end(key)
            return entry

    def set(self, key, entry) -> None:
        with self.lock:
            self.entries[key] = entry
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)


_local = _LocalPages()


def valid_until(response, moment):
    """Say that `response` is true only before `moment` (an aware datetime; None: no such limit), and return it.

    For pages whose content changes by the clock without any write: the view computes the next such instant from the
    data it read, at the same `now`. The cache never serves the page at or after `moment`."""
    response.public_page_until = moment
    return response


def _expired(entry) -> bool:
    until = entry[3]
    return until is not None and timezone.now() >= until


def public_page(*stamps: Stamp):
    def decorator(view):
        view.public_page_stamps = stamps
        return view

    return decorator


@functools.lru_cache(maxsize=1024)
def _stamps_of_path(path_info: str):
    """The stamps of the view at this path, None when it is not a public page (bounded: any path may come)."""
    try:
        match = resolve(path_info)
    except Resolver404:
        return None
    return getattr(match.func, "public_page_stamps", None)


def _stamps_of(request):
    return _stamps_of_path(request.path_info)


@receiver(setting_changed)
def _urls_changed(*, setting, **kwargs) -> None:
    if setting == "ROOT_URLCONF":
        _stamps_of_path.cache_clear()


def _versions(stamps) -> str:
    """The stamps' versions, read in one query."""
    found = cache.get_many([stamp.version_key for stamp in stamps]) if stamps else {}
    return ":".join(found.get(stamp.version_key) or stamp.version() for stamp in stamps)


def _key(request, stamps) -> str:
    versions = _versions(stamps)
    return f"page:{PROCESS}:{timezone.localdate():%Y%m%d}:{versions}:{request.get_host()}:{request.get_full_path()}"


class PublicPageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            not settings.PUBLIC_PAGE_CACHE
            or request.method not in ("GET", "HEAD")
            or settings.SESSION_COOKIE_NAME in request.COOKIES
            or "messages" in request.COOKIES
        ):
            return self.get_response(request)
        stamps = _stamps_of(request)
        if stamps is None:
            return self.get_response(request)
        try:
            key = _key(request, stamps)
            stored = _local.get(key)
            if stored is None:
                stored = cache.get(key)
                if stored is not None:
                    _local.set(key, stored)
            if stored is not None and _expired(stored):
                stored = None  # past the instant the view gave: render it again (and store it over this one)
        except DatabaseError:
            # The database cache is unreachable or locked: the request goes on without the cache, and the
            # DatabaseUnavailable middleware answers 503 if the view needs the database too.
            return self.get_response(request)
        if stored is not None:
            status, headers, body, _until = stored
            response = HttpResponse(body, status=status)
            for name, value in headers:
                response[name] = value
            return response
        response = self.get_response(request)
        user = getattr(request, "user", None)
        until = getattr(response, "public_page_until", None)
        now = timezone.now()
        if (
            response.status_code == 200
            and (until is None or until > now)
            and not response.cookies
            # A page with a CSRF token holds a form to post: its token belongs to this visitor.
            and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
            and "CSRF_COOKIE" not in request.META
            # A CSP nonce must differ on every response.
            and "'nonce-" not in response.get("Content-Security-Policy", "")
            and not response.streaming
            and "no-cache" not in response.get("Cache-Control", "")
            and not (user is not None and user.is_authenticated)
        ):
            headers = [(k, v) for k, v in response.items() if k.lower() not in _SKIPPED_HEADERS]
            entry = (response.status_code, headers, response.content, until)
            timeout = TIMEOUT if until is None else min(TIMEOUT, math.ceil((until - now).total_seconds()))
            try:
                cache.set(key, entry, timeout=timeout)
            except DatabaseError:
                return response
            _local.set(key, entry)
        return response
