"""#13, finding 1: an administrator changed a person's address in /admin/ and logged in as them with a login link.

A change of address now goes through `services.change_email`, whatever the entry point: journaled, told to the old
and the new address, every session of the account ended, its API tokens revoked, its pending login links dead.
No impersonation feature exists.
"""

import re

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from incubateur.accounts import services
from incubateur.accounts.api_auth import api_token_issue
from incubateur.accounts.models import User
from incubateur.core.models import JournalEntry, Notification, NotificationStatus
from tests.factories import UserFactory
from tests.utils import run_tasks

LINK = re.compile(r"http://testserver(/connexion/lien/[^/\s]+/)")
ATTACKER = "boite.de.l.admin@example.org"


@pytest.fixture
def victim():
    return UserFactory(email="gael.ivoire@beta.gouv.fr", username="gael.ivoire", first_name="Gaël", last_name="Ivoire")


@pytest.fixture
def admin_client():
    client = Client()
    client.force_login(UserFactory(username="admin.site", admin=True))
    return client


def logged_in_with_a_link(email, smtp_server) -> Client:
    """A browser logged in the real way: a link asked for, received by e-mail, confirmed."""
    client = Client()
    client.post("/connexion/", {"email": email})
    run_tasks()
    client.post(LINK.search(smtp_server.messages[-1].get_content()).group(1))
    assert SESSION_KEY in client.session
    return client


def change_in_admin(admin_client, user, **fields):
    data = {
        "email": user.email,
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "is_active": "on",
        "_save": "Enregistrer",
        **fields,
    }
    return admin_client.post(f"/admin/accounts/user/{user.pk}/change/", data)


def bodies_to(smtp_server, address) -> list[str]:
    return [m.get_content() for m in smtp_server.messages if m["To"] == address]


def test_the_admin_attack_is_journaled_told_to_both_addresses_and_ends_every_session(
    victim, admin_client, smtp_server
):
    browser = logged_in_with_a_link(victim.email, smtp_server)
    api = Client(headers={"Authorization": f"Bearer {api_token_issue(user=victim, name='script')[1]}"})
    assert api.get("/api/v1/organisations").status_code == 200
    # A link asked for before the change, still in the outbox (SMTP down meanwhile, say).
    Client().post("/connexion/", {"email": victim.email})
    pending = Notification.objects.filter(kind="accounts.login_link", status=NotificationStatus.PENDING).get()

    response = change_in_admin(admin_client, victim, email=ATTACKER, first_name="Gaëlle")
    assert response.status_code == 302, response.content.decode()[:2000]

    victim.refresh_from_db()
    assert (victim.email, victim.first_name) == (ATTACKER, "Gaëlle")
    assert victim.email_changed_at is not None
    # The victim's browser is logged out; its API token no longer works.
    assert SESSION_KEY not in browser.session
    assert browser.get("/mon-espace/").status_code == 302
    assert api.get("/api/v1/organisations").status_code == 401
    # The journal says who did it.
    entry = JournalEntry.objects.get(action="accounts.email_changed")
    assert entry.actor.username == "admin.site"
    assert entry.data["from"] == "gael.ivoire@beta.gouv.fr" and entry.data["to"] == ATTACKER
    assert entry.data["sessions"] == 1 and entry.data["api_tokens"] == 1 and entry.data["login_links"] == 1

    sent_before = len(smtp_server.messages)
    run_tasks()
    # Both addresses are told; the old one learns the new address and who changed it.
    [to_old] = bodies_to(smtp_server, "gael.ivoire@beta.gouv.fr")[-1:]
    assert ATTACKER in to_old and "changée" in to_old and "par " in to_old
    assert len(bodies_to(smtp_server, ATTACKER)) == 1
    # The link asked for before the change is not sent: it went nowhere, and the token is dead.
    assert len(smtp_server.messages) == sent_before + 2
    pending.refresh_from_db()
    assert pending.status == NotificationStatus.EXPIRED
    assert not LINK.search(pending.body)


def test_the_new_address_logs_in_only_with_a_new_link_and_the_old_one_gets_none(victim, admin_client, smtp_server):
    change_in_admin(admin_client, victim, email=ATTACKER)
    run_tasks()
    count = len(smtp_server.messages)
    Client().post("/connexion/", {"email": "gael.ivoire@beta.gouv.fr"})
    run_tasks()
    assert len(smtp_server.messages) == count  # the old address has no account any more


def test_saving_other_fields_changes_nothing_of_the_kind(victim, admin_client, smtp_server):
    browser = logged_in_with_a_link(victim.email, smtp_server)
    assert change_in_admin(admin_client, victim, first_name="Gaëlle").status_code == 302
    assert SESSION_KEY in browser.session
    assert not JournalEntry.objects.filter(action="accounts.email_changed").exists()
    assert User.objects.get(pk=victim.pk).email_changed_at is None


def test_an_administrator_changing_their_own_address_is_logged_out_too(smtp_server):
    admin = UserFactory(username="admin.site", admin=True)
    client = logged_in_with_a_link(admin.email, smtp_server)
    assert change_in_admin(client, admin, email="autre.adresse@beta.gouv.fr").status_code == 302
    assert client.get("/admin/").status_code == 302  # to the login page
    assert not Session.objects.exists()
    assert JournalEntry.objects.filter(action="accounts.email_changed", actor=admin).exists()


def test_the_service_refuses_a_taken_or_invalid_address_and_ignores_the_same_one(victim):
    other = UserFactory(email="deja.pris@beta.gouv.fr")
    with pytest.raises(ValidationError) as taken:
        services.change_email(user=victim, new_email="Deja.Pris@beta.gouv.fr", by=None)
    assert "email" in taken.value.message_dict
    with pytest.raises(ValidationError):
        services.change_email(user=victim, new_email="pas-une-adresse", by=None)
    services.change_email(user=victim, new_email=" GAEL.IVOIRE@beta.gouv.fr ", by=None)
    assert not JournalEntry.objects.filter(action="accounts.email_changed").exists()
    assert User.objects.get(pk=victim.pk).email_changed_at is None
    assert other.email == "deja.pris@beta.gouv.fr"


def test_only_the_changed_accounts_sessions_end(victim, smtp_server):
    someone = UserFactory(email="quelqu.un@beta.gouv.fr")
    mine = logged_in_with_a_link(victim.email, smtp_server)
    theirs = logged_in_with_a_link(someone.email, smtp_server)
    services.change_email(user=victim, new_email="nouvelle@beta.gouv.fr", by=None)
    assert SESSION_KEY not in mine.session
    assert theirs.session[SESSION_KEY] == str(someone.pk)


def _patterns(resolver, prefix=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.name or "", entry.lookup_str


def test_no_impersonation_feature_exists():
    words = ("impersonat", "hijack", "loginas", "login_as", "login-as", "su/", "switch_user", "switch-user")
    routes = list(_patterns(get_resolver()))
    assert len(routes) > 50
    for route in routes:
        text = " ".join(route).lower()
        assert not any(word in text for word in words), route
    assert not [app for app in settings.INSTALLED_APPS if any(word in app.lower() for word in ("hijack", "imperson"))]
