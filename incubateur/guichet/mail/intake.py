"""`receive(raw, source=…)`: one mail in, exactly once. `fetch_mail` (IMAP) and `receive_mail` (stdin) both call it.

The mail's `InboundMail` row (its SHA-256 unique) is written in the same transaction as what the mail causes (a
request, a reply, a note, a refusal mail in the outbox): a crash before the commit leaves nothing, and the mail read
again is processed then; read again after the commit (a second fetch, a second mailbox, a crash before the server
flagged it), it is recognised (same hash, or same Message-ID) and nothing happens twice.

What happens, in this order:
1. automatic mails (Auto-Submitted, Precedence bulk/list/junk, our own notifications), bounces (multipart/report,
   null sender, MAILER-DAEMON) and mails from the platform's own addresses: ignored, no mail sent (no loop);
2. more than MAIL_INTAKE_RATE_LIMIT mails from one sender in MAIL_INTAKE_RATE_WINDOW: ignored (flood);
3. attachments over the limits (`services.attachments.check`): refused; the sender is told why only when verified
   (never a mail to a forged sender: no backscatter);
4. a reply token in the recipient addresses: a reply (or `#note`) by the token's recipient when the mail comes
   from them, verified; held for staff triage otherwise (forged token, another sender), never posted;
5. otherwise a new request: of kind `autre` with an acknowledgement, from a verified sender who has an active
   account; held for staff triage, with no mail at all, otherwise.
"""

import hashlib
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from incubateur.accounts.models import User
from incubateur.core import notifications, ratelimit
from incubateur.core.errors import NotAllowed
from incubateur.core.roles import is_member
from incubateur.guichet import perms
from incubateur.guichet.kinds import Kind
from incubateur.guichet.mail import auth, tokens
from incubateur.guichet.mail.parse import Inbound, parse
from incubateur.guichet.models import (
    MESSAGE_MAX,
    Channel,
    InboundMail,
    Ticket,
)
from incubateur.guichet.models import (
    InboundMailOutcome as Result,
)
from incubateur.guichet.services import attachments
from incubateur.guichet.services.tickets import SUBJECT_MAX, ticket_reply, ticket_submit

logger = logging.getLogger(__name__)

NO_SUBJECT = "(sans objet)"


@dataclass
class Outcome:
    """What became of a mail. `duplicate`: it was processed before (nothing done now); `mail`: its row."""

    result: str
    reason: str = ""
    mail: InboundMail | None = None
    duplicate: bool = False

    @property
    def ticket(self):
        return self.mail.ticket if self.mail is not None else None


def _own_addresses() -> set[str]:
    addresses = {settings.DEFAULT_FROM_EMAIL, settings.SERVER_EMAIL, settings.MAIL_INTAKE_REPLY_ADDRESS}
    addresses |= set(settings.MAIL_INTAKE_OWN_ADDRESSES)
    own = set()
    for address in addresses:
        address = (address or "").strip()
        if "<" in address:
            address = address.rpartition("<")[2].rstrip(">")
        if address:
            own.add(address.lower())
    return own


def _seen(sha256: str, message_id: str) -> InboundMail | None:
    found = InboundMail.objects.filter(sha256=sha256).first()
    if found is None and message_id:
        found = InboundMail.objects.filter(rfc_message_id=message_id).first()
    return found


def receive(raw: bytes, *, source: str) -> Outcome:
    """Process one raw RFC 5322 message. Raises on a failure (database down…): nothing is kept then, and the
    caller leaves the mail where it is to try again (`fetch_mail` does not flag it; `receive_mail` exits 75,
    which asks the mail server to retry)."""
    digest = hashlib.sha256(raw).hexdigest()
    previous = _seen(digest, "")
    if previous is not None:
        return Outcome(previous.outcome, "déjà reçu", mail=previous, duplicate=True)
    inbound = parse(raw)
    previous = _seen(digest, inbound.message_id)
    if previous is not None:
        return Outcome(previous.outcome, "déjà reçu (même Message-ID)", mail=previous, duplicate=True)
    try:
        with transaction.atomic():
            mail = InboundMail.objects.create(
                sha256=digest,
                rfc_message_id=inbound.message_id,
                source=source[:300],
                sender=inbound.sender[:254],
                subject=inbound.subject,
                outcome=Result.HELD,
                raw=raw,
            )
            result, reason = _process(mail, inbound)
            mail.outcome, mail.reason = result, reason[:500]
            mail.save()
    except IntegrityError:
        previous = _seen(digest, inbound.message_id)
        if previous is None:
            raise
        # Another process committed the same mail while this one worked on it: its result stands.
        return Outcome(previous.outcome, "déjà reçu", mail=previous, duplicate=True)
    logger.info("Mail %s from %s: %s (%s)", mail.pk, inbound.sender, result, reason)
    return Outcome(result, reason, mail=mail)


def _process(mail: InboundMail, inbound: Inbound) -> tuple[str, str]:
    why = inbound.automatic() or inbound.bounce()
    if why:
        return Result.IGNORED, why
    if inbound.sender in _own_addresses():
        return Result.IGNORED, "envoyé par une adresse de la plateforme (boucle)"
    if not ratelimit.hit(
        f"guichet-mail:{inbound.sender}",
        limit=settings.MAIL_INTAKE_RATE_LIMIT,
        window=settings.MAIL_INTAKE_RATE_WINDOW,
    ):
        return Result.RATE_LIMITED, f"plus de {settings.MAIL_INTAKE_RATE_LIMIT} messages de cet expéditeur"
    mail.verified = auth.verified(inbound)
    token = next((t for t in map(tokens.token_in, inbound.recipients) if t), None)
    target = tokens.read_token(token) if token else None
    ticket = Ticket.objects.filter(pk=target[0]).first() if target else None
    files = [(part.name, part.content_type, part.data) for part in inbound.attachments]
    problems = attachments.check(files) if files else []
    if len(inbound.raw) > settings.MAIL_INTAKE_MAX_BYTES:
        problems.append(f"Le message fait {attachments.size_fr(len(inbound.raw))} : trop volumineux.")
    if problems:
        if mail.verified:
            _refusal(inbound, problems, confidential=bool(ticket and ticket.confidential))
        mail.ticket = ticket  # a mail about a confidential request stays with its participants, even refused
        return Result.REFUSED, " ".join(problems)
    if token:
        return _reply(mail, inbound, token=token, target=target, ticket=ticket, files=files)
    return _new_request(mail, inbound, files=files)


def _reply(mail, inbound, *, token, target, ticket, files) -> tuple[str, str]:
    if target is None:
        return Result.HELD, "jeton de réponse invalide (falsifié, ou signé avec une clé retirée)"
    user = User.objects.filter(pk=target[1]).first()
    if ticket is None or user is None:
        return Result.HELD, "la demande ou la personne du jeton n'existe plus"
    mail.ticket = ticket
    if inbound.sender != user.email.lower():
        return Result.HELD, "l'expéditeur n'est pas la personne à qui la réponse était demandée"
    if not mail.verified:
        return Result.HELD, "expéditeur non vérifié (Authentication-Results)"
    text = inbound.reply_text()
    internal = False
    marker = settings.MAIL_INTAKE_NOTE_MARKER
    if marker and text.lower().startswith(marker.lower()) and perms.can_write_internal_note(user, ticket):
        internal, text = True, text[len(marker) :].strip()
    if len(text) > MESSAGE_MAX:
        text = text[: MESSAGE_MAX - 200].rstrip() + "\n\n[… message tronqué : l'e-mail d'origine est conservé]"
    try:
        with transaction.atomic():
            message = ticket_reply(ticket=ticket, author=user, body=text, internal=internal)
            if files:
                attachments.attachments_add(ticket=ticket, message=message, files=files, by=user, source="mail")
    except (NotAllowed, ValidationError) as exc:
        return Result.HELD, f"refusé par le guichet : {_first_error(exc)}"
    mail.message = message
    return (Result.NOTE, "note interne") if internal else (Result.REPLY, "réponse ajoutée au fil")


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)
    return str(exc)


def _new_request(mail, inbound, *, files) -> tuple[str, str]:
    user = User.objects.active().by_email(inbound.sender).first() if inbound.sender else None
    if not mail.verified:
        return Result.HELD, "reçue par e-mail, expéditeur non vérifié"
    if user is None or not is_member(user):
        return Result.HELD, "reçue par e-mail, expéditeur sans compte"
    subject = (inbound.subject or NO_SUBJECT)[:SUBJECT_MAX]
    body = inbound.text.strip() or "(message vide : voir l'e-mail d'origine)"
    if len(body) > MESSAGE_MAX:
        body = body[: MESSAGE_MAX - 200].rstrip() + "\n\n[… message tronqué : l'e-mail d'origine est conservé]"
    try:
        with transaction.atomic():
            ticket = ticket_submit(requester=user, kind=Kind.AUTRE, subject=subject, body=body, channel=Channel.EMAIL)
            if files:
                attachments.attachments_add(ticket=ticket, files=files, by=user, source="mail")
    except (NotAllowed, ValidationError) as exc:
        return Result.HELD, f"refusé par le guichet : {_first_error(exc)}"
    mail.ticket = ticket
    notifications.notify(
        kind="guichet.mail_received",
        subject=f"[Guichet] Votre demande {ticket.reference} est enregistrée : {ticket.subject}",
        body=(
            f"Bonjour,\n\nVotre message a bien été reçu : il est enregistré comme la demande {ticket.reference}, "
            f"{ticket.routing_reason}.\n\nVous pouvez la suivre ici : {settings.BASE_URL}{ticket.get_absolute_url()}\n"
            "Pour compléter votre demande, répondez simplement à ce message.\n"
        ),
        emails=[user.email],
        headers_for=tokens.thread_headers(ticket, answering=inbound.message_id),
    )
    return Result.TICKET, f"demande {ticket.reference} créée"


def _refusal(inbound: Inbound, problems: list[str], *, confidential: bool) -> None:
    answering = inbound.message_id
    headers = {"Auto-Submitted": "auto-replied"}
    if answering:
        headers.update({"In-Reply-To": answering, "References": answering})
    lines = "\n".join(f"- {p}" for p in problems)
    notifications.notify(
        kind="guichet.mail_refused",
        confidential=confidential,
        subject="[Guichet] Votre message n'a pas été enregistré",
        body=(
            "Bonjour,\n\nVotre message au guichet de l'Incubateur n'a pas été enregistré :\n\n"
            f"{lines}\n\nRenvoyez-le sans ces pièces jointes (ou avec un lien vers un document partagé), "
            f"ou déposez votre demande sur {settings.BASE_URL}/guichet/.\n"
        ),
        emails=[inbound.sender],
        headers=headers,
    )
