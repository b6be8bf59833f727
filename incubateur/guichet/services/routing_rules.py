"""Changes to the routing table (`RoutingRule`), journaled."""

from django.db import transaction

from incubateur.core import journal
from incubateur.core.errors import NotAllowed
from incubateur.core.models import Visibility
from incubateur.guichet import perms
from incubateur.guichet.models import RoutingRule


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
