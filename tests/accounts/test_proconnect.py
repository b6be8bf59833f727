"""ProConnect (#15) against a real OpenID provider (node-oidc-provider configured like ProConnect,
tests/oidc_provider/): the authorisation request, the login, the account matching, every refusal, the logout."""

from html import unescape
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import reverse
from freezegun import freeze_time

from incubateur.accounts.models import User
from incubateur.accounts.proconnect import SESSION_ID_TOKEN
from incubateur.core.models import JournalEntry
from tests.factories import UserFactory
from tests.oidc_provider import ACCOUNTS, CLIENT_ID, OIDCProvider
from tests.utils import free_port

RP = "http://testserver"
HOME = resolve_url(django_settings.LOGIN_REDIRECT_URL)
CAMILLE, DOMINIQUE, INCONNU = "pc-sub-camille", "pc-sub-dominique", "pc-sub-inconnu"


@pytest.fixture(scope="session")
def oidc_provider():
    provider = OIDCProvider(rp_base_urls=[RP])
    yield provider
    provider.stop()


@pytest.fixture
def provider(oidc_provider, settings):
    oidc_provider.configure(settings)
    return oidc_provider


@pytest.fixture
def camille():
    return UserFactory(email=ACCOUNTS[CAMILLE], first_name="Camille", last_name="Dupont")


def start(client, **data) -> str:
    response = client.post("/connexion/proconnect/", data)
    assert response.status_code == 302, response.content.decode()[:500]
    return response["Location"]


def log_in(client, provider, account=CAMILLE, *, browser=None, mode=""):
    """Press the button, log in at the provider, come back: the response of the callback."""
    authorize = start(client)
    if mode:
        provider.set_mode(mode)
    back = provider.browse(authorize, account=account, until=RP + "/", browser=browser)
    return client.get(back.removeprefix(RP))


def actions() -> list[str]:
    return list(JournalEntry.objects.order_by("pk").values_list("action", flat=True))


# --- Not configured ----------------------------------------------------------------------------------------------


def test_not_configured_no_button_and_every_route_is_a_404(client, settings):
    settings.PROCONNECT_ISSUER = ""
    page = client.get("/connexion/").content.decode()
    assert "ProConnect" not in page
    assert "fr-connect" not in page
    assert "Recevoir un lien de connexion" in page
    assert client.post("/connexion/proconnect/").status_code == 404
    assert client.get("/connexion/proconnect/retour/?code=x&state=y").status_code == 404
    assert client.get("/deconnexion/proconnect/?state=y").status_code == 404
    assert "django.contrib.auth.backends.ModelBackend" in settings.AUTHENTICATION_BACKENDS
    assert len(settings.AUTHENTICATION_BACKENDS) == 1


def test_a_missing_secret_is_not_configured(client, provider, settings):
    settings.PROCONNECT_CLIENT_SECRET = ""
    assert "ProConnect" not in client.get("/connexion/").content.decode()
    assert client.post("/connexion/proconnect/").status_code == 404


# --- The button and the request ----------------------------------------------------------------------------------


def test_the_login_page_shows_the_proconnect_button_above_the_email_form(client, provider):
    response = client.get("/connexion/")
    page = response.content.decode()
    assert 'class="fr-connect-group"' in page
    assert "S’identifier avec</span>" in page and '<span class="fr-connect__brand">ProConnect</span>' in page
    assert 'href="https://www.proconnect.gouv.fr/"' in page and "Qu’est-ce que ProConnect ?" in page
    assert page.index("fr-connect-group") < page.index("Recevoir un lien de connexion")
    assert "Avec un lien envoyé par e-mail" in page
    # The button's form is redirected to the provider: this page's CSP allows it, and nothing inline.
    assert provider.base in response["Content-Security-Policy"].split("form-action")[1].split(";")[0]
    assert "style=" not in page.split("<main")[1]


def test_the_authorisation_request_has_exactly_what_proconnect_accepts(client, provider):
    location = start(client)
    url = urlsplit(location)
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{provider.issuer}/authorize"
    params = {key: values[0] for key, values in parse_qs(url.query, strict_parsing=True).items()}
    assert set(params) == {"response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "acr_values"}
    assert params["response_type"] == "code"
    assert params["client_id"] == CLIENT_ID
    assert params["redirect_uri"] == "http://testserver/connexion/proconnect/retour/"  # exact, trailing slash
    assert params["scope"] == "openid email given_name usual_name uid siret"
    assert params["acr_values"] == "eidas1"
    assert len(params["state"]) >= 32 and len(params["nonce"]) >= 32
    assert params["state"] != params["nonce"]
    assert start(client) != location  # a new state and nonce each time


def test_an_empty_acr_setting_sends_no_acr_values(client, provider, settings):
    settings.PROCONNECT_ACR_VALUES = ""
    assert "acr_values" not in parse_qs(urlsplit(start(client)).query)


def test_an_unreachable_provider_gets_a_clear_page(client, provider, settings):
    settings.PROCONNECT_ISSUER = f"http://127.0.0.1:{free_port()}/api/v2"
    response = client.post("/connexion/proconnect/")
    assert response.status_code == 503
    assert "ProConnect ne répond pas" in response.content.decode()


@freeze_time("2026-11-30 09:00:00")
def test_the_button_has_the_email_links_rate_limit(client, provider, settings):
    cache.clear()
    settings.LOGIN_RATE_LIMIT_PER_IP = (3, 900)
    for _ in range(3):
        assert client.post("/connexion/proconnect/").status_code == 302
    refused = client.post("/connexion/proconnect/")
    assert refused.status_code == 429
    assert "Trop de tentatives de connexion" in refused.content.decode()


# --- The login and the account -----------------------------------------------------------------------------------


def test_first_login_finds_the_account_by_email_and_stores_its_sub(client, provider, camille):
    response = log_in(client, provider)
    assert response.status_code == 302
    assert response["Location"] == HOME
    assert client.session[SESSION_KEY] == str(camille.pk)
    assert client.session[SESSION_ID_TOKEN].count(".") == 2  # kept for the logout
    camille.refresh_from_db()
    assert camille.proconnect_sub == CAMILLE
    assert actions() == ["accounts.proconnect_linked", "accounts.login"]
    login = JournalEntry.objects.get(action="accounts.login")
    assert login.data["method"] == "proconnect" and login.data["acr"] == "eidas1"
    assert "Vous êtes connecté." in client.get(HOME).content.decode()


def test_later_logins_find_the_account_by_sub_even_with_another_address(client, provider, camille):
    User.objects.filter(pk=camille.pk).update(email="camille.dupont@ancienne-adresse.fr", proconnect_sub=CAMILLE)
    response = log_in(client, provider)
    assert response["Location"] == HOME
    assert client.session[SESSION_KEY] == str(camille.pk)
    camille.refresh_from_db()
    assert camille.email == "camille.dupont@ancienne-adresse.fr"  # a login does not change the address
    assert actions() == ["accounts.proconnect_email_differs", "accounts.login"]


def test_a_new_sub_for_a_known_address_is_journaled_and_stored_never_blocked(client, provider, camille):
    User.objects.filter(pk=camille.pk).update(proconnect_sub="un-ancien-identifiant")
    response = log_in(client, provider)
    assert response["Location"] == HOME
    assert client.session[SESSION_KEY] == str(camille.pk)
    camille.refresh_from_db()
    assert camille.proconnect_sub == CAMILLE
    changed = JournalEntry.objects.get(action="accounts.proconnect_sub_changed")
    assert changed.data == {"from": "un-ancien-identifiant", "to": CAMILLE}


def test_the_next_page_is_kept_across_the_trip(client, provider, camille):
    authorize = start(client, next="/guichet/")
    back = provider.browse(authorize, account=CAMILLE, until=RP + "/")
    assert client.get(back.removeprefix(RP))["Location"] == "/guichet/"


def test_an_unknown_address_is_refused_and_no_account_is_created(client, provider, camille):
    before = User.objects.count()
    response = log_in(client, provider, INCONNU)
    assert response.status_code == 403
    page = response.content.decode()
    assert "Aucun compte ne correspond à personne.inconnue@exemple.gouv.fr" in page
    assert "Demander à rejoindre" in page
    assert f'href="{reverse("registry:member_propose")}"' in page  # to pass on to a teammate
    assert User.objects.count() == before
    assert SESSION_KEY not in client.session
    assert actions() == ["accounts.proconnect_unknown"]
    assert "personne.inconnue" not in str(JournalEntry.objects.get().data)


def test_an_inactive_account_is_not_logged_in(client, provider):
    UserFactory(email=ACCOUNTS[DOMINIQUE], inactive=True)
    response = log_in(client, provider, DOMINIQUE)
    assert response.status_code == 403
    assert "Votre compte n'est pas encore actif" in response.content.decode()
    assert SESSION_KEY not in client.session
    assert actions() == ["accounts.proconnect_linked", "accounts.proconnect_inactive"]


# --- Refusals ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "reason", "title"),
    [
        ("tamper-userinfo", "userinfo_signature", "La connexion ProConnect a été refusée"),
        ("userinfo-json", "userinfo_unsigned", "La connexion ProConnect a été refusée"),
        ("userinfo-sub", "userinfo_claims", "La connexion ProConnect a été refusée"),
        ("nonce", "nonce", "La connexion ProConnect a été refusée"),
        ("expired", "id_token_expired", "La connexion ProConnect a expiré"),
        ("audience", "id_token_claims", "La connexion ProConnect a été refusée"),
        ("issuer", "id_token_claims", "La connexion ProConnect a été refusée"),
        ("foreign-key", "id_token_signature", "La connexion ProConnect a été refusée"),
    ],
)
def test_what_a_broken_or_hostile_provider_sends_is_refused(client, provider, camille, mode, reason, title):
    response = log_in(client, provider, mode=mode)
    assert response.status_code == 400
    page = response.content.decode()
    assert f"<h1>{title}</h1>" in page
    assert "Vous n'êtes pas connecté" in page
    assert SESSION_KEY not in client.session
    assert SESSION_ID_TOKEN not in client.session
    assert actions() == ["accounts.proconnect_failed"]
    assert JournalEntry.objects.get().data["reason"] == reason
    camille.refresh_from_db()
    assert camille.proconnect_sub is None


def test_a_code_the_provider_will_not_exchange_gets_a_clear_page(client, provider, camille, settings):
    authorize = start(client)
    back = provider.browse(authorize, account=CAMILLE, until=RP + "/")
    settings.PROCONNECT_CLIENT_SECRET = "pas-le-bon-secret"  # the token endpoint refuses the client
    response = client.get(back.removeprefix(RP))
    assert response.status_code == 400
    assert "La connexion ProConnect n'a pas abouti" in unescape(response.content.decode())
    assert SESSION_KEY not in client.session
    assert JournalEntry.objects.get().data["reason"] == "token"


def test_a_callback_naming_another_issuer_is_refused(client, provider, camille):
    back = provider.browse(start(client), account=CAMILLE, until=RP + "/")
    assert f"iss={quote(provider.issuer, safe='')}" in back  # node-oidc-provider sends it (RFC 9207)
    response = client.get(back.removeprefix(RP).replace("iss=http", "iss=https"))
    assert response.status_code == 400
    assert SESSION_KEY not in client.session
    assert JournalEntry.objects.get().data["reason"] == "callback_issuer"


def test_a_replayed_state_is_refused(client, provider, camille):
    authorize = start(client)
    back = provider.browse(authorize, account=CAMILLE, until=RP + "/")
    assert client.get(back.removeprefix(RP))["Location"] == HOME
    client.logout()
    replay = client.get(back.removeprefix(RP))
    assert replay.status_code == 400
    assert "Cette connexion ProConnect a expiré" in replay.content.decode()
    assert SESSION_KEY not in client.session


def test_a_state_from_another_browser_is_refused(client, provider, camille):
    authorize = start(Client())  # someone else's login, its return given to this browser
    back = provider.browse(authorize, account=CAMILLE, until=RP + "/")
    response = client.get(back.removeprefix(RP))
    assert response.status_code == 400
    assert SESSION_KEY not in client.session


def test_a_state_older_than_the_limit_is_refused(client, provider, camille, settings):
    authorize = start(client)
    back = provider.browse(authorize, account=CAMILLE, until=RP + "/")
    settings.PROCONNECT_STATE_MAX_AGE = -1
    assert client.get(back.removeprefix(RP)).status_code == 400
    assert SESSION_KEY not in client.session


def test_a_cancelled_login_gets_a_clear_page(client, provider):
    authorize = start(client)
    state = parse_qs(urlsplit(authorize).query)["state"][0]
    response = client.get(f"/connexion/proconnect/retour/?error=access_denied&state={state}")
    assert response.status_code == 400
    assert "La connexion ProConnect n'a pas abouti" in unescape(response.content.decode())


# --- Logout ------------------------------------------------------------------------------------------------------


def test_logout_ends_the_proconnect_session_too(client, provider, camille):
    browser = provider.new_browser()
    log_in(client, provider, browser=browser)
    # Without a logout at the provider, its session logs in again without asking (silent login).
    client.logout()
    assert log_in(client, provider, account=None, browser=browser)["Location"] == HOME
    id_token = client.session[SESSION_ID_TOKEN]

    response = client.post("/deconnexion/")
    assert response.status_code == 302
    url = urlsplit(response["Location"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{provider.issuer}/session/end"
    params = {key: values[0] for key, values in parse_qs(url.query).items()}
    assert set(params) == {"id_token_hint", "state", "post_logout_redirect_uri"}
    assert params["id_token_hint"] == id_token
    assert len(params["state"]) >= 32
    assert params["post_logout_redirect_uri"] == "http://testserver/deconnexion/proconnect/"
    assert SESSION_KEY not in client.session
    assert "accounts.logout" in actions()

    # The provider ends its session and sends the browser back with the state.
    back = provider.browse(response["Location"], account=None, until=RP + "/", browser=browser)
    assert back == f"{RP}/deconnexion/proconnect/?state={params['state']}"
    home = client.get(back.removeprefix(RP), follow=True)
    assert "Vous êtes déconnecté, de la plateforme et de ProConnect." in home.content.decode()

    # The next press of the button asks again: browse() without an account fails at the login page.
    with pytest.raises(AssertionError, match="asks for a login"):
        provider.browse(start(client), account=None, until=RP + "/", browser=browser)


def test_a_logout_return_with_another_state_changes_nothing(client, provider, camille):
    client.force_login(camille)
    response = client.get("/deconnexion/proconnect/?state=" + "x" * 43)
    assert response["Location"] == "/"
    assert client.session[SESSION_KEY] == str(camille.pk)  # not a way to log someone out


def test_logout_after_an_email_link_login_stays_on_the_site(client, provider, camille):
    client.force_login(camille)
    response = client.post("/deconnexion/")
    assert response["Location"] == "/"
