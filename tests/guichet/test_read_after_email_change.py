"""#13, finding 1: an administrator gave the chosen recipient of a confidential request their own address, logged
in as the recipient with a login link and read the request; the requester saw only "the recipient read it".

The change is journaled and told to the recipient's old address (tests/accounts/test_email_change.py); here, the
read is flagged to the requester on the request page: "l'adresse de cette personne a changé le …".
"""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from incubateur.accounts.models import User
from incubateur.core.text import date_fr
from incubateur.guichet import services
from incubateur.guichet.models import Read
from tests.factories import person
from tests.utils import run_tasks

LINK = re.compile(r"http://testserver(/connexion/lien/[^/\s]+/)")
ATTACKER = "boite.de.l.admin@example.org"
FLAG = "l'adresse de cette personne a changé le"


@pytest.fixture
def secret(cast, mattermost):
    return services.ticket_submit(
        requester=cast.requester,
        kind="mal-etre",
        subject="Sujet confidentiel",
        body="Corps confidentiel",
        recipient=person("gael.ivoire"),
    )


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def requester_page(cast, ticket) -> str:
    response = as_user(cast.requester).get(f"/guichet/demandes/{ticket.reference}/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_admin_attack_is_flagged_to_the_requester(cast, secret, smtp_server):
    recipient = person("gael.ivoire")
    admin = as_user(cast.admin)
    changed = admin.post(
        f"/admin/accounts/user/{recipient.pk}/change/",
        {
            "email": ATTACKER,
            "username": recipient.username,
            "first_name": recipient.first_name,
            "last_name": recipient.last_name,
            "is_active": "on",
            "is_incubator_staff": "on",
            "_save": "Enregistrer",
        },
    )
    assert changed.status_code == 302
    # The administrator logs in as the recipient with a link sent to the new address, and reads the request.
    attacker = Client()
    attacker.post("/connexion/", {"email": ATTACKER})
    run_tasks()
    [message] = [m for m in smtp_server.messages if m["To"] == ATTACKER and "/connexion/lien/" in m.get_content()]
    attacker.post(LINK.search(message.get_content()).group(1))
    assert attacker.get(f"/guichet/demandes/{secret.reference}/").status_code == 200
    assert Read.objects.filter(ticket=secret, user=recipient).exists()

    page = requester_page(cast, secret)
    when = User.objects.get(pk=recipient.pk).email_changed_at
    assert f"{FLAG} {date_fr(when)}" in page


def test_a_read_without_a_change_is_not_flagged(cast, secret):
    as_user(person("gael.ivoire")).get(f"/guichet/demandes/{secret.reference}/")
    page = requester_page(cast, secret)
    assert "1 consultation" in page
    assert FLAG not in page


def test_a_read_long_after_the_change_is_not_flagged(cast, secret, settings):
    settings.CONFIDENTIAL_EMAIL_CHANGE_DAYS = 30
    recipient = person("gael.ivoire")
    User.objects.filter(pk=recipient.pk).update(email_changed_at=timezone.now() - timedelta(days=31))
    as_user(recipient).get(f"/guichet/demandes/{secret.reference}/")
    assert FLAG not in requester_page(cast, secret)
    settings.CONFIDENTIAL_EMAIL_CHANGE_DAYS = 40
    assert FLAG in requester_page(cast, secret)


def test_a_change_undone_after_the_read_is_flagged_too(cast, secret):
    """Change the address, read, put the address back: the last change is after the read, within the window."""
    recipient = person("gael.ivoire")
    as_user(recipient).get(f"/guichet/demandes/{secret.reference}/")
    User.objects.filter(pk=recipient.pk).update(email_changed_at=timezone.now() + timedelta(minutes=5))
    assert FLAG in requester_page(cast, secret)
