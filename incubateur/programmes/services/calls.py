"""Write use cases of the calls: create or change one, set its rules (before it opens)."""

from django.core.exceptions import ValidationError
from django.db import transaction

from incubateur.core import journal
from incubateur.core.errors import NotAllowed
from incubateur.core.models import Visibility
from incubateur.core.text import quantity
from incubateur.programmes import perms
from incubateur.programmes.models import Call, EligibilityCriterion, Question, SelectionCriterion

# The fields of a call that freeze when it opens (its rules); title and description stay editable.
FROZEN_FIELDS = ("opens_at", "applicant_type", "envelope", "cap", "max_cofinancing_share", "programme")


@transaction.atomic
def call_save(*, actor, call: Call) -> Call:
    """Create or change a call (validated by the caller's form). Once the call is open, its rules are frozen:
    a change to FROZEN_FIELDS is refused, field by field."""
    if not perms.can_manage_calls(actor):
        raise NotAllowed("Seule l'équipe de l'Incubateur gère les appels.")
    created = call.pk is None
    if not created:
        before = Call.objects.select_for_update().get(pk=call.pk)
        if before.is_frozen():
            errors = {
                name: ["L'appel est ouvert : ses règles ne changent plus."]
                for name in FROZEN_FIELDS
                if getattr(before, name if name != "programme" else "programme_id")
                != getattr(call, name if name != "programme" else "programme_id")
            }
            if errors:
                raise ValidationError(errors)
        if before.is_closed() is False and call.closes_at and before.opens_at and call.closes_at <= before.opens_at:
            raise ValidationError({"closes_at": ["La clôture doit suivre l'ouverture."]})
    else:
        call.created_by = actor
    call.full_clean()
    call.save()
    journal.record(
        actor=actor,
        action="programmes.call_created" if created else "programmes.call_updated",
        message=f"Appel « {call.title} » {'créé' if created else 'modifié'} ({call.programme})",
        visibility=Visibility.INTERNAL,
        obj=call,
    )
    return call


@transaction.atomic
def call_rules_set(*, actor, call: Call, questions: list[dict], eligibility: list[dict], criteria: list[dict]) -> None:
    """Replace the call's questions, eligibility criteria and selection criteria (before it opens only).

    questions: [{"key", "label", "type", "required", "choices", "help_text"}];
    eligibility: [{"label", "verification"}]; criteria: [{"label", "weight", "description"}].
    """
    if not perms.can_manage_calls(actor):
        raise NotAllowed("Seule l'équipe de l'Incubateur gère les appels.")
    call = Call.objects.select_for_update().get(pk=call.pk)
    if call.is_frozen():
        raise ValidationError({"__all__": ["L'appel est ouvert : ses questions et ses critères ne changent plus."]})
    errors: dict[str, list[str]] = {}
    keys = [q.get("key") for q in questions]
    if len(set(keys)) != len(keys):
        errors["questions"] = ["Deux questions ont le même identifiant."]
    for q in questions:
        if q.get("type") == "choix" and not q.get("choices"):
            errors.setdefault("questions", []).append(f"La question « {q.get('label')} » n'a pas de choix.")
    if any(int(c.get("weight") or 0) < 1 for c in criteria):
        errors["criteria"] = ["Chaque critère de sélection a un poids d'au moins 1."]
    if errors:
        raise ValidationError(errors)
    call.questions.all().delete()
    call.eligibility_criteria.all().delete()
    call.selection_criteria.all().delete()
    for order, q in enumerate(questions):
        question = Question(call=call, order=order, **q)
        question.full_clean(exclude=["call"])
        question.save()
    for order, e in enumerate(eligibility):
        EligibilityCriterion.objects.create(call=call, order=order, **e)
    for order, c in enumerate(criteria):
        SelectionCriterion.objects.create(call=call, order=order, **c)
    journal.record(
        actor=actor,
        action="programmes.call_rules_set",
        message=(
            f"Règles de l'appel « {call.title} » : {quantity(len(questions), 'question')}, "
            f"{quantity(len(eligibility), 'critère')} d'éligibilité, {quantity(len(criteria), 'critère')} de sélection"
        ),
        visibility=Visibility.INTERNAL,
        obj=call,
    )
