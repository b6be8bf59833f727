"""Tick and untick an item of a member's onboarding or offboarding checklist."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from incubateur.community import checklists, perms
from incubateur.community.models import Checklist, ChecklistTick
from incubateur.core import journal
from incubateur.core.errors import NotAllowed
from incubateur.core.models import Visibility
from incubateur.registry.models import Member


@transaction.atomic
def checklist_tick(*, member: Member, checklist: str, item_key: str, by, done: bool = True) -> bool:
    """Tick (`done`) or untick `item_key` of `member`'s `checklist`. Returns whether anything changed (ticking a
    ticked item, or unticking an unticked one, changes nothing and writes nothing). Journaled (internal)."""
    if checklist not in Checklist.values:
        raise ValidationError({"checklist": "Ce parcours n'existe pas."})
    item = checklists.item(checklist, item_key)
    if item is None or not item.applies_to(member.domaine):
        raise ValidationError({"item": "Cette étape n'existe pas dans ce parcours."})
    if not perms.can_tick(by, member, item):
        raise NotAllowed("Seul le Pôle Animation peut cocher cette étape." if item.animation_only else "")
    label = Checklist(checklist).label
    if done:
        try:
            with transaction.atomic():
                ChecklistTick.objects.create(member=member, checklist=checklist, item=item.key, done_by=by)
        except IntegrityError:  # already ticked (a double click, or someone else at the same time)
            return False
        action, message = "community.checklist_ticked", f"{member.fullname} : étape « {item.label} » faite"
    else:
        if not ChecklistTick.objects.filter(member=member, checklist=checklist, item=item.key).delete()[0]:
            return False
        action, message = "community.checklist_unticked", f"{member.fullname} : étape « {item.label} » décochée"
    journal.record(
        actor=by,
        action=action,
        message=f"{message} (parcours {label})",
        visibility=Visibility.INTERNAL,
        obj=member,
        data={"username": member.username, "checklist": checklist, "item": item.key},
    )
    return True
