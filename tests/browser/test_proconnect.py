"""ProConnect (#15) in Chromium, against a real OpenID provider (node-oidc-provider configured like ProConnect,
tests/oidc_provider/): the login page with the button (axe, CSP), the trip to the provider and back, the logout
that ends the provider's session too, and the next login that asks again."""

import re

import pytest
from playwright.sync_api import expect

from incubateur.core.models import JournalEntry
from tests.browser.helpers import check_page
from tests.factories import UserFactory
from tests.oidc_provider import ACCOUNTS, OIDCProvider

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="session")
def oidc_provider(live_server):
    provider = OIDCProvider(rp_base_urls=[live_server.url])
    yield provider
    provider.stop()


@pytest.fixture
def provider(oidc_provider, live_server, settings):
    settings.BASE_URL = live_server.url  # the redirect URI registered with the provider
    oidc_provider.configure(settings)
    return oidc_provider


def test_login_with_proconnect_then_logout_of_both(page, csp_violations, live_server, provider):
    user = UserFactory(email=ACCOUNTS["pc-sub-camille"], first_name="Camille", last_name="Dupont")

    page.goto("/connexion/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Se connecter")
    button = page.get_by_role("button", name="S’identifier avec ProConnect")
    expect(button).to_be_visible()
    what = page.get_by_role("link", name=re.compile("Qu’est-ce que ProConnect ?"))
    expect(what).to_have_attribute("href", "https://www.proconnect.gouv.fr/")
    expect(page.get_by_role("button", name="Recevoir un lien de connexion")).to_be_visible()
    # ProConnect's logo, from our own static files (the CSP allows no other).
    logo = page.locator(".proconnect-button").evaluate("b => getComputedStyle(b, '::before').backgroundImage")
    assert "proconnect-logo" in logo
    check_page(page, csp_violations)

    button.click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(provider.base)}/interaction/"))
    page.get_by_role("button", name=user.email).click()

    expect(page).to_have_url(f"{live_server.url}/mon-espace/")
    expect(page.get_by_role("status")).to_have_text("Vous êtes connecté.")
    expect(page.locator("main").get_by_text(user.email, exact=True)).to_be_visible()
    check_page(page, csp_violations)
    user.refresh_from_db()
    assert user.proconnect_sub == "pc-sub-camille"

    # Logout goes through the provider's end-session endpoint and comes back.
    ended = []
    page.on("request", lambda request: ended.append(request.url) if "/session/end" in request.url else None)
    page.locator(".fr-header__tools-links").get_by_role("button", name="Se déconnecter").click()
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("status")).to_have_text("Vous êtes déconnecté, de la plateforme et de ProConnect.")
    assert ended and "id_token_hint=" in ended[0] and "post_logout_redirect_uri=" in ended[0]
    check_page(page, csp_violations)
    assert JournalEntry.objects.filter(action="accounts.logout").count() == 1

    # The provider's session ended: the next login asks who you are again.
    page.goto("/connexion/")
    page.get_by_role("button", name="S’identifier avec ProConnect").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(provider.base)}/interaction/"))
    expect(page.get_by_role("button", name=user.email)).to_be_visible()


def test_an_unknown_address_gets_a_clear_page(page, csp_violations, live_server, provider):
    page.goto("/connexion/")
    page.get_by_role("button", name="S’identifier avec ProConnect").click()
    page.get_by_role("button", name=ACCOUNTS["pc-sub-inconnu"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Aucun compte ne correspond à {ACCOUNTS['pc-sub-inconnu']}"
    )
    check_page(page, csp_violations)
    page.goto("/mon-espace/")
    expect(page).to_have_url(re.compile(r"/connexion/\?next=/mon-espace/$"))
