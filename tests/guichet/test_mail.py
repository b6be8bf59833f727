"""The guichet by e-mail (#18) with real servers: Dovecot (IMAP) holds the guichet's mailbox, a real SMTP server in
front of it plays the receiving MX (it writes `Return-Path` and `Authentication-Results`, then delivers into
Dovecot), people write with `smtplib`, `manage.py fetch_mail` reads the mailbox, and the platform's own mails go out
through the outbox to the tests' SMTP server (`smtp_server`), where their `Reply-To` is read and answered.
"""

import io
import os
import smtplib
import sys
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from django.core.management import call_command
from django.db import transaction

from incubateur.guichet import services
from incubateur.guichet.mail import fetch, tokens
from incubateur.guichet.mail.intake import receive
from incubateur.guichet.models import Attachment, Channel, InboundMail, Message, Ticket
from incubateur.guichet.models import InboundMailOutcome as Result
from tests.guichet.mailserver import AUTHSERV_ID, Dovecot, InboundMX, available
from tests.utils import run_tasks

REPLY_ADDRESS = "guichet@incubateur.test"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture(scope="module")
def dovecot():
    if not available():
        if os.environ.get("CI") == "true":
            pytest.fail("Dovecot (dovecot-imapd) is required under CI: scripts/test.sh installs it.")
        pytest.skip("Dovecot is not installed (apt-get install dovecot-imapd, or run scripts/test.sh as root)")
    server = Dovecot().start()
    yield server
    server.stop()


@pytest.fixture
def mx(dovecot):
    server = InboundMX(dovecot).start()
    server.handler.verified_domains = {"beta.gouv.fr"}
    yield server
    server.stop()
    dovecot.empty()  # the next test starts with an empty mailbox


@pytest.fixture
def mail_settings(settings, dovecot, smtp_server):
    settings.MAIL_INTAKE_IMAP_URL = dovecot.url
    settings.MAIL_INTAKE_REPLY_ADDRESS = REPLY_ADDRESS
    settings.MAIL_INTAKE_TRUSTED_AUTHSERV_ID = AUTHSERV_ID
    settings.MAIL_INTAKE_RATE_LIMIT = 100
    return settings


@pytest.fixture
def setup(cast, mx, mail_settings, smtp_server):
    return cast, mx, smtp_server


def send(
    mx,
    *,
    sender,
    to=REPLY_ADDRESS,
    subject="Une question",
    body="Bonjour,\n\nUne question.\n",
    envelope=None,
    headers=None,
    attachments=(),
    message_id=None,
) -> str:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="exemple.test")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    for name, content_type, data in attachments:
        maintype, subtype = content_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    with smtplib.SMTP("127.0.0.1", mx.port, timeout=30) as client:
        client.send_message(message, from_addr=sender if envelope is None else envelope, to_addrs=[to])
    return message["Message-ID"]


def fetch_mail() -> list:
    report = fetch.fetch_all()
    assert not report.errors
    return report.outcomes


def delivered(smtp_server, address):
    run_tasks()
    return [m for m in smtp_server.messages if m["To"] == address]


def reply_to(smtp_server, address) -> str:
    [*_, last] = delivered(smtp_server, address)
    return str(last["Reply-To"])


# --- New requests ----------------------------------------------------------------------------------------------


def test_a_mail_from_a_verified_account_becomes_a_request_with_its_attachment_and_an_acknowledgement(setup):
    cast, mx, smtp_server = setup
    msgid = send(
        mx,
        sender=cast.requester.email,
        subject="Hébergement de notre produit",
        body="Bonjour,\n\nOù héberger notre produit ?\n\nCamille\n",
        attachments=[("devis.pdf", "application/pdf", PDF)],
    )
    [outcome] = fetch_mail()

    assert outcome.result == Result.TICKET and not outcome.duplicate
    ticket = outcome.ticket
    assert (ticket.kind, ticket.channel, ticket.requester) == ("autre", Channel.EMAIL, cast.requester)
    assert ticket.subject == "Hébergement de notre produit"
    assert "Où héberger notre produit ?" in ticket.body
    [attachment] = Attachment.objects.filter(ticket=ticket)
    assert (attachment.name, attachment.source, attachment.content_type) == ("devis.pdf", "mail", "application/pdf")
    assert outcome.mail.verified and outcome.mail.rfc_message_id == msgid
    assert mx.handler.dovecot.unseen() == 0  # flagged after the commit

    [ack] = delivered(smtp_server, cast.requester.email)
    assert ticket.reference in str(ack["Subject"])
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["In-Reply-To"] == msgid
    assert str(ack["Reply-To"]).startswith("guichet+") and str(ack["Reply-To"]).endswith("@incubateur.test")
    assert f"http://testserver/guichet/demandes/{ticket.reference}/" in ack.get_content()
    # Routed like any request of kind « autre » (the direction), announced to its assignee with their own token.
    assert ticket.assignee == cast.pole_lead
    [new] = delivered(smtp_server, ticket.assignee.email)
    assert new["References"] == f"<guichet.{ticket.reference.lower()}@incubateur.test>"
    assert new["Auto-Submitted"] == "auto-generated"
    token = str(new["Reply-To"]).partition("+")[2].partition("@")[0]
    assert tokens.read_token(token) == (ticket.pk, cast.pole_lead.pk)


def test_a_mail_from_an_unverified_sender_is_held_for_triage_without_any_reply(setup, client):
    cast, mx, smtp_server = setup
    mx.handler.verified_domains = set()  # the MX found no DKIM nor SPF pass
    send(mx, sender=cast.requester.email, subject="Urgent : virement", body="Payez cette facture.")
    send(mx, sender="inconnu@exemple.org", subject="Présentation", body="Bonjour, je voudrais vous présenter…")
    mx.handler.verified_domains = {"beta.gouv.fr"}
    send(mx, sender="personne.sans.compte@beta.gouv.fr", subject="Bonjour", body="Je n'ai pas de compte.")
    outcomes = fetch_mail()

    assert [o.result for o in outcomes] == [Result.HELD] * 3
    assert [o.reason for o in outcomes] == [
        "reçue par e-mail, expéditeur non vérifié",
        "reçue par e-mail, expéditeur non vérifié",
        "reçue par e-mail, expéditeur sans compte",
    ]
    assert not Ticket.objects.exists()
    run_tasks()
    assert smtp_server.messages == []  # no backscatter

    # Staff re-qualify one: a request recorded on the requester's behalf.
    client.force_login(cast.assignee)
    page = client.get("/guichet/equipe/courriels/")
    assert page.status_code == 200 and "Présentation" in page.content.decode()
    held = outcomes[1].mail
    response = client.post(
        f"/guichet/equipe/courriels/{held.pk}/",
        {"requester": cast.requester.email, "kind": "autre", "subject": "Présentation", "body": "Bonjour…"},
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == ticket.get_absolute_url()
    assert (ticket.recorded_by, ticket.channel) == (cast.assignee, Channel.EMAIL)
    held.refresh_from_db()
    assert (held.outcome, held.ticket, held.handled_by) == (Result.QUALIFIED, ticket, cast.assignee)
    # Another is set aside: nothing posted, nobody told.
    response = client.post(f"/guichet/equipe/courriels/{outcomes[0].mail.pk}/ecarter/")
    assert response.status_code == 302
    assert InboundMail.objects.get(pk=outcomes[0].mail.pk).outcome == Result.DISMISSED
    # A community member sees none of it.
    client.force_login(cast.other_member)
    assert client.get(f"/guichet/equipe/courriels/{held.pk}/").status_code == 404


# --- Replies -------------------------------------------------------------------------------------------------------


@pytest.fixture
def thread(setup):
    """A request answered once by its assignee: both sides hold a mail with their own Reply-To."""
    cast, mx, smtp_server = setup
    ticket = services.ticket_submit(
        requester=cast.requester,
        kind="doute-produit",
        subject="Faut-il pivoter ?",
        body="Nos usagers ne reviennent pas.",
        product=cast.product,
    )
    services.ticket_reply(ticket=ticket, author=cast.assignee, body="Parlons-en jeudi ?")
    run_tasks()
    return ticket


def test_a_reply_by_mail_from_the_requester_lands_in_the_thread_without_quote_nor_signature(setup, thread):
    cast, mx, smtp_server = setup
    address = reply_to(smtp_server, cast.requester.email)
    body = (
        "Jeudi me va très bien.\n\n-- \nCamille Requérante\nÉquipe Justice pour tous\n\n"
        "Le lun. 7 déc. 2026 à 10:00, Guichet <ne-pas-repondre@beta.gouv.fr> a écrit :\n> Parlons-en jeudi ?\n"
    )
    send(mx, sender=cast.requester.email, to=address, subject="Re: [Guichet] Réponse", body=body)
    [outcome] = fetch_mail()

    assert outcome.result == Result.REPLY
    message = Message.objects.filter(ticket=thread).last()
    assert (message.author, message.internal, message.body) == (cast.requester, False, "Jeudi me va très bien.")
    [mail] = delivered(smtp_server, cast.assignee.email)[-1:]
    assert "Jeudi me va très bien." in mail.get_content()
    assert b"Le lun. 7 d" in bytes(outcome.mail.raw)  # the original is kept whole


def test_a_reply_by_mail_from_staff_goes_to_the_requester_and_a_note_stays_internal(setup, thread):
    cast, mx, smtp_server = setup
    before = len(delivered(smtp_server, cast.requester.email))
    address = reply_to(smtp_server, cast.assignee.email)
    send(mx, sender=cast.assignee.email, to=address, body="Voici le compte rendu de jeudi.")
    send(mx, sender=cast.assignee.email, to=address, body="#note Équipe fragile, à suivre de près.")
    reply, note = fetch_mail()

    assert (reply.result, note.result) == (Result.REPLY, Result.NOTE)
    *_, answer, internal = Message.objects.filter(ticket=thread)
    assert (answer.author, answer.internal, answer.body) == (cast.assignee, False, "Voici le compte rendu de jeudi.")
    assert (internal.internal, internal.body) == (True, "Équipe fragile, à suivre de près.")
    mails = delivered(smtp_server, cast.requester.email)[before:]
    assert len(mails) == 1 and "Voici le compte rendu de jeudi." in mails[0].get_content()
    assert not any("fragile" in m.get_content() for m in smtp_server.messages)


def test_a_forged_token_and_a_valid_token_from_another_sender_are_held_never_posted(setup, thread):
    cast, mx, smtp_server = setup
    address = reply_to(smtp_server, cast.requester.email)
    local, _, domain = address.partition("@")
    forged = local[:-3] + ("AAA" if not local.endswith("AAA") else "BBB") + "@" + domain
    sent = len(smtp_server.messages)
    messages = Message.objects.filter(ticket=thread).count()
    send(mx, sender=cast.requester.email, to=forged, body="Message au jeton falsifié.")
    send(mx, sender=cast.teammate.email, to=address, body="Je réponds avec le lien de Camille.")
    forged_outcome, wrong_sender = fetch_mail()

    assert forged_outcome.result == wrong_sender.result == Result.HELD
    assert forged_outcome.reason.startswith("jeton de réponse invalide")
    assert wrong_sender.reason == "l'expéditeur n'est pas la personne à qui la réponse était demandée"
    assert Message.objects.filter(ticket=thread).count() == messages
    run_tasks()
    assert len(smtp_server.messages) == sent


def test_a_reply_by_mail_to_a_confidential_request_stays_with_its_participants(setup):
    cast, mx, smtp_server = setup
    ticket = services.ticket_submit(
        requester=cast.requester, kind="mal-etre", subject="Secret", body="Secret.", recipient=cast.assignee
    )
    services.ticket_reply(ticket=ticket, author=cast.assignee, body="Appelons-nous.")
    address = reply_to(smtp_server, cast.requester.email)
    send(mx, sender=cast.requester.email, to=address, body="Demain 9 h, c'est secret.")
    [outcome] = fetch_mail()

    assert outcome.result == Result.REPLY
    assert Message.objects.filter(ticket=ticket, author=cast.requester).get().body == "Demain 9 h, c'est secret."
    run_tasks()
    assert not any("secret" in m.get_content().lower() for m in smtp_server.messages)
    assert {m["To"] for m in smtp_server.messages} <= {cast.requester.email, cast.assignee.email}
    assert InboundMail.objects.for_user(cast.other_staff).filter(pk=outcome.mail.pk).exists() is False


# --- Loops, floods, limits -------------------------------------------------------------------------------------


def test_auto_replies_bounces_and_our_own_mails_never_create_anything_nor_trigger_a_mail(setup, thread):
    cast, mx, smtp_server = setup
    address = reply_to(smtp_server, cast.requester.email)
    sent = len(smtp_server.messages)
    send(
        mx,
        sender=cast.requester.email,
        to=address,
        subject="Absence du bureau",
        body="Je suis absente jusqu'au 4 janvier.",
        headers={"Auto-Submitted": "auto-replied"},
    )
    send(mx, sender="lettre@exemple.org", subject="Lettre d'information", headers={"Precedence": "bulk"})
    send(mx, sender="ne-pas-repondre@beta.gouv.fr", subject="[Guichet] Nouvelle demande")
    # A bounce: a delivery status notification, from the null sender.
    dsn = (
        b"From: MAILER-DAEMON@exemple.org\r\nTo: guichet@incubateur.test\r\n"
        b"Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn-1@exemple.org>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        b"--B\r\nContent-Type: text/plain\r\n\r\nThis is the mail system.\r\n"
        b"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; exemple.org\r\n\r\n"
        b"Final-Recipient: rfc822; x@exemple.org\r\nAction: failed\r\nStatus: 5.1.1\r\n--B--\r\n"
    )
    with smtplib.SMTP("127.0.0.1", mx.port) as client:
        client.sendmail("", [REPLY_ADDRESS], dsn)
    outcomes = fetch_mail()

    assert [o.result for o in outcomes] == [Result.IGNORED] * 4
    assert outcomes[0].reason == "réponse automatique (Auto-Submitted: auto-replied)"
    assert outcomes[1].reason == "envoi en nombre (Precedence: bulk)"
    assert outcomes[2].reason == "envoyé par une adresse de la plateforme (boucle)"
    assert outcomes[3].reason.startswith("rapport de non-distribution")
    assert Ticket.objects.count() == 1 and Message.objects.filter(ticket=thread).count() == 1
    run_tasks()
    assert len(smtp_server.messages) == sent


def test_a_flood_from_one_sender_is_cut_by_the_rate_limit(setup, settings):
    cast, mx, smtp_server = setup
    settings.MAIL_INTAKE_RATE_LIMIT = 2
    for n in range(3):
        send(mx, sender=cast.requester.email, subject=f"Demande {n}")
    outcomes = fetch_mail()
    assert [o.result for o in outcomes] == [Result.TICKET, Result.TICKET, Result.RATE_LIMITED]
    assert Ticket.objects.count() == 2


def test_an_attachment_over_the_limit_is_refused_with_an_explanation_to_verified_senders_only(setup, settings):
    cast, mx, smtp_server = setup
    settings.GUICHET_ATTACHMENT_MAX_SIZE = 5 * 1024 * 1024
    big = PDF + b"0" * (10 * 1024 * 1024)
    msgid = send(mx, sender=cast.requester.email, attachments=[("rapport.pdf", "application/pdf", big)])
    mx.handler.verified_domains = set()
    send(mx, sender="inconnu@exemple.org", attachments=[("rapport.pdf", "application/pdf", big)])
    verified, unverified = fetch_mail()

    assert verified.result == unverified.result == Result.REFUSED
    assert "« rapport.pdf » fait 10 Mo : 5 Mo au plus" in verified.reason
    assert not Ticket.objects.exists() and not Attachment.objects.exists()
    run_tasks()
    [refusal] = smtp_server.messages
    assert refusal["To"] == cast.requester.email
    assert (refusal["Auto-Submitted"], refusal["In-Reply-To"]) == ("auto-replied", msgid)
    assert "« rapport.pdf » fait 10 Mo : 5 Mo au plus par fichier." in refusal.get_content()


# --- Exactly once --------------------------------------------------------------------------------------------------


def test_the_same_message_fetched_twice_or_piped_again_is_processed_once(setup, monkeypatch):
    cast, mx, smtp_server = setup
    send(mx, sender=cast.requester.email, subject="Une seule fois")
    [first] = fetch_mail()
    assert first.result == Result.TICKET

    mx.handler.dovecot.mark_unseen()  # the server lost its flag (or the process died before flagging)
    [again] = fetch_mail()
    assert again.duplicate and again.mail == first.mail
    assert mx.handler.dovecot.unseen() == 0

    # The same message through the pipe transport.
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(bytes(first.mail.raw))))
    out = io.StringIO()
    call_command("receive_mail", stdout=out)
    assert "déjà reçu" in out.getvalue()
    assert Ticket.objects.count() == 1 and InboundMail.objects.count() == 1


def test_a_crash_after_the_fetch_before_the_commit_leaves_the_mail_unread_and_creates_nothing(setup):
    cast, mx, smtp_server = setup
    send(mx, sender=cast.requester.email, subject="Malgré la panne")

    class Crash(Exception):
        pass

    def crashing(raw, *, source):
        with transaction.atomic():
            receive(raw, source=source)
            raise Crash  # the process dies here: the transaction never commits

    report = fetch.fetch_all(process=crashing)
    assert report.fetched == 1 and len(report.errors) == 1
    assert not Ticket.objects.exists() and not InboundMail.objects.exists()
    assert mx.handler.dovecot.unseen() == 1  # not flagged: read again next time

    [outcome] = fetch_mail()
    assert outcome.result == Result.TICKET and Ticket.objects.count() == 1
    assert mx.handler.dovecot.unseen() == 0


def test_receive_mail_reads_one_message_on_stdin(setup, monkeypatch):
    cast, mx, smtp_server = setup
    raw = (
        f"From: {cast.requester.email}\r\nTo: {REPLY_ADDRESS}\r\nSubject: Par le pipe\r\n"
        f"Message-ID: <pipe-1@exemple.test>\r\n"
        f"Authentication-Results: {AUTHSERV_ID}; dkim=pass header.d=beta.gouv.fr\r\n\r\nBonjour par le pipe.\r\n"
    ).encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    out = io.StringIO()
    call_command("receive_mail", stdout=out)
    assert "demande" in out.getvalue()
    ticket = Ticket.objects.get()
    assert (ticket.subject, ticket.body, ticket.channel) == ("Par le pipe", "Bonjour par le pipe.", Channel.EMAIL)
    assert InboundMail.objects.get().source == "stdin"


def test_the_command_and_the_workers_hook_fetch_every_mailbox(setup, settings):
    cast, mx, smtp_server = setup
    send(mx, sender=cast.requester.email, subject="Par la commande")
    out = io.StringIO()
    call_command("fetch_mail", stdout=out)
    assert "1 message(s) relevé(s), 1 traité(s), 0 déjà reçu(s), 0 erreur(s)." in out.getvalue()

    send(mx, sender=cast.requester.email, subject="Par le worker")
    fetch._last_run = 0.0
    fetch.tick()
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == ["Par la commande", "Par le worker"]
    send(mx, sender=cast.requester.email, subject="Trop tôt")
    fetch.tick()  # less than MAIL_INTAKE_INTERVAL after the last fetch: nothing
    assert Ticket.objects.count() == 2 and mx.handler.dovecot.unseen() == 1
