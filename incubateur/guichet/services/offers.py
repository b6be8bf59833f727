"""Offers of help to a product team: proposed by the Incubator's staff, they do nothing until the team accepts
(the offer then becomes a request owned by the team)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from incubateur.core import journal, notifications
from incubateur.core.errors import NotAllowed
from incubateur.core.models import Visibility
from incubateur.core.text import de
from incubateur.guichet import perms, workdays
from incubateur.guichet.kinds import Kind
from incubateur.guichet.models import Channel, Offer, OfferStatus, Status, Ticket, message_too_long
from incubateur.guichet.routing import pole_of
from incubateur.guichet.services._shared import ticket_link
from incubateur.guichet.services.tickets import SUBJECT_MAX
from incubateur.registry.models import Member


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
    elif too_long := message_too_long(message):
        errors["message"] = [too_long]
    if errors:
        raise ValidationError(errors)
    offer = Offer.objects.create(product=product, topic=topic, message=message, offered_by=offered_by)
    journal.record(
        actor=offered_by,
        action="guichet.offer_proposed",
        message=f"Aide proposée à l'équipe {de(product.name)} : {topic}",
        visibility=Visibility.INTERNAL,
        obj=offer,
        data={"product": product.ghid},
    )
    emails = [
        m.user.email for m in Member.objects.of_product(product).filter(user__isnull=False).select_related("user")
    ]
    if emails:
        notifications.notify(
            kind="guichet.offer_proposed",
            subject=f"[Guichet] L'Incubateur propose son aide à {product.name}",
            body=(
                f"Bonjour,\n\n{offered_by.display_name} propose à votre équipe de l'aide : {topic}.\n\n{message}\n\n"
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
        pole=pole_of(offer.offered_by),
        routing_reason=(
            f"attribuée à {offer.offered_by.display_name} : offre d'aide acceptée par {member_user.display_name} "
            f"pour l'équipe {de(offer.product.name)}"
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
        message=f"L'équipe {de(offer.product.name)} a accepté l'aide proposée : {offer.topic} ({ticket.reference})",
        visibility=Visibility.INTERNAL,
        obj=offer,
        data={"ticket": ticket.pk},
    )
    journal.record(
        actor=member_user,
        action="guichet.ticket_submitted",
        message=f"Demande {ticket.reference} ouverte : offre d'aide acceptée par l'équipe {de(offer.product.name)}, "
        f"suivie par {offer.offered_by.display_name}",
        visibility=Visibility.INTERNAL,
        obj=ticket,
        data={"kind": ticket.kind, "assignee": offer.offered_by.username, "offer": offer.pk},
    )
    notifications.notify(
        kind="guichet.offer_accepted",
        subject=f"[Guichet] {offer.product.name} accepte votre aide : {offer.topic}",
        body=(
            f"Bonjour,\n\n{member_user.display_name} a accepté votre offre d'aide pour {offer.product.name}.\n"
            f"La demande {ticket.reference} est ouverte : {ticket_link(ticket)}\n"
        ),
        emails=[offer.offered_by.email],
    )
    return ticket


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
        message=f"L'équipe {de(offer.product.name)} a décliné l'aide proposée : {offer.topic}"
        + (f" — raison : {reason}" if reason else ""),
        visibility=Visibility.INTERNAL,
        obj=offer,
        data={"reason": reason},
    )
    notifications.notify(
        kind="guichet.offer_declined",
        subject=f"[Guichet] {offer.product.name} décline votre offre d'aide : {offer.topic}",
        body=(
            f"Bonjour,\n\n{member_user.display_name} a décliné votre offre d'aide pour {offer.product.name}."
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
