"""#13, finding 1: with SMTP down, an administrator read login links in the pending notifications of /admin/.

The outbox row of a login link holds the message with the link masked; the worker makes the secret and writes the
link in at send time, and never stores it. No page shows a usable link: the admin's notification pages, the
outbox page (/equipe/notifications/).
"""

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client

from incubateur.accounts.models import LoginToken
from incubateur.accounts.services import LOGIN_LINK_MASK
from incubateur.core.models import Notification, NotificationStatus
from tests.factories import UserFactory
from tests.utils import SMTPServer, fast_forward, run_tasks

LINK = re.compile(r"http://testserver(/connexion/lien/([^/\s]+)/)")
PIERRE = "pierre.boussole@beta.gouv.fr"


@pytest.fixture
def admin():
    client = Client()
    client.force_login(UserFactory(username="admin.site", admin=True))
    return client


def pages(admin, notification) -> str:
    """Everything an administrator can open about the outbox."""
    return "\n".join(
        admin.get(path).content.decode()
        for path in (
            "/admin/core/notification/",
            "/admin/core/notification/?q=pierre",
            f"/admin/core/notification/{notification.pk}/change/",
            "/equipe/notifications/",
            "/equipe/notifications/?etat=pending",
            "/equipe/notifications/?etat=tous",
        )
    )


def test_with_smtp_down_no_page_shows_a_usable_login_link(admin, smtp_port):
    UserFactory(email=PIERRE)
    Client().post("/connexion/", {"email": PIERRE})
    run_tasks()  # SMTP is down: the attempt fails, the row waits for the next one
    notification = Notification.objects.get(kind="accounts.login_link")
    assert (notification.status, notification.attempts) == (NotificationStatus.PENDING, 1)
    assert LOGIN_LINK_MASK in notification.body and not LINK.search(notification.body)

    seen_while_pending = pages(admin, notification)
    assert "/connexion/lien/" not in seen_while_pending
    assert "pierre.boussole" in seen_while_pending  # the pages were read (the row is listed)

    # SMTP is back: the worker writes a link in at send time, and the link works.
    server = SMTPServer(port=smtp_port).start()
    try:
        fast_forward()
        run_tasks()
    finally:
        server.stop()
    [message] = server.messages
    path, secret = LINK.search(message.get_content()).groups()
    assert secret not in seen_while_pending
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT
    seen_after = pages(admin, notification)
    assert secret not in seen_after and "/connexion/lien/" not in seen_after
    assert LoginToken.objects.get().token_hash == LoginToken.hash(secret)

    browser = Client()
    assert browser.post(path).status_code == 302
    assert SESSION_KEY in browser.session


def test_each_attempt_makes_a_new_secret_and_only_the_last_one_sent_works(smtp_port):
    """An attempt that failed may have reached someone (a relay that took it, then answered an error): its secret
    dies with the next attempt."""
    UserFactory(email=PIERRE)
    server = SMTPServer(port=smtp_port).start()
    server.handler.reply = "451 Try again later"
    try:
        Client().post("/connexion/", {"email": PIERRE})
        run_tasks()
        first_hash = LoginToken.objects.get().token_hash
        server.handler.reply = None
        fast_forward()
        run_tasks()
    finally:
        server.stop()
    [message] = server.messages
    path, secret = LINK.search(message.get_content()).groups()
    assert LoginToken.objects.get().token_hash == LoginToken.hash(secret) != first_hash


def test_a_used_or_expired_link_is_not_sent(smtp_server):
    UserFactory(email=PIERRE)
    Client().post("/connexion/", {"email": PIERRE})
    LoginToken.objects.update(used_at="2026-01-01T00:00:00Z")
    run_tasks()
    assert smtp_server.messages == []
    assert Notification.objects.get().status == NotificationStatus.EXPIRED


def test_a_secret_bearing_row_written_before_masking_is_not_shown_in_the_admin(admin):
    """Rows written by the previous version held the link: the admin shows no body of a sensitive row."""
    notification = Notification.objects.create(
        kind="accounts.login_link",
        channel="email",
        recipient=PIERRE,
        subject="Votre lien de connexion",
        body="http://testserver/connexion/lien/ANCIEN-SECRET-1234/",
        sensitive=True,
    )
    page = admin.get(f"/admin/core/notification/{notification.pk}/change/").content.decode()
    assert "ANCIEN-SECRET-1234" not in page
    assert "contenu sensible" in page
    other = Notification.objects.create(kind="test", channel="email", recipient=PIERRE, body="Un texte ordinaire")
    assert "Un texte ordinaire" in admin.get(f"/admin/core/notification/{other.pk}/change/").content.decode()
