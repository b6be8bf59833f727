"""The organisation pages in Chromium, loaded from the tests' organisation: axe-core (WCAG 2.1 A and AA) finds
nothing and the Content-Security-Policy refuses nothing, on the public page and on the staff pages."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from incubateur.organisation.models import Position
from tests.browser.helpers import MOBILE, check_page, log_in
from tests.organisation.helpers import load_organisation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def organisation(transactional_db) -> None:
    load_organisation()


@pytest.fixture
def staff_page(page, live_server):
    """A page logged in as a member of the Incubator (she holds a position in the organisation)."""
    log_in(page, get_user_model().objects.get(username="emilie.grenat"), live_server.url)
    return page


def test_who_does_what(page, csp_violations):
    response = page.goto("/qui-fait-quoi/")
    assert response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("Qui fait quoi à l'Incubateur ?")
    expect(page.get_by_role("heading", level=2, name="Le Pôle Accélération")).to_be_visible()
    table = page.get_by_role("table", name="Les responsables de portefeuille ministériel")
    expect(table.get_by_role("row")).to_have_count(11)
    expect(table.get_by_role("row", name="Pierre Boussole Justice Justice Justice")).to_be_visible()
    check_page(page, csp_violations)


def test_who_does_what_on_a_phone(new_page, csp_violations):
    page = new_page(viewport=MOBILE, is_mobile=True, has_touch=True)
    page.goto("/qui-fait-quoi/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Qui fait quoi à l'Incubateur ?")
    check_page(page, csp_violations)


def test_search_from_the_page(page, csp_violations):
    page.goto("/qui-fait-quoi/")
    page.get_by_role("searchbox", name="Rechercher une personne").fill("gael")
    page.get_by_role("button", name="Rechercher", exact=True).click()
    expect(page.get_by_text("2 résultats pour « gael » :")).to_be_visible()
    results = page.locator("[aria-live]")
    expect(results.get_by_role("listitem")).to_have_count(2)
    expect(results.get_by_text("Gaël Ivoire, Responsable du pôle, coach — Le pôle Coaching produit")).to_be_visible()
    assert page.url.endswith("/qui-fait-quoi/?q=gael#rechercher")
    check_page(page, csp_violations)
    # The result links to the pole's section.
    page.get_by_role("link", name="Le pôle Coaching produit").click()
    expect(page.get_by_role("heading", level=2, name="Le pôle Coaching produit")).to_be_in_viewport()


def test_search_without_results(page, csp_violations):
    page.goto("/qui-fait-quoi/?q=astronomie#rechercher")
    expect(page.get_by_text("Aucun résultat pour « astronomie ».")).to_be_visible()
    check_page(page, csp_violations)


def test_who_to_contact_for_my_ministry(page, csp_violations):
    page.goto("/qui-fait-quoi/")
    page.get_by_label("Votre ministère").select_option("justice")
    page.get_by_role("button", name="Trouver mon interlocuteur").click()
    expect(page.get_by_text("Pour Justice, votre interlocuteur est Pierre Boussole")).to_be_visible()
    expect(page.get_by_role("link", name="pierre.boussole@beta.gouv.fr")).to_have_attribute(
        "href", "mailto:pierre.boussole@beta.gouv.fr"
    )
    check_page(page, csp_violations)


def test_who_to_contact_when_no_portfolio_covers_my_ministry(page, csp_violations):
    page.goto("/qui-fait-quoi/?ministere=spm#mon-ministere")
    expect(page.get_by_text("aucun portefeuille ne couvre ce périmètre")).to_be_visible()
    check_page(page, csp_violations)


def test_an_unknown_ministry_in_the_address(page, csp_violations):
    response = page.goto("/qui-fait-quoi/?ministere=atlantide#mon-ministere")
    assert response.status == 200
    expect(page.get_by_text("Sélectionnez un choix valide.")).to_be_visible()
    check_page(page, csp_violations)


def test_manage(staff_page, csp_violations):
    response = staff_page.goto("/equipe/organisation/")
    assert response.status == 200
    expect(staff_page.get_by_role("heading", level=1)).to_have_text("Gérer l'organisation")
    expect(staff_page.get_by_role("link", name="Changer le responsable du portefeuille Justice")).to_be_visible()
    check_page(staff_page, csp_violations)


@pytest.mark.parametrize("path", ["/equipe/organisation/", "/equipe/organisation/portefeuilles/justice/"])
def test_staff_pages_on_a_phone(new_page, live_server, csp_violations, path):
    page = new_page(viewport=MOBILE, is_mobile=True, has_touch=True)
    log_in(page, get_user_model().objects.get(username="emilie.grenat"), live_server.url)
    assert page.goto(path).status == 200
    check_page(page, csp_violations)


def test_change_a_portfolio_manager(staff_page, csp_violations):
    staff_page.goto("/equipe/organisation/")
    staff_page.get_by_role("link", name="Changer le responsable du portefeuille Justice").click()
    expect(staff_page.get_by_role("heading", level=1)).to_have_text("Portefeuille « Justice »")
    check_page(staff_page, csp_violations)
    staff_page.get_by_label("Responsable du portefeuille").select_option(label="Gaël Ivoire (gael.ivoire)")
    staff_page.get_by_role("button", name="Enregistrer").click()
    expect(staff_page.get_by_role("status")).to_have_text("Le portefeuille « Justice » a été mis à jour.")
    check_page(staff_page, csp_violations)
    staff_page.goto("/qui-fait-quoi/?ministere=justice#mon-ministere")
    expect(staff_page.get_by_text("Pour Justice, votre interlocuteur est Gaël Ivoire")).to_be_visible()


def test_add_a_position_with_errors_then_without(staff_page, csp_violations):
    staff_page.goto("/equipe/organisation/")
    staff_page.get_by_role("link", name="Ajouter une personne dans « Le Pôle Animation et Expertises »").click()
    expect(staff_page.get_by_role("heading", level=1)).to_have_text(
        "Ajouter une personne dans « Le Pôle Animation et Expertises »"
    )
    check_page(staff_page, csp_violations)

    staff_page.get_by_role("button", name="Ajouter").click()
    expect(staff_page.get_by_text("Choisissez une personne.")).to_be_visible()
    expect(staff_page.get_by_text("Indiquez son rôle dans le pôle.")).to_be_visible()
    expect(staff_page.get_by_label("Rôle")).to_have_attribute("aria-invalid", "true")
    check_page(staff_page, csp_violations)

    staff_page.get_by_label("Personne").select_option(label="Caïus Marelle (caius.marelle)")
    staff_page.get_by_label("Rôle").fill("Animateur")
    staff_page.get_by_role("button", name="Ajouter").click()
    expect(staff_page.get_by_role("status")).to_have_text("Caïus Marelle a rejoint Le Pôle Animation et Expertises.")
    check_page(staff_page, csp_violations)


def test_end_a_position(staff_page, csp_violations, live_server):
    position = Position.objects.current().get(person__username="odilon.bastide")
    staff_page.goto("/equipe/organisation/")
    staff_page.get_by_role("link", name="Terminer ce poste de Odilon Bastide").click()
    expect(staff_page).to_have_url(f"{live_server.url}/equipe/organisation/postes/{position.pk}/terminer/")
    expect(staff_page.get_by_role("heading", level=1)).to_have_text("Terminer un poste")
    expect(staff_page.get_by_text("Odilon Bastide quittera Le Pôle Accélération")).to_be_visible()
    check_page(staff_page, csp_violations)

    staff_page.get_by_role("button", name="Confirmer").click()
    expect(staff_page.get_by_role("status")).to_have_text("Odilon Bastide a quitté Le Pôle Accélération.")
    expect(staff_page.get_by_role("link", name="Terminer ce poste de Odilon Bastide")).to_have_count(0)
    check_page(staff_page, csp_violations)
