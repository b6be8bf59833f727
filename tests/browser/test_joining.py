"""Joining in Chromium (#14): a teammate adds a newcomer to their product's team, a member of the incubator's team
validates the arrival, and the newcomer opens the welcome link (read from the real SMTP peer) and lands on their
onboarding checklist. axe-clean on every page."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from incubateur.registry.models import Member
from tests.browser.helpers import check_page, log_in
from tests.factories import UserFactory
from tests.registry.factories import IncubatorFactory, MemberFactory, ProductFactory, TeamFactory, team_member
from tests.utils import run_tasks

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_teammate_adds_a_newcomer_the_incubator_validates_the_newcomer_logs_in(
    new_page, csp_violations, live_server, smtp_server, settings
):
    settings.BASE_URL = live_server.url
    incubator = IncubatorFactory(ghid="incubateur-sud", title="Incubateur du Sud")
    product = ProductFactory(ghid="rdv.mjd", name="RDV Justice", incubator=incubator, phase="construction")
    teammate = team_member(product, username="alice.equipe", first_name="Alice", last_name="Équipe")
    reviewer = UserFactory(username="rose.incub", first_name="Rose", last_name="Incub")
    MemberFactory(username="rose.incub", fullname="Rose Incub", user=reviewer).teams.add(
        TeamFactory(ghid="equipe-sud", name="Équipe du Sud", incubator=incubator)
    )

    # A teammate adds the newcomer from the product's page.
    page = new_page()
    log_in(page, teammate, live_server.url)
    page.goto("/produits/rdv.mjd/")
    check_page(page, csp_violations)
    page.get_by_role("link", name="Ajouter un membre à l'équipe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ajouter un membre à l'équipe")
    expect(page.get_by_label("Produit")).to_have_value("rdv.mjd")
    check_page(page, csp_violations)
    page.get_by_label("Prénom", exact=True).fill("Jeanne")
    page.get_by_label("Nom", exact=True).fill("Dupré")
    page.locator("#id_email").fill("jeanne.dupre@example.org")
    page.get_by_label("Domaine", exact=True).select_option("Design")
    page.locator("#id_role").fill("Designer")
    page.get_by_label("Début de la mission").fill(timezone.localdate().isoformat())
    page.locator("#id_end").fill((timezone.localdate() + datetime.timedelta(days=90)).isoformat())
    page.get_by_label("Statut", exact=True).select_option("independent")
    page.get_by_role("button", name="Ajouter le membre").click()
    expect(page).to_have_url(f"{live_server.url}/produits/rdv.mjd/")
    expect(page.locator("#equipe ~ ul .fr-badge").get_by_text("en attente de validation", exact=True)).to_be_visible()
    check_page(page, csp_violations)
    run_tasks()
    smtp_server.messages.clear()

    # A member of the incubator's team validates it from the queue.
    page = new_page()
    log_in(page, reviewer, live_server.url)
    page.goto("/validations/")
    check_page(page, csp_violations)
    page.get_by_role("link", name="Membre : Jeanne Dupré").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Arrivée de Jeanne Dupré")
    check_page(page, csp_violations)
    page.get_by_text("Valider", exact=True).click()
    page.get_by_role("button", name="Continuer").click()
    expect(page.get_by_text("Confirmez-vous la validation ?")).to_be_visible()
    check_page(page, csp_violations)
    page.get_by_role("button", name="Confirmer la décision").click()
    expect(page).to_have_url(f"{live_server.url}/validations/")
    expect(page.get_by_text("Aucune demande n'attend votre décision.")).to_be_visible()
    check_page(page, csp_violations)
    assert Member.objects.get(username="jeanne.dupre").user.is_active

    # The newcomer opens the welcome link from the e-mail and lands on their onboarding checklist.
    run_tasks()
    [welcome] = [m for m in smtp_server.messages if m["To"] == "jeanne.dupre@example.org"]
    [link] = re.findall(rf"{re.escape(live_server.url)}/bienvenue/\S+", welcome.get_content())
    page = new_page()
    response = page.goto(link)
    assert response.status == 200 and response.headers["referrer-policy"] == "same-origin"
    expect(page.get_by_role("heading", level=1)).to_have_text("Bienvenue dans la communauté beta.gouv.fr")
    check_page(page, csp_violations)
    page.get_by_role("button", name="Me connecter").click()
    expect(page).to_have_url(f"{live_server.url}/mon-espace/parcours/")
    check_page(page, csp_violations)
