"""Version stamps for caches that any write must make stale at once, in every process.

A stamp lives in the database cache: bumping it is a write in the same transaction as the change, so a
rolled-back change leaves the old stamp and a committed one is seen by every process on its next read.
Cached values are stored under keys that contain the stamp; stale ones simply stop being read.
"""

import uuid
from collections.abc import Callable

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

FRAGMENT_TIMEOUT = 24 * 3600
# Called by `Stamp.bump` with (stamp, new version) BEFORE the new version is written, inside the same transaction
# (core/published.py marks the stamp's files dirty there).
BUMP_LISTENERS: list[Callable[["Stamp", str], None]] = []


def cached_html(key: str, render: Callable[[], tuple[str, ...]]) -> tuple[SafeString, ...]:
    """HTML fragments rendered by `render` once per `key` (a key from `Stamp.key`), then read from the cache.

    Only for our own templates' output, rendered without anything from the request.
    """
    fragments = cache.get(key)
    if fragments is None:
        fragments = tuple(render())
        cache.set(key, fragments, timeout=FRAGMENT_TIMEOUT)
    return tuple(mark_safe(html) for html in fragments)  # our own templates' output


class Stamp:
    def __init__(self, name: str):
        self.name = name
        self.version_key = f"stamp:{name}"

    def version(self) -> str:
        stamp = cache.get(self.version_key)
        if stamp is None:
            cache.add(self.version_key, uuid.uuid4().hex, timeout=None)
            stamp = cache.get(self.version_key)
        return stamp

    def bump(self) -> None:
        version = uuid.uuid4().hex
        # Atomic even outside a transaction: the listeners' on-commit hooks must run after the write, not before.
        with transaction.atomic(savepoint=False):
            for listener in BUMP_LISTENERS:
                listener(self, version)
            cache.set(self.version_key, version, timeout=None)

    def key(self, name: str, *, daily: bool = True) -> str:
        # With `daily`, the date is part of the key: what depends on today's date (running missions, current
        # positions) changes at midnight without any write.
        day = f":{timezone.localdate():%Y%m%d}" if daily else ""
        return f"{self.name}:{name}:{self.version()}{day}"

    def connect(self, *models) -> None:
        """Bump on every save and delete of these models (whoever makes it: services, admin, shell)."""
        from django.db.models.signals import m2m_changed, post_delete, post_save

        def on_save(sender, update_fields=None, **kwargs):
            if update_fields is not None and set(update_fields) <= {"last_login"}:
                return  # a login changes nothing anyone sees
            self.bump()

        def on_delete(sender, **kwargs):
            self.bump()

        def on_m2m(sender, action, **kwargs):
            if action in ("post_add", "post_remove", "post_clear"):
                self.bump()

        self._receivers = (on_save, on_delete, on_m2m)  # keep them alive: signals hold weak references
        for model in models:
            post_save.connect(on_save, sender=model, dispatch_uid=f"stamp-{self.name}-save-{model._meta.label}")
            post_delete.connect(on_delete, sender=model, dispatch_uid=f"stamp-{self.name}-delete-{model._meta.label}")
            # Many-to-many changes made with .add()/.remove()/.set() write no row through save().
            for field in model._meta.local_many_to_many:
                m2m_changed.connect(
                    on_m2m, sender=field.remote_field.through, dispatch_uid=f"stamp-{self.name}-m2m-{field}"
                )


# The public journal's rows (core.models.JournalEntry): its Atom feed is published as a file (transparency/cache.py
# connects it; writers that bypass signals, like `.update()`, bump it themselves).
journal = Stamp("journal")
