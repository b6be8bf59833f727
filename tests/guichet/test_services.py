"""The guichet's write use cases (services.py): life cycle, replies and internal notes, reassignment, confidential
requests (participants, reads, journal), idempotency, optimistic locking, requests recorded on someone's behalf,
and offers of help that do nothing until the team consents."""

import json
import threading
import time
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connection, connections, transaction
from django.utils import timezone
from freezegun import freeze_time

from incubateur.core.models import JournalEntry, Notification, Visibility
from incubateur.guichet import perms, services
from incubateur.guichet.models import (
    HANDLER_TRANSITIONS,
    REQUESTER_TRANSITIONS,
    Channel,
    Message,
    Offer,
    OfferStatus,
    Participant,
    Read,
    Status,
    Ticket,
)
from incubateur.guichet.services import NotAllowed, StaleTicket
from incubateur.registry.models import Mission
from tests.factories import UserFactory, person
from tests.guichet.factories import fresh, submit
from tests.registry.factories import team_member

SECRET_SUBJECT = "Harcèlement par mon responsable"
SECRET_BODY = "Depuis trois mois, Dominique me rabaisse en réunion."
SECRET_REPLY = "Je vous propose un appel demain matin."
SECRET_NOTE = "Vu avec la médecine du travail."


def confidential(cast, recipient=None, **kwargs):
    return submit(
        cast,
        kind="mal-etre",
        subject=SECRET_SUBJECT,
        body=SECRET_BODY,
        product=None,
        recipient=recipient or person("gael.ivoire"),
        **kwargs,
    )


def emails_to(address, kind=None):
    rows = Notification.objects.filter(recipient=address, channel="email")
    return rows.filter(kind=kind) if kind else rows


# --- Submission -----------------------------------------------------------------------------------


def test_a_new_request_is_new_routed_and_journaled(cast):
    ticket = submit(cast)
    assert ticket.status == Status.NEW
    assert ticket.version == 1
    assert ticket.channel == Channel.WEB
    assert ticket.replayed is False
    assert ticket.first_response_at is None
    assert ticket.first_response_due > ticket.created_at
    assert ticket.pole.slug == "partenariats"
    assert ticket.portfolio.slug == "justice"
    [entry] = JournalEntry.objects.about(ticket)
    assert entry.action == "guichet.ticket_submitted"
    assert entry.visibility == Visibility.INTERNAL
    assert entry.actor == cast.requester
    assert entry.message == (
        f"Demande {ticket.reference} déposée (J'ai un doute sur mon produit) — attribuée à Pierre Boussole : "
        "portefeuille Justice, ministère Justice, produit Justice pour tous"
    )


@pytest.mark.parametrize(
    "kwargs, field",
    [
        (dict(kind="inconnu"), "kind"),
        (dict(kind="soutien-dinum"), "topic"),
        (dict(kind="soutien-dinum", topic="loterie"), "topic"),
        (dict(topic="gamma"), "topic"),
        (dict(subject="   "), "subject"),
        (dict(subject="x" * 201), "subject"),
        (dict(body=""), "body"),
        (dict(kind="partenariat", ministry="atlantide"), "ministry"),
        (dict(kind="mal-etre", product=None), "recipient"),
        (dict(kind="signalement"), "recipient"),
    ],
)
def test_invalid_submissions_are_refused_with_field_messages(cast, kwargs, field):
    with pytest.raises(ValidationError) as error:
        submit(cast, **kwargs)
    assert field in error.value.message_dict
    assert not Ticket.objects.exists()
    assert not Notification.objects.exists()


def test_a_product_outside_the_requesters_team_is_refused(cast):
    with pytest.raises(ValidationError) as error:
        submit(cast, requester=cast.other_member)
    assert error.value.message_dict["startup"] == ["Vous ne faites pas partie de l'équipe active de ce produit."]


def test_the_chosen_recipient_must_be_active_incubator_staff_and_not_oneself(cast):
    for recipient in (cast.other_member, UserFactory(staff=True, inactive=True)):
        with pytest.raises(ValidationError) as error:
            confidential(cast, recipient=recipient)
        assert error.value.message_dict["recipient"] == [
            "Cette personne ne fait pas partie de l'équipe de l'Incubateur."
        ]
    staff_requester = cast.other_staff
    with pytest.raises(ValidationError) as error:
        confidential(cast, requester=staff_requester, recipient=staff_requester)
    assert error.value.message_dict["recipient"] == ["Choisissez une autre personne que vous-même."]


def test_a_recipient_is_refused_for_a_kind_that_is_routed(cast):
    with pytest.raises(ValidationError) as error:
        submit(cast, recipient=cast.other_staff)
    assert "recipient" in error.value.message_dict


def test_an_inactive_account_cannot_submit(cast):
    cast.requester.is_active = False
    cast.requester.save()
    with pytest.raises(NotAllowed):
        submit(cast)


def test_marking_a_routed_kind_confidential_keeps_its_routing_but_nothing_else(cast):
    ticket = submit(cast, kind="convention-devis-service-fait", confidential=True)
    assert ticket.confidential
    assert ticket.assignee == person("emilie.grenat")
    assert list(ticket.copied.all()) == []  # the portfolio manager is not copied on a confidential request
    assert ticket.pole is None and ticket.portfolio is None
    assert [p.user for p in ticket.participants.all()] == [person("emilie.grenat")]
    assert Ticket.objects.for_user(person("emilie.grenat")).filter(pk=ticket.pk).exists()
    assert not Ticket.objects.for_user(person("pierre.boussole")).filter(pk=ticket.pk).exists()


def test_a_confidential_request_nobody_could_read_is_refused(cast):
    # The routing finds nobody (no rule for the kind): a confidential request would be read by no one.
    from incubateur.guichet.models import RoutingRule

    RoutingRule.objects.filter(kind="autre").delete()
    with pytest.raises(ValidationError) as error:
        submit(cast, kind="autre", confidential=True)
    assert "recipient" in error.value.message_dict
    assert not Ticket.objects.exists()
    # Choosing someone makes it valid.
    ticket = submit(cast, kind="autre", confidential=True, recipient=cast.other_staff)
    assert ticket.assignee == cast.other_staff


# --- Life cycle -----------------------------------------------------------------------------------


def test_the_transitions_of_the_issue():
    assert HANDLER_TRANSITIONS[Status.CLOSED] == ()
    assert Status.IN_PROGRESS in REQUESTER_TRANSITIONS[Status.RESOLVED]
    assert Status.IN_PROGRESS in REQUESTER_TRANSITIONS[Status.CLOSED]
    assert Status.CLOSED not in REQUESTER_TRANSITIONS[Status.RESOLVED]


def test_a_handler_moves_a_request_through_its_life(cast):
    ticket = submit(cast)
    handler = cast.assignee
    for status in (Status.IN_PROGRESS, Status.WAITING, Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED):
        services.ticket_status_set(ticket=ticket, actor=handler, status=status)
        assert fresh(ticket).status == status
    ticket = fresh(ticket)
    assert ticket.version == 6
    assert ticket.resolved_at is not None and ticket.closed_at is not None
    # Closed: the people who handle it can do nothing more with it.
    assert ticket.next_statuses(handler=True, requester=False) == []
    for status in Status.values:
        with pytest.raises(ValidationError):
            services.ticket_status_set(ticket=ticket, actor=handler, status=status)
    actions = list(JournalEntry.objects.about(ticket).order_by("pk").values_list("action", "visibility"))
    assert actions == [("guichet.ticket_submitted", "internal")] + [("guichet.status_changed", "internal")] * 5


def test_any_staff_member_handles_a_normal_request(cast):
    ticket = submit(cast)
    services.ticket_status_set(ticket=ticket, actor=cast.other_staff, status=Status.IN_PROGRESS)
    services.ticket_status_set(ticket=fresh(ticket), actor=cast.admin, status=Status.RESOLVED)
    assert fresh(ticket).status == Status.RESOLVED


def test_the_requester_can_only_say_it_is_settled_or_reopen_it(cast):
    ticket = submit(cast)
    for status in (Status.IN_PROGRESS, Status.WAITING, Status.CLOSED):
        with pytest.raises(ValidationError):
            services.ticket_status_set(ticket=ticket, actor=cast.requester, status=status)
    services.ticket_status_set(ticket=ticket, actor=cast.requester, status=Status.RESOLVED)
    ticket = fresh(ticket)
    assert ticket.can_be_reopened()
    services.ticket_status_set(ticket=ticket, actor=cast.requester, status=Status.IN_PROGRESS)
    ticket = fresh(ticket)
    assert ticket.status == Status.IN_PROGRESS
    assert ticket.resolved_at is None
    entry = JournalEntry.objects.about(ticket).get(action="guichet.ticket_reopened")
    assert entry.message == f"Demande {ticket.reference} rouverte"
    assert entry.data == {"from": "resolu", "to": "pris-en-charge"}


def test_the_requester_reopens_a_closed_request(cast):
    ticket = submit(cast)
    services.ticket_status_set(ticket=ticket, actor=cast.assignee, status=Status.RESOLVED)
    services.ticket_status_set(ticket=fresh(ticket), actor=cast.assignee, status=Status.CLOSED)
    ticket = fresh(ticket)
    assert ticket.can_be_reopened()
    services.ticket_status_set(ticket=ticket, actor=cast.requester, status=Status.IN_PROGRESS)
    ticket = fresh(ticket)
    assert (ticket.status, ticket.closed_at, ticket.resolved_at) == (Status.IN_PROGRESS, None, None)


def test_people_outside_the_request_cannot_change_its_status(cast):
    ticket = submit(cast)
    # The teammate is not on the requester's side of a request they did not make; the other member neither.
    for outsider in (cast.teammate, cast.other_member):
        with pytest.raises(ValidationError):
            services.ticket_status_set(ticket=ticket, actor=outsider, status=Status.RESOLVED)
    assert fresh(ticket).status == Status.NEW


def test_an_unknown_status_is_refused(cast):
    ticket = submit(cast)
    with pytest.raises(ValidationError) as error:
        services.ticket_status_set(ticket=ticket, actor=cast.assignee, status="perdu")
    assert error.value.message_dict["status"] == ["Statut inconnu : « perdu »."]


# --- Replies and internal notes -------------------------------------------------------------------


def test_the_first_handler_reply_is_the_first_response(cast):
    ticket = submit(cast)
    replied_at = timezone.now() + timedelta(hours=2)
    with freeze_time(replied_at):
        services.ticket_reply(ticket=ticket, author=cast.assignee, body="Parlons-en jeudi.")
    ticket = fresh(ticket)
    assert ticket.first_response_at == replied_at
    assert ticket.status == Status.IN_PROGRESS  # a handler's reply takes a new request in hand
    with freeze_time(replied_at + timedelta(hours=5)):
        services.ticket_reply(ticket=ticket, author=cast.other_staff, body="Je complète.")
    assert fresh(ticket).first_response_at == replied_at


def test_neither_a_note_nor_the_requester_counts_as_a_first_response(cast):
    ticket = submit(cast)
    services.ticket_reply(ticket=ticket, author=cast.assignee, body="À voir avec Yasmine.", internal=True)
    services.ticket_reply(ticket=ticket, author=cast.requester, body="Un détail de plus.")
    ticket = fresh(ticket)
    assert ticket.first_response_at is None
    assert ticket.status == Status.NEW


def thread_for(user, ticket):
    """The messages of `ticket` that `user` reads."""
    return Message.objects.filter(ticket=ticket).visible(include_internal=perms.can_write_internal_note(user, ticket))


def test_an_internal_note_is_never_shown_nor_sent_to_the_requester(cast):
    ticket = submit(cast)
    before = emails_to(cast.requester.email).count()
    note = services.ticket_reply(ticket=ticket, author=cast.assignee, body="Produit fragile.", internal=True)
    assert note.internal
    assert emails_to(cast.requester.email).count() == before
    assert not Notification.objects.filter(body__contains="Produit fragile").exists()
    assert list(thread_for(cast.requester, ticket)) == []
    assert list(thread_for(cast.other_staff, ticket)) == [note]
    entry = JournalEntry.objects.about(ticket).get(action="guichet.note_added")
    assert "Produit fragile" not in entry.message


def test_a_reply_is_shown_and_sent_to_the_requester(cast):
    ticket = submit(cast)
    reply = services.ticket_reply(ticket=ticket, author=cast.assignee, body="Parlons-en jeudi.")
    assert list(thread_for(cast.requester, ticket)) == [reply]
    [email] = emails_to(cast.requester.email, "guichet.replied")
    assert "Parlons-en jeudi." in email.body


def test_only_the_people_who_handle_it_write_internal_notes(cast):
    ticket = submit(cast)
    for author in (cast.requester, cast.teammate, cast.other_member):
        with pytest.raises(NotAllowed):
            services.ticket_reply(ticket=ticket, author=author, body="Note ?", internal=True)
    # A staff member who asks is a requester on their own request: no internal note there either.
    own = submit(cast, requester=cast.other_staff, product=None, kind="autre")
    with pytest.raises(NotAllowed):
        services.ticket_reply(ticket=own, author=cast.other_staff, body="Note ?", internal=True)


def test_outsiders_cannot_reply(cast):
    ticket = submit(cast)
    for author in (cast.teammate, cast.other_member):
        with pytest.raises(NotAllowed):
            services.ticket_reply(ticket=ticket, author=author, body="Moi aussi !")
    assert not Message.objects.exists()


def test_a_requesters_reply_to_a_waiting_request_puts_it_back_in_progress(cast):
    ticket = submit(cast)
    services.ticket_reply(ticket=ticket, author=cast.assignee, body="Quel est votre budget ?")
    services.ticket_status_set(ticket=fresh(ticket), actor=cast.assignee, status=Status.WAITING)
    services.ticket_reply(ticket=fresh(ticket), author=cast.requester, body="200 000 €.")
    ticket = fresh(ticket)
    assert ticket.status == Status.IN_PROGRESS
    # The assignee hears of it, with the message (a normal request).
    [email] = emails_to(cast.assignee.email, "guichet.requester_replied")
    assert "200 000 €." in email.body


def test_nobody_replies_to_a_closed_request(cast):
    ticket = submit(cast)
    services.ticket_status_set(ticket=ticket, actor=cast.assignee, status=Status.RESOLVED)
    services.ticket_status_set(ticket=fresh(ticket), actor=cast.assignee, status=Status.CLOSED)
    for author in (cast.assignee, cast.requester):
        with pytest.raises(NotAllowed):
            services.ticket_reply(ticket=fresh(ticket), author=author, body="Encore une chose.")


def test_a_reply_decides_on_the_current_state_not_the_callers_copy(cast):
    ticket = submit(cast)
    stale = fresh(ticket)
    services.ticket_status_set(ticket=ticket, actor=cast.assignee, status=Status.RESOLVED)
    services.ticket_status_set(ticket=fresh(ticket), actor=cast.assignee, status=Status.CLOSED)
    # The caller read the request before it was closed: the reply is still refused.
    with pytest.raises(NotAllowed):
        services.ticket_reply(ticket=stale, author=cast.requester, body="Trop tard ?")


def test_an_empty_reply_is_refused(cast):
    ticket = submit(cast)
    with pytest.raises(ValidationError) as error:
        services.ticket_reply(ticket=ticket, author=cast.assignee, body="  \n ")
    assert error.value.message_dict == {"body": ["Écrivez votre message."]}


# --- Reassignment ---------------------------------------------------------------------------------


def test_reassign_to_a_person_is_journaled_and_the_new_assignee_is_told(cast):
    ticket = submit(cast)
    services.ticket_assign(ticket=ticket, actor=cast.assignee, assignee=cast.other_staff)
    ticket = fresh(ticket)
    assert ticket.assignee == cast.other_staff
    assert ticket.pole.slug == "acceleration"
    assert ticket.routing_reason == "attribuée à Antoine Rivage par Pierre Boussole"
    assert ticket.version == 2
    entry = JournalEntry.objects.about(ticket).get(action="guichet.ticket_assigned")
    assert entry.visibility == Visibility.INTERNAL
    assert entry.message == f"Demande {ticket.reference} réattribuée de Pierre Boussole à Antoine Rivage"
    assert entry.data == {"from": "pierre.boussole", "to": "antoine.rivage"}
    [email] = emails_to(cast.other_staff.email, "guichet.assigned")
    assert ticket.get_absolute_url() in email.body


def test_reassign_to_a_pole_gives_it_to_its_contact(cast):
    from incubateur.organisation.models import Pole

    ticket = submit(cast)
    services.ticket_assign(ticket=ticket, actor=cast.other_staff, pole=Pole.objects.get(slug="animation"))
    ticket = fresh(ticket)
    assert ticket.assignee == person("bastien.d.dolomie")
    assert ticket.pole.slug == "animation"
    assert ticket.routing_reason == "attribuée à Bastien Dolomie : Le Pôle Animation et Expertises, par Antoine Rivage"


def test_taking_a_request_for_oneself_sends_no_email(cast):
    ticket = submit(cast)
    services.ticket_assign(ticket=ticket, actor=cast.other_staff, assignee=cast.other_staff)
    assert not emails_to(cast.other_staff.email, "guichet.assigned").exists()


def test_reassign_is_refused_to_members_and_to_people_outside_the_incubator(cast):
    ticket = submit(cast)
    with pytest.raises(NotAllowed):
        services.ticket_assign(ticket=ticket, actor=cast.requester, assignee=cast.other_staff)
    with pytest.raises(ValidationError):
        services.ticket_assign(ticket=ticket, actor=cast.assignee, assignee=cast.other_member)
    with pytest.raises(ValidationError):
        services.ticket_assign(ticket=ticket, actor=cast.assignee)
    assert fresh(ticket).assignee == cast.assignee


def test_a_confidential_request_is_never_reassigned(cast):
    ticket = confidential(cast)
    with pytest.raises(NotAllowed):
        services.ticket_assign(ticket=ticket, actor=person("gael.ivoire"), assignee=cast.other_staff)
    assert fresh(ticket).assignee == person("gael.ivoire")
    assert not Ticket.objects.for_user(cast.other_staff).filter(pk=ticket.pk).exists()


# --- Confidential requests: participants and reads ------------------------------------------------


def test_the_recipient_adds_a_participant_and_the_requester_is_told_who(cast):
    recipient = person("gael.ivoire")
    ticket = confidential(cast, recipient=recipient)
    assert [p.user for p in ticket.participants.all()] == [recipient]
    helper = person("eva.sorbier")
    assert not Ticket.objects.for_user(helper).filter(pk=ticket.pk).exists()

    services.ticket_participant_add(ticket=ticket, actor=recipient, user=helper)
    assert Ticket.objects.for_user(helper).filter(pk=ticket.pk).exists()
    assert Participant.objects.get(ticket=ticket, user=helper).added_by == recipient
    [told] = emails_to(cast.requester.email, "guichet.participant_added")
    assert "Gaël Ivoire a donné accès à votre demande confidentielle à Eva Sorbier" in told.body
    [invited] = emails_to(helper.email, "guichet.new_confidential")
    assert invited.subject == "Vous avez une nouvelle demande confidentielle"
    entry = JournalEntry.objects.about(ticket).get(action="guichet.participant_added")
    assert entry.visibility == Visibility.CONFIDENTIAL
    # The new participant handles it too (and may add someone else).
    services.ticket_reply(ticket=ticket, author=helper, body="Je suis là aussi.")


def test_only_participants_add_people_and_only_incubator_staff_once(cast):
    recipient = person("gael.ivoire")
    ticket = confidential(cast, recipient=recipient)
    for actor in (cast.requester, cast.other_staff, cast.admin):
        with pytest.raises(NotAllowed):
            services.ticket_participant_add(ticket=ticket, actor=actor, user=person("eva.sorbier"))
    with pytest.raises(ValidationError):
        services.ticket_participant_add(ticket=ticket, actor=recipient, user=cast.other_member)
    with pytest.raises(ValidationError):
        services.ticket_participant_add(ticket=ticket, actor=recipient, user=recipient)
    with pytest.raises(NotAllowed):  # a normal request has no participants to add
        services.ticket_participant_add(ticket=submit(cast), actor=cast.assignee, user=cast.other_staff)
    assert ticket.participants.count() == 1


def test_reads_of_a_confidential_request_are_logged_but_not_the_requesters_own(cast):
    recipient = person("gael.ivoire")
    ticket = confidential(cast, recipient=recipient)
    services.ticket_read(ticket=ticket, user=cast.requester)
    assert not Read.objects.exists()
    services.ticket_read(ticket=ticket, user=recipient)
    services.ticket_read(ticket=ticket, user=recipient)
    assert [r.user for r in Read.objects.filter(ticket=ticket)] == [recipient, recipient]
    # A normal request's reads are not logged.
    normal = submit(cast)
    services.ticket_read(ticket=normal, user=cast.assignee)
    assert not Read.objects.filter(ticket=normal).exists()


def test_the_confidential_journal_holds_no_subject_nor_body_and_is_listed_to_nobody(cast, client):
    recipient = person("gael.ivoire")
    helper = person("eva.sorbier")
    normal = submit(cast)
    ticket = confidential(cast, recipient=recipient)
    services.ticket_read(ticket=ticket, user=recipient)
    services.ticket_reply(ticket=ticket, author=recipient, body=SECRET_REPLY)
    services.ticket_reply(ticket=ticket, author=recipient, body=SECRET_NOTE, internal=True)
    services.ticket_participant_add(ticket=ticket, actor=recipient, user=helper)
    services.ticket_status_set(ticket=fresh(ticket), actor=cast.requester, status=Status.RESOLVED)
    services.ticket_status_set(ticket=fresh(ticket), actor=cast.requester, status=Status.IN_PROGRESS)

    rows = list(JournalEntry.objects.about(ticket))
    assert {row.action for row in rows} == {
        "guichet.ticket_submitted",
        "guichet.reply_added",
        "guichet.note_added",
        "guichet.participant_added",
        "guichet.status_changed",
        "guichet.ticket_reopened",
    }
    assert {row.visibility for row in rows} == {Visibility.CONFIDENTIAL}
    for row in rows:
        text = " ".join([row.message, row.object_repr, json.dumps(row.data, ensure_ascii=False)])
        for secret in (SECRET_SUBJECT, SECRET_BODY, SECRET_REPLY, SECRET_NOTE):
            assert secret not in text
    assert {row.object_repr for row in rows} == {f"Demande {ticket.reference}"}

    # Never listed: not to staff, not to administrators, not to the recipient on /equipe/journal/.
    for user in (cast.other_staff, cast.admin, recipient):
        listed = JournalEntry.objects.for_user(user)
        assert not listed.about(ticket).exists()
        assert listed.about(normal).exists()
        client.force_login(user)
        page = client.get("/equipe/journal/").content.decode()
        assert ticket.reference not in page
        assert normal.reference in page


# --- Idempotency ----------------------------------------------------------------------------------


def test_the_same_key_makes_one_request(cast):
    first = submit(cast, idempotency_key="clic-1")
    notified = Notification.objects.count()
    second = submit(cast, idempotency_key="clic-1")
    assert second.pk == first.pk
    assert (first.replayed, second.replayed) == (False, True)
    assert Ticket.objects.count() == 1
    assert Notification.objects.count() == notified  # nothing announced twice
    assert JournalEntry.objects.filter(action="guichet.ticket_submitted").count() == 1
    # Another key, or another requester with the same key, is another request.
    assert submit(cast, idempotency_key="clic-2").pk != first.pk
    other = submit(cast, requester=cast.teammate, idempotency_key="clic-1")
    assert other.pk != first.pk and not other.replayed


def test_a_replay_answers_even_if_the_first_call_would_now_be_refused(cast):
    first = submit(cast, idempotency_key="retry-7")
    Mission.objects.filter(member__user=cast.requester).update(end=timezone.localdate() - timedelta(days=1))
    assert submit(cast, idempotency_key="retry-7").pk == first.pk


def test_a_key_reused_for_another_request_is_refused(cast):
    submit(cast, idempotency_key="cle")
    with pytest.raises(ValidationError) as error:
        submit(cast, idempotency_key="cle", body="Une tout autre question.")
    assert "idempotency_key" in error.value.message_dict
    with pytest.raises(ValidationError):  # recorded by someone else with the same key
        submit(cast, idempotency_key="cle", recorded_by=cast.other_staff)
    assert Ticket.objects.count() == 1


def test_a_key_longer_than_its_column_is_refused(cast):
    with pytest.raises(ValidationError) as error:
        submit(cast, idempotency_key="k" * 101)
    assert "idempotency_key" in error.value.message_dict


def test_the_replay_of_a_confidential_request_is_for_its_requester_only(cast):
    ticket = confidential(cast, idempotency_key="secret-1")
    # Someone else using the same key gets their own request, never this one.
    other = confidential(cast, requester=cast.teammate, idempotency_key="secret-1")
    assert other.pk != ticket.pk


@pytest.mark.django_db(transaction=True)
def test_two_submissions_racing_with_the_same_key_make_one_request(cast):
    """Two threads, two connections: the second INSERT waits on the first's uncommitted row (PostgreSQL's
    unique index), then fails with an IntegrityError and answers with the first's request."""
    if connection.vendor != "postgresql":
        pytest.skip("Needs row-level concurrency: PostgreSQL (scripts/test.sh postgres).")
    first_inserted, release = threading.Event(), threading.Event()
    results, errors = {}, []

    def first():
        try:
            with transaction.atomic():
                results["first"] = submit(cast, idempotency_key="course")
                first_inserted.set()
                release.wait(10)  # keep the row uncommitted while the second call runs into it
        except Exception as exc:
            errors.append(exc)
            first_inserted.set()
        finally:
            connections.close_all()

    def second():
        try:
            results["second"] = submit(cast, idempotency_key="course")
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    one = threading.Thread(target=first)
    one.start()
    assert first_inserted.wait(10)
    two = threading.Thread(target=second)
    two.start()
    # Wait until the second call is blocked on the first's row lock (it passed the lookup and is inserting).
    close_old_connections()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database() AND query LIKE 'INSERT INTO \"guichet_ticket\"%%'"
            )
            if cursor.fetchone()[0]:
                break
        time.sleep(0.02)
    else:
        release.set()
        pytest.fail("The second submission never waited on the first one's row.")
    release.set()
    one.join(10)
    two.join(10)
    assert errors == []
    assert results["second"].pk == results["first"].pk
    assert results["second"].replayed
    assert Ticket.objects.count() == 1
    assert JournalEntry.objects.filter(action="guichet.ticket_submitted").count() == 1
    assert Notification.objects.filter(kind="guichet.new", recipient=cast.assignee.email).count() == 1


# --- Optimistic locking ---------------------------------------------------------------------------


def test_two_people_saving_the_same_version_the_second_is_refused(cast):
    ticket = submit(cast)
    mine, theirs = fresh(ticket), fresh(ticket)
    services.ticket_status_set(ticket=mine, actor=cast.assignee, status=Status.RESOLVED, version=mine.version)
    with pytest.raises(StaleTicket) as error:
        services.ticket_status_set(ticket=theirs, actor=cast.other_staff, status=Status.WAITING, version=1)
    assert "modifiée par quelqu'un d'autre" in str(error.value)
    with pytest.raises(StaleTicket):
        services.ticket_assign(ticket=theirs, actor=cast.other_staff, assignee=cast.other_staff, version=1)
    ticket = fresh(ticket)
    assert (ticket.status, ticket.assignee, ticket.version) == (Status.RESOLVED, cast.assignee, 2)
    assert JournalEntry.objects.about(ticket).filter(action="guichet.status_changed").count() == 1
    assert not JournalEntry.objects.about(ticket).filter(action="guichet.ticket_assigned").exists()


def test_a_stale_copy_without_explicit_version_is_refused_too(cast):
    ticket = submit(cast)
    stale = fresh(ticket)
    services.ticket_reply(ticket=ticket, author=cast.assignee, body="Je prends.")  # new → in progress: v2
    with pytest.raises(StaleTicket):
        services.ticket_status_set(ticket=stale, actor=cast.other_staff, status=Status.RESOLVED)
    assert fresh(ticket).status == Status.IN_PROGRESS


# --- On someone's behalf --------------------------------------------------------------------------


def test_staff_record_a_request_on_someones_behalf(cast):
    recorder = cast.other_staff
    ticket = submit(cast, recorded_by=recorder, channel=Channel.PHONE)
    assert ticket.requester == cast.requester
    assert ticket.recorded_by == recorder
    assert ticket.channel == Channel.PHONE
    assert Ticket.objects.for_user(cast.requester).filter(pk=ticket.pk).exists()
    entry = JournalEntry.objects.about(ticket).get()
    assert entry.actor == recorder
    assert entry.message.endswith(f", enregistrée par Antoine Rivage pour {cast.requester.get_full_name()}")
    [told] = emails_to(cast.requester.email, "guichet.recorded_for_you")
    assert told.subject == f"[Guichet] Une demande a été enregistrée en votre nom ({ticket.reference})"
    assert "Antoine Rivage a enregistré une demande en votre nom" in told.body
    assert ticket.get_absolute_url() in told.body


def test_only_staff_record_on_someones_behalf(cast):
    with pytest.raises(NotAllowed):
        submit(cast, recorded_by=cast.teammate)
    assert not Ticket.objects.exists()


def test_on_behalf_the_product_must_be_the_requesters(cast):
    with pytest.raises(ValidationError) as error:
        submit(cast, requester=cast.other_member, recorded_by=cast.other_staff)
    assert error.value.message_dict["startup"] == [
        "La personne pour qui vous écrivez ne fait pas partie de l'équipe active de ce produit."
    ]


# --- Offers of help: consent ----------------------------------------------------------------------


def propose(cast, offerer=None):
    return services.offer_propose(
        offered_by=offerer or cast.other_staff,
        product=cast.product,
        topic="Préparer le comité d'investissement",
        message="Je peux relire votre dossier FAST.",
    )


def test_an_offer_opens_nothing_and_gives_no_access(cast):
    normal = submit(cast)
    secret = confidential(cast)
    offerer = person("cora.dune")
    visible_before = set(Ticket.objects.for_user(offerer).values_list("pk", flat=True))
    offer = propose(cast, offerer)
    assert offer.status == OfferStatus.PENDING
    assert Ticket.objects.count() == 2
    assert set(Ticket.objects.for_user(offerer).values_list("pk", flat=True)) == visible_before
    assert normal.pk in visible_before and secret.pk not in visible_before
    assert offer.ticket is None
    entry = JournalEntry.objects.about(offer).get()
    assert (entry.action, entry.visibility) == ("guichet.offer_proposed", Visibility.INTERNAL)
    # The product's active team is told (and nobody else).
    recipients = set(Notification.objects.filter(kind="guichet.offer_proposed").values_list("recipient", flat=True))
    assert recipients == {cast.requester.email, cast.teammate.email}
    assert Offer.objects.for_user(cast.requester).filter(pk=offer.pk).exists()
    assert not Offer.objects.for_user(cast.other_member).filter(pk=offer.pk).exists()


def test_only_staff_propose_and_with_a_topic_and_a_message(cast):
    with pytest.raises(NotAllowed):
        services.offer_propose(offered_by=cast.requester, product=cast.product, topic="Aide", message="Moi ?")
    with pytest.raises(ValidationError) as error:
        services.offer_propose(offered_by=cast.other_staff, product=cast.product, topic=" ", message="")
    assert set(error.value.message_dict) == {"topic", "message"}
    assert not Offer.objects.exists()


def test_a_team_member_declines_with_a_reason(cast):
    offer = propose(cast)
    services.offer_decline(offer=offer, member_user=cast.teammate, reason="Nous avons déjà un coach.")
    offer.refresh_from_db()
    assert offer.status == OfferStatus.DECLINED
    assert offer.decided_by == cast.teammate
    assert offer.decline_reason == "Nous avons déjà un coach."
    assert not Ticket.objects.exists()
    entry = JournalEntry.objects.about(offer).get(action="guichet.offer_declined")
    assert entry.visibility == Visibility.INTERNAL
    assert entry.actor == cast.teammate
    assert "Nous avons déjà un coach." in entry.message
    assert entry.data == {"reason": "Nous avons déjà un coach."}
    [told] = emails_to(cast.other_staff.email, "guichet.offer_declined")
    assert "Sa raison : Nous avons déjà un coach." in told.body


def test_accepting_makes_a_request_owned_by_the_team_and_handled_by_the_offerer(cast):
    offerer = cast.other_staff
    offer = propose(cast, offerer)
    ticket = services.offer_accept(offer=offer, member_user=cast.requester)
    offer.refresh_from_db()
    assert (offer.status, offer.decided_by, offer.ticket) == (OfferStatus.ACCEPTED, cast.requester, ticket)
    assert ticket.team_owned and not ticket.confidential
    assert (ticket.requester, ticket.assignee, ticket.product) == (cast.requester, offerer, cast.product)
    assert ticket.channel == Channel.OFFER
    assert ticket.status == Status.IN_PROGRESS
    assert ticket.first_response_at is not None  # the offer was the first word: no reminder, never overdue
    assert ticket.pole.slug == "acceleration"
    # Every active member of the team sees and follows it; the offerer handles it.
    for user in (cast.requester, cast.teammate, offerer):
        assert Ticket.objects.for_user(user).filter(pk=ticket.pk).exists()
    assert not Ticket.objects.for_user(cast.other_member).filter(pk=ticket.pk).exists()
    services.ticket_reply(ticket=ticket, author=offerer, body="Rendez-vous lundi ?")
    assert {n.recipient for n in Notification.objects.filter(kind="guichet.replied")} == {
        cast.requester.email,
        cast.teammate.email,
    }
    services.ticket_reply(ticket=ticket, author=cast.teammate, body="Lundi 10 h.")
    services.ticket_status_set(ticket=fresh(ticket), actor=cast.teammate, status=Status.RESOLVED)
    actions = set(JournalEntry.objects.about(offer).values_list("action", flat=True))
    assert actions == {"guichet.offer_proposed", "guichet.offer_accepted"}
    created = JournalEntry.objects.about(ticket).get(action="guichet.ticket_submitted")
    assert created.visibility == Visibility.INTERNAL
    [told] = emails_to(offerer.email, "guichet.offer_accepted")
    assert ticket.get_absolute_url() in told.body


def test_a_member_who_leaves_the_team_no_longer_sees_the_teams_request(cast):
    ticket = services.offer_accept(offer=propose(cast), member_user=cast.requester)
    Mission.objects.filter(member__user=cast.teammate).update(end=timezone.localdate() - timedelta(days=1))
    assert not Ticket.objects.for_user(cast.teammate).filter(pk=ticket.pk).exists()


def test_only_the_products_active_members_decide(cast):
    offer = propose(cast)
    former = team_member(cast.product, username="ancien.membre")
    Mission.objects.filter(member__user=former).update(end=timezone.localdate() - timedelta(days=1))
    for user in (cast.other_member, cast.other_staff, cast.assignee, cast.admin, former):
        with pytest.raises(NotAllowed):
            services.offer_accept(offer=offer, member_user=user)
        with pytest.raises(NotAllowed):
            services.offer_decline(offer=offer, member_user=user)
    offer.refresh_from_db()
    assert offer.status == OfferStatus.PENDING
    assert not Ticket.objects.exists()


def test_a_decided_offer_cannot_be_decided_again(cast):
    accepted = propose(cast)
    services.offer_accept(offer=accepted, member_user=cast.requester)
    stale = Offer.objects.get(pk=accepted.pk)
    stale.status = OfferStatus.PENDING  # a copy read before the decision
    for decide in (
        lambda: services.offer_accept(offer=stale, member_user=cast.teammate),
        lambda: services.offer_decline(offer=stale, member_user=cast.teammate, reason="Finalement non."),
        lambda: services.offer_withdraw(offer=stale, actor=cast.other_staff),
    ):
        with pytest.raises(ValidationError) as error:
            decide()
        assert error.value.message_dict == {"offer": ["Cette offre a déjà été acceptée."]}
    assert Ticket.objects.count() == 1
    declined = propose(cast)
    services.offer_decline(offer=declined, member_user=cast.teammate)
    with pytest.raises(ValidationError):
        services.offer_accept(offer=declined, member_user=cast.requester)
    assert Ticket.objects.count() == 1


def test_the_offerer_withdraws_a_pending_offer(cast):
    offer = propose(cast)
    with pytest.raises(NotAllowed):
        services.offer_withdraw(offer=offer, actor=person("cora.dune"))
    services.offer_withdraw(offer=offer, actor=cast.other_staff)
    offer.refresh_from_db()
    assert offer.status == OfferStatus.WITHDRAWN
    assert JournalEntry.objects.about(offer).filter(action="guichet.offer_withdrawn").exists()
    with pytest.raises(ValidationError):
        services.offer_accept(offer=offer, member_user=cast.requester)
    assert not Ticket.objects.exists()
