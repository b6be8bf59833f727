"""The worker's periodic chores for the community (WORKER_HOUSEKEEPING_HOOKS), also run by
`manage.py send_reminders`."""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from incubateur.community.services.digests import send_incubator_digests
from incubateur.community.services.reminders import RemindersReport, send_reminders
from incubateur.registry.services.joining import reviews_escalate


@dataclass
class TickReport:
    reminders: RemindersReport
    digests: int
    reviews_escalated: int


def tick(*, now: datetime.datetime | None = None) -> TickReport:
    """Run what is due: reminders before and after the end of missions, monthly summaries, and the escalation of
    reviews (new members and products) left undecided by their incubator. Each is claimed by a unique row or a
    conditional UPDATE, so any number of workers may run this at any frequency."""
    now = now or timezone.now()
    reminders = send_reminders(now=now)
    digests = send_incubator_digests(now=now)
    escalated = reviews_escalate(now=now)
    return TickReport(reminders=reminders, digests=digests, reviews_escalated=escalated)
