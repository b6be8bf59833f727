"""The public statistics in Chromium at 1280 and 375 px: /statistiques/ and indicator pages (a stacked column chart
with suppressed cells, a horizontal bar chart), each drawn as SVG by the server. axe-core finds nothing (the charts
included: role="img" named by their title and description), the CSP refuses nothing, the chart is visible and no
wider than the page."""

import datetime

import pytest
from playwright.sync_api import expect

from incubateur.registry.models import Phase
from incubateur.transparency import statistics
from tests.browser.helpers import DESKTOP, MOBILE, check_page
from tests.registry.factories import MemberFactory, MissionFactory, ProductFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def figures(transactional_db):
    for number in range(6):
        product = ProductFactory(ghid=f"produit-{number}", name=f"Produit {number}")
        Phase.objects.create(product=product, name="construction", start=datetime.date(2020 + number % 3, 3, 1))
    # About seven arrivals per year and domaine from 2021 to 2023, and one alone in 2024 (suppressed).
    for number in range(64):
        member = MemberFactory(username=f"membre{number}", domaine=["Développement", "Design", "Produit"][number % 3])
        year = 2024 if number == 63 else 2021 + (number // 3) % 3
        MissionFactory(member=member, start=datetime.date(year, 2, 1), end=None)
    statistics.refresh()


@pytest.mark.parametrize("viewport", [DESKTOP, MOBILE], ids=["1280px", "375px"])
def test_statistics_pages_are_accessible(new_page, figures, csp_violations, viewport):
    page = new_page(viewport=viewport)
    page.goto("/statistiques/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Statistiques")
    check_page(page, csp_violations)
    page.get_by_role("link", name="Nouveaux membres par année et par domaine").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nouveaux membres par année et par domaine")
    chart = page.get_by_role("img", name="Nouveaux membres par année et par domaine")
    expect(chart).to_be_visible()
    assert page.locator("svg.statistics-chart__svg rect").count() > 0
    expect(page.get_by_role("table")).to_contain_text("< 5")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], f"the page scrolls sideways at {viewport['width']} px ({width} px)"
    check_page(page, csp_violations)
    page.goto("/statistiques/produits-par-phase/")
    expect(page.get_by_role("img", name="Produits par phase")).to_be_visible()
    check_page(page, csp_violations)
