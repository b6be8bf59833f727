"""Personal data held by the programmes app.

`export(user)`: the applications the person submitted, as the applicant sees them (the public status: a decision
stays "en comité" until the results are published; the reasons and the amount once they are theirs to read); the
reviews they wrote; the applications they decided and the calls they created, by reference.
"""

from django.db.models import Prefetch

from incubateur.programmes.models import (
    GRANTED,
    Application,
    ApplicationStatus,
    Call,
    Review,
    SelectionCriterion,
)


def _application(application: Application) -> dict:
    public = application.public_status()
    told = public in (ApplicationStatus.NOT_SELECTED, ApplicationStatus.INADMISSIBLE)
    return {
        "reference": f"n°{application.pk}",
        "appel": application.call.title,
        "produit": application.product.name if application.product_id else None,
        "candidat": application.applicant_name,
        "reponses": application.answers,
        "budget_du_projet": application.stated_budget,
        "montant_demande": application.amount_requested,
        "statut": ApplicationStatus(public).label,
        "montant_accorde": application.amount_granted if public in GRANTED else None,
        "motifs_de_la_decision": application.decision_reasons if told else None,
        "creee_le": application.created_at,
        "deposee_le": application.submitted_at,
    }


def _review(review: Review) -> dict:
    labels = {str(c.pk): c.label for c in review.application.call.selection_criteria.all()}
    return {
        "candidature": f"n°{review.application_id}",
        "appel": review.application.call.title,
        "notes": {labels.get(key, key): score for key, score in review.scores.items()},
        "commentaire": review.comment,
        "remise_le": review.submitted_at,
        "se_retire": review.withdrawn,
    }


def export(user) -> dict:
    applications = (
        Application.objects.filter(applicant=user).select_related("call", "product").order_by("created_at", "pk")
    )
    reviews = (
        Review.objects.filter(reviewer=user)
        .select_related("application__call")
        .prefetch_related(
            Prefetch("application__call__selection_criteria", queryset=SelectionCriterion.objects.order_by("pk"))
        )
        .order_by("application_id", "pk")
    )
    return {
        "candidatures": [_application(a) for a in applications],
        "evaluations": [_review(r) for r in reviews],
        "candidatures_decidees": [
            {"reference": f"n°{a.pk}", "decidee_le": a.decided_at}
            for a in Application.objects.filter(decided_by=user).order_by("decided_at", "pk")
        ],
        "appels_crees": [
            {"reference": f"n°{c.pk}", "titre": c.title, "cree_le": c.created_at}
            for c in Call.objects.filter(created_by=user).order_by("created_at", "pk")
        ],
    }
