"""Recruitment in Chromium: a product team posts a mission → members see it → it becomes public → it expires.
axe-core finds nothing and the CSP refuses nothing on each page on the way (the form with errors included).

The live server runs on the real clock: time passes by moving the post's dates back, then running the worker's hook
(`services.tick`) as its housekeeping beat would (the transitions on a frozen clock are in tests/recruitment/)."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from incubateur.recruitment import services
from incubateur.recruitment.models import JobPost
from tests.browser.helpers import check_page, log_in
from tests.factories import UserFactory
from tests.registry.factories import ProductFactory, team_member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "Mission de design de services"


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


@pytest.fixture
def team(transactional_db):
    product = ProductFactory(ghid="dossier-facile", name="DossierFacile", pitch="Créer un dossier de location fiable")
    return product, team_member(product, username="alice.durand", first_name="Alice", last_name="Durand")


def test_a_mission_from_community_to_public_to_expired(new_page, live_server, team, csp_violations):
    product, author = team
    # The product's team posts a mission (the form first refuses it without its contracting body).
    page = new_page()
    log_in(page, author, live_server.url)
    page.goto("/recrutement/mes-annonces/")
    check_page(page, csp_violations)
    page.get_by_role("link", name="Publier une annonce").click()
    page.locator("#id_pour").select_option(label="DossierFacile")
    page.get_by_label("Intitulé du poste").fill(TITLE)
    page.locator("label[for=id_kind_1]").click()
    page.locator("#id_description").fill("## La mission\n\nConcevoir le parcours de dépôt avec l'équipe.")
    page.locator("#id_contacts").fill("recrutement@dossierfacile.example.org")
    page.get_by_role("button", name="Publier", exact=True).click()
    expect(page.get_by_text("Une mission nomme la structure avec laquelle elle est contractée.")).to_be_visible()
    check_page(page, csp_violations)
    page.get_by_label("Structure qui contracte la mission").fill("Groupement Design & Co")
    page.get_by_role("button", name="Publier", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.get_by_text("Ce n'est pas une offre d'emploi")).to_be_visible()
    check_page(page, csp_violations)
    post = JobPost.objects.get()
    services.tick()  # community_from is today: opened to the community and announced

    # Members see it; anonymous visitors do not, yet.
    member = new_page()
    log_in(member, UserFactory(), live_server.url)
    member.goto("/recrutement/")
    expect(member.get_by_role("link", name=TITLE)).to_be_visible()
    check_page(member, csp_violations)
    anonymous = new_page()
    anonymous.goto("/recrutement/")
    expect(anonymous.get_by_role("link", name=TITLE)).to_have_count(0)
    expect(anonymous.get_by_text("Aucun poste n'est ouvert en ce moment")).to_be_visible()
    check_page(anonymous, csp_violations)

    # A week later: public, on the list and on the product's page.
    JobPost.objects.filter(pk=post.pk).update(community_from=days(-7), public_from=days(0))
    services.tick()
    anonymous.goto("/recrutement/")
    anonymous.get_by_role("link", name=TITLE).click()
    expect(anonymous.get_by_role("heading", level=1)).to_have_text(TITLE)
    check_page(anonymous, csp_violations)
    anonymous.goto("/produits/dossier-facile/")
    expect(anonymous.get_by_role("heading", name="Postes ouverts")).to_be_visible()
    check_page(anonymous, csp_violations)

    # Its date comes: gone from the list; its page says so.
    JobPost.objects.filter(pk=post.pk).update(community_from=days(-70), public_from=days(-63), unpublish_on=days(0))
    services.tick()
    anonymous.goto("/recrutement/")
    expect(anonymous.get_by_role("link", name=TITLE)).to_have_count(0)
    anonymous.goto(f"/recrutement/{post.pk}/")
    expect(anonymous.get_by_text("Ce poste n'est plus ouvert")).to_be_visible()
    check_page(anonymous, csp_violations)
