"""What the guichet's use cases share: the request's link and journal visibility, a moment as the e-mails write it,
who on the requester's side is e-mailed."""

import datetime

from django.conf import settings
from django.urls import reverse

from incubateur.core.models import Visibility
from incubateur.core.text import datetime_fr
from incubateur.guichet import workdays
from incubateur.guichet.mail import tokens
from incubateur.guichet.models import Ticket
from incubateur.registry.models import Member


def ticket_link(ticket: Ticket) -> str:
    return settings.BASE_URL + reverse("guichet:ticket", args=[ticket.reference])


def thread_headers(ticket: Ticket):
    """`headers_for` of every notification e-mail about `ticket`: one thread per request in mail clients
    (`In-Reply-To`/`References`), and a `Reply-To` with a signed token per recipient (the guichet by e-mail)."""
    return tokens.thread_headers(ticket)


def visibility(ticket: Ticket) -> Visibility:
    return Visibility.CONFIDENTIAL if ticket.confidential else Visibility.INTERNAL


def local_time(moment: datetime.datetime) -> str:
    """« 1er mai 2026 à 14:05 », Paris time: the site's one format for a moment (`core.text.datetime_fr`)."""
    return datetime_fr(moment.astimezone(workdays.PARIS))


def requester_emails(ticket: Ticket, *, exclude=None) -> list[str]:
    """The requester, and for a request owned by a team, the team's active members."""
    emails = [ticket.requester.email]
    if ticket.team_owned and ticket.product_id:
        emails += [
            m.user.email
            for m in Member.objects.of_product(ticket.product).filter(user__isnull=False).select_related("user")
        ]
    if exclude is not None:
        emails = [e for e in emails if e.lower() != exclude.email.lower()]
    return list(dict.fromkeys(emails))
