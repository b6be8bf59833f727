"""axe-core (WCAG 2.1 A and AA) on every page of the shell, in Chromium, with DSFR's JavaScript running.

Each page also fails on any Content-Security-Policy violation reported in the console.
"""

import secrets
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from incubateur.accounts.models import LoginToken
from incubateur.core.models import (
    JournalEntry,
    Notification,
    NotificationChannel,
    NotificationStatus,
    Visibility,
)
from tests.browser.helpers import MOBILE, check_page, log_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    "path,status,heading",
    [
        ("/", 200, "Incubateur de services numériques"),
        ("/accessibilite/", 200, "Déclaration d'accessibilité"),
        ("/mentions-legales/", 200, "Mentions légales"),
        ("/donnees-personnelles/", 200, "Données personnelles"),
        ("/plan-du-site/", 200, "Plan du site"),
        ("/connexion/", 200, "Se connecter"),
        ("/connexion/envoye/", 200, "Vérifiez vos e-mails"),
        ("/connexion/lien/lien-inconnu/", 410, "Ce lien n'est plus valable"),
        ("/cette-page-n-existe-pas/", 404, "Page introuvable"),
    ],
)
def test_anonymous_pages(page, csp_violations, path, status, heading):
    response = page.goto(path)
    assert response.status == status
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    check_page(page, csp_violations)


def test_login_form_with_an_invalid_address(page, csp_violations):
    page.goto("/connexion/")
    page.get_by_label("Adresse e-mail").fill("prenom.nom")
    page.get_by_role("button", name="Recevoir un lien de connexion").click()
    expect(page.get_by_text("Saisissez une adresse e-mail valide")).to_be_visible()
    expect(page.get_by_label("Adresse e-mail")).to_have_value("prenom.nom")
    check_page(page, csp_violations)


def test_login_form_sent(page, csp_violations):
    page.goto("/connexion/")
    page.get_by_label("Adresse e-mail").fill("personne.inconnue@beta.gouv.fr")
    page.get_by_role("button", name="Recevoir un lien de connexion").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vérifiez vos e-mails")
    expect(page.get_by_text("personne.inconnue@beta.gouv.fr")).to_be_visible()
    check_page(page, csp_violations)


def test_login_confirmation_with_a_valid_link(page, csp_violations):
    user = UserFactory()
    secret = secrets.token_urlsafe(32)
    now = timezone.now()
    LoginToken.objects.create(
        user=user, token_hash=LoginToken.hash(secret), created_at=now, expires_at=now + timedelta(minutes=15)
    )
    response = page.goto(f"/connexion/lien/{secret}/")
    assert response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirmer la connexion")
    expect(page.get_by_text(user.email)).to_be_visible()
    check_page(page, csp_violations)


def test_account_page(page, csp_violations, live_server):
    user = UserFactory()
    log_in(page, user, live_server.url)
    response = page.goto("/mon-espace/")
    assert response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon espace")
    expect(page.get_by_text(user.email)).to_be_visible()
    check_page(page, csp_violations)


@pytest.fixture
def staff_page(page, live_server):
    """A page logged in as Incubator staff, with enough journal rows for two pages and failed notifications."""
    staff = UserFactory(staff=True)
    JournalEntry.objects.bulk_create(
        JournalEntry(
            actor=staff if i % 2 else None,
            action="test.action",
            message=f"Action numéro {i}",
            visibility=Visibility.INTERNAL,
            object_repr=f"Objet {i}",
        )
        for i in range(60)
    )
    for i in range(3):
        Notification.objects.create(
            kind="test.notification",
            channel=NotificationChannel.EMAIL,
            recipient=f"destinataire{i}@beta.gouv.fr",
            subject=f"Objet de la notification {i}",
            body="Contenu",
            status=NotificationStatus.FAILED,
            attempts=8,
            last_error="SMTPServerDisconnected: Connection unexpectedly closed",
        )
    log_in(page, staff, live_server.url)
    return page


@pytest.mark.parametrize(
    "path,heading,row",
    [
        ("/equipe/journal/", "Journal des actions", "Action numéro 59"),
        ("/equipe/journal/?page=2", "Journal des actions", "Action numéro 0"),
        ("/equipe/notifications/", "Notifications", "destinataire0@beta.gouv.fr"),
    ],
)
def test_staff_pages(staff_page, csp_violations, path, heading, row):
    response = staff_page.goto(path)
    assert response.status == 200
    expect(staff_page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(staff_page.get_by_role("cell", name=row, exact=True)).to_be_visible()
    check_page(staff_page, csp_violations)


@pytest.mark.parametrize("path", ["/", "/connexion/"])
def test_mobile_viewport(new_page, csp_violations, path):
    page = new_page(viewport=MOBILE, is_mobile=True, has_touch=True)
    page.goto(path)
    expect(page.get_by_role("button", name="Menu")).to_be_visible()
    check_page(page, csp_violations)


def test_mobile_menu_open(new_page, csp_violations):
    page = new_page(viewport=MOBILE, is_mobile=True, has_touch=True)
    page.goto("/")
    check_page(page, csp_violations)
    page.get_by_role("button", name="Menu").click()
    menu = page.locator("#menu-principal")
    expect(menu).to_be_visible()
    expect(menu.get_by_role("link", name="Se connecter")).to_be_visible()
    check_page(page, csp_violations)


def test_home_in_dark_mode(new_page, csp_violations):
    # The shell follows the system colour scheme (data-fr-scheme="system").
    page = new_page(color_scheme="dark")
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("data-fr-theme", "dark")
    check_page(page, csp_violations)
