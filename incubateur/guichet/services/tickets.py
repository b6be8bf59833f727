"""Requests ("demandes"): submit (routed, idempotent), reply or note, status, reassignment, access to a
confidential request, reads. Changes of state are optimistic (`version`): a stale one raises `StaleTicket`.

Confidential requests: their journal rows are `confidential` (read only through the request), their e-mails
carry neither subject nor body, and they never reach Mattermost.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from incubateur.core import journal, notifications
from incubateur.core.errors import NotAllowed, Stale
from incubateur.core.ministries import MINISTRIES
from incubateur.core.models import Visibility
from incubateur.core.roles import is_member
from incubateur.core.text import de
from incubateur.guichet import perms, workdays
from incubateur.guichet.kinds import CONFIDENTIAL_KINDS, KIND_INFO, Kind, Topic
from incubateur.guichet.models import (
    Channel,
    Message,
    Participant,
    Read,
    Status,
    Ticket,
    message_too_long,
)
from incubateur.guichet.routing import pole_contact, pole_of, route
from incubateur.guichet.services._shared import local_time, requester_emails, thread_headers, ticket_link, visibility
from incubateur.guichet.services.attachments import attachments_add
from incubateur.registry.models import Product

SUBJECT_MAX = 200
IDEMPOTENCY_KEY_MAX = 100


class StaleTicket(Stale):
    """The request changed since the form was shown (another person saved first). `version`: its current version,
    when known."""

    def __init__(self, ticket: Ticket, *, version: int | None = None):
        self.ticket = ticket
        super().__init__(
            "Cette demande a été modifiée par quelqu'un d'autre pendant que vous la consultiez. "
            "Rechargez la page pour voir son état actuel, puis recommencez.",
            version=version,
        )


def _clean_submission(*, requester, kind, topic, subject, body, product, ministry, recipient, confidential, on_behalf):
    """The rules of a new request, every broken one at once (a dict of field → messages)."""
    if kind not in Kind.values:
        raise ValidationError({"kind": [f"Type de demande inconnu : « {kind} »."]})
    errors = {
        **_topic_errors(kind, topic),
        **_text_errors(subject=subject, body=body, ministry=ministry),
        **_product_errors(requester, product, on_behalf=on_behalf),
        **_recipient_errors(requester, kind, recipient, confidential=confidential),
    }
    if errors:
        raise ValidationError(errors)


def _topic_errors(kind: str, topic: str) -> dict[str, list[str]]:
    if not KIND_INFO[Kind(kind)].needs_topic:
        return {"topic": ["Ce type de demande n'a pas de sujet à préciser."]} if topic else {}
    if not topic:
        return {"topic": ["Précisez le sujet de votre demande."]}
    if topic not in Topic.values:
        return {"topic": [f"Sujet inconnu : « {topic} »."]}
    return {}


def _text_errors(*, subject: str, body: str, ministry: str) -> dict[str, list[str]]:
    errors = {}
    if not subject or not subject.strip():
        errors["subject"] = ["Donnez un objet à votre demande."]
    elif len(subject) > SUBJECT_MAX:
        errors["subject"] = [f"L'objet fait {len(subject)} caractères : {SUBJECT_MAX} au plus."]
    if not body or not body.strip():
        errors["body"] = ["Écrivez votre message."]
    elif too_long := message_too_long(body):
        errors["body"] = [too_long]
    if ministry and ministry not in MINISTRIES:
        errors["ministry"] = [f"Ministère inconnu : « {ministry} »."]
    return errors


def _product_errors(requester, product, *, on_behalf: bool) -> dict[str, list[str]]:
    if product is None or Product.objects.with_active_member(requester).filter(pk=product.pk).exists():
        return {}
    who = "La personne pour qui vous écrivez ne fait" if on_behalf else "Vous ne faites"
    return {"startup": [f"{who} pas partie de l'équipe active de ce produit."]}


def _recipient_errors(requester, kind: str, recipient, *, confidential: bool) -> dict[str, list[str]]:
    needs_recipient = kind in CONFIDENTIAL_KINDS
    if recipient is None:
        if needs_recipient:
            return {"recipient": ["Choisissez la personne de l'Incubateur à qui vous adressez cette demande."]}
        return {}
    if not needs_recipient and not confidential:
        return {"recipient": ["Ce type de demande est attribué automatiquement."]}
    if not recipient.is_incubator_staff or not recipient.is_active:
        return {"recipient": ["Cette personne ne fait pas partie de l'équipe de l'Incubateur."]}
    if recipient.pk == requester.pk:
        return {"recipient": ["Choisissez une autre personne que vous-même."]}
    return {}


@transaction.atomic
def ticket_submit(
    *,
    requester,
    kind: str,
    subject: str,
    body: str,
    topic: str = "",
    product=None,
    ministry: str = "",
    recipient=None,
    confidential: bool = False,
    recorded_by=None,
    channel: str = Channel.WEB,
    idempotency_key: str | None = None,
    attachments=(),
) -> Ticket:
    """Open a request, routed by the routing table. With `idempotency_key`, a replay returns the request the
    first call created (its `replayed` attribute is True) and creates nothing.

    `recorded_by`: a member of the Incubator recording the request on the requester's behalf (phone, e-mail).
    `recipient`: for a confidential request, the member of the Incubator who will read it (required for the
    confidential kinds; optional when the requester marks another kind confidential, routed as usual then).
    """
    if not is_member(requester):
        raise NotAllowed("Seul un compte actif peut déposer une demande.")
    if recorded_by is not None and not perms.can_submit_on_behalf(recorded_by):
        raise NotAllowed("Seule l'équipe de l'Incubateur enregistre une demande pour le compte de quelqu'un.")
    subject, body = (subject or "").strip(), (body or "").strip()
    idempotency_key = (idempotency_key or "").strip() or None
    if idempotency_key is not None:
        if len(idempotency_key) > IDEMPOTENCY_KEY_MAX:
            raise ValidationError(
                {"idempotency_key": [f"La clé d'idempotence fait {IDEMPOTENCY_KEY_MAX} caractères au plus."]}
            )
        # A replay answers with the request the first call created, before anything else is checked: the
        # first call was valid, and the replay must not fail because something changed since.
        existing = Ticket.objects.filter(requester=requester, idempotency_key=idempotency_key).first()
        if existing is not None:
            return _replayed(existing, kind=kind, subject=subject, body=body, recorded_by=recorded_by)
    confidential = bool(confidential) or kind in CONFIDENTIAL_KINDS
    _clean_submission(
        requester=requester,
        kind=kind,
        topic=topic,
        subject=subject,
        body=body,
        product=product,
        ministry=ministry,
        recipient=recipient,
        confidential=confidential,
        on_behalf=recorded_by is not None,
    )
    routing = route(kind=kind, topic=topic, product=product, ministry=ministry, recipient=recipient)
    if confidential and recipient is not None:
        routing.assignee = recipient
        routing.copied = []
        routing.reason = f"attribuée à {recipient.display_name} : personne choisie par l'auteur de la demande"
    if confidential and routing.assignee is None:
        # Nobody would ever be allowed to read it: the requester must choose.
        raise ValidationError(
            {"recipient": ["Choisissez la personne de l'Incubateur qui lira votre demande confidentielle."]}
        )
    now = timezone.now()
    ticket = Ticket(
        kind=kind,
        topic=topic,
        subject=subject,
        body=body,
        product=product,
        ministry=ministry,
        confidential=confidential,
        requester=requester,
        recorded_by=recorded_by,
        channel=channel,
        assignee=routing.assignee,
        pole=None if confidential else routing.pole,
        portfolio=None if confidential else routing.portfolio,
        routing_reason=routing.reason,
        created_at=now,
        first_response_due=workdays.first_response_due(now),
        idempotency_key=idempotency_key,
    )
    try:
        with transaction.atomic():
            ticket.save()
    except IntegrityError:
        if idempotency_key:
            # A concurrent call with the same key won the race (its row committed while this one was being
            # written): answer with its request. Nothing of this call was announced or journaled yet.
            existing = Ticket.objects.get(requester=requester, idempotency_key=idempotency_key)
            return _replayed(existing, kind=kind, subject=subject, body=body, recorded_by=recorded_by)
        raise
    ticket.replayed = False
    # Files (web form or mail): stored with the request, or nothing is (a refused file rolls it all back).
    attachments_add(ticket=ticket, files=list(attachments), by=recorded_by or requester, source=_source(channel))
    if confidential:
        # Whoever reads a confidential request is a participant: the requester's choice, or whoever the routing
        # found when they marked another kind confidential without choosing.
        if ticket.assignee is not None:
            Participant.objects.create(ticket=ticket, user=ticket.assignee, added_by=requester, added_at=now)
    elif routing.copied:
        ticket.copied.set(routing.copied)

    journal.record(
        actor=recorded_by or requester,
        action="guichet.ticket_submitted",
        message=(
            f"Demande confidentielle {ticket.reference} déposée"
            if confidential
            else f"Demande {ticket.reference} déposée ({ticket.get_kind_display()}) — {ticket.routing_reason}"
        )
        + (f", enregistrée par {recorded_by.display_name} pour {requester.display_name}" if recorded_by else ""),
        visibility=visibility(ticket),
        obj=ticket,
        data={"kind": kind, "assignee": getattr(ticket.assignee, "username", None)},
    )
    _announce_new(ticket)
    if recorded_by is not None:
        notifications.notify(
            kind="guichet.recorded_for_you",
            confidential=ticket.confidential,
            subject=f"[Guichet] Une demande a été enregistrée en votre nom ({ticket.reference})",
            body=(
                f"Bonjour,\n\n{recorded_by.display_name} a enregistré une demande en votre nom auprès de "
                "l'Incubateur.\n"
                f"Vous pouvez la suivre ici : {ticket_link(ticket)}\n"
            ),
            emails=[requester.email],
            headers_for=thread_headers(ticket),
        )
    return ticket


def _source(channel: str) -> str:
    return "mail" if channel == Channel.EMAIL else "web"


def _replayed(existing: Ticket, *, kind: str, subject: str, body: str, recorded_by) -> Ticket:
    """The request a previous call with the same idempotency key created. The key must not be reused for
    another request: a different kind, subject, body or recorder is refused rather than silently answered
    with the first request."""
    same = (
        existing.kind == kind
        and existing.subject == subject
        and existing.body == body
        and existing.recorded_by_id == (recorded_by.pk if recorded_by is not None else None)
    )
    if not same:
        message = "Cette clé d'idempotence a déjà servi pour une autre demande : utilisez-en une autre."
        raise ValidationError({"idempotency_key": [message]})
    existing.replayed = True
    return existing


def _announce_new(ticket: Ticket) -> None:
    link = ticket_link(ticket)
    emails = [ticket.assignee.email] if ticket.assignee is not None else []
    if ticket.confidential:
        if emails:
            notifications.notify(
                kind="guichet.new_confidential",
                confidential=ticket.confidential,
                subject="Vous avez une nouvelle demande confidentielle",
                body=f"Bonjour,\n\nVous avez une nouvelle demande confidentielle.\nPour la lire : {link}\n",
                emails=emails,
                headers_for=thread_headers(ticket),
            )
        return
    product = f"\nProduit : {ticket.product.name}" if ticket.product else ""
    if emails:
        notifications.notify(
            kind="guichet.new",
            subject=f"[Guichet] Nouvelle demande {ticket.reference} : {ticket.subject}",
            body=(
                f"Bonjour,\n\nUne nouvelle demande vous est attribuée.\n\n"
                f"Type : {ticket.get_kind_display()}{product}\n"
                f"De : {ticket.requester.display_name}\nObjet : {ticket.subject}\n"
                f"Pourquoi vous : {ticket.routing_reason}\n"
                f"Première réponse attendue avant le {local_time(ticket.first_response_due)}.\n\n"
                f"{ticket.body}\n\nRépondre : {link}\n"
            ),
            emails=emails,
            headers_for=thread_headers(ticket),
        )
    copied = [user.email for user in ticket.copied.all()]
    if copied:
        assignee = ticket.assignee.display_name if ticket.assignee else "personne"
        notifications.notify(
            kind="guichet.copied",
            subject=f"[Guichet] En copie : demande {ticket.reference} ({ticket.get_kind_display()})",
            body=(
                f"Bonjour,\n\nVous êtes en copie d'une demande attribuée à {assignee}.\n"
                f"Type : {ticket.get_kind_display()}{product}\nPour la suivre : {link}\n"
            ),
            emails=copied,
            headers_for=thread_headers(ticket),
        )
    # Mattermost: the kind, the product and the link. Never the subject or the body; never a confidential request.
    text = f"Nouvelle demande au guichet : {ticket.get_kind_display()}"
    if ticket.product:
        text += f" — {ticket.product.name}"
    notifications.notify(
        kind="guichet.new",
        subject=f"Nouvelle demande {ticket.reference}",
        body=text,
        mattermost_channel=settings.GUICHET_MATTERMOST_CHANNEL,
        mattermost_text=f"{text} — {link}",
    )


def _bump(ticket: Ticket, version: int | None, **changes) -> None:
    """Save `changes` if nobody saved the request since `version` was read; bump the version."""
    expected = ticket.version if version is None else version
    updated = Ticket.objects.filter(pk=ticket.pk, version=expected).update(
        version=F("version") + 1, updated_at=timezone.now(), **changes
    )
    if not updated:
        current = Ticket.objects.filter(pk=ticket.pk).values_list("version", flat=True).first()
        raise StaleTicket(ticket, version=current)
    for name, value in changes.items():
        setattr(ticket, name, value)
    ticket.version = expected + 1


def _handler_emails(ticket: Ticket, *, exclude=None) -> list[str]:
    if ticket.confidential:
        users = [p.user for p in ticket.participants.select_related("user")]
    else:
        users = [ticket.assignee] if ticket.assignee else []
    return [u.email for u in users if u is not None and (exclude is None or u.pk != exclude.pk)]


@transaction.atomic
def ticket_reply(
    *, ticket: Ticket, author, body: str, internal: bool = False, attachments=(), attachments_source: str = "web"
) -> Message:
    """A reply (seen by the requester and e-mailed to them) or an internal note (the handlers only, never
    e-mailed to the requester). A requester's reply to a request waiting for them puts it back in progress.
    `attachments`: files for `services.attachments.attachments_add` (`attachments_source`: "web" or "mail")."""
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": ["Écrivez votre message."]})
    if too_long := message_too_long(body):
        raise ValidationError({"body": [too_long]})
    # Decide on the request as it is now (another reply or a status change may have committed since the caller
    # read it); the row lock serialises concurrent replies on PostgreSQL.
    ticket = Ticket.objects.select_for_update().select_related("requester").get(pk=ticket.pk)
    if internal and not perms.can_write_internal_note(author, ticket):
        raise NotAllowed("Seules les personnes qui traitent la demande écrivent des notes internes.", field="internal")
    if not internal and not perms.can_reply(author, ticket):
        raise NotAllowed("Vous ne pouvez pas répondre à cette demande.")
    now = timezone.now()
    message = Message.objects.create(ticket=ticket, author=author, body=body, internal=internal, created_at=now)
    attachments_add(ticket=ticket, message=message, files=list(attachments), by=author, source=attachments_source)
    from_requester_side = perms.is_requester_side(author, ticket)
    link = ticket_link(ticket)
    if internal:
        journal.record(
            actor=author,
            action="guichet.note_added",
            message=f"Note interne ajoutée à la demande {ticket.reference}",
            visibility=visibility(ticket),
            obj=ticket,
        )
        return message
    changes = {}
    if not from_requester_side and ticket.first_response_at is None:
        changes["first_response_at"] = now
    if from_requester_side and ticket.status == Status.WAITING:
        changes["status"] = Status.IN_PROGRESS
    if not from_requester_side and ticket.status == Status.NEW:
        changes["status"] = Status.IN_PROGRESS
    if changes:
        _bump(ticket, None, **changes)
    journal.record(
        actor=author,
        action="guichet.reply_added",
        message=f"Réponse ajoutée à la demande {ticket.reference}",
        visibility=visibility(ticket),
        obj=ticket,
    )
    if from_requester_side:
        emails = _handler_emails(ticket, exclude=author)
        if ticket.confidential:
            subject = "Nouveau message sur une demande confidentielle"
            text = f"Bonjour,\n\nUn message a été ajouté à une demande confidentielle.\nPour le lire : {link}\n"
        else:
            subject = f"[Guichet] Nouveau message sur la demande {ticket.reference} : {ticket.subject}"
            text = f"Bonjour,\n\n{author.display_name} a écrit :\n\n{body}\n\nRépondre : {link}\n"
        kind = "guichet.requester_replied"
    else:
        emails = requester_emails(ticket, exclude=author)
        if ticket.confidential:
            subject = "Nouvelle réponse à votre demande confidentielle"
            text = f"Bonjour,\n\nVous avez une réponse à votre demande confidentielle.\nPour la lire : {link}\n"
        else:
            subject = f"[Guichet] Réponse à votre demande {ticket.reference} : {ticket.subject}"
            text = f"Bonjour,\n\n{author.display_name} vous a répondu :\n\n{body}\n\nPour répondre : {link}\n"
        kind = "guichet.replied"
    if emails:
        notifications.notify(
            kind=kind,
            subject=subject,
            body=text,
            emails=emails,
            confidential=ticket.confidential,
            headers_for=thread_headers(ticket),
        )
    return message


@transaction.atomic
def ticket_status_set(*, ticket: Ticket, actor, status: str, version: int | None = None) -> Ticket:
    if status not in Status.values:
        raise ValidationError({"status": [f"Statut inconnu : « {status} »."]})
    handler = perms.can_handle(actor, ticket)
    requester = perms.is_requester_side(actor, ticket)
    allowed = ticket.next_statuses(handler=handler, requester=requester)
    if status not in allowed:
        current, wanted = Status(ticket.status).label.lower(), Status(status).label.lower()
        raise ValidationError({"status": [f"Une demande « {current} » ne peut pas passer à « {wanted} »."]})
    now = timezone.now()
    changes: dict = {"status": status}
    if status == Status.RESOLVED:
        changes["resolved_at"] = now
    elif status == Status.CLOSED:
        changes["closed_at"] = now
    else:
        changes.update(resolved_at=None, closed_at=None)
    previous = ticket.status
    _bump(ticket, version, **changes)
    reopened = previous in (Status.RESOLVED, Status.CLOSED) and status == Status.IN_PROGRESS
    label = Status(status).label.lower()
    journal.record(
        actor=actor,
        action="guichet.ticket_reopened" if reopened else "guichet.status_changed",
        message=f"Demande {ticket.reference} rouverte" if reopened else f"Demande {ticket.reference} : {label}",
        visibility=visibility(ticket),
        obj=ticket,
        data={"from": previous, "to": status},
    )
    _announce_status(ticket, actor=actor, label=label)
    return ticket


def _announce_status(ticket: Ticket, *, actor, label: str) -> None:
    link = ticket_link(ticket)
    if perms.is_requester_side(actor, ticket):
        emails = _handler_emails(ticket, exclude=actor)
    else:
        emails = requester_emails(ticket, exclude=actor)
    if not emails:
        return
    if ticket.confidential:
        subject = "Votre demande confidentielle a changé de statut"
        if perms.is_requester_side(actor, ticket):
            subject = "Une demande confidentielle a changé de statut"
        body = f"Bonjour,\n\n{subject}.\nPour la consulter : {link}\n"
    else:
        subject = f"[Guichet] Demande {ticket.reference} : {label}"
        body = f"Bonjour,\n\nLa demande {ticket.reference} « {ticket.subject} » est maintenant : {label}.\n\n{link}\n"
    notifications.notify(
        kind="guichet.status_changed",
        subject=subject,
        body=body,
        emails=emails,
        confidential=ticket.confidential,
        headers_for=thread_headers(ticket),
    )


@transaction.atomic
def ticket_assign(*, ticket: Ticket, actor, assignee=None, pole=None, version: int | None = None) -> Ticket:
    """Reassign a request to a person, or to a pole (its referent, else its lead). Journaled; the new assignee
    is told. A confidential request is not reassigned: its recipient adds people instead."""
    if not perms.can_reassign(actor, ticket):
        raise NotAllowed("Vous ne pouvez pas réattribuer cette demande.")
    if assignee is None and pole is None:
        raise ValidationError({"assignee": ["Choisissez une personne ou un pôle."]})
    if pole is not None and assignee is None:
        assignee = pole_contact(pole)
        if assignee is None:
            raise ValidationError({"pole": [f"{pole.name} n'a ni référent du guichet ni responsable."]})
        reason = f"attribuée à {assignee.display_name} : {pole.name}, par {actor.display_name}"
    else:
        if not assignee.is_incubator_staff or not assignee.is_active:
            raise ValidationError({"assignee": ["Cette personne ne fait pas partie de l'équipe de l'Incubateur."]})
        reason = f"attribuée à {assignee.display_name} par {actor.display_name}"
        if pole is None:
            pole = pole_of(assignee)
    previous = ticket.assignee
    previous_name = previous.display_name if previous else "personne"
    _bump(ticket, version, assignee=assignee, pole=pole, routing_reason=reason[:500], reminder_sent_at=None)
    journal.record(
        actor=actor,
        action="guichet.ticket_assigned",
        message=f"Demande {ticket.reference} réattribuée {de(previous_name)} à {assignee.display_name}",
        visibility=visibility(ticket),
        obj=ticket,
        data={"from": getattr(previous, "username", None), "to": assignee.username},
    )
    if assignee != actor:
        notifications.notify(
            kind="guichet.assigned",
            subject=f"[Guichet] Demande {ticket.reference} attribuée : {ticket.subject}",
            body=(
                f"Bonjour,\n\n{actor.display_name} vous a attribué la demande {ticket.reference} "
                f"({ticket.get_kind_display()}).\nPremière réponse attendue avant le "
                f"{local_time(ticket.first_response_due)}.\n\n{ticket_link(ticket)}\n"
            ),
            emails=[assignee.email],
            headers_for=thread_headers(ticket),
        )
    return ticket


@transaction.atomic
def ticket_participant_add(*, ticket: Ticket, actor, user) -> Participant:
    """Give a member of the Incubator access to a confidential request. The requester is told who."""
    if not perms.can_add_participant(actor, ticket):
        raise NotAllowed("Seules les personnes qui ont accès à cette demande confidentielle peuvent en ajouter.")
    if not user.is_incubator_staff or not user.is_active:
        raise ValidationError({"user": ["Cette personne ne fait pas partie de l'équipe de l'Incubateur."]})
    already = ValidationError({"user": ["Cette personne a déjà accès à la demande."]})
    if user.pk == ticket.requester_id or Participant.objects.filter(ticket=ticket, user=user).exists():
        raise already
    try:
        with transaction.atomic():
            participant = Participant.objects.create(ticket=ticket, user=user, added_by=actor)
    except IntegrityError:
        raise already from None
    journal.record(
        actor=actor,
        action="guichet.participant_added",
        message=f"{user.display_name} a maintenant accès à la demande confidentielle {ticket.reference}",
        visibility=Visibility.CONFIDENTIAL,
        obj=ticket,
        data={"user": user.username},
    )
    link = ticket_link(ticket)
    notifications.notify(
        kind="guichet.participant_added",
        confidential=ticket.confidential,
        subject="Une personne a été ajoutée à votre demande confidentielle",
        body=(
            f"Bonjour,\n\n{actor.display_name} a donné accès à votre demande confidentielle à {user.display_name}.\n"
            f"Pour la consulter : {link}\n"
        ),
        emails=[ticket.requester.email],
        headers_for=thread_headers(ticket),
    )
    notifications.notify(
        kind="guichet.new_confidential",
        confidential=ticket.confidential,
        subject="Vous avez une nouvelle demande confidentielle",
        body=f"Bonjour,\n\nVous avez une nouvelle demande confidentielle.\nPour la lire : {link}\n",
        emails=[user.email],
        headers_for=thread_headers(ticket),
    )
    return participant


def ticket_read(*, ticket: Ticket, user) -> None:
    """Log a read of a confidential request by anyone but its requester (autocommit: a read is a fact even when
    nothing else is written)."""
    if ticket.confidential and user.pk != ticket.requester_id:
        Read.objects.create(ticket=ticket, user=user)
