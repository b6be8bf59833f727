"""On the real beta.gouv.fr sample: the first run of the reminders touches only the members whose last mission
ends (or ended) within the steps' window, never the alumni of years past; a second run sends nothing."""

import datetime
from io import StringIO

from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from incubateur.community.models import Reminder
from incubateur.community.selectors import last_end
from incubateur.community.services import send_reminders
from incubateur.core.models import JournalEntry
from incubateur.registry.models import Member
from tests.community.helpers import animation_user
from tests.utils import SAMPLE


def test_the_first_run_on_the_real_registry_spares_the_alumni(client):
    call_command("import_betagouv", str(SAMPLE), stdout=StringIO())
    today = timezone.localdate()
    report = send_reminders()
    assert send_reminders().total == 0
    assert Reminder.objects.count() == report.total
    window = (today - datetime.timedelta(days=37), today + datetime.timedelta(days=30))
    for reminder in Reminder.objects.select_related("member"):
        assert window[0] <= reminder.end <= window[1]
        assert last_end(reminder.member) == reminder.end
    alumni = [m for m in Member.objects.prefetch_related("missions") if (e := last_end(m)) and e < window[0]]
    assert alumni, "the sample has alumni"
    assert not Reminder.objects.filter(member__in=alumni).exists()
    assert JournalEntry.objects.filter(action="community.teams_left").count() <= report.sent["j+30"]
    client.force_login(animation_user())
    for parcours in ("arrivee", "depart"):
        assert client.get(reverse("community:overview"), {"parcours": parcours}).status_code == 200
