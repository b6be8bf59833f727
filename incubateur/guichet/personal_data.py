"""Personal data held by the guichet.

`export(user)`: the person's own requests with their content (subject, body, the replies they could read — never an
internal note), who may read and who read their confidential ones; the requests they handled, by reference and
dates only (a request is its requester's data, and a confidential one is nobody else's); the offers of help they
made or decided; the reads of confidential requests they made; the confidential journal rows about their own
requests that they are the actor of (the accounts' export has the other rows); the attachments of their requests
and of the replies they could read, and every file they attached anywhere (name, type, size, SHA-256, date: the
files themselves are downloaded from the request's page).

`purge(now=…)`: confidential requests closed more than `RETENTION_CONFIDENTIAL_REQUESTS_MONTHS` months ago lose their
text (subject, body, every message), their reads and their idempotency key. The request itself — reference, kind,
status, dates, who handled it — stays, and one journal row says how many were anonymised. Their attachments are
deleted: the rows with the request's transaction, the files from the storage once it has committed.
"""

import calendar
import datetime

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.db.models.functions import Cast

from incubateur.core import journal
from incubateur.core.models import JournalEntry, Visibility
from incubateur.core.text import plural, quantity
from incubateur.guichet.models import Attachment, InboundMail, Message, Offer, Participant, Read, Status, Ticket

ANONYMISED = "[anonymisé]"


def _own_request(ticket: Ticket) -> dict:
    data = {
        "reference": ticket.reference,
        "type": ticket.get_kind_display(),
        "sujet": ticket.get_topic_display() if ticket.topic else "",
        "objet": ticket.subject,
        "message": ticket.body,
        "confidentielle": ticket.confidential,
        "statut": ticket.get_status_display(),
        "produit": ticket.product.name if ticket.product else None,
        "ministere": ticket.get_ministry_display() if ticket.ministry else "",
        "recue_par": ticket.get_channel_display(),
        "enregistree_par": ticket.recorded_by.display_name if ticket.recorded_by else None,
        "creee_le": ticket.created_at,
        "premiere_reponse_le": ticket.first_response_at,
        "resolue_le": ticket.resolved_at,
        "close_le": ticket.closed_at,
        # What the requester reads on the request's page: replies, never the handlers' internal notes.
        "messages": [
            {
                "auteur": m.author.display_name if m.author else None,
                "date": m.created_at,
                "message": m.body,
                "pieces_jointes": [_attachment(a) for a in m.attachments.all()],
            }
            for m in ticket.replies
        ],
        "pieces_jointes": [_attachment(a) for a in ticket.own_files],
    }
    if ticket.confidential:
        data["personnes_ayant_acces"] = [p.user.display_name for p in ticket.participants.all()]
        data["consultations"] = [{"par": r.user.display_name, "le": r.at} for r in ticket.reads.all()]
    return data


def _attachment(attachment: Attachment) -> dict:
    return {
        "nom": attachment.name,
        "type": attachment.content_type,
        "taille_octets": attachment.size,
        "sha256": attachment.sha256,
        "deposee_le": attachment.created_at,
    }


def _handled(user):
    """Requests of other people this person had a hand in, with the part they played."""
    copied = Ticket.copied.through.objects.filter(ticket=OuterRef("pk"), user=user)
    participant = Participant.objects.filter(ticket=OuterRef("pk"), user=user)
    wrote = Message.objects.filter(ticket=OuterRef("pk"), author=user)
    return (
        Ticket.objects.exclude(requester=user)
        .annotate(
            is_copied=Exists(copied),
            is_participant=Exists(participant),
            wrote=Exists(wrote),
        )
        .filter(Q(is_copied=True) | Q(is_participant=True) | Q(wrote=True) | Q(assignee=user) | Q(recorded_by=user))
        .order_by("created_at", "pk")
    )


def _part(ticket: Ticket, user) -> list[str]:
    parts = []
    if ticket.assignee_id == user.pk:
        parts.append("attribuée")
    if ticket.is_participant:
        parts.append("personne ayant accès")
    if ticket.is_copied:
        parts.append("en copie")
    if ticket.recorded_by_id == user.pk:
        parts.append("enregistrée pour le compte du demandeur")
    if ticket.wrote:
        parts.append("a écrit")
    return parts


def _offer(offer: Offer, user) -> dict:
    data = {
        "reference": f"n°{offer.pk}",
        "produit": offer.product.name,
        "sujet": offer.topic,
        "statut": offer.get_status_display(),
        "proposee_le": offer.created_at,
        "decidee_le": offer.decided_at,
        "demande": offer.ticket.reference if offer.ticket_id else None,
    }
    if offer.offered_by_id == user.pk:
        data["role"] = "proposée"
        data["message"] = offer.message
    if offer.decided_by_id == user.pk:
        data["role"] = "décidée" if "role" not in data else "proposée et décidée"
        data["raison_du_refus"] = offer.decline_reason
    return data


def export(user) -> dict:
    own = (
        Ticket.objects.filter(requester=user)
        .select_related("product", "recorded_by")
        .prefetch_related(
            Prefetch(
                "messages",
                queryset=Message.objects.filter(internal=False)
                .select_related("author")
                .prefetch_related("attachments"),
                to_attr="replies",
            ),
            Prefetch("attachments", queryset=Attachment.objects.filter(message__isnull=True), to_attr="own_files"),
            Prefetch("participants", queryset=Participant.objects.select_related("user")),
            Prefetch("reads", queryset=Read.objects.select_related("user").order_by("at", "pk")),
        )
        .order_by("created_at", "pk")
    )
    offers = (
        Offer.objects.filter(Q(offered_by=user) | Q(decided_by=user))
        .select_related("product", "ticket")
        .order_by("created_at", "pk")
    )
    own_ids = Ticket.objects.filter(requester=user).annotate(id_text=Cast("pk", models.CharField())).values("id_text")
    journal_rows = JournalEntry.objects.filter(
        actor=user,
        visibility=Visibility.CONFIDENTIAL,
        content_type=ContentType.objects.get_for_model(Ticket),
        object_id__in=own_ids,
    ).order_by("at", "pk")
    return {
        "demandes": [_own_request(ticket) for ticket in own],
        "demandes_traitees": [
            {"reference": t.reference, "role": _part(t, user), "creee_le": t.created_at, "close_le": t.closed_at}
            for t in _handled(user)
        ],
        "offres_d_aide": [_offer(offer, user) for offer in offers],
        "consultations": [
            {"demande": r.ticket.reference, "le": r.at}
            for r in Read.objects.filter(user=user).select_related("ticket").order_by("at", "pk")
        ],
        "journal_de_mes_demandes_confidentielles": [
            {"date": e.at, "action": e.action, "message": e.message} for e in journal_rows
        ],
        "pieces_jointes_deposees": [
            {"demande": a.ticket.reference, **_attachment(a)}
            for a in Attachment.objects.filter(uploaded_by=user).select_related("ticket").order_by("created_at", "pk")
        ],
        # The mails received from this person's address (#18): what the guichet did with each.
        "courriels_recus": [
            {
                "recu_le": mail.received_at,
                "objet": mail.subject,
                "suite_donnee": mail.get_outcome_display(),
                "raison": mail.reason,
                "demande": mail.ticket.reference if mail.ticket else None,
            }
            for mail in InboundMail.objects.filter(sender__iexact=user.email)
            .select_related("ticket")
            .order_by("received_at", "pk")
        ],
    }


def months_before(moment: datetime.datetime, months: int) -> datetime.datetime:
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def expired_confidential(*, now: datetime.datetime):
    """Confidential requests closed longer ago than the retention period (reopening one clears `closed_at`)."""
    cutoff = months_before(now, settings.RETENTION_CONFIDENTIAL_REQUESTS_MONTHS)
    return Ticket.objects.filter(confidential=True, status=Status.CLOSED, closed_at__lt=cutoff)


@transaction.atomic
def purge(*, now: datetime.datetime) -> dict[str, int]:
    expired = expired_confidential(now=now)
    # Only what still holds something: a second run changes nothing.
    tickets = expired.filter(~Q(subject=ANONYMISED) | ~Q(body=ANONYMISED) | Q(idempotency_key__isnull=False)).update(
        subject=ANONYMISED, body=ANONYMISED, idempotency_key=None
    )
    messages = Message.objects.filter(ticket__in=expired.values("pk")).exclude(body=ANONYMISED).update(body=ANONYMISED)
    reads, _ = Read.objects.filter(ticket__in=expired.values("pk")).delete()
    files = _purge_attachments(expired)
    # The mails received about them hold their original text (#18): deleted with it.
    mails, _ = InboundMail.objects.filter(ticket__in=expired.values("pk")).delete()
    counts = {"demandes": tickets, "messages": messages, "consultations": reads}
    if files:  # the key only when there were some: the counts of a purge without files keep their shape
        counts["pieces_jointes"] = files
    if mails:
        counts["courriels"] = mails
    if any(counts.values()):
        months = settings.RETENTION_CONFIDENTIAL_REQUESTS_MONTHS
        journal.record(
            actor=None,
            action="guichet.confidential_anonymised",
            message=(
                f"{quantity(tickets, 'demande')} {plural(tickets, 'confidentielle')} {plural(tickets, 'close')} "
                f"depuis plus de {months} mois {plural(tickets, 'anonymisée')} : "
                f"{quantity(messages, 'message')} {plural(messages, 'effacé')}, "
                f"{quantity(reads, 'consultation')} {plural(reads, 'supprimée')}"
                + (
                    f", {quantity(files, 'pièce jointe', 'pièces jointes')} {plural(files, 'supprimée')}"
                    if files
                    else ""
                )
            ),
            visibility=Visibility.INTERNAL,
            data=counts,
        )
    return counts


def _purge_attachments(expired) -> int:
    """Delete the attachments of `expired` requests: their rows now, their files once the transaction has committed
    (storage is not transactional: a rollback must not lose a file whose row stays)."""
    attachments = Attachment.objects.filter(ticket__in=expired.values("pk"))
    found = list(attachments)
    if not found:
        return 0
    attachments.delete()

    def delete_files():
        for attachment in found:
            attachment.file.delete(save=False)

    transaction.on_commit(delete_files)
    return len(found)
