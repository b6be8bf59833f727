"""The public journal and the commitments measured in Chromium, at 1280 and 375 px: axe-core finds nothing, the CSP
refuses nothing, the filters work without JavaScript, and the tables of figures are readable on a phone."""

import pytest
from django.db import transaction
from playwright.sync_api import expect

from incubateur.core import journal
from incubateur.core.models import Visibility
from incubateur.transparency import commitments
from tests.browser.helpers import DESKTOP, MOBILE, check_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def published(transactional_db):
    with transaction.atomic():
        journal.record(
            actor=None,
            action="programmes.results_published",
            message="Résultats de « FAST 2026 » : 3 lauréats, 600 000 €",
            visibility=Visibility.PUBLIC,
            data={"laureates": 3, "total": 600000},
        )
        journal.record(
            actor=None,
            action="organisation.portfolio_manager",
            message="Marie Curie est désormais responsable du portefeuille Santé",
            visibility=Visibility.PUBLIC,
        )
        journal.record(
            actor=None, action="programmes.call_created", message="Appel interne", visibility=Visibility.INTERNAL
        )
    commitments.refresh()


@pytest.mark.parametrize("viewport", [DESKTOP, MOBILE], ids=["1280", "375"])
def test_the_journal(new_page, live_server, csp_violations, published, viewport):
    page = new_page(viewport=viewport)
    page.goto("/journal/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Journal public")
    expect(page.get_by_text("Résultats de « FAST 2026 »")).to_be_visible()
    expect(page.get_by_text("Appel interne")).to_have_count(0)
    check_page(page, csp_violations)
    page.get_by_label("Type d'action").select_option(label="Organisation et portefeuilles")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.get_by_text("portefeuille Santé")).to_be_visible()
    expect(page.get_by_text("Résultats de « FAST 2026 »")).to_have_count(0)
    check_page(page, csp_violations)


@pytest.mark.parametrize("viewport", [DESKTOP, MOBILE], ids=["1280", "375"])
def test_the_commitments(new_page, live_server, csp_violations, published, viewport):
    page = new_page(viewport=viewport)
    page.goto("/engagements/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Nos engagements, mesurés")
    for key in commitments.ORDER:
        expect(page.locator(f"h2#{key}")).to_be_visible()
    expect(page.get_by_role("table").first).to_be_attached()
    check_page(page, csp_violations)


def test_the_empty_pages(new_page, live_server, csp_violations):
    page = new_page()
    page.goto("/journal/")
    expect(page.get_by_text("Aucune action publique")).to_be_visible()
    check_page(page, csp_violations)
    page.goto("/engagements/")
    expect(page.get_by_text("pas encore été calculés")).to_be_visible()
    check_page(page, csp_violations)
