"""A call opens by the clock: the public journal says so once, through the worker's beat (#17)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from incubateur.core.models import JournalEntry
from incubateur.transparency import journal as public_journal
from tests.programmes.factories import fast_call

pytestmark = pytest.mark.django_db


def test_an_open_call_is_announced_once_and_linked(client):
    now = timezone.now()
    call = fast_call(title="FAST 21")
    fast_call(title="Pas encore", number=22, opens_at=now + datetime.timedelta(days=3))
    fast_call(
        title="Déjà clos",
        number=17,
        opens_at=now - datetime.timedelta(days=90),
        closes_at=now - datetime.timedelta(days=1),
    )

    assert public_journal.record_opened_calls(now) == 1
    assert public_journal.record_opened_calls(now) == 0  # once
    [row] = JournalEntry.objects.filter(action="programmes.call_opened")
    assert "FAST 21" in row.message and row.data == {"call": call.pk}

    page = client.get(reverse("transparency:journal")).content.decode()
    assert "Appel « FAST 21 »" in page and reverse("programmes:call", args=[call.pk]) in page
    assert "Pas encore" not in page and "Déjà clos" not in page
