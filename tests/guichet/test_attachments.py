"""Attachments on requests and messages (#18): the limits (count, size, type read from the content), where the files
go (the storage, under a random name), who may download them (the request's scoping; an internal note's files only
for who reads internal notes), the download's headers, the forms (a new request, a reply, a request recorded on
someone's behalf), a 10 MiB file through the real request cycle, the export and the purge."""

import hashlib
import io
import re
import zipfile
from html import unescape
from urllib.parse import quote

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from incubateur.core.models import JournalEntry
from incubateur.guichet import personal_data, services
from incubateur.guichet.models import Attachment, Read, Status, Ticket
from incubateur.guichet.services.attachments import (
    NAME_MAX,
    attachments_add,
    attachments_orphans,
    check,
    sanitize_name,
)
from tests.factories import person
from tests.guichet.factories import submit

# --- Files -----------------------------------------------------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20
GIF = b"GIF89a" + b"\x01\x00\x01\x00" + b"\x00" * 10
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 20
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 50 + b"This program cannot be run in DOS mode"
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 40
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
CSV = "nom;montant\nÉtat;12\n".encode()
TEXT = "Compte rendu de la réunion\n\n- point 1\n".encode()


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


DOCX = zipped({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
XLSX = zipped({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
DOCM = zipped({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<d/>", "word/vbaProject.bin": b"\x00"})
ODT = zipped({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<office:document/>"})
ZIP = zipped({"virus.exe": EXE})

REFUSED_TYPE = "n'est pas d'un type accepté (PDF, images, textes, documents bureautiques)."


def pdf(name="compte-rendu.pdf", data=PDF):
    return (name, "application/pdf", data)


@pytest.fixture(autouse=True)
def storage(settings, tmp_path):
    """The attachments' storage: a throwaway directory (a real filesystem storage, as in production by default)."""
    location = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "guichet": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": location}},
    }
    return location


def stored_files(location) -> list:
    return sorted(p for p in location.rglob("*") if p.is_file()) if location.exists() else []


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def words(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


# --- Limits ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("rapport.pdf", PDF),
        ("capture.png", PNG),
        ("photo.JPG", JPEG),
        ("photo.jpeg", JPEG),
        ("anim.gif", GIF),
        ("image.webp", WEBP),
        ("notes.txt", TEXT),
        ("budget.csv", CSV),
        ("lettre.docx", DOCX),
        ("tableau.xlsx", XLSX),
        ("lettre.odt", ODT),
        ("original.eml", b"From: a@example.org\r\nSubject: Bonjour\r\n\r\nCorps\r\n"),
    ],
)
def test_the_allowed_types_pass(name, data):
    assert check([(name, "application/octet-stream", data)]) == []


@pytest.mark.parametrize(
    ("name", "data", "why"),
    [
        ("x.exe", EXE, "an executable"),
        ("x.pdf", EXE, "an executable renamed .pdf: the content decides"),
        ("x.png", ELF, "an ELF binary renamed .png"),
        ("x.exe", PDF, "a real PDF whose name says .exe"),
        ("page.html", HTML, "HTML"),
        ("page.txt", HTML, "HTML renamed .txt"),
        ("dessin.svg", SVG, "SVG"),
        ("dessin.txt", SVG, "SVG renamed .txt"),
        ("archive.zip", ZIP, "a zip"),
        ("archive.docx", ZIP, "a zip renamed .docx"),
        ("macro.docx", DOCM, "a document with macros"),
        ("notes", TEXT, "a text without an extension"),
        ("donnees.txt", b"abc\x00\x01\x02def", "binary content named .txt"),
    ],
)
def test_other_types_are_refused_by_their_content(name, data, why):
    assert check([(name, "application/pdf", data)]) == [f"Le fichier « {name} » {REFUSED_TYPE}"], why


def test_the_exact_message_for_an_executable():
    assert check([("x.exe", "application/x-msdownload", EXE)]) == [
        "Le fichier « x.exe » n'est pas d'un type accepté (PDF, images, textes, documents bureautiques)."
    ]


def test_count_and_size_limits(settings):
    settings.GUICHET_ATTACHMENT_MAX_COUNT = 2
    settings.GUICHET_ATTACHMENT_MAX_SIZE = 1024
    assert check([pdf("a.pdf"), pdf("b.pdf")]) == []
    assert check([pdf("a.pdf"), pdf("b.pdf"), pdf("c.pdf")]) == ["Vous avez joint 3 fichiers : 2 au plus."]
    big = PDF + b"0" * 2000
    assert check([pdf("gros.pdf", big)]) == ["Le fichier « gros.pdf » fait 2 ko : 1 ko au plus par fichier."]
    assert check([pdf("vide.pdf", b"")]) == ["Le fichier « vide.pdf » est vide."]


def test_the_allow_list_is_a_setting(settings):
    settings.GUICHET_ATTACHMENT_TYPES = ["pdf"]
    assert check([pdf()]) == []
    assert check([("capture.png", "image/png", PNG)]) == [f"Le fichier « capture.png » {REFUSED_TYPE}"]


# --- Names -----------------------------------------------------------------------------------------------------------


@given(st.text(max_size=400))
def test_a_sanitised_name_is_safe_to_show_and_stable(name):
    clean = sanitize_name(name)
    assert clean and len(clean) <= NAME_MAX
    assert "/" not in clean and "\\" not in clean
    assert not clean.startswith(".") and clean == clean.strip()
    assert not any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in clean)
    assert not re.search("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]", clean)
    assert "\x00" not in clean and not re.search("[\ud800-\udfff]", clean)
    assert sanitize_name(clean) == clean


def test_sanitised_names():
    assert sanitize_name("../../etc/passwd") == "passwd"
    assert sanitize_name("C:\\Users\\moi\\Compte rendu.pdf") == "Compte rendu.pdf"
    assert sanitize_name(".htaccess") == "htaccess"
    assert sanitize_name("rapport\u202efdp.exe") == "rapportfdp.exe"
    assert sanitize_name("a\tb\nc.pdf") == "a b c.pdf"
    assert sanitize_name("") == "piece-jointe"
    long = sanitize_name("é" * 300 + ".pdf")
    assert len(long) == NAME_MAX and long.endswith(".pdf")


# --- The service -----------------------------------------------------------------------------------------------------


def test_a_request_with_files_stores_them_under_random_names(cast, storage):
    ticket = submit(cast, attachments=[pdf("Compte rendu été.pdf"), ("capture.png", "image/png", PNG)])
    first, second = Attachment.objects.filter(ticket=ticket).order_by("pk")
    assert (first.name, first.content_type, first.size) == ("Compte rendu été.pdf", "application/pdf", len(PDF))
    assert first.sha256 == hashlib.sha256(PDF).hexdigest()
    assert first.message is None and first.uploaded_by == cast.requester and first.source == "web"
    assert second.content_type == "image/png"
    files = stored_files(storage)
    assert len(files) == 2
    assert {p.read_bytes() for p in files} == {PDF, PNG}
    assert all("Compte" not in str(p) and "capture" not in str(p) for p in files)
    assert first.file.name.startswith("guichet/") and first.file.name != second.file.name
    assert JournalEntry.objects.filter(action="guichet.attachments_added", object_id=str(ticket.pk)).count() == 1


def test_a_refused_file_refuses_the_whole_request(cast, storage):
    with pytest.raises(ValidationError) as error:
        submit(cast, attachments=[pdf(), ("x.exe", "application/pdf", EXE)])
    assert error.value.message_dict == {"pieces_jointes": [f"Le fichier « x.exe » {REFUSED_TYPE}"]}
    assert not Ticket.objects.exists() and not Attachment.objects.exists()
    assert stored_files(storage) == []


def test_a_reply_and_a_note_carry_files(cast):
    ticket = submit(cast)
    reply = services.ticket_reply(ticket=ticket, author=cast.requester, body="Voici le document", attachments=[pdf()])
    note = services.ticket_reply(
        ticket=ticket,
        author=cast.assignee,
        body="Pour nous",
        internal=True,
        attachments=[("notes.txt", "text/plain", TEXT)],
    )
    assert list(reply.attachments.values_list("name", flat=True)) == ["compte-rendu.pdf"]
    assert list(note.attachments.values_list("content_type", flat=True)) == ["text/plain"]


def test_mail_intake_entry_point(cast):
    """The mail intake's call: files as (name, type, bytes), source "mail", no account when the sender is unknown."""
    ticket = submit(cast)
    with transaction.atomic():
        stored = attachments_add(ticket=ticket, files=[pdf()], by=None, source="mail")
    assert [a.source for a in stored] == ["mail"] and stored[0].uploaded_by is None


def test_orphans_are_listed(cast, storage):
    ticket = submit(cast, attachments=[pdf()])
    assert attachments_orphans() == []
    stray = storage / "guichet" / "2026" / "01" / "reste"
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"x")
    assert attachments_orphans() == ["guichet/2026/01/reste"]
    assert ticket.attachments.count() == 1


# --- Who may download ------------------------------------------------------------------------------------------------


def download(user, attachment):
    """The answer, its streamed content read into `content_bytes` (reading it to the end closes the file)."""
    response = client_for(user).get(f"/guichet/pieces-jointes/{attachment.pk}/")
    if response.streaming:
        response.content_bytes = b"".join(response.streaming_content)
    return response


def test_scoping_of_a_request(cast):
    ticket = submit(cast, attachments=[pdf()])
    attachment = ticket.attachments.get()
    for user in (cast.requester, cast.assignee, cast.other_staff, cast.admin):
        assert download(user, attachment).status_code == 200, user
    for user in (cast.other_member, cast.teammate):
        assert download(user, attachment).status_code == 404, user
    assert Client().get(f"/guichet/pieces-jointes/{attachment.pk}/").status_code == 302  # to the login page
    assert client_for(cast.requester).get("/guichet/pieces-jointes/999999/").status_code == 404


def test_scoping_of_a_confidential_request(cast):
    recipient = person("gael.ivoire")
    ticket = submit(cast, kind="mal-etre", product=None, recipient=recipient, attachments=[pdf()])
    attachment = ticket.attachments.get()
    for user in (cast.requester, recipient):
        assert download(user, attachment).status_code == 200
    for user in (cast.assignee, cast.other_staff, cast.admin, cast.teammate, cast.other_member):
        assert download(user, attachment).status_code == 404, user
    # Downloading is reading: the requester sees it in « qui a consulté ma demande ».
    assert Read.objects.filter(ticket=ticket, user=recipient).exists()


def test_an_internal_notes_files_are_for_who_reads_internal_notes(cast):
    ticket = submit(cast)
    note = services.ticket_reply(ticket=ticket, author=cast.assignee, body="Note", internal=True, attachments=[pdf()])
    attachment = note.attachments.get()
    assert download(cast.assignee, attachment).status_code == 200
    assert download(cast.other_staff, attachment).status_code == 200
    assert download(cast.requester, attachment).status_code == 404
    assert list(Attachment.objects.for_user(cast.requester)) == []
    page = client_for(cast.requester).get(ticket.get_absolute_url()).content.decode()
    assert f"/guichet/pieces-jointes/{attachment.pk}/" not in page
    assert (
        f"/guichet/pieces-jointes/{attachment.pk}/"
        in client_for(cast.assignee).get(ticket.get_absolute_url()).content.decode()
    )


def test_a_team_owned_request_is_downloaded_by_the_team(cast):
    ticket = submit(cast, attachments=[pdf()])
    Ticket.objects.filter(pk=ticket.pk).update(team_owned=True)
    assert download(cast.teammate, ticket.attachments.get()).status_code == 200


# --- The download ----------------------------------------------------------------------------------------------------


def test_download_headers(cast):
    ticket = submit(cast, attachments=[pdf("Compte rendu été.pdf")])
    response = download(cast.requester, ticket.attachments.get())
    assert response.status_code == 200
    assert response.content_bytes == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=utf-8''{quote('Compte rendu été.pdf')}" in disposition
    assert response["Content-Length"] == str(len(PDF))


def test_a_missing_file_is_a_404(cast, storage):
    ticket = submit(cast, attachments=[pdf()])
    for path in stored_files(storage):
        path.unlink()
    assert download(cast.requester, ticket.attachments.get()).status_code == 404


def test_nothing_is_served_under_media_url(cast, settings):
    ticket = submit(cast, attachments=[pdf()])
    name = ticket.attachments.get().file.name
    for prefix in ("/media/", "/", settings.MEDIA_URL or "/"):
        assert client_for(cast.requester).get(prefix + name).status_code == 404


# --- The forms -------------------------------------------------------------------------------------------------------


def upload(name, data, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def test_a_member_attaches_files_to_a_new_request(cast):
    client = client_for(cast.requester)
    form = client.get("/guichet/nouvelle/autre/").content.decode()
    assert 'enctype="multipart/form-data"' in form
    assert 'class="fr-upload-group' in form and 'type="file"' in form and "multiple" in form
    assert "5 fichiers au plus, 10 Mo chacun" in words(form)
    response = client.post(
        "/guichet/nouvelle/autre/",
        {"subject": "Une question", "body": "Voir le document", "pieces_jointes": [upload("Devis.pdf", PDF)]},
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == ticket.get_absolute_url()
    attachment = ticket.attachments.get()
    page = client.get(ticket.get_absolute_url()).content.decode()
    assert f'href="/guichet/pieces-jointes/{attachment.pk}/"' in page
    assert f"Devis.pdf PDF – {len(PDF)} octets" in words(page)


def test_a_refused_file_is_said_beside_the_field(cast):
    client = client_for(cast.requester)
    response = client.post(
        "/guichet/nouvelle/autre/",
        {"subject": "Une question", "body": "…", "pieces_jointes": [upload("x.exe", EXE), upload("b.pdf", PDF)]},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert f"Le fichier « x.exe » {REFUSED_TYPE}" in words(html)
    assert "fr-upload-group--error" in html
    assert not Ticket.objects.exists() and not Attachment.objects.exists()


def test_replies_and_notes_through_the_request_page(cast):
    ticket = submit(cast)
    response = client_for(cast.requester).post(
        f"{ticket.get_absolute_url()}repondre/",
        {"reponse-body": "Le voici", "reponse-pieces_jointes": [upload("plan.png", PNG)]},
    )
    assert response.status_code == 302
    assert ticket.messages.get().attachments.get().name == "plan.png"
    response = client_for(cast.assignee).post(
        f"{ticket.get_absolute_url()}repondre/",
        {"reponse-body": "Entre nous", "reponse-internal": "on", "reponse-pieces_jointes": [upload("n.txt", TEXT)]},
    )
    assert response.status_code == 302
    assert ticket.messages.get(internal=True).attachments.get().content_type == "text/plain"


def test_too_many_files_on_a_reply(cast, settings):
    settings.GUICHET_ATTACHMENT_MAX_COUNT = 1
    ticket = submit(cast)
    response = client_for(cast.requester).post(
        f"{ticket.get_absolute_url()}repondre/",
        {"reponse-body": "Deux", "reponse-pieces_jointes": [upload("a.pdf", PDF), upload("b.pdf", PDF)]},
    )
    assert response.status_code == 200
    assert "Vous avez joint 2 fichiers : 1 au plus." in words(response.content.decode())
    assert not ticket.messages.exists()


def test_a_request_recorded_on_someones_behalf_keeps_its_files(cast):
    client = client_for(cast.assignee)
    assert 'enctype="multipart/form-data"' in client.get("/guichet/equipe/pour-le-compte/").content.decode()
    response = client.post(
        "/guichet/equipe/pour-le-compte/",
        {
            "requester": cast.requester.email,
            "channel": "email",
            "kind": "autre",
            "subject": "Reçu par e-mail",
            "body": "Transmis",
            "idempotency_key": "cle-1",
            "pieces_jointes": [upload("courrier.pdf", PDF)],
        },
    )
    assert response.status_code == 302, words(response.content.decode())[:500]
    attachment = Ticket.objects.get().attachments.get()
    assert attachment.uploaded_by == cast.assignee


# --- 10 MiB through the real request cycle ---------------------------------------------------------------------------


def test_a_file_of_the_maximum_size_goes_through_the_edge_and_the_form(cast, settings, storage):
    assert settings.GUICHET_ATTACHMENT_MAX_SIZE == 10 * 1024 * 1024
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE < settings.GUICHET_ATTACHMENT_MAX_SIZE
    ticket = submit(cast)
    data = PDF + b"0" * (settings.GUICHET_ATTACHMENT_MAX_SIZE - len(PDF))
    response = client_for(cast.requester).post(
        f"{ticket.get_absolute_url()}repondre/",
        {"reponse-body": "Le gros fichier", "reponse-pieces_jointes": [upload("gros.pdf", data)]},
    )
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.size == 10 * 1024 * 1024 and attachment.sha256 == hashlib.sha256(data).hexdigest()
    assert [p.stat().st_size for p in stored_files(storage)] == [10 * 1024 * 1024]
    # One byte more: refused beside the field, nothing stored.
    response = client_for(cast.requester).post(
        f"{ticket.get_absolute_url()}repondre/",
        {"reponse-body": "Trop gros", "reponse-pieces_jointes": [upload("trop.pdf", data + b"0")]},
    )
    assert response.status_code == 200
    assert "Le fichier « trop.pdf » fait 10 Mo : 10 Mo au plus par fichier." in words(response.content.decode())
    assert Attachment.objects.count() == 1


def test_the_edge_still_refuses_a_body_over_the_upload_limit(cast, settings):
    settings.UPLOAD_MAX_BODY_SIZE = 3_000_000
    ticket = submit(cast)
    response = client_for(cast.requester).post(
        f"{ticket.get_absolute_url()}repondre/",
        {"reponse-body": "…", "reponse-pieces_jointes": [upload("gros.pdf", PDF + b"0" * 3_000_000)]},
    )
    assert response.status_code == 400
    assert "dépasse la taille maximale acceptée (3,0 Mo)" in response.content.decode()
    assert not Attachment.objects.exists()


def test_fields_of_a_multipart_form_keep_the_body_limit(cast, settings):
    """Files may be large, fields may not: a text field over DATA_UPLOAD_MAX_MEMORY_SIZE is still a 400."""
    ticket = submit(cast)
    response = client_for(cast.requester).post(
        f"{ticket.get_absolute_url()}repondre/",
        {
            "reponse-body": "a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1),
            "reponse-pieces_jointes": [upload("a.pdf", PDF)],
        },
    )
    assert response.status_code == 400
    assert "(2,6 Mo)" in response.content.decode()


def test_the_api_keeps_the_body_limit(cast, settings):
    response = client_for(cast.requester).post(
        "/api/v1/requests", {"pad": upload("gros.pdf", PDF + b"0" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1))}
    )
    assert response.status_code == 400
    assert response.json()["detail"][0]["type"] == "body_too_large"


# --- Page and queries ------------------------------------------------------------------------------------------------


def test_the_request_page_reads_attachments_in_one_query(cast, django_assert_max_num_queries):
    ticket = submit(cast, attachments=[pdf()])
    client = client_for(cast.assignee)
    client.get(ticket.get_absolute_url())
    with CaptureQueriesContext(connection) as few:
        client.get(ticket.get_absolute_url())
    for index in range(4):
        services.ticket_reply(
            ticket=ticket, author=cast.assignee, body=f"n°{index}", attachments=[pdf(), pdf("b.pdf")]
        )
    with django_assert_max_num_queries(len(few)):
        page = client.get(ticket.get_absolute_url()).content.decode()
    assert page.count("/guichet/pieces-jointes/") == 9


# --- Personal data ---------------------------------------------------------------------------------------------------


def test_the_export_lists_the_files(cast):
    ticket = submit(cast, attachments=[pdf()])
    services.ticket_reply(
        ticket=ticket, author=cast.assignee, body="Réponse", attachments=[("r.png", "image/png", PNG)]
    )
    services.ticket_reply(ticket=ticket, author=cast.assignee, body="Note", internal=True, attachments=[pdf("n.pdf")])
    exported = personal_data.export(cast.requester)
    request = exported["demandes"][0]
    assert [(a["nom"], a["taille_octets"]) for a in request["pieces_jointes"]] == [("compte-rendu.pdf", len(PDF))]
    assert [a["nom"] for m in request["messages"] for a in m["pieces_jointes"]] == ["r.png"]  # never the note's
    assert [a["nom"] for a in exported["pieces_jointes_deposees"]] == ["compte-rendu.pdf"]
    staff = personal_data.export(cast.assignee)
    assert [(a["demande"], a["nom"]) for a in staff["pieces_jointes_deposees"]] == [
        (ticket.reference, "r.png"),
        (ticket.reference, "n.pdf"),
    ]


def test_the_purge_deletes_the_files_of_anonymised_confidential_requests(
    cast, storage, django_capture_on_commit_callbacks
):
    recipient = person("gael.ivoire")
    secret = submit(cast, kind="mal-etre", product=None, recipient=recipient, attachments=[pdf()])
    services.ticket_reply(ticket=secret, author=recipient, body="Réponse", attachments=[("r.png", "image/png", PNG)])
    normal = submit(cast, attachments=[pdf("garde.pdf")])
    long_ago = timezone.now().replace(year=timezone.now().year - 5)
    Ticket.objects.filter(pk__in=[secret.pk, normal.pk]).update(status=Status.CLOSED, closed_at=long_ago)
    assert len(stored_files(storage)) == 3
    with django_capture_on_commit_callbacks(execute=True):
        counts = personal_data.purge(now=timezone.now())
    assert counts["pieces_jointes"] == 2
    assert list(Attachment.objects.values_list("name", flat=True)) == ["garde.pdf"]
    assert [p.read_bytes() for p in stored_files(storage)] == [PDF]
    assert "pieces_jointes" not in personal_data.purge(now=timezone.now())
