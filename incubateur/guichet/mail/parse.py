"""A raw RFC 5322 message → `Inbound`: who sent it, to which addresses, its text, its attachments, and the signs
that no person wrote it (auto-replies, lists, bounces).

Parsed with the standard library (`email`, `policy.default`): headers decoded, `get_body()` picks the text part.
"""

import hashlib
import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

from mailparser_reply import EmailReplyParser

# Headers that may name the address a mail was delivered to (the plus-tag lives there when To: holds several).
RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")
BOUNCE_SENDERS = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mailer_daemon)$", re.IGNORECASE)
REPLY_LANGUAGES = ["fr", "en"]


@dataclass
class Part:
    name: str
    content_type: str
    data: bytes


@dataclass
class Inbound:
    raw: bytes
    sha256: str
    message: EmailMessage
    message_id: str
    sender: str  # the From address, lowercased ("" when none)
    subject: str
    text: str
    recipients: list[str]
    attachments: list[Part] = field(default_factory=list)

    def header(self, name: str) -> str:
        value = self.message.get(name)
        return str(value).strip() if value is not None else ""

    @property
    def sender_domain(self) -> str:
        return self.sender.rpartition("@")[2]

    def automatic(self) -> str | None:
        """Why no person wrote this mail (so it never creates a request nor triggers a mail), else None."""
        auto = self.header("Auto-Submitted").split(";")[0].strip().lower()
        if auto and auto != "no":
            return f"réponse automatique (Auto-Submitted: {auto})"
        precedence = self.header("Precedence").lower()
        if precedence in ("bulk", "list", "junk", "auto_reply"):
            return f"envoi en nombre (Precedence: {precedence})"
        if self.header("X-Autoreply") or self.header("X-Autorespond"):
            return "réponse automatique (X-Autoreply)"
        if self.header("X-Incubateur-Notification"):
            return "notification de la plateforme"
        return None

    def bounce(self) -> str | None:
        """Why this mail is a delivery report (a DSN), else None."""
        if self.message.get_content_type() == "multipart/report":
            return "rapport de non-distribution (multipart/report)"
        if self.message.get("Return-Path") is not None and self.header("Return-Path").strip("<> ") == "":
            return "rapport de non-distribution (expéditeur vide)"
        if not self.sender:
            return "aucun expéditeur"
        if BOUNCE_SENDERS.match(self.sender.partition("@")[0]):
            return "rapport de non-distribution (MAILER-DAEMON)"
        return None

    def reply_text(self) -> str:
        """The text without the quoted message and the signature (mail-parser-reply), the full text when that
        leaves nothing."""
        try:
            replies = EmailReplyParser(languages=REPLY_LANGUAGES).read(self.text).replies
        except Exception:  # a parser's bug must not lose the mail: keep it whole
            return self.text.strip()
        first = replies[0].body.strip() if replies else ""
        return first or self.text.strip()


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("br", "p", "div", "li", "tr", "blockquote"):
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    text = "".join(parser.parts)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in text.splitlines())).strip()


def _text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    try:
        content = body.get_content()
    except (LookupError, UnicodeError):
        content = (body.get_payload(decode=True) or b"").decode("utf-8", "replace")
    if not isinstance(content, str):
        return ""
    if body.get_content_type() == "text/html":
        content = html_to_text(content)
    return content.replace("\r\n", "\n").strip()


def _attachments(message: EmailMessage) -> list[Part]:
    parts = []
    for part in message.iter_attachments() if message.is_multipart() else []:
        if part.is_multipart() or part.get_content_type() == "message/rfc822":
            continue
        data = part.get_payload(decode=True) or b""
        parts.append(Part(name=part.get_filename() or "piece-jointe", content_type=part.get_content_type(), data=data))
    return parts


def parse(raw: bytes) -> Inbound:
    message = message_from_bytes(raw, policy=policy.default)
    try:
        sender = parseaddr(str(message.get("From", "")))[1].strip().lower()
    except Exception:  # a header the parser rejects: no sender
        sender = ""
    recipients = []
    for name in RECIPIENT_HEADERS:
        try:
            values = [str(v) for v in message.get_all(name, [])]
        except Exception:
            continue
        recipients += [address.strip() for _, address in getaddresses(values) if "@" in address]
    try:
        subject = str(message.get("Subject", "") or "")
    except Exception:
        subject = ""
    try:
        text = _text(message)
        attachments = _attachments(message)
    except Exception:  # a broken MIME structure: the text as it comes
        text, attachments = raw.decode("utf-8", "replace"), []
    return Inbound(
        raw=raw,
        sha256=hashlib.sha256(raw).hexdigest(),
        message=message,
        message_id=str(message.get("Message-ID", "") or "").strip()[:500],
        sender=sender if "@" in sender else "",
        subject=" ".join(subject.split())[:300],
        text=text,
        recipients=list(dict.fromkeys(recipients)),
        attachments=attachments,
    )
