"""A member's missions (#14) in Chromium: an expired member extends her mission in one click from her page, and
every mission page (with errors too) is axe-clean with nothing refused by the Content-Security-Policy."""

import datetime

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone
from playwright.sync_api import expect

from incubateur.core.text import date_fr
from incubateur.registry.services import missions as services
from tests.browser.helpers import MOBILE, check_page, log_in
from tests.factories import UserFactory
from tests.registry.factories import MemberFactory, MissionFactory, ProductFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TODAY = timezone.localdate()


@pytest.fixture
def jeanne(transactional_db):
    product = ProductFactory(ghid="dossier-facile", name="DossierFacile")
    account = UserFactory(username="jeanne.dupont", email="jeanne.dupont@beta.gouv.fr")
    member = MemberFactory(username="jeanne.dupont", fullname="Jeanne Dupont", user=account)
    # Ended 40 days ago: she is an alumna, and still logs in.
    mission = MissionFactory(
        member=member,
        products=[product],
        start=TODAY - datetime.timedelta(days=300),
        end=TODAY - datetime.timedelta(days=40),
    )
    return {"account": account, "member": member, "mission": mission}


def test_expired_member_extends_in_one_click(page, live_server, csp_violations, jeanne):
    log_in(page, jeanne["account"], live_server.url)
    page.goto(f"{live_server.url}/membres/jeanne.dupont/")
    check_page(page, csp_violations)
    expect(page.get_by_text("alumni", exact=True)).to_be_visible()
    page.get_by_role("link", name="Prolonger la mission").click()
    check_page(page, csp_violations)
    new_end = TODAY + relativedelta(months=3)
    page.get_by_role("button", name=f"Prolonger jusqu'au {date_fr(new_end)}").click()
    expect(page.get_by_text(f"La mission est prolongée jusqu'au {date_fr(new_end)}.")).to_be_visible()
    expect(page.get_by_text("membre actif", exact=True)).to_be_visible()
    check_page(page, csp_violations)
    jeanne["mission"].refresh_from_db()
    assert jeanne["mission"].end == new_end


@pytest.mark.parametrize("viewport", [None, MOBILE], ids=["desktop", "mobile"])
def test_mission_pages_are_accessible(page, live_server, csp_violations, jeanne, viewport):
    if viewport:
        page.set_viewport_size(viewport)
    added = services.mission_add(
        member=jeanne["member"],
        by=jeanne["account"],
        start=TODAY + datetime.timedelta(days=1),
        end=TODAY + datetime.timedelta(days=60),
        status="admin",
    )
    log_in(page, jeanne["account"], live_server.url)
    base = f"{live_server.url}/membres/jeanne.dupont/missions"
    page.goto(f"{base}/ajouter/")
    check_page(page, csp_violations)
    page.get_by_label("Date de début").fill(TODAY.isoformat())
    page.get_by_label("Date de fin").fill((TODAY + relativedelta(months=9)).isoformat())
    page.get_by_label("Statut").select_option("service")
    page.get_by_role("button", name="Ajouter la mission").click()
    expect(page.locator(".fr-error-text", has_text="Au plus tard le")).to_be_visible()
    check_page(page, csp_violations)
    for path in (f"{added.pk}/modifier/", f"{added.pk}/terminer/", f"{added.pk}/supprimer/"):
        page.goto(f"{base}/{path}")
        check_page(page, csp_violations)
    page.goto(f"{base}/{jeanne['mission'].pk}/terminer/")
    page.get_by_label("Date de fin").fill((TODAY + datetime.timedelta(days=5)).isoformat())
    page.get_by_role("button", name="Confirmer la fin de la mission").click()
    expect(page.locator(".fr-error-text", has_text="prolongez-la")).to_be_visible()
    check_page(page, csp_violations)
