"""Write one row of the journal. Every write use case calls `record` inside its own transaction."""

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models

from incubateur.core.models import JournalEntry, Visibility


def record(
    *,
    actor,
    action: str,
    message: str,
    visibility: Visibility | str,
    obj: models.Model | None = None,
    data: dict[str, Any] | None = None,
) -> JournalEntry:
    if not connection.in_atomic_block:
        # The row must commit or roll back with the change it describes.
        raise RuntimeError("journal.record() must be called inside the transaction of the change it records.")
    visibility = Visibility(visibility)
    entry = JournalEntry(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        message=message,
        visibility=visibility,
        data=data or {},
    )
    if obj is not None:
        entry.content_type = ContentType.objects.get_for_model(obj)
        entry.object_id = str(obj.pk)
        entry.object_repr = str(obj)[:300]
    entry.save()
    return entry
