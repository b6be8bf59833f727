"""The registry's pages in Chromium: axe-core (WCAG 2.1 A and AA) finds nothing and the Content-Security-Policy
refuses nothing, on every page type, with filters applied, in the empty state, and on each edit form with errors."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from incubateur.registry.models import Phase, ProductIncubator, ProductSponsor
from tests.browser.helpers import MOBILE, check_page, log_in
from tests.factories import UserFactory
from tests.registry.factories import (
    IncubatorFactory,
    MemberFactory,
    MissionFactory,
    OrganisationFactory,
    ProductFactory,
    TeamFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TODAY = timezone.localdate()


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


@pytest.fixture(autouse=True)
def registry(transactional_db) -> dict:
    dinum = OrganisationFactory(ghid="dinum", name="Direction interministérielle du numérique", acronym="DINUM")
    beta = IncubatorFactory(ghid="dinum", title="Incubateur de la DINUM", owner=dinum)
    beta.short_description = "L'incubateur de la DINUM."
    beta.website = "https://beta.gouv.fr"
    beta.save()
    fabrique = IncubatorFactory(ghid="fabrique", title="Fabrique numérique")
    dossier = ProductFactory(
        ghid="dossier-facile",
        name="DossierFacile",
        pitch="Créer un dossier de location fiable",
        incubator=beta,
    )
    dossier.description = "Premier paragraphe.\n\nSecond paragraphe."
    dossier.link = "https://www.dossierfacile.fr"
    dossier.repository = "https://github.com/MTES-MCT/dossierfacile"
    dossier.thematiques = ["Logement"]
    dossier.usertypes = ["particuliers"]
    dossier.fast_promotion = 2
    dossier.fast_amount = 100000
    dossier.save()
    Phase.objects.create(product=dossier, name="investigation", start=days(-400), end=days(-300))
    Phase.objects.create(product=dossier, name="construction", start=days(-299), comment="Comité du printemps")
    ProductSponsor.objects.create(product=dossier, organisation=dinum)
    ProductIncubator.objects.create(product=dossier, incubator=fabrique, is_principal=False, order=1)
    for i in range(35):
        product = ProductFactory(name=f"Service {i:02d}", pitch=f"Simplifier la démarche {i}", incubator=beta)
        Phase.objects.create(product=product, name="acceleration" if i % 2 else "abandon", start=days(-10 - i))

    alice_account = UserFactory(email="alice.durand@beta.gouv.fr", username="alice.durand")
    alice = MemberFactory(username="alice.durand", fullname="Alice Durand", role="Développeuse", user=alice_account)
    alice.bio = "Je construis des services publics."
    alice.github = "alice-durand"
    alice.link = "https://alice.example.org"
    alice.competences = ["Python", "Accessibilité"]
    alice.save()
    MissionFactory(member=alice, products=[dossier], start=days(-200), end=None)
    former = MemberFactory(username="bruno.eme", fullname="Bruno Émé", role="Coach")
    MissionFactory(member=former, products=[dossier], start=days(-400), end=days(-100))
    team = TeamFactory(ghid="animation", name="Animation", incubator=beta)
    team.members.add(alice, former)
    return {"dossier": dossier, "alice": alice_account}


@pytest.fixture
def alice_page(page, live_server, registry):
    log_in(page, registry["alice"], live_server.url)
    return page


def test_products_list_with_filters(page, csp_violations):
    page.goto("/produits/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Les produits de beta.gouv.fr")
    expect(page.get_by_role("heading", level=2, name="36 produits")).to_be_visible()
    expect(page.get_by_role("navigation", name="Pagination")).to_be_visible()
    check_page(page, csp_violations)

    page.get_by_role("searchbox", name="Rechercher un produit").fill("DEMARCHE")
    page.get_by_label("Phase actuelle").select_option("acceleration")
    page.get_by_label("Incubateur\u00a0(Optionnel)", exact=True).select_option("dinum")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.get_by_role("heading", level=2, name="17 produits pour ces critères")).to_be_visible()
    expect(page.get_by_role("link", name="Service 01")).to_be_visible()
    expect(page.get_by_role("link", name="Effacer les filtres")).to_be_visible()
    check_page(page, csp_violations)


def test_products_list_empty_state(page, csp_violations):
    page.goto("/produits/?q=astronomie&ministere=culture")
    expect(page.get_by_role("heading", level=2, name="0 produit pour ces critères")).to_be_visible()
    expect(page.get_by_text("Aucun produit ne correspond à ces critères.")).to_be_visible()
    check_page(page, csp_violations)


def test_products_list_with_an_invalid_filter(page, csp_violations):
    page.goto("/produits/?incubateur=atlantide")
    expect(page.get_by_label("Incubateur\u00a0(Optionnel)", exact=True)).to_have_attribute("aria-invalid", "true")
    check_page(page, csp_violations)


def test_products_list_on_a_phone(new_page, csp_violations):
    page = new_page(viewport=MOBILE, is_mobile=True, has_touch=True)
    page.goto("/produits/?page=2")
    expect(page.get_by_role("heading", level=1)).to_have_text("Les produits de beta.gouv.fr")
    check_page(page, csp_violations)


def test_product_page(page, csp_violations):
    page.goto("/produits/")
    page.get_by_role("link", name="DossierFacile").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("DossierFacile")
    expect(page.get_by_role("heading", level=3, name="Équipe actuelle (1)")).to_be_visible()
    expect(page.get_by_role("link", name="Alice Durand")).to_be_visible()
    expect(page.get_by_role("link", name="Code source")).to_have_attribute("target", "_blank")
    expect(page.get_by_role("link", name="Modifier la fiche")).to_have_count(0)
    check_page(page, csp_violations)


def test_product_page_for_its_team_on_a_phone(new_page, live_server, registry, csp_violations):
    page = new_page(viewport=MOBILE, is_mobile=True, has_touch=True)
    log_in(page, registry["alice"], live_server.url)
    page.goto("/produits/dossier-facile/")
    expect(page.get_by_role("link", name="Modifier la fiche")).to_be_visible()
    check_page(page, csp_violations)


def test_incubator_list_and_page(page, csp_violations):
    page.goto("/incubateurs/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Les incubateurs de beta.gouv.fr")
    check_page(page, csp_violations)
    page.get_by_role("link", name="Incubateur de la DINUM").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Incubateur de la DINUM")
    expect(page.get_by_role("heading", level=3, name="Accélération (17)")).to_be_visible()
    expect(page.get_by_role("heading", level=3, name="Animation")).to_be_visible()
    check_page(page, csp_violations)


def test_organisation_page(page, csp_violations):
    page.goto("/incubateurs/dinum/")
    page.get_by_role("link", name="Direction interministérielle du numérique").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Direction interministérielle du numérique (DINUM)")
    expect(page.get_by_role("heading", level=2, name="Produits sponsorisés (1)")).to_be_visible()
    check_page(page, csp_violations)


def test_member_page(page, csp_violations):
    page.goto("/produits/dossier-facile/")
    page.get_by_role("link", name="Alice Durand").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Alice Durand")
    expect(page.get_by_role("link", name="GitHub : alice-durand")).to_be_visible()
    expect(page.get_by_text("alice.durand@beta.gouv.fr")).to_have_count(0)
    check_page(page, csp_violations)


def test_edit_the_product_with_errors_then_without(alice_page, csp_violations):
    page = alice_page
    page.goto("/produits/dossier-facile/")
    page.get_by_role("link", name="Modifier la fiche").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Modifier la fiche de « DossierFacile »")
    check_page(page, csp_violations)

    page.get_by_label("Mission").fill("")
    page.get_by_label("Site du service").fill("javascript:alert(1)")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Indiquez la mission du produit.")).to_be_visible()
    expect(page.get_by_label("Site du service")).to_have_attribute("aria-invalid", "true")
    expect(page).to_have_title("Erreur : Modifier la fiche de DossierFacile — Incubateur de services numériques")
    check_page(page, csp_violations)

    page.get_by_label("Mission").fill("Louer sans se ruiner en photocopies")
    page.get_by_label("Site du service").fill("https://www.dossierfacile.logement.gouv.fr")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("status")).to_have_text("La fiche du produit « DossierFacile » a été mise à jour.")
    expect(page.get_by_text("Louer sans se ruiner en photocopies")).to_be_visible()
    check_page(page, csp_violations)


def test_phases_with_errors_then_without(alice_page, csp_violations):
    page = alice_page
    page.goto("/produits/dossier-facile/")
    page.get_by_role("link", name="Modifier les phases").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Phases de « DossierFacile »")
    check_page(page, csp_violations)

    # Add a phase the product already went through.
    page.get_by_role("combobox", name="Phase", exact=True).select_option("construction")
    page.get_by_label("Date de début").fill(days(-1).isoformat())
    page.get_by_role("button", name="Ajouter la phase").click()
    expect(page.get_by_text("Ce produit a déjà une phase « construction »")).to_be_visible()
    check_page(page, csp_violations)

    # End the current phase before it started.
    page.get_by_label("Date de fin").fill(days(-365).isoformat())
    page.get_by_role("button", name="Terminer la phase « construction »").click()
    expect(page.get_by_text("La date de fin ne peut pas précéder le début de la phase")).to_be_visible()
    expect(page.get_by_label("Date de fin")).to_have_attribute("aria-invalid", "true")
    check_page(page, csp_violations)

    page.get_by_label("Date de fin").fill(TODAY.isoformat())
    page.get_by_role("button", name="Terminer la phase « construction »").click()
    expect(page.get_by_role("status")).to_have_text("La phase « construction » est terminée.")
    page.get_by_role("combobox", name="Phase", exact=True).select_option("acceleration")
    page.get_by_label("Date de début").fill(TODAY.isoformat())
    page.get_by_role("button", name="Ajouter la phase").click()
    expect(page.get_by_role("status")).to_have_text("La phase « accélération » a été ajoutée.")
    expect(page.get_by_role("heading", level=2, name="Terminer la phase en cours")).to_be_visible()
    check_page(page, csp_violations)


def test_edit_my_fiche_with_errors_then_without(alice_page, csp_violations):
    page = alice_page
    page.goto("/membres/alice.durand/")
    page.get_by_role("link", name="Modifier ma fiche").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Modifier la fiche de Alice Durand")
    check_page(page, csp_violations)

    page.get_by_label("Rôle").fill("")
    page.get_by_label("Identifiant GitHub").fill("pas valide !")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Indiquez votre rôle.")).to_be_visible()
    expect(page.get_by_label("Identifiant GitHub")).to_have_attribute("aria-invalid", "true")
    check_page(page, csp_violations)

    page.get_by_label("Rôle").fill("Développeuse et coach")
    page.get_by_label("Identifiant GitHub").fill("https://github.com/alice-d")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("status")).to_have_text("La fiche a été mise à jour.")
    expect(page.get_by_role("link", name="GitHub : alice-d", exact=True)).to_be_visible()
    check_page(page, csp_violations)
