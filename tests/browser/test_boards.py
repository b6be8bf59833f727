"""Wide tables in Chromium: a portfolio manager's board whose portfolio holds a dotted product id (`rdv.mjd`) and
long product names fits a 1280 px screen (no column pushed off-screen: the table's container does not scroll
sideways), shows fewer columns at 375 px (the others stay on the product's committees page), and axe finds nothing.
The guichet's desk, with a long subject, fits too. A product without any committee known is "aucun comité connu",
never "en retard"."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from incubateur.guichet import services as guichet
from incubateur.registry.models import Event
from tests.browser.helpers import DESKTOP, MOBILE, check_page, log_in
from tests.factories import person
from tests.organisation.helpers import justice_product, load_organisation
from tests.registry.factories import team_member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_NAME = (
    "Rendez-vous des mesures judiciaires : prise de rendez-vous en ligne des justiciables avec les services "
    "pénitentiaires d'insertion et de probation de leur département"
)
LONG_WORD = "Téléprocédure" * 6  # one word longer than a column: it must break, not push the table wider
SUBJECT = (
    f"Relance de la convention : {LONG_WORD} et https://www.demarches-simplifiees.fr/commencer/relance-convention"
)

# scrollWidth ≤ clientWidth for every table on the page and for each element that holds it (the DSFR wrapper
# and, in its legacy markup, the <table> itself, which is the scrolling box); the page does not scroll sideways.
OVERFLOWS = """() => {
  const out = [];
  const check = (el, what) => {
    if (el.scrollWidth > el.clientWidth + 1) out.push(`${what}: ${el.scrollWidth} > ${el.clientWidth}`);
  };
  document.querySelectorAll("main table").forEach((table, i) => {
    check(table, `table ${i}`);
    for (let el = table.parentElement; el && el.tagName !== "MAIN"; el = el.parentElement) {
      check(el, `container of table ${i} (${el.className || el.tagName})`);
    }
  });
  check(document.documentElement, "page");
  return out;
}"""


def visible_headers(page: Page) -> list[str]:
    return (
        page.locator("main table")
        .first.locator("thead th")
        .evaluate_all(
            "ths => ths.filter(th => th.offsetParent !== null && getComputedStyle(th).display !== 'none')"
            ".map(th => th.textContent.trim())"
        )
    )


@pytest.fixture(autouse=True)
def organisation(transactional_db) -> None:
    """The tests' organisation: pierre.boussole manages the Justice portfolio."""
    load_organisation(routing=True)


@pytest.fixture
def board_products():
    dotted = justice_product(ghid="rdv.mjd", name=LONG_NAME)
    Event.objects.create(product=dotted, name="committee", date=timezone.localdate() - datetime.timedelta(days=240))
    justice_product(ghid="casier_judiciaire", name=LONG_WORD)
    justice_product(ghid="greffe", name="Greffe numérique")  # no committee known
    return dotted


def open_as(new_page, live_server, user, viewport) -> Page:
    page = new_page(viewport=viewport)
    log_in(page, user, live_server.url)
    return page


def test_the_board_of_a_dotted_product_fits_1280_px_and_is_accessible(
    new_page, live_server, csp_violations, board_products
):
    page = open_as(new_page, live_server, person("pierre.boussole"), DESKTOP)
    page.goto("/equipe/portefeuilles/pierre.boussole/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tableau de bord de Pierre Boussole")
    check_page(page, csp_violations)

    assert page.evaluate(OVERFLOWS) == []
    dotted = page.get_by_role("row", name=re.compile("Rendez-vous des mesures judiciaires"))
    expect(dotted.get_by_role("link", name=LONG_NAME, exact=True)).to_have_attribute("href", "/produits/rdv.mjd/")
    expect(dotted.get_by_text("En retard")).to_be_visible()
    expect(dotted.get_by_role("link", name=f"Historique des comités de {LONG_NAME}")).to_have_attribute(
        "href", "/equipe/produits/rdv.mjd/comites/"
    )
    never_seen = page.get_by_role("row", name=re.compile("Greffe numérique"))
    expect(never_seen).to_contain_text("Aucun comité connu")
    expect(never_seen.get_by_text("En retard")).to_have_count(0)
    assert len(visible_headers(page)) == 7


def test_the_board_shows_fewer_columns_on_a_phone(new_page, live_server, csp_violations, board_products):
    page = open_as(new_page, live_server, person("pierre.boussole"), MOBILE)
    page.goto("/equipe/portefeuilles/pierre.boussole/")
    check_page(page, csp_violations)
    headers = visible_headers(page)
    assert headers[0] == "Produit" and len(headers) < 7, headers
    # What is hidden stays reachable: the product's link and its committees' history.
    row = page.get_by_role("row", name=re.compile("Rendez-vous des mesures judiciaires"))
    expect(row.get_by_role("link", name=f"Historique des comités de {LONG_NAME}")).to_be_visible()


def test_every_board_fits_1280_px(new_page, live_server, csp_violations, board_products):
    page = open_as(new_page, live_server, person("aubin.houblon"), DESKTOP)  # the direction sees every board
    page.goto("/equipe/portefeuilles/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Portefeuilles")
    check_page(page, csp_violations)
    assert page.evaluate(OVERFLOWS) == []


def test_the_desk_with_a_long_subject_fits_1280_px(new_page, live_server, csp_violations, board_products):
    requester = team_member(board_products, username="camille.demandeuse")
    guichet.ticket_submit(
        requester=requester,
        kind="doute-produit",
        subject=SUBJECT,
        body="…",
        product=board_products,
    )
    page = open_as(new_page, live_server, person("pierre.boussole"), DESKTOP)
    page.goto("/guichet/equipe/?vue=toutes")
    expect(page.get_by_role("link", name=SUBJECT)).to_be_visible()
    check_page(page, csp_violations)
    assert page.evaluate(OVERFLOWS) == []
