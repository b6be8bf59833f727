"""Write use cases of the guichet. Each runs in one transaction, writes its journal row and queues its
notifications with it (`core.notifications.notify`): a committed request is never left unannounced.

Confidential requests: their journal rows are `confidential` (read only through the request), their e-mails
carry neither subject nor body, and they never reach Mattermost.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from incubateur.core import journal, notifications
from incubateur.core.ministries import MINISTRIES
from incubateur.core.models import Visibility
from incubateur.core.roles import is_member
from incubateur.guichet import perms, workdays
from incubateur.guichet.kinds import CONFIDENTIAL_KINDS, KIND_INFO, Kind, Topic
from incubateur.guichet.models import (
    Channel,
    Message,
    Offer,
    OfferStatus,
    Participant,
    Read,
    RoutingRule,
    Status,
    Ticket,
)
from incubateur.guichet.routing import route

SUBJECT_MAX = 200
IDEMPOTENCY_KEY_MAX = 100


class StaleTicket(Exception):
    """The request changed since the form was shown (another person saved first)."""

    def __init__(self, ticket: Ticket):
        self.ticket = ticket
        super().__init__(
            "Cette demande a été modifiée par quelqu'un d'autre pendant que vous la consultiez. "
            "Rechargez la page pour voir son état actuel, puis recommencez."
        )


class NotAllowed(Exception):
    """The action is not open to this person on this object (the views answer 404 or a message)."""


def _link(ticket: Ticket) -> str:
    return settings.BASE_URL + reverse("guichet:ticket", args=[ticket.pk])


def _name(user) -> str:
    if user is None:
        return "personne"
    return user.get_full_name() or user.username or user.email


def _visibility(ticket: Ticket) -> Visibility:
    return Visibility.CONFIDENTIAL if ticket.confidential else Visibility.INTERNAL


def _staff_user(username: str):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(username=username, is_incubator_staff=True, is_active=True).first()


def _clean_submission(*, requester, kind, topic, subject, body, product, ministry, recipient, confidential, on_behalf):
    errors: dict[str, list[str]] = {}
    if kind not in Kind.values:
        errors["kind"] = [f"Type de demande inconnu : « {kind} »."]
        raise ValidationError(errors)
    info = KIND_INFO[Kind(kind)]
    if info.needs_topic:
        if not topic:
            errors["topic"] = ["Précisez le sujet de votre demande."]
        elif topic not in Topic.values:
            errors["topic"] = [f"Sujet inconnu : « {topic} »."]
    elif topic:
        errors["topic"] = ["Ce type de demande n'a pas de sujet à préciser."]
    if not subject or not subject.strip():
        errors["subject"] = ["Donnez un objet à votre demande."]
    elif len(subject) > SUBJECT_MAX:
        errors["subject"] = [f"L'objet fait {len(subject)} caractères : {SUBJECT_MAX} au plus."]
    if not body or not body.strip():
        errors["body"] = ["Écrivez votre message."]
    if ministry and ministry not in MINISTRIES:
        errors["ministry"] = [f"Ministère inconnu : « {ministry} »."]
    if product is not None:
        from incubateur.registry.models import Product

        if not Product.objects.with_active_member(requester).filter(pk=product.pk).exists():
            who = "La personne pour qui vous écrivez ne fait" if on_behalf else "Vous ne faites"
            errors["startup"] = [f"{who} pas partie de l'équipe active de ce produit."]
    needs_recipient = kind in CONFIDENTIAL_KINDS
    if needs_recipient and recipient is None:
        errors["recipient"] = ["Choisissez la personne de l'Incubateur à qui vous adressez cette demande."]
    if recipient is not None:
        if not needs_recipient and not confidential:
            errors["recipient"] = ["Ce type de demande est attribué automatiquement."]
        elif not recipient.is_incubator_staff or not recipient.is_active:
            errors["recipient"] = ["Cette personne ne fait pas partie de l'équipe de l'Incubateur."]
        elif recipient.pk == requester.pk:
            errors["recipient"] = ["Choisissez une autre personne que vous-même."]
    if errors:
        raise ValidationError(errors)


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
        routing.reason = f"attribuée à {_name(recipient)} : personne choisie par l'auteur de la demande"
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
        + (f", enregistrée par {_name(recorded_by)} pour {_name(requester)}" if recorded_by else ""),
        visibility=_visibility(ticket),
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
                f"Bonjour,\n\n{_name(recorded_by)} a enregistré une demande en votre nom auprès de l'Incubateur.\n"
                f"Vous pouvez la suivre ici : {_link(ticket)}\n"
            ),
            emails=[requester.email],
        )
    return ticket


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
    link = _link(ticket)
    emails = [ticket.assignee.email] if ticket.assignee is not None else []
    if ticket.confidential:
        if emails:
            notifications.notify(
                kind="guichet.new_confidential",
                confidential=ticket.confidential,
                subject="Vous avez une nouvelle demande confidentielle",
                body=f"Bonjour,\n\nVous avez une nouvelle demande confidentielle.\nPour la lire : {link}\n",
                emails=emails,
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
                f"De : {_name(ticket.requester)}\nObjet : {ticket.subject}\n"
                f"Pourquoi vous : {ticket.routing_reason}\n"
                f"Première réponse attendue avant le {_when(ticket.first_response_due)}.\n\n"
                f"{ticket.body}\n\nRépondre : {link}\n"
            ),
            emails=emails,
        )
    copied = [user.email for user in ticket.copied.all()]
    if copied:
        notifications.notify(
            kind="guichet.copied",
            subject=f"[Guichet] En copie : demande {ticket.reference} ({ticket.get_kind_display()})",
            body=(
                f"Bonjour,\n\nVous êtes en copie d'une demande attribuée à {_name(ticket.assignee)}.\n"
                f"Type : {ticket.get_kind_display()}{product}\nPour la suivre : {link}\n"
            ),
            emails=copied,
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


def _when(moment: datetime.datetime) -> str:
    local = moment.astimezone(workdays.PARIS)
    return local.strftime("%d/%m/%Y à %H:%M")


def _bump(ticket: Ticket, version: int | None, **changes) -> None:
    """Save `changes` if nobody saved the request since `version` was read; bump the version."""
    expected = ticket.version if version is None else version
    updated = Ticket.objects.filter(pk=ticket.pk, version=expected).update(
        version=F("version") + 1, updated_at=timezone.now(), **changes
    )
    if not updated:
        raise StaleTicket(ticket)
    for name, value in changes.items():
        setattr(ticket, name, value)
    ticket.version = expected + 1


def _requester_emails(ticket: Ticket, *, exclude=None) -> list[str]:
    """The requester, and for a request owned by a team, the team's active members."""
    emails = [ticket.requester.email]
    if ticket.team_owned and ticket.product_id:
        from incubateur.registry.models import Member

        emails += [
            m.user.email
            for m in Member.objects.of_product(ticket.product).filter(user__isnull=False).select_related("user")
        ]
    if exclude is not None:
        emails = [e for e in emails if e.lower() != exclude.email.lower()]
    return list(dict.fromkeys(emails))


def _handler_emails(ticket: Ticket, *, exclude=None) -> list[str]:
    if ticket.confidential:
        users = [p.user for p in ticket.participants.select_related("user")]
    else:
        users = [ticket.assignee] if ticket.assignee else []
    return [u.email for u in users if u is not None and (exclude is None or u.pk != exclude.pk)]


@transaction.atomic
def ticket_reply(*, ticket: Ticket, author, body: str, internal: bool = False) -> Message:
    """A reply (seen by the requester and e-mailed to them) or an internal note (the handlers only, never
    e-mailed to the requester). A requester's reply to a request waiting for them puts it back in progress."""
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": ["Écrivez votre message."]})
    # Decide on the request as it is now (another reply or a status change may have committed since the caller
    # read it); the row lock serialises concurrent replies on PostgreSQL.
    ticket = Ticket.objects.select_for_update().select_related("requester").get(pk=ticket.pk)
    if internal and not perms.can_write_internal_note(author, ticket):
        raise NotAllowed("Seules les personnes qui traitent la demande écrivent des notes internes.")
    if not internal and not perms.can_reply(author, ticket):
        raise NotAllowed("Vous ne pouvez pas répondre à cette demande.")
    now = timezone.now()
    message = Message.objects.create(ticket=ticket, author=author, body=body, internal=internal, created_at=now)
    from_requester_side = perms.is_requester_side(author, ticket)
    link = _link(ticket)
    if internal:
        journal.record(
            actor=author,
            action="guichet.note_added",
            message=f"Note interne ajoutée à la demande {ticket.reference}",
            visibility=_visibility(ticket),
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
        visibility=_visibility(ticket),
        obj=ticket,
    )
    if from_requester_side:
        emails = _handler_emails(ticket, exclude=author)
        if ticket.confidential:
            subject = "Nouveau message sur une demande confidentielle"
            text = f"Bonjour,\n\nUn message a été ajouté à une demande confidentielle.\nPour le lire : {link}\n"
        else:
            subject = f"[Guichet] Nouveau message sur la demande {ticket.reference} : {ticket.subject}"
            text = f"Bonjour,\n\n{_name(author)} a écrit :\n\n{body}\n\nRépondre : {link}\n"
        kind = "guichet.requester_replied"
    else:
        emails = _requester_emails(ticket, exclude=author)
        if ticket.confidential:
            subject = "Nouvelle réponse à votre demande confidentielle"
            text = f"Bonjour,\n\nVous avez une réponse à votre demande confidentielle.\nPour la lire : {link}\n"
        else:
            subject = f"[Guichet] Réponse à votre demande {ticket.reference} : {ticket.subject}"
            text = f"Bonjour,\n\n{_name(author)} vous a répondu :\n\n{body}\n\nPour répondre : {link}\n"
        kind = "guichet.replied"
    if emails:
        notifications.notify(kind=kind, subject=subject, body=text, emails=emails, confidential=ticket.confidential)
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
        visibility=_visibility(ticket),
        obj=ticket,
        data={"from": previous, "to": status},
    )
    _announce_status(ticket, actor=actor, label=label)
    return ticket


def _announce_status(ticket: Ticket, *, actor, label: str) -> None:
    link = _link(ticket)
    if perms.is_requester_side(actor, ticket):
        emails = _handler_emails(ticket, exclude=actor)
    else:
        emails = _requester_emails(ticket, exclude=actor)
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
        kind="guichet.status_changed", subject=subject, body=body, emails=emails, confidential=ticket.confidential
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
        from incubateur.guichet.routing import pole_contact

        assignee = pole_contact(pole)
        if assignee is None:
            raise ValidationError({"pole": [f"{pole.name} n'a ni référent du guichet ni responsable."]})
        reason = f"attribuée à {_name(assignee)} : {pole.name}, par {_name(actor)}"
    else:
        if not assignee.is_incubator_staff or not assignee.is_active:
            raise ValidationError({"assignee": ["Cette personne ne fait pas partie de l'équipe de l'Incubateur."]})
        reason = f"attribuée à {_name(assignee)} par {_name(actor)}"
        if pole is None:
            from incubateur.guichet.routing import _pole_of

            pole = _pole_of(assignee)
    previous = ticket.assignee
    _bump(ticket, version, assignee=assignee, pole=pole, routing_reason=reason[:500], reminder_sent_at=None)
    journal.record(
        actor=actor,
        action="guichet.ticket_assigned",
        message=f"Demande {ticket.reference} réattribuée de {_name(previous)} à {_name(assignee)}",
        visibility=_visibility(ticket),
        obj=ticket,
        data={"from": getattr(previous, "username", None), "to": assignee.username},
    )
    if assignee != actor:
        notifications.notify(
            kind="guichet.assigned",
            subject=f"[Guichet] Demande {ticket.reference} attribuée : {ticket.subject}",
            body=(
                f"Bonjour,\n\n{_name(actor)} vous a attribué la demande {ticket.reference} "
                f"({ticket.get_kind_display()}).\nPremière réponse attendue avant le "
                f"{_when(ticket.first_response_due)}.\n\n{_link(ticket)}\n"
            ),
            emails=[assignee.email],
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
        message=f"{_name(user)} a maintenant accès à la demande confidentielle {ticket.reference}",
        visibility=Visibility.CONFIDENTIAL,
        obj=ticket,
        data={"user": user.username},
    )
    link = _link(ticket)
    notifications.notify(
        kind="guichet.participant_added",
        confidential=ticket.confidential,
        subject="Une personne a été ajoutée à votre demande confidentielle",
        body=(
            f"Bonjour,\n\n{_name(actor)} a donné accès à votre demande confidentielle à {_name(user)}.\n"
            f"Pour la consulter : {link}\n"
        ),
        emails=[ticket.requester.email],
    )
    notifications.notify(
        kind="guichet.new_confidential",
        confidential=ticket.confidential,
        subject="Vous avez une nouvelle demande confidentielle",
        body=f"Bonjour,\n\nVous avez une nouvelle demande confidentielle.\nPour la lire : {link}\n",
        emails=[user.email],
    )
    return participant


def ticket_read(*, ticket: Ticket, user) -> None:
    """Log a read of a confidential request by anyone but its requester (autocommit: a read is a fact even when
    nothing else is written)."""
    if ticket.confidential and user.pk != ticket.requester_id:
        Read.objects.create(ticket=ticket, user=user)


# Offers of help: nothing happens until the team says yes.


@transaction.atomic
def offer_propose(*, offered_by, product, topic: str, message: str) -> Offer:
    if not perms.can_offer_help(offered_by):
        raise NotAllowed("Seule l'équipe de l'Incubateur propose de l'aide.")
    errors = {}
    topic, message = (topic or "").strip(), (message or "").strip()
    if not topic:
        errors["topic"] = ["Indiquez le sujet de l'aide proposée."]
    elif len(topic) > 200:
        errors["topic"] = [f"Le sujet fait {len(topic)} caractères : 200 au plus."]
    if not message:
        errors["message"] = ["Écrivez votre message à l'équipe."]
    if errors:
        raise ValidationError(errors)
    offer = Offer.objects.create(product=product, topic=topic, message=message, offered_by=offered_by)
    journal.record(
        actor=offered_by,
        action="guichet.offer_proposed",
        message=f"Aide proposée à l'équipe de {product.name} : {topic}",
        visibility=Visibility.INTERNAL,
        obj=offer,
        data={"product": product.ghid},
    )
    from incubateur.registry.models import Member

    emails = [
        m.user.email for m in Member.objects.of_product(product).filter(user__isnull=False).select_related("user")
    ]
    if emails:
        notifications.notify(
            kind="guichet.offer_proposed",
            subject=f"[Guichet] L'Incubateur propose son aide à {product.name}",
            body=(
                f"Bonjour,\n\n{_name(offered_by)} propose à votre équipe de l'aide : {topic}.\n\n{message}\n\n"
                "Rien ne se passera sans votre accord. Pour accepter ou refuser : "
                f"{settings.BASE_URL}{reverse('guichet:offer', args=[offer.pk])}\n"
            ),
            emails=emails,
        )
    return offer


def _lock_pending(offer: Offer, actor) -> Offer:
    offer = Offer.objects.select_for_update().select_related("product", "offered_by").get(pk=offer.pk)
    if not offer.is_pending:
        raise _already_decided(offer)
    return offer


def _already_decided(offer: Offer) -> ValidationError:
    offer.refresh_from_db(fields=["status"])
    return ValidationError({"offer": [f"Cette offre a déjà été {offer.get_status_display().lower()}."]})


def _decide(offer: Offer, *, status: str, by, at, **changes) -> None:
    """Record the decision if the offer is still pending (a conditional UPDATE: on SQLite, where
    select_for_update does nothing, two decisions at once still make one)."""
    decided = Offer.objects.filter(pk=offer.pk, status=OfferStatus.PENDING).update(
        status=status, decided_by=by, decided_at=at, **changes
    )
    if not decided:
        raise _already_decided(offer)
    offer.status, offer.decided_by, offer.decided_at = status, by, at
    for name, value in changes.items():
        setattr(offer, name, value)


@transaction.atomic
def offer_accept(*, offer: Offer, member_user) -> Ticket:
    """A member of the product's active team accepts: the offer becomes a request owned by the team, handled by
    the person who offered."""
    offer = _lock_pending(offer, member_user)
    if not perms.can_decide_offer(member_user, offer):
        raise NotAllowed("Seule l'équipe active du produit accepte ou refuse une offre d'aide.")
    now = timezone.now()
    _decide(offer, status=OfferStatus.ACCEPTED, by=member_user, at=now)
    ticket = Ticket.objects.create(
        kind=Kind.SOUTIEN,
        subject=f"Offre d'aide : {offer.topic}"[:SUBJECT_MAX],
        body=offer.message,
        product=offer.product,
        team_owned=True,
        requester=member_user,
        channel=Channel.OFFER,
        status=Status.IN_PROGRESS,
        assignee=offer.offered_by,
        pole=_pole(offer.offered_by),
        routing_reason=(
            f"attribuée à {_name(offer.offered_by)} : offre d'aide acceptée par {_name(member_user)} "
            f"pour l'équipe de {offer.product.name}"
        )[:500],
        created_at=now,
        first_response_due=workdays.first_response_due(now),
        first_response_at=now,  # the offer was the first word
    )
    Offer.objects.filter(pk=offer.pk).update(ticket=ticket)
    offer.ticket = ticket
    journal.record(
        actor=member_user,
        action="guichet.offer_accepted",
        message=f"L'équipe de {offer.product.name} a accepté l'aide proposée : {offer.topic} ({ticket.reference})",
        visibility=Visibility.INTERNAL,
        obj=offer,
        data={"ticket": ticket.pk},
    )
    journal.record(
        actor=member_user,
        action="guichet.ticket_submitted",
        message=f"Demande {ticket.reference} ouverte : offre d'aide acceptée par l'équipe de {offer.product.name}, "
        f"suivie par {_name(offer.offered_by)}",
        visibility=Visibility.INTERNAL,
        obj=ticket,
        data={"kind": ticket.kind, "assignee": offer.offered_by.username, "offer": offer.pk},
    )
    notifications.notify(
        kind="guichet.offer_accepted",
        subject=f"[Guichet] {offer.product.name} accepte votre aide : {offer.topic}",
        body=(
            f"Bonjour,\n\n{_name(member_user)} a accepté votre offre d'aide pour {offer.product.name}.\n"
            f"La demande {ticket.reference} est ouverte : {_link(ticket)}\n"
        ),
        emails=[offer.offered_by.email],
    )
    return ticket


def _pole(user):
    from incubateur.guichet.routing import _pole_of

    return _pole_of(user)


@transaction.atomic
def offer_decline(*, offer: Offer, member_user, reason: str = "") -> Offer:
    offer = _lock_pending(offer, member_user)
    if not perms.can_decide_offer(member_user, offer):
        raise NotAllowed("Seule l'équipe active du produit accepte ou refuse une offre d'aide.")
    reason = (reason or "").strip()
    _decide(offer, status=OfferStatus.DECLINED, by=member_user, at=timezone.now(), decline_reason=reason)
    journal.record(
        actor=member_user,
        action="guichet.offer_declined",
        message=f"L'équipe de {offer.product.name} a décliné l'aide proposée : {offer.topic}"
        + (f" — raison : {reason}" if reason else ""),
        visibility=Visibility.INTERNAL,
        obj=offer,
        data={"reason": reason},
    )
    notifications.notify(
        kind="guichet.offer_declined",
        subject=f"[Guichet] {offer.product.name} décline votre offre d'aide : {offer.topic}",
        body=(
            f"Bonjour,\n\n{_name(member_user)} a décliné votre offre d'aide pour {offer.product.name}."
            + (f"\n\nSa raison : {reason}\n" if reason else "\n")
        ),
        emails=[offer.offered_by.email],
    )
    return offer


@transaction.atomic
def offer_withdraw(*, offer: Offer, actor) -> Offer:
    offer = _lock_pending(offer, actor)
    if not perms.can_withdraw_offer(actor, offer):
        raise NotAllowed("Seule la personne qui a proposé l'aide peut retirer son offre.")
    _decide(offer, status=OfferStatus.WITHDRAWN, by=actor, at=timezone.now())
    journal.record(
        actor=actor,
        action="guichet.offer_withdrawn",
        message=f"Offre d'aide à {offer.product.name} retirée : {offer.topic}",
        visibility=Visibility.INTERNAL,
        obj=offer,
    )
    return offer


# The routing table.


@transaction.atomic
def routing_rule_save(*, actor, rule: RoutingRule) -> RoutingRule:
    """Create or change a row of the routing table (validated by the caller's form)."""
    if not perms.can_edit_routing(actor):
        raise NotAllowed("Seule l'équipe de l'Incubateur modifie le routage.")
    created = rule.pk is None
    rule.full_clean()
    rule.save()
    journal.record(
        actor=actor,
        action="guichet.routing_rule_saved",
        message=f"Règle de routage {'ajoutée' if created else 'modifiée'} : {rule} → {rule.get_target_display()}"
        + (f" ({rule.pole or rule.person})" if rule.pole_id or rule.person_id else ""),
        visibility=Visibility.INTERNAL,
        obj=rule,
    )
    return rule


@transaction.atomic
def routing_rule_delete(*, actor, rule: RoutingRule) -> None:
    if not perms.can_edit_routing(actor):
        raise NotAllowed("Seule l'équipe de l'Incubateur modifie le routage.")
    journal.record(
        actor=actor,
        action="guichet.routing_rule_deleted",
        message=f"Règle de routage supprimée : {rule}",
        visibility=Visibility.INTERNAL,
        obj=rule,
    )
    rule.delete()


# Housekeeping (the worker runs it every beat; `manage.py guichet_tick` too): reminders and auto-close.


@dataclass
class TickReport:
    reminded: int = 0
    escalated: int = 0
    closed: int = 0


def tick(*, now: datetime.datetime | None = None) -> TickReport:
    """Remind assignees before a first answer is due, tell the pole lead once it is overdue, close requests
    resolved more than GUICHET_AUTOCLOSE_DAYS ago. Each is done once per request (a conditional UPDATE claims
    it), so any number of workers may run this at any frequency."""
    now = now or timezone.now()
    report = TickReport()
    soon = now + datetime.timedelta(minutes=settings.GUICHET_REMINDER_BEFORE_MINUTES)
    due = Ticket.objects.unanswered().filter(first_response_due__lte=soon, reminder_sent_at__isnull=True)
    for pk in due.values_list("pk", flat=True)[:500]:
        with transaction.atomic():
            if not Ticket.objects.filter(pk=pk, reminder_sent_at__isnull=True).update(reminder_sent_at=now):
                continue
            ticket = Ticket.objects.select_related("assignee").get(pk=pk)
            if ticket.assignee is None:
                continue
            subject = (
                "Une demande confidentielle attend votre réponse"
                if ticket.confidential
                else f"[Guichet] Rappel : première réponse attendue pour la demande {ticket.reference}"
            )
            notifications.notify(
                kind="guichet.reminder",
                confidential=ticket.confidential,
                subject=subject,
                body=(
                    f"Bonjour,\n\n{subject}.\nRéponse attendue avant le {_when(ticket.first_response_due)}.\n\n"
                    f"{_link(ticket)}\n"
                ),
                emails=[ticket.assignee.email],
            )
            report.reminded += 1
    # Overdue: the pole lead hears of it. Never for a confidential request: its existence stays with the people
    # who have access to it.
    late = Ticket.objects.overdue(now).filter(escalated_at__isnull=True, confidential=False)
    for pk in late.values_list("pk", flat=True)[:500]:
        with transaction.atomic():
            if not Ticket.objects.filter(pk=pk, escalated_at__isnull=True).update(escalated_at=now):
                continue
            ticket = Ticket.objects.select_related("assignee", "pole").get(pk=pk)
            lead = _escalation_contact(ticket)
            if lead is None:
                continue
            notifications.notify(
                kind="guichet.overdue",
                subject=f"[Guichet] Demande {ticket.reference} sans réponse dans le délai",
                body=(
                    f"Bonjour,\n\nLa demande {ticket.reference} ({ticket.get_kind_display()}), attribuée à "
                    f"{_name(ticket.assignee)}, attendait une première réponse avant le "
                    f"{_when(ticket.first_response_due)}.\n\n{_link(ticket)}\n"
                ),
                emails=[lead.email],
            )
            report.escalated += 1
    limit = now - datetime.timedelta(days=settings.GUICHET_AUTOCLOSE_DAYS)
    stale = Ticket.objects.filter(status=Status.RESOLVED, resolved_at__lte=limit)
    for pk in stale.values_list("pk", flat=True)[:500]:
        with transaction.atomic():
            if not Ticket.objects.filter(pk=pk, status=Status.RESOLVED, resolved_at__lte=limit).update(
                status=Status.CLOSED, closed_at=now, version=F("version") + 1
            ):
                continue
            ticket = Ticket.objects.select_related("requester").get(pk=pk)
            journal.record(
                actor=None,
                action="guichet.ticket_autoclosed",
                message=f"Demande {ticket.reference} close automatiquement "
                f"{settings.GUICHET_AUTOCLOSE_DAYS} jours après sa résolution",
                visibility=_visibility(ticket),
                obj=ticket,
                data={"from": Status.RESOLVED, "to": Status.CLOSED},
            )
            _announce_autoclose(ticket)
            report.closed += 1
    return report


def _announce_autoclose(ticket: Ticket) -> None:
    link = _link(ticket)
    if ticket.confidential:
        subject = "Votre demande confidentielle est close"
        body = (
            f"Bonjour,\n\nVotre demande confidentielle, résolue il y a {settings.GUICHET_AUTOCLOSE_DAYS} jours, "
            f"est maintenant close. Vous pouvez la rouvrir : {link}\n"
        )
    else:
        subject = f"[Guichet] Demande {ticket.reference} close"
        body = (
            f"Bonjour,\n\nLa demande {ticket.reference} « {ticket.subject} », résolue il y a "
            f"{settings.GUICHET_AUTOCLOSE_DAYS} jours, est maintenant close. Vous pouvez la rouvrir : {link}\n"
        )
    notifications.notify(
        kind="guichet.status_changed",
        subject=subject,
        body=body,
        emails=_requester_emails(ticket),
        confidential=ticket.confidential,
    )


def _escalation_contact(ticket: Ticket):
    """The lead of the request's pole (or, when the assignee leads it, the department's fallback pole's lead)."""
    from incubateur.organisation.models import Department

    pole = ticket.pole
    lead = pole.lead if pole is not None else None
    if lead is None or lead == ticket.assignee:
        department = Department.objects.select_related("fallback_pole").first()
        if department and department.fallback_pole:
            lead = department.fallback_pole.lead
    if lead is not None and lead == ticket.assignee:
        return None
    return lead
