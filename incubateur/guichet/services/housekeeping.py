"""The guichet's housekeeping: reminders before a first answer is due, the pole lead told once it is overdue,
auto-close of resolved requests. The worker runs `tick` every beat (WORKER_HOUSEKEEPING_HOOKS), and so does
`manage.py guichet_tick`."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from incubateur.core import journal, notifications
from incubateur.core.text import quantity
from incubateur.guichet.models import Status, Ticket
from incubateur.guichet.services._shared import local_time, requester_emails, thread_headers, ticket_link, visibility
from incubateur.organisation.models import Department


@dataclass
class TickReport:
    reminded: int = 0
    escalated: int = 0
    closed: int = 0


def tick(*, now: datetime.datetime | None = None) -> TickReport:
    """Remind assignees before a first answer is due, tell the pole lead once it is overdue, close requests
    resolved more than GUICHET_AUTOCLOSE_DAYS ago. Each is done once per request (a conditional UPDATE claims
    it), so any number of workers may run this at any frequency."""
    now = now or timezone.now()
    report = TickReport()
    soon = now + datetime.timedelta(minutes=settings.GUICHET_REMINDER_BEFORE_MINUTES)
    due = Ticket.objects.unanswered().filter(first_response_due__lte=soon, reminder_sent_at__isnull=True)
    for pk in due.values_list("pk", flat=True)[:500]:
        with transaction.atomic():
            if not Ticket.objects.filter(pk=pk, reminder_sent_at__isnull=True).update(reminder_sent_at=now):
                continue
            ticket = Ticket.objects.select_related("assignee").get(pk=pk)
            if ticket.assignee is None:
                continue
            subject = (
                "Une demande confidentielle attend votre réponse"
                if ticket.confidential
                else f"[Guichet] Rappel : première réponse attendue pour la demande {ticket.reference}"
            )
            notifications.notify(
                kind="guichet.reminder",
                confidential=ticket.confidential,
                subject=subject,
                body=(
                    f"Bonjour,\n\n{subject}.\nRéponse attendue avant le {local_time(ticket.first_response_due)}.\n\n"
                    f"{ticket_link(ticket)}\n"
                ),
                emails=[ticket.assignee.email],
                headers_for=thread_headers(ticket),
            )
            report.reminded += 1
    # Overdue: the pole lead hears of it. Never for a confidential request: its existence stays with the people
    # who have access to it.
    late = Ticket.objects.overdue(now).filter(escalated_at__isnull=True, confidential=False)
    for pk in late.values_list("pk", flat=True)[:500]:
        with transaction.atomic():
            if not Ticket.objects.filter(pk=pk, escalated_at__isnull=True).update(escalated_at=now):
                continue
            ticket = Ticket.objects.select_related("assignee", "pole").get(pk=pk)
            lead = _escalation_contact(ticket)
            if lead is None:
                continue
            assignee = ticket.assignee.display_name if ticket.assignee else "personne"
            notifications.notify(
                kind="guichet.overdue",
                subject=f"[Guichet] Demande {ticket.reference} sans réponse dans le délai",
                body=(
                    f"Bonjour,\n\nLa demande {ticket.reference} ({ticket.get_kind_display()}), attribuée à "
                    f"{assignee}, attendait une première réponse avant le "
                    f"{local_time(ticket.first_response_due)}.\n\n{ticket_link(ticket)}\n"
                ),
                emails=[lead.email],
                headers_for=thread_headers(ticket),
            )
            report.escalated += 1
    limit = now - datetime.timedelta(days=settings.GUICHET_AUTOCLOSE_DAYS)
    stale = Ticket.objects.filter(status=Status.RESOLVED, resolved_at__lte=limit)
    for pk in stale.values_list("pk", flat=True)[:500]:
        with transaction.atomic():
            if not Ticket.objects.filter(pk=pk, status=Status.RESOLVED, resolved_at__lte=limit).update(
                status=Status.CLOSED, closed_at=now, version=F("version") + 1
            ):
                continue
            ticket = Ticket.objects.select_related("requester").get(pk=pk)
            journal.record(
                actor=None,
                action="guichet.ticket_autoclosed",
                message=f"Demande {ticket.reference} close automatiquement "
                f"{quantity(settings.GUICHET_AUTOCLOSE_DAYS, 'jour')} après sa résolution",
                visibility=visibility(ticket),
                obj=ticket,
                data={"from": Status.RESOLVED, "to": Status.CLOSED},
            )
            _announce_autoclose(ticket)
            report.closed += 1
    return report


def _announce_autoclose(ticket: Ticket) -> None:
    link = ticket_link(ticket)
    days = quantity(settings.GUICHET_AUTOCLOSE_DAYS, "jour")
    if ticket.confidential:
        subject = "Votre demande confidentielle est close"
        body = (
            f"Bonjour,\n\nVotre demande confidentielle, résolue il y a {days}, "
            f"est maintenant close. Vous pouvez la rouvrir : {link}\n"
        )
    else:
        subject = f"[Guichet] Demande {ticket.reference} close"
        body = (
            f"Bonjour,\n\nLa demande {ticket.reference} « {ticket.subject} », résolue il y a "
            f"{days}, est maintenant close. Vous pouvez la rouvrir : {link}\n"
        )
    notifications.notify(
        kind="guichet.status_changed",
        subject=subject,
        body=body,
        emails=requester_emails(ticket),
        confidential=ticket.confidential,
        headers_for=thread_headers(ticket),
    )


def _escalation_contact(ticket: Ticket):
    """The lead of the request's pole (or, when the assignee leads it, the department's fallback pole's lead)."""
    pole = ticket.pole
    lead = pole.lead if pole is not None else None
    if lead is None or lead == ticket.assignee:
        department = Department.objects.select_related("fallback_pole").first()
        if department and department.fallback_pole:
            lead = department.fallback_pole.lead
    if lead is not None and lead == ticket.assignee:
        return None
    return lead
