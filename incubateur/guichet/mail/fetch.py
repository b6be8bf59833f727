"""The IMAP client of `manage.py fetch_mail` and the worker's hook.

For each mailbox of MAIL_INTAKE_IMAP_URL: the unread messages (UNSEEN), each read with `BODY.PEEK[]` (which leaves it
unread), handed to `intake.receive` (which commits), and only then flagged `\\Seen` (and moved to
MAIL_INTAKE_IMAP_MOVE_TO when set). A crash anywhere before the flag leaves the message unread: it is read again next
time, and `receive` recognises it if it was committed.
"""

import imaplib
import logging
import re
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings

from incubateur.guichet.mail.intake import Outcome, receive

logger = logging.getLogger(__name__)


@dataclass
class Mailbox:
    scheme: str
    host: str
    port: int
    user: str
    password: str
    folder: str

    @property
    def label(self) -> str:
        """The mailbox without its password (what `InboundMail.source` records)."""
        return f"{self.scheme}://{self.user}@{self.host}:{self.port}/{self.folder}"


def mailboxes(value: str) -> list[Mailbox]:
    """`imaps://user:password@host[:port]/MAILBOX` separated by spaces or commas (user and password URL-encoded)."""
    found = []
    for item in re.split(r"[\s,]+", value.strip()):
        if not item:
            continue
        url = urllib.parse.urlsplit(item)
        if url.scheme not in ("imap", "imaps") or not url.hostname:
            raise ValueError(f"MAIL_INTAKE_IMAP_URL : adresse IMAP invalide ({url.scheme}://{url.hostname or '?'}…)")
        found.append(
            Mailbox(
                scheme=url.scheme,
                host=url.hostname,
                port=url.port or (993 if url.scheme == "imaps" else 143),
                user=urllib.parse.unquote(url.username or ""),
                password=urllib.parse.unquote(url.password or ""),
                folder=urllib.parse.unquote(url.path.lstrip("/")) or "INBOX",
            )
        )
    return found


@dataclass
class Report:
    fetched: int = 0
    outcomes: list[Outcome] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def fetch_mailbox(box: Mailbox, *, process: Callable[..., Outcome] = receive, report: Report | None = None) -> Report:
    report = report or Report()
    timeout = settings.MAIL_INTAKE_IMAP_TIMEOUT
    cls = imaplib.IMAP4_SSL if box.scheme == "imaps" else imaplib.IMAP4
    client = cls(box.host, box.port, timeout=timeout)
    try:
        client.login(box.user, box.password)
        status, _ = client.select(_quote(box.folder))
        if status != "OK":
            raise imaplib.IMAP4.error(f"dossier introuvable : {box.folder}")
        status, data = client.uid("SEARCH", None, "UNSEEN")
        uids = data[0].split() if status == "OK" and data and data[0] else []
        for uid in uids:
            status, data = client.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next((item[1] for item in data or [] if isinstance(item, tuple)), None)
            if status != "OK" or raw is None:
                report.errors.append(f"{box.label} : message {uid.decode()} illisible")
                continue
            report.fetched += 1
            try:
                outcome = process(raw, source=box.label)
            except Exception as exc:  # left unread: tried again next time
                logger.exception("Mail %s of %s not processed", uid, box.label)
                report.errors.append(f"{box.label} : message {uid.decode()} non traité ({type(exc).__name__})")
                continue
            report.outcomes.append(outcome)
            # After the commit only: flag it read, then move it when asked.
            client.uid("STORE", uid, "+FLAGS.SILENT", r"(\Seen)")
            if settings.MAIL_INTAKE_IMAP_MOVE_TO:
                client.uid("MOVE", uid, _quote(settings.MAIL_INTAKE_IMAP_MOVE_TO))
    finally:
        try:
            client.logout()
        except (imaplib.IMAP4.error, OSError):
            pass
    return report


def fetch_all(*, process: Callable[..., Outcome] = receive) -> Report:
    report = Report()
    for box in mailboxes(settings.MAIL_INTAKE_IMAP_URL):
        try:
            fetch_mailbox(box, process=process, report=report)
        except (TimeoutError, imaplib.IMAP4.error, OSError) as exc:
            logger.warning("IMAP %s: %s", box.label, exc)
            report.errors.append(f"{box.label} : {type(exc).__name__} : {exc}")
    return report


_last_run = 0.0


def tick() -> None:
    """The worker's housekeeping hook (every beat): a fetch every MAIL_INTAKE_INTERVAL seconds at most."""
    global _last_run
    if not settings.MAIL_INTAKE_IMAP_URL or time.monotonic() - _last_run < settings.MAIL_INTAKE_INTERVAL:
        return
    _last_run = time.monotonic()
    fetch_all()
