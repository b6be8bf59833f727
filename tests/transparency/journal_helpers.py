"""Builders for the public journal's tests."""

import datetime

from django.db import transaction

from incubateur.core import journal
from incubateur.core.models import JournalEntry, Visibility


def row(action: str, message: str, *, visibility=Visibility.PUBLIC, at=None, obj=None, **data) -> JournalEntry:
    """One journal row as a service would write it (inside a transaction), dated `at` if given."""
    with transaction.atomic():
        entry = journal.record(actor=None, action=action, message=message, visibility=visibility, obj=obj, data=data)
    if at is not None:
        JournalEntry.objects.filter(pk=entry.pk).update(at=at)
        entry.refresh_from_db()
    return entry


def paris(year, month, day, hour=12, minute=0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))
