"""Attachments in Chromium (#18): a member attaches a PDF to a new request, a refused file is said beside the field,
and a member of the Incubator's staff downloads the PDF from the request's page. axe-core and the CSP on the form
(blank and with its error) and on the request page with its attachment."""

import re

import pytest
from playwright.sync_api import Page, expect

from incubateur.guichet.models import Attachment, Ticket
from tests.browser.helpers import check_page, log_in
from tests.factories import person
from tests.organisation.helpers import justice_product, load_organisation
from tests.registry.factories import team_member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 60


@pytest.fixture(autouse=True)
def storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "guichet": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}},
    }
    return tmp_path


@pytest.fixture
def requester(transactional_db):
    load_organisation(routing=True)
    return team_member(justice_product(), username="camille.requerante", first_name="Camille", last_name="Requérante")


@pytest.fixture
def as_user(new_page, live_server):
    def open_as(user) -> Page:
        page = new_page()
        log_in(page, user, live_server.url)
        return page

    return open_as


def test_a_member_attaches_a_pdf_and_staff_download_it(as_user, requester, csp_violations):
    member = as_user(requester)
    member.goto("/guichet/nouvelle/autre/")
    expect(member.get_by_role("heading", level=1)).to_be_visible()
    expect(member.locator(".fr-upload-group input[type=file][multiple]")).to_be_attached()
    check_page(member, csp_violations)

    # A refused file: the form comes back with the reason beside the field.
    member.get_by_label("Objet").fill("Relire notre convention")
    member.get_by_label("Votre message").fill("La convention est jointe.")
    member.get_by_label("Pièces jointes").set_input_files(
        [{"name": "convention.exe", "mimeType": "application/pdf", "buffer": EXE}]
    )
    member.get_by_role("button", name="Envoyer ma demande").click()
    expect(member).to_have_title(re.compile(r"^Erreur : "))
    expect(member.get_by_text("Le fichier « convention.exe » n'est pas d'un type accepté")).to_be_visible()
    expect(member.get_by_label("Pièces jointes")).to_have_attribute("aria-invalid", "true")
    check_page(member, csp_violations)
    assert not Ticket.objects.exists()

    member.get_by_label("Pièces jointes").set_input_files(
        [{"name": "Convention signée.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    member.get_by_role("button", name="Envoyer ma demande").click()
    ticket = Ticket.objects.get()
    expect(member).to_have_url(re.compile(rf"/guichet/demandes/{ticket.reference}/$"))
    link = member.get_by_role("link", name=re.compile("Convention signée.pdf"))
    expect(link).to_be_visible()
    check_page(member, csp_violations)

    staff = as_user(person("pierre.boussole"))
    staff.goto(f"/guichet/demandes/{ticket.reference}/")
    with staff.expect_download() as download:
        staff.get_by_role("link", name=re.compile("Convention signée.pdf")).click()
    assert download.value.suggested_filename == "Convention signée.pdf"
    with open(download.value.path(), "rb") as received:
        assert received.read() == PDF
    check_page(staff, csp_violations)
    assert Attachment.objects.get().uploaded_by == requester
