"""Write use cases of the registry. Each is atomic and writes a public journal row (the registry is public data).

Saves bump the registry's cache stamp through signals (apps.py), in the same transaction.
"""

import datetime

from django.db import transaction

from incubateur.core import journal
from incubateur.core.fields import save_changed
from incubateur.core.models import Visibility
from incubateur.core.text import date_fr
from incubateur.registry.models import Event, Member, Phase, Product

# How the journal names the fields people change (in French, as the forms do).
LABELS = {
    "pitch": "mission",
    "description": "description",
    "contact": "contact",
    "link": "site",
    "repository": "code source",
    "stats_url": "statistiques",
    "budget_url": "budget",
    "impact_url": "impact",
    "thematiques": "thématiques",
    "usertypes": "publics",
    "techno": "technologies",
    "role": "rôle",
    "bio": "présentation",
    "github": "GitHub",
    "competences": "compétences",
}
MEMBER_LABELS = {**LABELS, "link": "lien"}


def _labels(names: list[str], labels: dict[str, str] = LABELS) -> str:
    return ", ".join(labels.get(name, name) for name in names)


def _update_fiche(obj, values: dict, *, by, action: str, fiche: str, key: dict, labels=LABELS) -> list[str]:
    """Save the fields of a fiche that changed and journal them (publicly); returns their names."""
    changed = save_changed(obj, values)
    if changed:
        journal.record(
            actor=by,
            action=action,
            message=f"{fiche} modifiée : {_labels(changed, labels)}",
            visibility=Visibility.PUBLIC,
            obj=obj,
            data={**key, "fields": changed},
        )
    return changed


@transaction.atomic
def member_update(
    *,
    member: Member,
    by,
    role: str,
    bio: str,
    link: str,
    github: str,
    competences: list[str],
) -> list[str]:
    """Change the public fields of a member's fiche. Returns the names of the fields that changed."""
    return _update_fiche(
        member,
        {"role": role, "bio": bio, "link": link, "github": github, "competences": list(competences)},
        by=by,
        action="registry.member_updated",
        fiche=f"Fiche de {member.fullname}",
        key={"username": member.username},
        labels=MEMBER_LABELS,
    )


@transaction.atomic
def product_update(
    *,
    product: Product,
    by,
    pitch: str,
    description: str,
    contact: str,
    link: str,
    repository: str,
    stats_url: str,
    budget_url: str,
    impact_url: str,
    thematiques: list[str],
    usertypes: list[str],
    techno: list[str],
) -> list[str]:
    """Change a product's fiche. Returns the names of the fields that changed."""
    return _update_fiche(
        product,
        {
            "pitch": pitch,
            "description": description,
            "contact": contact,
            "link": link,
            "repository": repository,
            "stats_url": stats_url,
            "budget_url": budget_url,
            "impact_url": impact_url,
            "thematiques": list(thematiques),
            "usertypes": list(usertypes),
            "techno": list(techno),
        },
        by=by,
        action="registry.product_updated",
        fiche=f"Fiche du produit {product.name}",
        key={"ghid": product.ghid},
    )


@transaction.atomic
def product_phase_add(*, product: Product, by, name: str, start: datetime.date, comment: str = "") -> Phase:
    """Add a phase to a product (a product goes through each phase once: the database refuses a second one)."""
    phase = Phase.objects.create(product=product, name=name, start=start, comment=comment)
    journal.record(
        actor=by,
        action="registry.phase_added",
        message=f"{product.name} : phase « {phase.get_name_display()} » à partir du {date_fr(start)}",
        visibility=Visibility.PUBLIC,
        obj=product,
        data={"ghid": product.ghid, "phase": name, "start": start.isoformat()},
    )
    return phase


@transaction.atomic
def product_phase_end(*, phase: Phase, by, end: datetime.date) -> Phase:
    """End a product's phase on `end` (on or after its start: the database checks it too)."""
    if end < phase.start:
        raise ValueError("A phase cannot end before it starts.")
    phase.end = end
    phase.save(update_fields=["end"])
    product = phase.product
    journal.record(
        actor=by,
        action="registry.phase_ended",
        message=f"{product.name} : fin de la phase « {phase.get_name_display()} » le {date_fr(end)}",
        visibility=Visibility.PUBLIC,
        obj=product,
        data={"ghid": product.ghid, "phase": phase.name, "end": end.isoformat()},
    )
    return phase


@transaction.atomic
def product_event_add(*, product: Product, by, name: str, date: datetime.date, comment: str = "") -> Event:
    """Add an event to a product's public history (a committee, a FAST award…)."""
    order = product.events.count()
    event = Event.objects.create(product=product, name=name, date=date, comment=comment, order=order)
    journal.record(
        actor=by,
        action="registry.event_added",
        message=f"{product.name} : {event.get_name_display()} le {date_fr(date)}",
        visibility=Visibility.PUBLIC,
        obj=product,
        data={"ghid": product.ghid, "event": name, "date": date.isoformat()},
    )
    return event
