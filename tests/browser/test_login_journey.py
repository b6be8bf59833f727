"""The login journey in Chromium, end to end: form, e-mail through the outbox and a real SMTP server, link,
confirmation, account page, logout, and the link refused once used. Plus the keyboard entry to the page."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import check_page
from tests.factories import UserFactory
from tests.utils import run_tasks

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_by_link_then_logout(page, csp_violations, live_server, smtp_server, settings):
    settings.BASE_URL = live_server.url
    user = UserFactory(email="camille.dupont@beta.gouv.fr")

    page.goto("/connexion/")
    page.get_by_label("Adresse e-mail").fill("Camille.Dupont@beta.gouv.fr")
    page.get_by_role("button", name="Recevoir un lien de connexion").click()
    expect(page).to_have_url(f"{live_server.url}/connexion/envoye/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Vérifiez vos e-mails")
    check_page(page, csp_violations)

    # The e-mail leaves through the durable outbox: the task worker sends it to the SMTP server.
    assert smtp_server.messages == []
    assert run_tasks() >= 1
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[-1]
    assert message["To"] == user.email
    links = re.findall(r"https?://\S+", message.get_content())
    assert len(links) == 1
    link = links[0]
    assert link.startswith(f"{live_server.url}/connexion/lien/")

    response = page.goto(link)
    assert response.status == 200
    # The secret in the URL never goes to another site; "no-referrer" would also make the browser send
    # `Origin: null` with the confirmation POST, which Django's CSRF check refuses.
    assert response.headers["referrer-policy"] == "same-origin"
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirmer la connexion")
    expect(page.get_by_text(user.email)).to_be_visible()
    page.get_by_role("button", name="Me connecter").click()

    expect(page).to_have_url(f"{live_server.url}/mon-espace/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon espace")
    expect(page.get_by_role("status")).to_have_text("Vous êtes connecté.")
    expect(page.locator("main").get_by_text(user.email, exact=True)).to_be_visible()
    check_page(page, csp_violations)

    page.locator(".fr-header__tools-links").get_by_role("button", name="Se déconnecter").click()
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("status")).to_have_text("Vous êtes déconnecté.")
    expect(page.locator(".fr-header__tools-links").get_by_role("link", name="Se connecter")).to_be_visible()
    check_page(page, csp_violations)

    response = page.goto(link)
    assert response.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text("Ce lien n'est plus valable")
    page.goto("/mon-espace/")
    expect(page).to_have_url(re.compile(r"/connexion/\?next=/mon-espace/$"))


def test_first_tab_reaches_the_skip_link_to_the_content(page, csp_violations):
    page.goto("/")
    check_page(page, csp_violations)
    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Contenu", exact=True)
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_visible()  # DSFR shows the skip links while they have the focus
    page.keyboard.press("Enter")
    expect(page.locator("main#contenu")).to_be_focused()
    expect(page).to_have_url(re.compile(r"#contenu$"))
