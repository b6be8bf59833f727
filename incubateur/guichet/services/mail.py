"""Write use cases of the mail triage (#18): staff turn a mail held for triage (an unverified sender, a reply that
could not be posted) into a request recorded on someone's behalf, or set it aside. The intake itself, which holds
those mails, is `guichet/mail/intake.py`."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from incubateur.core import journal
from incubateur.core.errors import NotAllowed
from incubateur.guichet import perms
from incubateur.guichet.mail.parse import parse
from incubateur.guichet.models import Channel, InboundMail
from incubateur.guichet.models import InboundMailOutcome as Result
from incubateur.guichet.services import attachments
from incubateur.guichet.services.tickets import ticket_submit


@transaction.atomic
def mail_qualify(*, mail: InboundMail, actor, requester, kind: str, subject: str, body: str, product=None, topic=""):
    """Staff triage: a held mail becomes a request recorded on `requester`'s behalf (the usual e-mail to them:
    « une demande a été enregistrée en votre nom »)."""
    mail = InboundMail.objects.select_for_update().get(pk=mail.pk)
    if mail.outcome != Result.HELD or mail.ticket_id is not None:
        raise ValidationError("Ce message a déjà été trié, ou concerne une demande existante.")
    if not perms.can_submit_on_behalf(actor):
        raise NotAllowed("Seule l'équipe de l'Incubateur trie les e-mails reçus.")
    ticket = ticket_submit(
        requester=requester,
        kind=kind,
        topic=topic,
        subject=subject,
        body=body,
        product=product,
        recorded_by=actor,
        channel=Channel.EMAIL,
    )
    inbound = parse(bytes(mail.raw))
    files = [(part.name, part.content_type, part.data) for part in inbound.attachments]
    if files and not attachments.check(files):
        attachments.attachments_add(ticket=ticket, files=files, by=actor, source="mail")
    mail.outcome, mail.ticket = Result.QUALIFIED, ticket
    mail.handled_by, mail.handled_at = actor, timezone.now()
    mail.save(update_fields=["outcome", "ticket", "handled_by", "handled_at"])
    return ticket


@transaction.atomic
def mail_dismiss(*, mail: InboundMail, actor) -> InboundMail:
    """Staff triage: a held mail is set aside (spam, a wrong sender): nothing is posted, nobody is written to."""
    mail = InboundMail.objects.select_for_update().get(pk=mail.pk)
    if mail.outcome != Result.HELD:
        raise ValidationError("Ce message a déjà été trié.")
    mail.outcome, mail.handled_by, mail.handled_at = Result.DISMISSED, actor, timezone.now()
    mail.save(update_fields=["outcome", "handled_by", "handled_at"])
    journal.record(
        actor=actor,
        action="guichet.mail_dismissed",
        message=f"E-mail reçu n°{mail.pk} écarté",
        visibility="confidential" if mail.ticket_id and mail.ticket.confidential else "internal",
        obj=mail,
    )
    return mail
