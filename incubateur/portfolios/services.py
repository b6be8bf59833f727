"""Write use cases of the portfolios: recording a product's comité d'investissement. It runs in one transaction
and writes its journal row with it."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from incubateur.core import journal
from incubateur.core.dates import add_months
from incubateur.core.errors import NotAllowed
from incubateur.core.models import Visibility
from incubateur.core.text import date_fr
from incubateur.portfolios import perms
from incubateur.portfolios.models import Committee, CommitteeDecision
from incubateur.registry import services as registry
from incubateur.registry.enums import EventName
from incubateur.registry.models import Phase

__all__ = ["NotAllowed", "add_months", "committee_record", "next_committee_due"]


def next_committee_due(date: datetime.date, decision: str) -> datetime.date | None:
    """When the next committee is due after one held on `date` that decided `decision` (None after a stop)."""
    months = {
        CommitteeDecision.CONTINUE: settings.PROGRAMMES_COMMITTEE_INTERVAL_MONTHS,
        CommitteeDecision.PROVISIONAL: settings.PROGRAMMES_COMMITTEE_PROVISIONAL_MONTHS,
    }.get(decision)
    return add_months(date, months) if months else None


@transaction.atomic
def committee_record(
    *,
    product,
    actor,
    date: datetime.date,
    decision: str,
    attendees: str = "",
    deck_url: str = "",
    budget_requested: int | None = None,
    budget_granted: int | None = None,
    comment: str = "",
    phase: str = "",
) -> Committee:
    """Record a comité d'investissement: a committee event on the product's public history and, when the
    committee decides one, the product's new phase (the current one ends that day)."""
    if not perms.can_record_committees(actor):
        raise NotAllowed("Seule l'équipe de l'Incubateur enregistre les comités.")
    if decision not in CommitteeDecision.values:
        raise ValidationError({"decision": ["Choisissez la décision du comité."]})
    if date > timezone.localdate():
        raise ValidationError({"date": ["Un comité s'enregistre une fois tenu : la date est dans le futur."]})
    committee = Committee(
        product=product,
        date=date,
        decision=decision,
        attendees=attendees.strip(),
        deck_url=deck_url.strip(),
        budget_requested=budget_requested,
        budget_granted=budget_granted,
        comment=comment.strip(),
        phase=phase,
        next_due=next_committee_due(date, decision),
        recorded_by=actor,
    )
    committee.full_clean()
    if phase:
        if Phase.objects.filter(product=product, name=phase).exists():
            raise ValidationError({"phase": ["Le produit a déjà connu cette phase."]})
        later = Phase.objects.filter(product=product, start__gt=date).order_by("start").first()
        if later is not None:
            started = date_fr(later.start)
            message = f"La phase « {later.get_name_display()} » a commencé après ce comité, le {started}."
            raise ValidationError({"phase": [message]})
        for current in Phase.objects.filter(product=product, end__isnull=True):
            registry.product_phase_end(phase=current, by=actor, end=date)
        registry.product_phase_add(product=product, by=actor, name=phase, start=date, comment="Décidé en comité")
    committee.save()
    registry.product_event_add(
        product=product,
        by=actor,
        name=EventName.COMMITTEE,
        date=date,
        comment=committee.get_decision_display(),
    )
    journal.record(
        actor=actor,
        action="programmes.committee_recorded",
        message=f"Comité d'investissement de {product.name} le {date_fr(date)} : {committee.get_decision_display()}",
        visibility=Visibility.INTERNAL,
        obj=committee,
        data={"product": product.ghid, "decision": decision, "budget_granted": budget_granted},
    )
    return committee
