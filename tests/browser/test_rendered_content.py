"""Imported Markdown in Chromium: a product page shows its description rendered (headings, list, link, table,
no comment or script), axe-core finds nothing and the Content-Security-Policy refuses nothing, on a desktop and a
phone; the edit form's « Aperçu » shows the rendering below the field."""

import datetime

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import MOBILE, check_page, log_in
from tests.factories import UserFactory
from tests.registry.factories import MemberFactory, MissionFactory, ProductFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESCRIPTION = """<!--StartFragment-->

## **Contexte**

Louer un logement demande un dossier : **DossierFacile** le constitue en ligne, voir
[le service](https://www.dossierfacile.fr).

### Ce que fait le service

- vérifie les pièces justificatives ;
- partage le dossier avec un lien.

<script>document.title = "piraté"</script>

![Parcours de l'usager](/img/netlifycms/parcours.png)

| Année | Dossiers créés | Dossiers partagés |
| --- | ---: | ---: |
| 2023 | 120 000 | 95 000 |
| 2024 | 310 000 | 260 000 |

<!--EndFragment-->"""


@pytest.fixture(autouse=True)
def product(transactional_db):
    product = ProductFactory(ghid="dossier-facile", name="DossierFacile", pitch="Créer un dossier de location")
    product.description = DESCRIPTION
    product.save()
    return product


def description(page):
    return page.locator("section[aria-labelledby='description']")


def test_a_product_page_shows_its_description_rendered(page, csp_violations):
    page.goto("/produits/dossier-facile/")
    section = description(page)
    expect(section.get_by_role("heading", level=3, name="Contexte")).to_be_visible()
    expect(section.get_by_role("heading", level=4, name="Ce que fait le service")).to_be_visible()
    expect(section.get_by_role("listitem")).to_have_text(
        ["vérifie les pièces justificatives ;", "partage le dossier avec un lien."]
    )
    link = section.get_by_role("link", name="le service")
    expect(link).to_have_attribute("href", "https://www.dossierfacile.fr")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    expect(section.get_by_role("link", name="Image : Parcours de l'usager")).to_have_attribute(
        "href", "https://beta.gouv.fr/img/netlifycms/parcours.png"
    )
    expect(section.get_by_role("columnheader")).to_have_text(["Année", "Dossiers créés", "Dossiers partagés"])
    expect(section.locator("strong").first).to_have_text("Contexte")
    for raw in ("**", "](", "StartFragment", "<script", "piraté"):
        expect(section).not_to_contain_text(raw)
    expect(page).not_to_have_title("piraté")
    check_page(page, csp_violations)


def test_a_product_page_with_a_table_on_a_phone(new_page, csp_violations):
    page = new_page(viewport=MOBILE, is_mobile=True, has_touch=True)
    page.goto("/produits/dossier-facile/")
    expect(description(page).get_by_role("table")).to_be_visible()
    # The table scrolls inside its DSFR wrapper: the page itself does not get wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= MOBILE["width"]
    check_page(page, csp_violations)


def test_the_edit_form_previews_the_description(page, live_server, product, csp_violations):
    user = UserFactory()
    MissionFactory(member=MemberFactory(user=user), products=[product], start=datetime.date(2024, 1, 1), end=None)
    log_in(page, user, live_server.url)
    page.goto("/produits/dossier-facile/modifier/")
    page.get_by_role("textbox", name="Description").fill(
        "## Pourquoi\n\nUn dossier **complet**, en [ligne](https://exemple.fr)."
    )
    page.get_by_role("button", name="Aperçu de la description").click()
    preview = page.get_by_test_id("apercu")
    expect(preview.get_by_role("heading", level=2)).to_have_text("Aperçu : description")
    expect(preview.get_by_role("heading", level=3)).to_have_text("Pourquoi")
    expect(preview.get_by_role("link", name="ligne")).to_have_attribute("href", "https://exemple.fr")
    expect(page.get_by_role("textbox", name="Description")).to_have_value(
        "## Pourquoi\n\nUn dossier **complet**, en [ligne](https://exemple.fr)."
    )
    check_page(page, csp_violations)
    product.refresh_from_db()
    assert product.description == DESCRIPTION
