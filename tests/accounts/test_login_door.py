"""The login door under attack (#13, findings 6 and 7).

6. The time of `POST /connexion/` told which addresses have an account: both now do the same work (the same
   statements on the same tables), the unknown address's message being dropped by the worker at send time.
7. Someone else could use up a person's login links (5 per address per 15 minutes): the limit now counts per
   address *from one client*, plus a limit per client; the newest link supersedes the older ones; the client is
   `REMOTE_ADDR`, and `X-Forwarded-For` only counts behind `TRUSTED_PROXIES` proxies (none by default).
"""

import os
import re
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import SESSION_KEY
from django.db import connection
from django.shortcuts import resolve_url
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time

from incubateur.accounts.models import LoginToken
from incubateur.core.models import JournalEntry, Notification, NotificationStatus
from incubateur.core.ratelimit import client_bucket, client_ip
from tests.factories import UserFactory
from tests.utils import run_tasks

HOME = resolve_url(django_settings.LOGIN_REDIRECT_URL)
LINK = re.compile(r"http://testserver(/connexion/lien/[^/\s]+/)")


def request_link(client, email, ip="198.51.100.1", **extra):
    return client.post("/connexion/", {"email": email}, REMOTE_ADDR=ip, **extra)


def links_in(messages) -> list[str]:
    return [LINK.search(message.get_content()).group(1) for message in messages]


@pytest.fixture
def pierre():
    return UserFactory(email="pierre.boussole@beta.gouv.fr", first_name="Pierre", last_name="Boussole")


# --- 6. The same work for a known and an unknown address ------------------------------------------------------


def _shape(sql: str) -> str:
    """What a statement does, without its values: `INSERT "accounts_logintoken"`, `SELECT "accounts_user"`…"""
    verb = sql.split(None, 1)[0].upper()
    table = re.search(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)', sql, re.IGNORECASE)
    return f"{verb} {table.group(1) if table else ''}".strip()


def test_a_known_and_an_unknown_address_run_the_same_statements(client, pierre, smtp_server):
    request_link(client, UserFactory().email, ip="192.0.2.1")  # warm-up: content types and sessions cached
    with CaptureQueriesContext(connection) as known:
        assert request_link(client, pierre.email, ip="192.0.2.2").status_code == 302
    with CaptureQueriesContext(connection) as unknown:
        assert request_link(client, "personne.inconnue@beta.gouv.fr", ip="192.0.2.3").status_code == 302
    assert [_shape(q["sql"]) for q in known] == [_shape(q["sql"]) for q in unknown]
    writes = {_shape(q["sql"]) for q in unknown if q["sql"].startswith(("INSERT", "UPDATE"))}
    assert {"INSERT accounts_logintoken", "INSERT core_notification", "INSERT core_journalentry"} <= writes

    # Only the known address gets an e-mail: the worker drops the other message at send time.
    run_tasks()
    assert [m["To"] for m in smtp_server.messages][1:] == ["pierre.boussole@beta.gouv.fr"]
    decoy = Notification.objects.get(recipient="personne.inconnue@beta.gouv.fr")
    assert decoy.status == NotificationStatus.EXPIRED
    assert "/connexion/lien/" not in decoy.body
    assert LoginToken.objects.filter(user=None).count() == 1
    assert not LoginToken.objects.usable().filter(user=None).exists()
    assert JournalEntry.objects.filter(action="accounts.login_link_unknown").count() == 1


def test_an_inactive_account_gets_the_same_work_and_no_mail(client, pierre, smtp_server):
    pierre.is_active = False
    pierre.save()
    request_link(client, pierre.email)
    assert Notification.objects.filter(recipient=pierre.email).count() == 1
    run_tasks()
    assert smtp_server.messages == []
    assert LoginToken.objects.get().user is None


# --- 7. Nobody can use up someone else's login links ------------------------------------------------------------

ATTACKER = "203.0.113.66"
OWNER = "198.51.100.7"


@freeze_time("2026-11-30 09:00:00")  # one rate-limit window for the whole test
def test_an_attacker_exhausting_an_address_cannot_stop_its_owner(client, pierre, smtp_server, settings):
    settings.LOGIN_RATE_LIMIT_PER_EMAIL = (5, 900)
    for _ in range(10):
        request_link(client, pierre.email, ip=ATTACKER)
    run_tasks()
    attacker_links = links_in(smtp_server.messages)
    # Each link superseded the one before it, so the worker sent only what was still usable when it ran.
    assert 1 <= len(attacker_links) <= 5

    request_link(client, pierre.email, ip=OWNER)  # the owner asks, from their own connection
    for _ in range(10):  # the attacker goes on: refused, so the owner's link is not superseded
        request_link(client, pierre.email, ip=ATTACKER)
    run_tasks()
    owner_link = links_in(smtp_server.messages)[-1]
    assert owner_link not in attacker_links

    for path in attacker_links:  # older links no longer work
        assert client.post(path).status_code == 410
    assert SESSION_KEY not in client.session
    response = client.post(owner_link)
    assert response.status_code == 302
    assert response["Location"] == HOME
    assert client.session[SESSION_KEY] == str(pierre.pk)


def test_a_new_link_supersedes_the_unused_older_ones(client, pierre, smtp_server):
    request_link(client, pierre.email)
    run_tasks()
    request_link(client, pierre.email)
    run_tasks()
    first, second = links_in(smtp_server.messages)
    assert client.get(first).status_code == 410
    assert client.post(first).status_code == 410
    assert client.post(second)["Location"] == HOME
    assert LoginToken.objects.usable().count() == 0  # the second one is used


@freeze_time("2026-11-30 09:00:00")
def test_one_client_cannot_spray_addresses(client, settings):
    settings.LOGIN_RATE_LIMIT_PER_IP = (3, 900)
    for user in UserFactory.create_batch(6):
        request_link(client, user.email, ip=ATTACKER)
    assert LoginToken.objects.count() == 3


@freeze_time("2026-11-30 09:00:00")
def test_addresses_of_one_ipv6_connection_count_as_one_client(client, settings):
    settings.LOGIN_RATE_LIMIT_PER_IP = (3, 900)
    for n, user in enumerate(UserFactory.create_batch(6), start=1):
        request_link(client, user.email, ip=f"2001:db8:1:2::{n:x}")  # the same /64
    assert LoginToken.objects.count() == 3
    request_link(client, UserFactory().email, ip="2001:db8:1:3::1")  # another /64
    assert LoginToken.objects.count() == 4


@freeze_time("2026-11-30 09:00:00")
def test_a_forged_x_forwarded_for_is_ignored_by_default(client, settings):
    assert settings.TRUSTED_PROXIES == 0
    settings.LOGIN_RATE_LIMIT_PER_IP = (3, 900)
    for n, user in enumerate(UserFactory.create_batch(6)):
        request_link(client, user.email, ip=ATTACKER, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    assert LoginToken.objects.count() == 3
    assert set(LoginToken.objects.values_list("requested_from", flat=True)) == {ATTACKER}


@freeze_time("2026-11-30 09:00:00")
def test_x_forwarded_for_is_honoured_behind_trusted_proxies(client, settings):
    settings.TRUSTED_PROXIES = 1
    settings.LOGIN_RATE_LIMIT_PER_IP = (3, 900)
    proxy = "10.0.0.5"
    # Behind one proxy, the client is the last entry: what the client put before it is its own forgery.
    for n, user in enumerate(UserFactory.create_batch(6)):
        request_link(client, user.email, ip=proxy, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, {ATTACKER}")
    assert LoginToken.objects.count() == 3
    assert set(LoginToken.objects.values_list("requested_from", flat=True)) == {ATTACKER}
    # Another client behind the same proxy has its own allowance.
    request_link(client, UserFactory().email, ip=proxy, HTTP_X_FORWARDED_FOR=OWNER)
    assert LoginToken.objects.filter(requested_from=OWNER).count() == 1


@pytest.mark.parametrize(
    "trusted, remote, forwarded, expected",
    [
        (0, "203.0.113.66", "192.0.2.1", "203.0.113.66"),
        (1, "10.0.0.5", "192.0.2.1, 203.0.113.66", "203.0.113.66"),
        (2, "10.0.0.5", "192.0.2.1, 203.0.113.66, 10.0.0.9", "203.0.113.66"),
        (2, "10.0.0.5", "203.0.113.66", "10.0.0.5"),  # fewer entries than proxies: not through them
        (1, "10.0.0.5", "not-an-address", "10.0.0.5"),
        (1, "10.0.0.5", "203.0.113.66:4711", "203.0.113.66"),
        (1, "10.0.0.5", "[2001:db8::1]:4711", "2001:db8::1"),
        (1, "10.0.0.5", "", "10.0.0.5"),
        (0, "", "", None),
    ],
)
def test_client_ip(settings, trusted, remote, forwarded, expected):
    settings.TRUSTED_PROXIES = trusted
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


@pytest.mark.parametrize("trusted, secure", [("", False), ("0", False), ("1", True)])
def test_x_forwarded_proto_is_trusted_only_behind_trusted_proxies(trusted, secure):
    """Production settings, in a process of their own: `X-Forwarded-Proto: https` makes a request secure only when
    TRUSTED_PROXIES says a proxy sets it."""
    code = (
        "import django; django.setup();"
        "from django.test import RequestFactory;"
        "print(RequestFactory().get('/', HTTP_X_FORWARDED_PROTO='https').is_secure())"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "x" * 60,
        "TRUSTED_PROXIES": trusted,
    }
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, cwd=django_settings.BASE_DIR
    )
    assert result.stdout.strip() == str(secure)


@pytest.mark.parametrize(
    "ip, bucket",
    [
        ("203.0.113.66", "203.0.113.66"),
        ("2001:db8:1:2::7", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.66", "203.0.113.66"),
        (None, "unknown"),
        ("garbage", "unknown"),
    ],
)
def test_client_bucket(ip, bucket):
    assert client_bucket(ip) == bucket
