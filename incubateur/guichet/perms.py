"""Who may do what at the guichet: one function per decision, used by pages, API, lists and e-mails.

Seeing a request at all is `Ticket.objects.for_user(user)` (404 outside it); these functions decide the actions
on a request the user already sees.
"""

from incubateur.core.roles import is_member, is_staff
from incubateur.guichet.models import Offer, Participant, Status, Ticket
from incubateur.registry.models import Product


def is_participant(user, ticket: Ticket) -> bool:
    if not is_member(user):
        return False
    return Participant.objects.filter(ticket=ticket, user=user).exists()


def can_handle(user, ticket: Ticket) -> bool:
    """Answer, write internal notes, change the status, reassign. A confidential request: its participants only;
    any other request: Incubator staff (administrators included)."""
    if not is_member(user):
        return False
    if ticket.confidential:
        return is_participant(user, ticket)
    return is_staff(user)


def is_requester_side(user, ticket: Ticket) -> bool:
    """The requester, or (for a request a team accepted as an offer of help) a member of that team."""
    if not is_member(user):
        return False
    if ticket.requester_id == user.pk:
        return True
    if ticket.team_owned and ticket.product_id:
        return Product.objects.with_active_member(user).filter(pk=ticket.product_id).exists()
    return False


def can_reply(user, ticket: Ticket) -> bool:
    return ticket.status != Status.CLOSED and (can_handle(user, ticket) or is_requester_side(user, ticket))


def can_write_internal_note(user, ticket: Ticket) -> bool:
    return can_handle(user, ticket) and user.pk != ticket.requester_id


def can_reassign(user, ticket: Ticket) -> bool:
    """Reassign to a person or a pole. A confidential request is never handed to a pole: its recipient may only
    add people (`can_add_participant`), and the requester is told."""
    return not ticket.confidential and can_handle(user, ticket)


def can_add_participant(user, ticket: Ticket) -> bool:
    return ticket.confidential and can_handle(user, ticket)


def can_see_reads(user, ticket: Ticket) -> bool:
    """ "Qui a consulté ma demande": the requester and the participants of a confidential request."""
    return ticket.confidential and (ticket.requester_id == user.pk or can_handle(user, ticket))


def can_submit(user) -> bool:
    return is_member(user)


def can_submit_on_behalf(user) -> bool:
    return is_staff(user)


def can_edit_routing(user) -> bool:
    return is_staff(user)


def can_offer_help(user) -> bool:
    return is_staff(user)


def can_decide_offer(user, offer: Offer) -> bool:
    """Accept or decline: a member of the product's active team, while the offer is pending. Nobody else."""
    if not is_member(user) or not offer.is_pending:
        return False
    return Product.objects.with_active_member(user).filter(pk=offer.product_id).exists()


def can_withdraw_offer(user, offer: Offer) -> bool:
    return offer.is_pending and is_member(user) and offer.offered_by_id == user.pk
