"""Attachments on requests and messages, from the web forms and from mail (#18).

Two entry points, used by `tickets.ticket_submit` / `ticket_reply` and by the mail intake:

- `check(files) -> list[str]`: pure (no database, no storage): every limit a batch of files breaks, in French,
  one sentence per problem. Call it before creating anything.
- `attachments_add(*, ticket, message=None, files, by, source) -> list[Attachment]`: checks again, then stores the
  files (random names, through the attachments' storage) and their rows, in the caller's transaction. Raises
  `ValidationError({"pieces_jointes": [...]})` on any broken limit. The caller decided that `by` may write on the
  request (`ticket_submit`, `ticket_reply`, the mail intake): this function adds no permission of its own.

`files`: a list of `(name, claimed content type, bytes | File)` tuples, or of Django `UploadedFile`s. The claimed
content type is never trusted: the type is read from the content's magic bytes, and the name's extension must
agree with it (a PDF named `x.exe` and an executable named `x.pdf` are both refused).
"""

import hashlib
import re
import unicodedata
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction

from incubateur.core import journal
from incubateur.guichet.models import Attachment, Message, Ticket, file_size_fr
from incubateur.guichet.services._shared import visibility

FIELD = "pieces_jointes"
SOURCES = ("web", "mail")
NAME_MAX = 120
ACCEPTED_TYPES_TEXT = "PDF, images, textes, documents bureautiques"


@dataclass(frozen=True)
class FileType:
    key: str
    content_type: str
    extensions: tuple[str, ...]


TYPES: dict[str, FileType] = {
    t.key: t
    for t in (
        FileType("pdf", "application/pdf", (".pdf",)),
        FileType("png", "image/png", (".png",)),
        FileType("jpeg", "image/jpeg", (".jpg", ".jpeg")),
        FileType("gif", "image/gif", (".gif",)),
        FileType("webp", "image/webp", (".webp",)),
        FileType("txt", "text/plain", (".txt", ".md", ".log")),
        FileType("csv", "text/csv", (".csv",)),
        FileType("eml", "message/rfc822", (".eml",)),
        FileType("odt", "application/vnd.oasis.opendocument.text", (".odt",)),
        FileType("ods", "application/vnd.oasis.opendocument.spreadsheet", (".ods",)),
        FileType("odp", "application/vnd.oasis.opendocument.presentation", (".odp",)),
        FileType("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",)),
        FileType("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",)),
        FileType("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation", (".pptx",)),
    )
}
TEXT_KEYS = ("txt", "csv", "eml")
ODF = {
    b"application/vnd.oasis.opendocument.text": "odt",
    b"application/vnd.oasis.opendocument.spreadsheet": "ods",
    b"application/vnd.oasis.opendocument.presentation": "odp",
}
OOXML = {"word/": "docx", "xl/": "xlsx", "ppt/": "pptx"}
# Bytes no text file holds (C0 controls but tab, line feed, form feed, carriage return, escape; DEL).
BINARY = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f]")
# What a browser could take for a page or a script, whatever the name says.
MARKUP = re.compile(rb"^\s*<(?:!doctype|html|head|body|script|svg|\?xml|iframe|!--)", re.IGNORECASE)
SNIFF = 64 * 1024
# Characters that change how a name reads without being seen: bidi overrides (`cod\u202eexe.pdf`), zero widths.
INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


@dataclass
class Upload:
    """One file as received: its sanitised name, its content (a `File`, seekable), its size."""

    name: str
    content: File
    size: int


# --- Names -----------------------------------------------------------------------------------------------------------


def sanitize_name(name: str) -> str:
    """The name a person gave, fit for display and for a `Content-Disposition`: no path, no control or invisible
    character, no leading dot, spaces collapsed, at most `NAME_MAX` characters (the extension kept). Never used
    as a path: files are stored under a random name."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(" " if unicodedata.category(c)[0] in "CZ" and c != " " else c for c in INVISIBLE.sub("", name))
    name = re.sub(r"\s+", " ", name).strip().lstrip(".").strip()
    if len(name) > NAME_MAX:
        stem, dot, extension = name.rpartition(".")
        if dot and 1 <= len(extension) <= 10 and stem:
            name = stem[: NAME_MAX - len(extension) - 1].rstrip() + "." + extension
        else:
            name = name[:NAME_MAX].rstrip()
    return name or "piece-jointe"


def extension(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return ("." + ext.lower()) if dot and stem else ""


# --- Types -----------------------------------------------------------------------------------------------------------


def sniff(content: File, name: str) -> FileType | None:
    """The type of the content, from its magic bytes (and, for plain text, the name's extension); None for
    anything else (executables, HTML, SVG, archives, macro-enabled documents…)."""
    content.seek(0)
    head = content.read(SNIFF)
    content.seek(0)
    key = None
    if head.startswith(b"%PDF-"):
        key = "pdf"
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        key = "png"
    elif head.startswith(b"\xff\xd8\xff"):
        key = "jpeg"
    elif head[:6] in (b"GIF87a", b"GIF89a"):
        key = "gif"
    elif head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        key = "webp"
    elif head.startswith(b"PK\x03\x04"):
        key = _office_type(content)
    elif head and not BINARY.search(head) and not MARKUP.search(head):
        ext = extension(name)
        key = next((k for k in TEXT_KEYS if ext in TYPES[k].extensions), None)
    return TYPES[key] if key else None


def _office_type(content: File) -> str | None:
    """An OpenDocument or Office Open XML document (a zip); None for any other zip, and for a document that
    carries macros."""
    try:
        content.seek(0)
        with zipfile.ZipFile(content) as archive:
            names = archive.namelist()
            if any(n.lower().endswith(("vbaproject.bin", ".exe", ".dll", ".js")) for n in names):
                return None
            if "mimetype" in names:
                with archive.open("mimetype") as member:
                    return ODF.get(member.read(100).strip())
            if "[Content_Types].xml" in names:
                return next((key for prefix, key in OOXML.items() if any(n.startswith(prefix) for n in names)), None)
            return None
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError):
        return None
    finally:
        content.seek(0)


def allowed_types() -> list[FileType]:
    return [TYPES[key.strip()] for key in settings.GUICHET_ATTACHMENT_TYPES if key.strip() in TYPES]


def accept_attribute() -> str:
    """For `<input type="file" accept="…">`: a hint to the browser; the server checks anyway."""
    return ",".join(ext for t in allowed_types() for ext in t.extensions)


size_fr = file_size_fr


def limits_help() -> str:
    """The limits as the forms say them beside the field."""
    return (
        f"{settings.GUICHET_ATTACHMENT_MAX_COUNT} fichiers au plus, {size_fr(settings.GUICHET_ATTACHMENT_MAX_SIZE)} "
        f"chacun. Formats acceptés : {ACCEPTED_TYPES_TEXT} ({', '.join(t.key.upper() for t in allowed_types())})."
    )


# --- Checks ----------------------------------------------------------------------------------------------------------


def _uploads(files) -> list[Upload]:
    uploads = []
    for item in files or ():
        if isinstance(item, File):
            name, data = item.name, item
        else:
            name, _claimed, data = item
        content = ContentFile(data) if isinstance(data, bytes | bytearray) else data
        if not isinstance(content, File):
            content = File(content)
        uploads.append(Upload(name=sanitize_name(name), content=content, size=content.size))
    return uploads


def _problems(uploads: list[Upload]) -> list[str]:
    errors = []
    max_count, max_size = settings.GUICHET_ATTACHMENT_MAX_COUNT, settings.GUICHET_ATTACHMENT_MAX_SIZE
    if len(uploads) > max_count:
        errors.append(f"Vous avez joint {len(uploads)} fichiers : {max_count} au plus.")
    allowed = {t.key for t in allowed_types()}
    for upload in uploads:
        if upload.size > max_size:
            errors.append(
                f"Le fichier « {upload.name} » fait {size_fr(upload.size)} : {size_fr(max_size)} au plus par fichier."
            )
            continue
        if upload.size == 0:
            errors.append(f"Le fichier « {upload.name} » est vide.")
            continue
        kind = sniff(upload.content, upload.name)
        if kind is None or kind.key not in allowed or extension(upload.name) not in kind.extensions:
            errors.append(f"Le fichier « {upload.name} » n'est pas d'un type accepté ({ACCEPTED_TYPES_TEXT}).")
    return errors


def check(files) -> list[str]:
    """Every limit this batch of files breaks (count, size, type), as French sentences; empty when all is well.
    Pure: reads the files, writes nothing."""
    return _problems(_uploads(files))


# --- Use case --------------------------------------------------------------------------------------------------------


@transaction.atomic
def attachments_add(
    *, ticket: Ticket, message: Message | None = None, files, by=None, source: str = "web"
) -> list[Attachment]:
    """Store `files` on `ticket` (or on one of its messages), in the caller's transaction; one journal row.

    A file written before the transaction rolls back stays in the storage without a row: `attachments_orphans`
    lists such files (storage is not transactional)."""
    if source not in SOURCES:
        raise ValueError(f"Unknown source: {source!r}")
    if message is not None and message.ticket_id != ticket.pk:
        raise ValueError("The message is not one of the request's.")
    uploads = _uploads(files)
    if not uploads:
        return []
    errors = _problems(uploads)
    if errors:
        raise ValidationError({FIELD: errors})
    stored: list[Attachment] = []
    try:
        for upload in uploads:
            kind = sniff(upload.content, upload.name)
            digest = hashlib.sha256()
            upload.content.seek(0)
            for chunk in upload.content.chunks():
                digest.update(chunk)
            upload.content.seek(0)
            attachment = Attachment(
                ticket=ticket,
                message=message,
                name=upload.name,
                content_type=kind.content_type,
                size=upload.size,
                sha256=digest.hexdigest(),
                source=source,
                uploaded_by=by,
            )
            attachment.file.save(upload.name, upload.content, save=False)
            stored.append(attachment)
            attachment.save()
    except BaseException:
        for attachment in stored:
            attachment.file.delete(save=False)
        raise
    count = len(stored)
    journal.record(
        actor=by,
        action="guichet.attachments_added",
        message=(
            f"{count} pièce{'s' if count > 1 else ''} jointe{'s' if count > 1 else ''} "
            f"ajoutée{'s' if count > 1 else ''} à la demande {ticket.reference}"
        ),
        visibility=visibility(ticket),
        obj=ticket,
        data={"source": source, "message": message.pk if message is not None else None, "count": count},
    )
    return stored


def attachment_delete_file(attachment: Attachment) -> None:
    """Remove an attachment's file from the storage (purge). The row is the caller's to keep or delete."""
    if attachment.file:
        attachment.file.delete(save=False)


def attachments_orphans() -> list[str]:
    """Files in the storage's `guichet/` tree that no attachment names (left by a rolled-back transaction)."""
    storage = Attachment._meta.get_field("file").storage
    known = set(Attachment.objects.values_list("file", flat=True))
    found = []

    def walk(path: str):
        try:
            directories, files = storage.listdir(path)
        except (FileNotFoundError, NotImplementedError):
            return
        for name in files:
            full = f"{path}/{name}"
            if full not in known:
                found.append(full)
        for directory in directories:
            walk(f"{path}/{directory}")

    walk("guichet")
    return found


__all__ = [
    "FIELD",
    "accept_attribute",
    "attachments_add",
    "attachments_orphans",
    "check",
    "limits_help",
    "sanitize_name",
    "size_fr",
    "sniff",
]
