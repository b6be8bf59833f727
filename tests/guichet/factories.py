"""Builders of the guichet's tests: requests and offers of help made through the services (as people make them),
so each comes with its journal rows and notifications."""

from incubateur.guichet import services
from incubateur.guichet.models import Offer, Ticket


def submit(cast, **fields) -> Ticket:
    """A doubt about `cast.product` by `cast.requester` (the `cast` fixture); `fields` change any argument."""
    params = dict(
        requester=cast.requester,
        kind="doute-produit",
        subject="Faut-il pivoter ?",
        body="Nos usagers ne reviennent pas.",
        product=cast.product,
    )
    params.update(fields)
    return services.ticket_submit(**params)


def fresh(ticket: Ticket) -> Ticket:
    """The request as the database has it now."""
    return Ticket.objects.get(pk=ticket.pk)


def propose(
    offered_by, product, topic="Préparer le comité d'investissement", message="Je peux relire votre dossier."
) -> Offer:
    """An offer of help from `offered_by` to `product`'s team."""
    return services.offer_propose(offered_by=offered_by, product=product, topic=topic, message=message)
