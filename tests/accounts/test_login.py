import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.shortcuts import resolve_url
from django.utils import timezone
from freezegun import freeze_time

from incubateur.accounts.models import LoginToken, User
from incubateur.core.models import JournalEntry, Notification
from tests.factories import UserFactory
from tests.utils import run_tasks

# Where a login lands: « Mon espace » (through /mon-compte/, its old address, until the setting names it).
HOME = resolve_url(settings.LOGIN_REDIRECT_URL)
LINK = re.compile(r"http://testserver(/connexion/lien/[^/\s]+/)")


def request_link(client, email, **extra):
    return client.post("/connexion/", {"email": email}, **extra)


def link_from(message) -> str:
    return LINK.search(message.get_content()).group(1)


@pytest.fixture
def pierre():
    return UserFactory(email="pierre.boussole@beta.gouv.fr", first_name="Pierre", last_name="Boussole")


def test_the_answer_is_the_same_for_known_and_unknown_addresses(client, pierre, smtp_server):
    known = request_link(client, "pierre.boussole@beta.gouv.fr")
    unknown = request_link(client, "personne@beta.gouv.fr")
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == "/connexion/envoye/"
    page = client.get("/connexion/envoye/").content.decode()
    assert "Si un compte existe pour l'adresse" in page
    run_tasks()
    assert [m["To"] for m in smtp_server.messages] == ["pierre.boussole@beta.gouv.fr"]


def test_invalid_address_gets_an_error_next_to_the_field(client):
    response = client.post("/connexion/", {"email": "pas-une-adresse"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Saisissez une adresse e-mail valide" in html
    assert 'aria-describedby="id_email-desc-error"' in html or "fr-input-group--error" in html


def test_full_login_journey_with_a_single_use_link(client, pierre, smtp_server):
    request_link(client, "Pierre.Boussole@Beta.gouv.fr ")  # case and spaces do not matter
    run_tasks()
    [message] = smtp_server.messages
    assert message["Subject"].strip() == "Votre lien de connexion à l'Incubateur de services numériques"
    path = link_from(message)

    # Following the link (a mail scanner does that) neither uses nor burns it.
    for _ in range(3):
        page = client.get(path)
        assert page.status_code == 200
        assert "Confirmer la connexion" in page.content.decode()
        assert page["Referrer-Policy"] == "same-origin"
    assert SESSION_KEY not in client.session

    response = client.post(path)
    assert response.status_code == 302
    assert response["Location"] == HOME
    assert client.session[SESSION_KEY] == str(pierre.pk)
    account = client.get(HOME, follow=True).content.decode()
    assert "pierre.boussole@beta.gouv.fr" in account
    assert "Membre de la communauté" in account

    # Used once: a second use, from any browser, is refused.
    client.post("/deconnexion/")
    assert SESSION_KEY not in client.session
    again = client.post(path)
    assert again.status_code == 410
    assert "Ce lien n'est plus valable" in again.content.decode()
    assert SESSION_KEY not in client.session

    actions = list(JournalEntry.objects.order_by("pk").values_list("action", flat=True))
    assert actions == ["accounts.login_link_sent", "accounts.login", "accounts.logout"]


def test_only_the_hash_of_the_link_is_stored(client, pierre, smtp_server):
    request_link(client, pierre.email)
    run_tasks()
    secret = link_from(smtp_server.messages[0]).split("/")[-2]
    token = LoginToken.objects.get()
    assert token.token_hash == LoginToken.hash(secret)
    assert secret not in token.token_hash
    # The outbox row that carried it is erased once sent.
    assert secret not in Notification.objects.get().body


def test_the_link_expires_after_15_minutes(client, pierre, smtp_server):
    request_link(client, pierre.email)
    run_tasks()
    path = link_from(smtp_server.messages[0])
    token = LoginToken.objects.get()
    assert token.expires_at - token.created_at == timedelta(minutes=15)
    LoginToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(path).status_code == 410
    assert client.post(path).status_code == 410
    assert SESSION_KEY not in client.session


def test_an_inactive_account_cannot_log_in(client, pierre, smtp_server):
    request_link(client, pierre.email)
    run_tasks()
    User.objects.filter(pk=pierre.pk).update(is_active=False)
    assert client.post(link_from(smtp_server.messages[0])).status_code == 410
    # and gets no link at all
    request_link(client, pierre.email)
    run_tasks()
    assert len(smtp_server.messages) == 1


def test_a_forged_link_is_refused(client, pierre):
    assert client.post("/connexion/lien/" + "A" * 43 + "/").status_code == 410


def test_the_link_works_until_its_15th_minute_on_a_frozen_clock(client, pierre, smtp_server):
    with freeze_time("2026-11-30 09:00:00") as clock:
        request_link(client, pierre.email)
        run_tasks()
        path = link_from(smtp_server.messages[0])
        clock.tick(timedelta(minutes=14, seconds=59))
        assert client.get(path).status_code == 200  # the confirmation page
        clock.tick(timedelta(seconds=2))  # 15 min 1 s
        assert client.get(path).status_code == 410
        assert client.post(path).status_code == 410
        assert SESSION_KEY not in client.session

    request_link(client, pierre.email)  # a new link, used in time, logs in once
    run_tasks()
    fresh = link_from(smtp_server.messages[1])
    assert client.post(fresh)["Location"] == HOME
    client.logout()
    assert client.post(fresh).status_code == 410


# The clock is frozen: the limit counts in fixed windows, and a real clock could cross one in the middle of a test.
@freeze_time("2026-11-30 09:00:00")
def test_rate_limit_per_address(client, pierre, settings):
    settings.LOGIN_RATE_LIMIT_PER_EMAIL = (3, 900)
    for _ in range(5):
        assert request_link(client, pierre.email)["Location"] == "/connexion/envoye/"
    assert LoginToken.objects.count() == 3


@freeze_time("2026-11-30 09:00:00")
def test_rate_limit_per_ip(client, settings):
    settings.LOGIN_RATE_LIMIT_PER_IP = (4, 900)
    users = UserFactory.create_batch(6)
    for user in users:
        request_link(client, user.email, REMOTE_ADDR="203.0.113.7")
    assert LoginToken.objects.count() == 4
    # Another address is not affected.
    request_link(client, users[-1].email, REMOTE_ADDR="203.0.113.8")
    assert LoginToken.objects.count() == 5


def test_a_rate_limit_resets_when_its_window_ends(client, pierre, settings):
    settings.LOGIN_RATE_LIMIT_PER_EMAIL = (2, 900)
    with freeze_time("2026-11-30 09:00:00") as clock:  # the start of a 15-minute window
        for _ in range(3):
            request_link(client, pierre.email)
        assert LoginToken.objects.count() == 2
        clock.tick(timedelta(minutes=14, seconds=59))
        request_link(client, pierre.email)
        assert LoginToken.objects.count() == 2  # still the same window
        clock.tick(timedelta(seconds=1))
        request_link(client, pierre.email)
        assert LoginToken.objects.count() == 3  # a new window: a new link


def test_login_returns_to_the_page_asked_for(client, pierre, smtp_server):
    response = client.get("/equipe/journal/")
    assert response["Location"] == "/connexion/?next=/equipe/journal/"
    client.post("/connexion/?next=/equipe/journal/", {"email": pierre.email, "next": "/equipe/journal/"})
    run_tasks()
    assert client.post(link_from(smtp_server.messages[0]))["Location"] == "/equipe/journal/"


def test_login_ignores_a_next_to_another_site(client, pierre, smtp_server):
    client.post("/connexion/", {"email": pierre.email, "next": "https://evil.example.org/"})
    run_tasks()
    assert client.post(link_from(smtp_server.messages[0]))["Location"] == HOME


def test_logout_needs_a_post(client, pierre):
    client.force_login(pierre)
    assert client.get("/deconnexion/").status_code == 405
    assert SESSION_KEY in client.session


def test_a_logged_in_user_visiting_the_login_page_goes_to_their_account(client, pierre):
    client.force_login(pierre)
    assert client.get("/connexion/")["Location"] == HOME


def test_sessions_expire(settings):
    assert settings.SESSION_COOKIE_AGE == 12 * 3600


def test_createsuperuser_makes_an_administrator():
    admin = User.objects.create_superuser(email="Admin@Beta.gouv.fr", password="x" * 20)
    assert admin.email == "admin@beta.gouv.fr"
    assert admin.role.name == "ADMIN"
    assert admin.check_password("x" * 20)
    assert not User.objects.create_user(email="membre@beta.gouv.fr").has_usable_password()


def test_the_old_account_address_leads_to_my_space(client):
    client.force_login(UserFactory())
    response = client.get("/mon-compte/")
    assert response.status_code == 301
    assert response["Location"] == "/mon-espace/"
    assert client.get("/mon-compte/", follow=True).redirect_chain[-1] == ("/mon-espace/", 301)


# `next` is only ever a path on this site: a URL name would be reversed (`redirect("abc")`: a NoReverseMatch, a 500),
# another site would be an open redirect.
HOSTILE_NEXTS = [
    "abc",
    "public:home",
    "//evil.example.org/",
    "https://evil.example.org/",
    "\\\\evil.example.org",
    "/\\evil.example.org",
    "\\/evil.example.org",
    "javascript:alert(1)",
    "/\tequipe/",
    "/ /evil.example.org",
    "///evil.example.org",
]


@pytest.mark.parametrize("target", HOSTILE_NEXTS)
def test_a_hostile_next_on_the_login_page_is_ignored(client, target):
    response = client.get("/connexion/", {"next": target})
    assert response.status_code == 200
    assert 'name="next"' not in response.content.decode()


@pytest.mark.parametrize("target", HOSTILE_NEXTS)
def test_a_logged_in_user_with_a_hostile_next_goes_to_their_space(client, pierre, target):
    client.force_login(pierre)
    response = client.get("/connexion/", {"next": target})
    assert response.status_code == 302
    assert response["Location"] == HOME


@pytest.mark.parametrize("target", HOSTILE_NEXTS)
def test_a_hostile_next_is_ignored_after_the_link(client, pierre, smtp_server, target):
    client.post(f"/connexion/?next={target}", {"email": pierre.email, "next": target})
    run_tasks()
    assert client.post(link_from(smtp_server.messages[0]))["Location"] == HOME


def test_a_local_next_with_a_query_string_is_kept(client, pierre):
    client.force_login(pierre)
    assert client.get("/connexion/", {"next": "/equipe/journal/?page=2"})["Location"] == "/equipe/journal/?page=2"
