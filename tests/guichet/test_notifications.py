"""What the guichet actually delivers, read on the other side: a real SMTP server (aiosmtpd) and a real HTTP peer
standing in for the Mattermost webhook, fed by the worker (`run_tasks()`) from the durable outbox.

A confidential request never reaches Mattermost, and nothing delivered about it (nor any outbox row) carries its
subject, its body or its messages."""

import json

import pytest

from incubateur.core.models import Notification, NotificationStatus
from incubateur.guichet import services
from incubateur.guichet.models import Status, Ticket
from tests.factories import person
from tests.utils import run_tasks

SECRET_SUBJECT = "Harcèlement par mon responsable"
SECRET_BODY = "Depuis trois mois, Dominique me rabaisse en réunion."
SECRET_REPLY = "Je vous propose un appel demain matin à 9 h."
SECRET_ANSWER = "Merci, demain 9 h me va."
SECRET_NOTE = "Vu avec la médecine du travail."
SECRETS = (SECRET_SUBJECT, SECRET_BODY, SECRET_REPLY, SECRET_ANSWER, SECRET_NOTE)


@pytest.fixture
def peers(smtp_server, mattermost):
    mattermost.expect_request("/hooks/incubateur", method="POST").respond_with_data("ok")
    return smtp_server, mattermost


def delivered(smtp_server):
    """Every e-mail the SMTP server received, decoded: (to, subject, body). A long encoded subject is folded on
    the wire and the body travels with CRLF: both are unfolded here."""
    return [
        (m["To"], " ".join(str(m["Subject"]).split()), m.get_content().replace("\r\n", "\n"))
        for m in smtp_server.messages
    ]


def mails_to(smtp_server, address):
    return [(subject, body) for to, subject, body in delivered(smtp_server) if to == address]


def webhook_posts(mattermost):
    return [json.loads(request.data) for request, _response in mattermost.log]


def deliver_all():
    run_tasks()
    assert not Notification.objects.exclude(status=NotificationStatus.SENT).exists()


def link(ticket):
    return f"http://testserver/guichet/demandes/{ticket.reference}/"


def test_a_new_request_is_mailed_to_its_assignee_and_announced_on_mattermost_without_content(cast, peers):
    smtp_server, mattermost = peers
    ticket = services.ticket_submit(
        requester=cast.requester,
        kind="doute-produit",
        subject="Faut-il pivoter ?",
        body="Nos usagers ne reviennent pas après la première visite.",
        product=cast.product,
    )
    deliver_all()

    [(subject, body)] = mails_to(smtp_server, "pierre.boussole@beta.gouv.fr")
    assert subject == f"[Guichet] Nouvelle demande {ticket.reference} : Faut-il pivoter ?"
    assert "Type : J'ai un doute sur mon produit" in body
    assert "Produit : Justice pour tous" in body
    assert f"Pourquoi vous : {ticket.routing_reason}" in body
    assert "Nos usagers ne reviennent pas après la première visite." in body
    assert link(ticket) in body
    assert len(smtp_server.messages) == 1  # nobody else: the requester is not mailed their own request

    [post] = webhook_posts(mattermost)
    assert post == {
        "text": f"Nouvelle demande au guichet : J'ai un doute sur mon produit — Justice pour tous — {link(ticket)}",
        "channel": "incubateur-animation",
    }


def test_the_mattermost_channel_of_the_guichet_is_used_when_set(cast, peers, settings):
    settings.GUICHET_MATTERMOST_CHANNEL = "incubateur-guichet"
    smtp_server, mattermost = peers
    ticket = services.ticket_submit(
        requester=cast.requester, kind="communaute", subject="Animer un atelier", body="Sur l'accessibilité."
    )
    deliver_all()
    [post] = webhook_posts(mattermost)
    assert post == {
        "text": f"Nouvelle demande au guichet : Je souhaite m'investir sur un sujet de la communauté — {link(ticket)}",
        "channel": "incubateur-guichet",
    }


def test_the_portfolio_manager_in_copy_is_mailed_the_kind_the_product_and_the_link(cast, peers):
    smtp_server, mattermost = peers
    ticket = services.ticket_submit(
        requester=cast.requester,
        kind="convention-devis-service-fait",
        subject="Convention bloquée",
        body="La convention attend une signature depuis mars.",
        product=cast.product,
    )
    deliver_all()
    [(subject, body)] = mails_to(smtp_server, "emilie.grenat@beta.gouv.fr")
    assert subject == f"[Guichet] Nouvelle demande {ticket.reference} : Convention bloquée"
    [(subject, body)] = mails_to(smtp_server, "pierre.boussole@beta.gouv.fr")
    assert (
        subject
        == f"[Guichet] En copie : demande {ticket.reference} (Faire avancer une convention, un devis, un service fait)"
    )
    assert "Vous êtes en copie d'une demande attribuée à Emilie Grenat." in body
    assert "Produit : Justice pour tous" in body
    assert link(ticket) in body
    [post] = webhook_posts(mattermost)
    assert "Convention bloquée" not in post["text"] and "signature" not in post["text"]


def test_replies_and_status_changes_reach_the_requester_but_internal_notes_do_not(cast, peers):
    smtp_server, mattermost = peers
    requester = cast.requester.email
    ticket = services.ticket_submit(
        requester=cast.requester, kind="doute-produit", subject="Faut-il pivoter ?", body="…", product=cast.product
    )
    deliver_all()
    assert mails_to(smtp_server, requester) == []

    services.ticket_reply(ticket=ticket, author=cast.assignee, body="Note : équipe fragile.", internal=True)
    deliver_all()
    assert mails_to(smtp_server, requester) == []
    assert all("équipe fragile" not in body for _to, _subject, body in delivered(smtp_server))

    services.ticket_reply(ticket=ticket, author=cast.assignee, body="Parlons-en jeudi à 10 h.")
    deliver_all()
    [(subject, body)] = mails_to(smtp_server, requester)
    assert subject == f"[Guichet] Réponse à votre demande {ticket.reference} : Faut-il pivoter ?"
    assert "Pierre Boussole vous a répondu :" in body
    assert "Parlons-en jeudi à 10 h." in body
    assert link(ticket) in body

    services.ticket_status_set(ticket=Ticket.objects.get(pk=ticket.pk), actor=cast.assignee, status=Status.RESOLVED)
    deliver_all()
    subject, body = mails_to(smtp_server, requester)[-1]
    assert subject == f"[Guichet] Demande {ticket.reference} : résolue"
    assert link(ticket) in body

    # The requester's answer goes to the assignee, with its text (a normal request).
    services.ticket_reply(ticket=ticket, author=cast.requester, body="Merci, c'est réglé.")
    deliver_all()
    subject, body = mails_to(smtp_server, "pierre.boussole@beta.gouv.fr")[-1]
    assert subject == f"[Guichet] Nouveau message sur la demande {ticket.reference} : Faut-il pivoter ?"
    assert "Merci, c'est réglé." in body
    assert len(webhook_posts(mattermost)) == 1  # only the new request was announced there


def test_a_request_recorded_on_someones_behalf_is_mailed_to_them(cast, peers):
    smtp_server, _mattermost = peers
    ticket = services.ticket_submit(
        requester=cast.requester,
        kind="autre",
        subject="Question au téléphone",
        body="Notée pendant l'appel.",
        recorded_by=cast.other_staff,
        channel="telephone",
    )
    deliver_all()
    [(subject, body)] = mails_to(smtp_server, cast.requester.email)
    assert subject == f"[Guichet] Une demande a été enregistrée en votre nom ({ticket.reference})"
    assert "Antoine Rivage a enregistré une demande en votre nom auprès de l'Incubateur." in body
    assert link(ticket) in body


def test_a_confidential_request_never_leaks_its_subject_or_body(cast, peers):
    smtp_server, mattermost = peers
    recipient = person("gael.ivoire")
    helper = person("eva.sorbier")
    ticket = services.ticket_submit(
        requester=cast.requester, kind="mal-etre", subject=SECRET_SUBJECT, body=SECRET_BODY, recipient=recipient
    )
    deliver_all()
    [(to, subject, body)] = delivered(smtp_server)
    assert to == recipient.email
    assert subject == "Vous avez une nouvelle demande confidentielle"
    assert body == f"Bonjour,\n\nVous avez une nouvelle demande confidentielle.\nPour la lire : {link(ticket)}\n"

    services.ticket_read(ticket=ticket, user=recipient)
    services.ticket_reply(ticket=ticket, author=recipient, body=SECRET_NOTE, internal=True)
    services.ticket_reply(ticket=ticket, author=recipient, body=SECRET_REPLY)
    deliver_all()
    [(subject, body)] = mails_to(smtp_server, cast.requester.email)
    assert subject == "Nouvelle réponse à votre demande confidentielle"
    assert link(ticket) in body

    services.ticket_reply(ticket=ticket, author=cast.requester, body=SECRET_ANSWER)
    services.ticket_participant_add(ticket=ticket, actor=recipient, user=helper)
    services.ticket_status_set(ticket=Ticket.objects.get(pk=ticket.pk), actor=recipient, status=Status.RESOLVED)
    services.ticket_status_set(
        ticket=Ticket.objects.get(pk=ticket.pk), actor=cast.requester, status=Status.IN_PROGRESS
    )
    deliver_all()

    subjects = {(to, subject) for to, subject, _body in delivered(smtp_server)}
    assert subjects == {
        (recipient.email, "Vous avez une nouvelle demande confidentielle"),
        (cast.requester.email, "Nouvelle réponse à votre demande confidentielle"),
        (recipient.email, "Nouveau message sur une demande confidentielle"),
        (cast.requester.email, "Une personne a été ajoutée à votre demande confidentielle"),
        (helper.email, "Vous avez une nouvelle demande confidentielle"),
        (cast.requester.email, "Votre demande confidentielle a changé de statut"),
        (recipient.email, "Une demande confidentielle a changé de statut"),
        (helper.email, "Une demande confidentielle a changé de statut"),
    }
    # Told who was given access (a name, not content).
    [(_s, told)] = [(s, b) for s, b in mails_to(smtp_server, cast.requester.email) if "ajoutée" in s]
    assert "Eva Sorbier" in told

    # Nothing anywhere: every e-mail, every webhook post, every outbox row.
    assert webhook_posts(mattermost) == []
    assert not Notification.objects.filter(channel="mattermost").exists()
    for _to, subject, body in delivered(smtp_server):
        for secret in SECRETS:
            assert secret not in subject and secret not in body
    for row in Notification.objects.all():
        for secret in SECRETS:
            assert secret not in row.subject and secret not in row.body
    # Nobody outside it was written to.
    assert {to for to, _s, _b in delivered(smtp_server)} == {recipient.email, cast.requester.email, helper.email}


def test_a_request_marked_confidential_is_not_announced_nor_copied(cast, peers):
    smtp_server, mattermost = peers
    ticket = services.ticket_submit(
        requester=cast.requester,
        kind="convention-devis-service-fait",
        subject=SECRET_SUBJECT,
        body=SECRET_BODY,
        product=cast.product,
        confidential=True,
    )
    deliver_all()
    # The operations lead reads it; the portfolio manager (in copy for this kind) hears nothing.
    [(to, subject, body)] = delivered(smtp_server)
    assert (to, subject) == ("emilie.grenat@beta.gouv.fr", "Vous avez une nouvelle demande confidentielle")
    assert link(ticket) in body
    assert "Justice pour tous" not in body  # not even the product
    assert webhook_posts(mattermost) == []


def test_a_normal_and_a_confidential_request_side_by_side(cast, peers):
    """The webhook works (the normal request is posted) and still receives nothing of the confidential one."""
    smtp_server, mattermost = peers
    services.ticket_submit(
        requester=cast.requester, kind="signalement", subject=SECRET_SUBJECT, body=SECRET_BODY, recipient=cast.assignee
    )
    normal = services.ticket_submit(requester=cast.requester, kind="autre", subject="Une question", body="Simple.")
    deliver_all()
    assert webhook_posts(mattermost) == [
        {"text": f"Nouvelle demande au guichet : Autre question — {link(normal)}", "channel": "incubateur-animation"}
    ]
    for _to, subject, body in delivered(smtp_server):
        assert SECRET_SUBJECT not in subject + body and SECRET_BODY not in body
