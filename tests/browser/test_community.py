"""« Mon parcours » and the Pôle Animation's overview in Chromium (#14): ticking works, axe-core finds nothing, the
CSP refuses nothing."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from incubateur.community.models import ChecklistTick
from tests.browser.helpers import MOBILE, check_page, log_in
from tests.community.helpers import animation_user, member_with_account

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


def test_a_newcomer_ticks_a_step_of_their_checklist(page, csp_violations, live_server):
    newcomer = member_with_account("nora.arrivee", start=TODAY - 3 * DAY, end=TODAY + 100 * DAY)
    log_in(page, newcomer.user, live_server.url)
    page.goto("/mon-espace/")
    page.get_by_role("link", name="Mon parcours").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon parcours d'arrivée")
    check_page(page, csp_violations)
    page.get_by_role("button", name="Marquer « Rejoindre les salons Tchap de la communauté » comme faite").click()
    expect(page.get_by_text("marquée comme faite")).to_be_visible()
    expect(page.get_by_text("1 étape sur")).to_be_visible()
    assert ChecklistTick.objects.filter(member=newcomer, item="tchap").exists()
    check_page(page, csp_violations)
    page.set_viewport_size(MOBILE)
    check_page(page, csp_violations)


def test_the_animation_follows_and_ticks_the_workshop(page, csp_violations, live_server):
    newcomer = member_with_account("nora.arrivee", start=TODAY - 3 * DAY, end=TODAY + 100 * DAY)
    member_with_account("lea.depart", start=TODAY - 400 * DAY, end=TODAY - 3 * DAY)
    log_in(page, animation_user(), live_server.url)
    page.goto("/parcours/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Parcours des membres")
    check_page(page, csp_violations)
    page.get_by_role("link", name="Départs").click()
    expect(page.get_by_role("link", name="Lea Test")).to_be_visible()
    check_page(page, csp_violations)
    page.get_by_role("link", name="Arrivées").click()
    page.get_by_role("link", name="Nora Test").click()
    page.get_by_role("button", name="Marquer « Atelier d'embarquement suivi » comme faite").click()
    expect(page.get_by_text("marquée comme faite")).to_be_visible()
    assert ChecklistTick.objects.filter(member=newcomer, item="atelier-embarquement").exists()
    check_page(page, csp_violations)
