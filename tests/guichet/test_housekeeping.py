"""The guichet's housekeeping (`services.tick()`, run by every worker at each beat): the reminder before a first
answer is due, the overdue alert to the pole lead, the auto-close of resolved requests. Under a frozen clock:
everything, the organisation included, is created at Monday 7 December 2026, 10:00 in Paris."""

from datetime import datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from freezegun import freeze_time

from incubateur.core.management.commands.db_worker import housekeeping
from incubateur.core.models import JournalEntry, Notification, Visibility, WorkerHeartbeat
from incubateur.guichet import services
from incubateur.guichet.models import Status, Ticket
from incubateur.guichet.workdays import PARIS
from incubateur.organisation.models import Pole
from tests.factories import person
from tests.guichet.factories import fresh, submit
from tests.utils import run_tasks

MONDAY = datetime(2026, 12, 7, 10, 0, tzinfo=PARIS)
DUE = datetime(2026, 12, 8, 10, 0, tzinfo=PARIS)  # one working day later


@pytest.fixture(autouse=True)
def clock():
    """The frozen clock, started before any other fixture of the test (autouse fixtures come first)."""
    # Import the URLconf (and the API's pydantic schemas) with the real date classes: freezegun's FakeDate
    # would be captured in their annotations otherwise.
    reverse("guichet:ticket", args=["G-2222-2222"])
    with freeze_time(MONDAY) as frozen:
        yield frozen


def at(clock, moment):
    clock.move_to(moment)


def sent(kind, to=None):
    rows = Notification.objects.filter(kind=kind).order_by("pk")
    if to is not None:
        rows = rows.filter(recipient=to.email)
    return list(rows)


# --- Reminder before the deadline -----------------------------------------------------------------


def test_the_assignee_is_reminded_before_the_first_answer_is_due_once(cast, clock, settings, mailoutbox):
    ticket = submit(cast)
    assert ticket.first_response_due == DUE
    reminder_at = DUE - timedelta(minutes=settings.GUICHET_REMINDER_BEFORE_MINUTES)  # Tuesday 8:00

    at(clock, reminder_at - timedelta(minutes=1))
    assert services.tick().reminded == 0
    assert sent("guichet.reminder") == []

    at(clock, reminder_at)
    assert services.tick().reminded == 1
    at(clock, reminder_at + timedelta(minutes=30))
    assert services.tick().reminded == 0
    [reminder] = sent("guichet.reminder")
    assert reminder.recipient == cast.assignee.email

    run_tasks()
    [mail] = [m for m in mailoutbox if "Rappel" in m.subject]
    assert mail.to == [cast.assignee.email]
    assert mail.subject == f"[Guichet] Rappel : première réponse attendue pour la demande {ticket.reference}"
    assert "Réponse attendue avant le 8 décembre 2026 à 10:00." in mail.body
    assert f"/guichet/demandes/{ticket.reference}/" in mail.body


def test_no_reminder_once_answered(cast, clock):
    ticket = submit(cast)
    at(clock, MONDAY + timedelta(hours=1))
    services.ticket_reply(ticket=ticket, author=cast.assignee, body="Je regarde.")
    at(clock, DUE + timedelta(days=1))
    report = services.tick()
    assert (report.reminded, report.escalated) == (0, 0)
    assert Notification.objects.filter(kind__in=["guichet.reminder", "guichet.overdue"]).count() == 0


def test_an_internal_note_does_not_stop_the_reminder(cast, clock):
    ticket = submit(cast)
    services.ticket_reply(ticket=ticket, author=cast.assignee, body="À voir.", internal=True)
    at(clock, DUE - timedelta(minutes=5))
    assert services.tick().reminded == 1


def test_a_reassigned_request_reminds_its_new_assignee(cast, clock):
    ticket = submit(cast)
    at(clock, DUE - timedelta(minutes=30))
    services.tick()
    services.ticket_assign(ticket=fresh(ticket), actor=cast.assignee, assignee=cast.other_staff)
    services.tick()
    assert [n.recipient for n in sent("guichet.reminder")] == [cast.assignee.email, cast.other_staff.email]


def test_a_confidential_request_is_reminded_to_its_recipient_without_content(cast, clock):
    recipient = person("gael.ivoire")
    ticket = submit(cast, kind="mal-etre", product=None, subject="Secret", body="Très secret.", recipient=recipient)
    at(clock, DUE - timedelta(minutes=10))
    assert services.tick().reminded == 1
    [reminder] = sent("guichet.reminder")
    assert reminder.recipient == recipient.email
    assert reminder.subject == "Une demande confidentielle attend votre réponse"
    assert "Secret" not in reminder.body and "Très secret." not in reminder.body
    assert f"/guichet/demandes/{ticket.reference}/" in reminder.body


# --- Overdue: the pole lead -----------------------------------------------------------------------


def test_the_pole_lead_hears_of_an_overdue_request_once(cast, clock, mailoutbox):
    acceleration = Pole.objects.get(slug="acceleration")
    acceleration.guichet_assignee = person("antoine.rivage")
    acceleration.save()
    ticket = submit(cast, kind="soutien-dinum", topic="gamma")
    assert (ticket.assignee, ticket.pole) == (person("antoine.rivage"), acceleration)

    at(clock, DUE)
    assert services.tick().escalated == 0  # due, not yet late
    at(clock, DUE + timedelta(minutes=1))
    assert services.tick().escalated == 1
    at(clock, DUE + timedelta(days=3))
    assert services.tick().escalated == 0
    [alert] = sent("guichet.overdue")
    assert alert.recipient == person("pierre.boussole").email  # the lead of the Pôle Accélération
    assert Ticket.objects.overdue().get() == fresh(ticket)

    run_tasks()
    [mail] = [m for m in mailoutbox if m.subject.startswith("[Guichet] Demande")]
    assert mail.subject == f"[Guichet] Demande {ticket.reference} sans réponse dans le délai"
    assert "attribuée à Antoine Rivage, attendait une première réponse avant le 8 décembre 2026 à 10:00" in mail.body


def test_a_pole_without_lead_or_led_by_the_assignee_escalates_to_the_direction(cast, clock):
    # Pierre Boussole holds the Justice portfolio in the Pôle Partenariats, which has no lead.
    ticket = submit(cast)
    assert ticket.pole.slug == "partenariats"
    # Pierre Boussole also leads the Pôle Accélération: his own lead is not told of his own delay.
    led = submit(cast, kind="soutien-dinum", topic="acceleration")
    assert (led.assignee, led.pole.slug) == (cast.assignee, "acceleration")
    at(clock, DUE + timedelta(hours=1))
    assert services.tick().escalated == 2
    assert {n.recipient for n in sent("guichet.overdue")} == {person("igor.balise").email}


def test_a_confidential_request_is_never_escalated(cast, clock):
    submit(cast, kind="mal-etre", product=None, subject="Secret", body="Très secret.", recipient=person("gael.ivoire"))
    at(clock, DUE + timedelta(days=5))
    assert services.tick().escalated == 0
    assert sent("guichet.overdue") == []


# --- Auto-close -----------------------------------------------------------------------------------


def test_a_resolved_request_closes_itself_after_14_days(cast, clock, settings, mailoutbox):
    ticket = submit(cast)
    services.ticket_reply(ticket=ticket, author=cast.assignee, body="Voici la réponse.")
    services.ticket_status_set(ticket=fresh(ticket), actor=cast.assignee, status=Status.RESOLVED)
    version = fresh(ticket).version

    at(clock, MONDAY + timedelta(days=settings.GUICHET_AUTOCLOSE_DAYS) - timedelta(seconds=1))
    assert services.tick().closed == 0
    assert fresh(ticket).status == Status.RESOLVED

    closing = MONDAY + timedelta(days=settings.GUICHET_AUTOCLOSE_DAYS)
    at(clock, closing)
    assert services.tick().closed == 1
    ticket = fresh(ticket)
    assert (ticket.status, ticket.closed_at, ticket.version) == (Status.CLOSED, closing, version + 1)
    entry = JournalEntry.objects.about(ticket).get(action="guichet.ticket_autoclosed")
    assert entry.actor is None
    assert entry.visibility == Visibility.INTERNAL
    assert entry.message == f"Demande {ticket.reference} close automatiquement 14 jours après sa résolution"
    assert services.tick().closed == 0

    run_tasks()
    [mail] = [m for m in mailoutbox if m.to == [cast.requester.email] and m.subject.endswith("close")]
    assert mail.subject == f"[Guichet] Demande {ticket.reference} close"
    assert "Vous pouvez la rouvrir" in mail.body
    # Closed, the requester can still reopen it.
    services.ticket_status_set(ticket=ticket, actor=cast.requester, status=Status.IN_PROGRESS)
    assert fresh(ticket).status == Status.IN_PROGRESS


def test_a_reopened_request_is_not_closed(cast, clock):
    ticket = submit(cast)
    services.ticket_status_set(ticket=ticket, actor=cast.assignee, status=Status.RESOLVED)
    at(clock, MONDAY + timedelta(days=2))
    services.ticket_status_set(ticket=fresh(ticket), actor=cast.requester, status=Status.IN_PROGRESS)
    at(clock, MONDAY + timedelta(days=20))
    assert services.tick().closed == 0
    assert fresh(ticket).status == Status.IN_PROGRESS
    # Resolved again: the 14 days count from the new resolution.
    services.ticket_status_set(ticket=fresh(ticket), actor=cast.assignee, status=Status.RESOLVED)
    at(clock, MONDAY + timedelta(days=33, hours=23))
    assert services.tick().closed == 0
    at(clock, MONDAY + timedelta(days=34))
    assert services.tick().closed == 1


def test_a_confidential_request_closes_itself_with_a_confidential_row_and_no_content(cast, clock):
    recipient = person("gael.ivoire")
    ticket = submit(cast, kind="mal-etre", product=None, subject="Secret", body="Très secret.", recipient=recipient)
    services.ticket_status_set(ticket=ticket, actor=recipient, status=Status.RESOLVED)
    at(clock, MONDAY + timedelta(days=15))
    assert services.tick().closed == 1
    entry = JournalEntry.objects.about(ticket).get(action="guichet.ticket_autoclosed")
    assert entry.visibility == Visibility.CONFIDENTIAL
    [told] = Notification.objects.filter(
        kind="guichet.status_changed", recipient=cast.requester.email, subject__endswith="est close"
    )
    assert told.subject == "Votre demande confidentielle est close"
    assert "Secret" not in told.body and "Très secret." not in told.body


# --- Idempotent, whatever the number of runs ------------------------------------------------------


def test_running_tick_twice_sends_nothing_twice(cast, clock):
    to_remind = submit(cast)
    at(clock, MONDAY + timedelta(hours=1))
    late = submit(cast)  # due Tuesday 11:00
    to_close = submit(cast, kind="communaute")
    services.ticket_reply(ticket=to_close, author=cast.other_staff, body="Merci !")
    services.ticket_status_set(ticket=fresh(to_close), actor=cast.other_staff, status=Status.RESOLVED)
    services.ticket_reply(ticket=to_remind, author=cast.assignee, body="Tout de suite.")  # answered after all

    at(clock, MONDAY + timedelta(days=15))
    first = services.tick()
    second = services.tick()
    assert (first.reminded, first.escalated, first.closed) == (1, 1, 1)
    assert (second.reminded, second.escalated, second.closed) == (0, 0, 0)
    assert [n.recipient for n in sent("guichet.reminder")] == [cast.assignee.email]  # for `late` only
    assert [n.recipient for n in sent("guichet.overdue")] == [person("igor.balise").email]
    assert fresh(late).escalated_at is not None
    assert fresh(to_close).status == Status.CLOSED


# --- The worker runs it ---------------------------------------------------------------------------


def test_the_workers_housekeeping_runs_the_guichets_tick(cast, clock, settings):
    assert "incubateur.guichet.services.housekeeping.tick" in settings.WORKER_HOUSEKEEPING_HOOKS
    ticket = submit(cast)
    at(clock, DUE - timedelta(minutes=1))
    housekeeping("w1")
    assert WorkerHeartbeat.objects.get(worker_id="w1").beat_at == DUE - timedelta(minutes=1)
    [reminder] = sent("guichet.reminder")
    assert reminder.recipient == cast.assignee.email
    assert fresh(ticket).reminder_sent_at is not None
    housekeeping("w1")
    assert len(sent("guichet.reminder")) == 1


def test_the_guichet_tick_command_reports_what_it_did(cast, clock):
    submit(cast)
    at(clock, DUE + timedelta(minutes=1))
    out = StringIO()
    call_command("guichet_tick", stdout=out)
    assert out.getvalue().strip() == "1 rappel, 1 alerte de retard, 0 demande close."
