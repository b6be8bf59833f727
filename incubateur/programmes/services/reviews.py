"""Write use cases of the reviews: blind, scored from 1 to 5 per selection criterion; a reviewer may step aside."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from incubateur.core import journal
from incubateur.core.errors import NotAllowed
from incubateur.core.models import Visibility
from incubateur.programmes import perms
from incubateur.programmes.models import Application, Review


@transaction.atomic
def review_save(
    *, application: Application, reviewer, scores: dict, comment: str = "", submit: bool = False
) -> Review:
    """Score each selection criterion from 1 to 5. Submitting needs every criterion scored; a submitted review
    no longer changes."""
    if not perms.can_review(reviewer, application):
        raise NotAllowed("Vous ne pouvez pas évaluer cette candidature.")
    criteria = list(application.call.selection_criteria.all())
    known = {str(c.pk): c for c in criteria}
    errors: dict[str, list[str]] = {}
    cleaned = {}
    for key, value in scores.items():
        key = str(key)
        if key not in known:
            errors.setdefault("scores", []).append(f"Critère inconnu : {key}.")
            continue
        if value in (None, ""):
            continue
        try:
            score = int(value)
        except (TypeError, ValueError):
            score = 0
        if not 1 <= score <= 5:
            errors[f"score_{key}"] = [f"Notez « {known[key].label} » de 1 à 5."]
            continue
        cleaned[key] = score
    if submit:
        for key, criterion in known.items():
            if key not in cleaned and f"score_{key}" not in errors:
                errors[f"score_{key}"] = [f"Notez « {criterion.label} » avant de remettre votre évaluation."]
    if errors:
        raise ValidationError(errors)
    review, _ = Review.objects.select_for_update().get_or_create(application=application, reviewer=reviewer)
    if review.submitted_at is not None:
        raise ValidationError({"__all__": ["Votre évaluation est déjà remise : elle ne change plus."]})
    review.scores, review.comment = cleaned, comment.strip()
    if submit:
        review.submitted_at = timezone.now()
    review.save()
    if submit:
        journal.record(
            actor=reviewer,
            action="programmes.review_submitted",
            message=f"Évaluation remise pour la candidature n°{application.pk} ({application.display_name})",
            visibility=Visibility.INTERNAL,
            obj=application,
        )
    return review


@transaction.atomic
def review_withdraw(*, application: Application, reviewer) -> Review:
    """A reviewer steps aside (a conflict of interest): they no longer review it nor see its scores."""
    if not perms.can_manage_calls(reviewer):
        raise NotAllowed("Seule l'équipe de l'Incubateur évalue les candidatures.")
    review, _ = Review.objects.select_for_update().get_or_create(application=application, reviewer=reviewer)
    review.withdrawn = True
    review.save(update_fields=["withdrawn", "updated_at"])
    journal.record(
        actor=reviewer,
        action="programmes.review_withdrawn",
        message=f"{reviewer.display_name} se retire de l'évaluation de la candidature n°{application.pk}",
        visibility=Visibility.INTERNAL,
        obj=application,
    )
    return review
