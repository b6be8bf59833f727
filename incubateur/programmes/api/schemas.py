"""The Schemas of the programmes' API, and what a caller sees of an application (`application_out`: the fields
differ between the applicant's side and the Incubator's staff, so it is a dict, given to `ApplicationOut`).

Moments are `datetime`s: config/api.py renders them in Paris time with their offset. A person is the account
itself, read by `PersonOut`.
"""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.text import slugify
from ninja import Field, Schema

from incubateur.core.api import PersonOut
from incubateur.core.roles import is_staff
from incubateur.programmes import perms
from incubateur.programmes.models import (
    GRANTED,
    ApplicantType,
    Application,
    ApplicationStatus,
    Call,
    EligibilityCheck,
    QuestionType,
    Review,
)

MAX_AMOUNT = 10**12  # as the answers of type "montant" (rules.clean_answer)


def moment(request: HttpRequest) -> datetime:
    """The request's "now", read once: a list's filters and the states of its calls agree."""
    if not hasattr(request, "programmes_now"):
        request.programmes_now = timezone.now()
    return request.programmes_now


class ProgrammeOut(Schema):
    slug: str
    name: str
    description: str
    calls: int = Field(description="Nombre d'appels publiés (annoncés ou passés).")

    @staticmethod
    def resolve_calls(programme) -> int:
        return programme.n  # annotated by the endpoint


class ProgrammeList(Schema):
    items: list[ProgrammeOut]
    count: int


class CallFilters(Schema):
    programme: str | None = Field(None, max_length=50, description="Identifiant du programme (ex. « fast »).")
    open: bool | None = Field(None, description="true : les appels ouverts maintenant ; false : les autres.")


class CallOut(Schema):
    id: int
    programme: str = Field(description="Identifiant du programme.")
    title: str
    number: int | None = Field(description="Numéro de la promotion ou de l'édition.")
    opens_at: datetime | None = Field(description="Ouverture (ISO 8601, heure de Paris).")
    closes_at: datetime | None = Field(description="Clôture (ISO 8601, heure de Paris) : aucun dépôt à partir de là.")
    state: str = Field(description="en-preparation, a-venir, ouvert, clos ou resultats-publies.")
    state_label: str
    applicant_type: str = Field(description="Qui candidate : " + ", ".join(ApplicantType.values) + ".")
    envelope: int | None = Field(description="Enveloppe de l'appel (€).")
    cap: int | None = Field(description="Plafond par candidature (€).")
    max_cofinancing_share: int | None = Field(description="Part maximale de co-financement (% du budget du projet).")
    historical: bool = Field(description="Édition passée, importée de beta.gouv.fr.")
    results_published: bool

    @staticmethod
    def resolve_programme(call: Call) -> str:
        return call.programme.slug

    @staticmethod
    def resolve_state(call: Call, context) -> str:
        return slugify(call.state_label(moment(context["request"])))

    @staticmethod
    def resolve_state_label(call: Call, context) -> str:
        return call.state_label(moment(context["request"]))


class CallList(Schema):
    items: list[CallOut]
    count: int


class QuestionOut(Schema):
    key: str = Field(description="La clé de la réponse dans `answers`.")
    label: str
    type: str = Field(description=", ".join(QuestionType.values) + ".")
    required: bool
    choices: list[str] = Field(description="Réponses possibles d'une question de type « choix ».")
    help_text: str

    @staticmethod
    def resolve_choices(question) -> list[str]:
        return [str(choice) for choice in question.choices or []]


class EligibilityCriterionOut(Schema):
    id: int
    label: str
    verification: str = Field(description=", ".join(EligibilityCheck.values) + " (manuel : vérifié par l'équipe).")


class SelectionCriterionOut(Schema):
    id: int
    label: str
    weight: int
    description: str


class CallDetailOut(CallOut):
    description: str
    questions: list[QuestionOut]
    eligibility_criteria: list[EligibilityCriterionOut]
    selection_criteria: list[SelectionCriterionOut]

    @staticmethod
    def resolve_questions(call: Call):
        return call.questions.all()

    @staticmethod
    def resolve_eligibility_criteria(call: Call):
        return call.eligibility_criteria.all()

    @staticmethod
    def resolve_selection_criteria(call: Call):
        return call.selection_criteria.all()


class ApplicationIn(Schema):
    startup: str | None = Field(
        None,
        description="Identifiant du produit (appel ouvert aux équipes produit) dont vous êtes dans l'équipe active.",
    )
    applicant_name: str = Field("", max_length=300, description="Qui candidate (administration, association…).")
    answers: dict[str, Any] = Field(default_factory=dict, description="Réponses, par clé de question.")
    stated_budget: int | None = Field(None, ge=0, le=MAX_AMOUNT, description="Budget du projet (€).")
    amount_requested: int | None = Field(None, ge=0, le=MAX_AMOUNT, description="Montant demandé (€).")


class DecisionIn(Schema):
    decision: str = Field(description="laureate ou non-retenue.")
    amount: int | None = Field(None, le=MAX_AMOUNT, description="Montant accordé (€) à une lauréate (0 par défaut).")
    reasons: str = Field("", description="Motifs : obligatoires quand la candidature n'est pas retenue.")
    confirm_without_review: bool = Field(
        False, description="Décider sans aucune évaluation remise : à confirmer explicitement (sinon 400)."
    )


class EligibilityOut(Schema):
    id: int
    label: str
    verification: str
    result: bool | None = Field(description="Rempli, non rempli, ou à vérifier (null).")


class ReviewOut(Schema):
    reviewer: PersonOut
    scores: dict[str, int] = Field(description="Note de 1 à 5 par identifiant de critère de sélection.")
    weighted_score: float | None
    comment: str
    submitted_at: datetime | None


class ApplicationOut(Schema):
    id: int
    call: int
    call_title: str
    programme: str
    startup: str | None = Field(description="Identifiant du produit candidat.")
    applicant_name: str
    name: str = Field(description="Le produit, ou le nom du candidat.")
    answers: dict[str, Any]
    stated_budget: int | None
    amount_requested: int | None
    status: str = Field(
        description="Pour le candidat, une décision reste « en-comite » jusqu'à la publication des résultats."
    )
    status_label: str
    editable: bool = Field(description="Brouillon que vous pouvez encore modifier et déposer.")
    created_at: datetime
    submitted_at: datetime | None
    updated_at: datetime
    version: int
    amount_granted: int | None = Field(description="Pour le candidat : une fois les résultats publiés.")
    decision_reasons: str | None = Field(
        description="Pour le candidat : les raisons d'une candidature irrecevable ou non retenue (publiée)."
    )
    # Incubator staff only (absent otherwise)
    public_status: str | None = Field(None, description="Équipe de l'Incubateur : le statut que voit le candidat.")
    applicant: PersonOut | None = Field(None, description="Équipe de l'Incubateur : qui l'a déposée.")
    eligibility: list[EligibilityOut] | None = Field(None, description="Équipe de l'Incubateur.")
    decided_by: PersonOut | None = Field(None, description="Équipe de l'Incubateur.")
    decided_at: datetime | None = Field(None, description="Équipe de l'Incubateur.")
    reviews: list[ReviewOut] | None = Field(
        None,
        description="Équipe de l'Incubateur : les évaluations remises, quand vous pouvez voir les notes (un "
        "relecteur une fois la sienne remise, jamais en conflit d'intérêts) ; null sinon.",
    )


class LaureateOut(Schema):
    startup: str | None = Field(description="Identifiant du produit lauréat.")
    name: str
    amount: int


class ResultsOut(Schema):
    call: int
    title: str
    published_at: datetime | None
    laureates: list[LaureateOut]
    total: int = Field(description="Montant total attribué (€).")
    count: int


# --- What a caller sees of an application -------------------------------------------------------------


def _reviews(application: Application) -> list[dict]:
    criteria = list(application.call.selection_criteria.all())
    reviews = Review.objects.filter(application=application, submitted_at__isnull=False, withdrawn=False)
    return [
        {
            "reviewer": review.reviewer,
            "scores": {str(k): int(v) for k, v in review.scores.items()},
            "weighted_score": review.weighted_score(criteria),
            "comment": review.comment,
            "submitted_at": review.submitted_at,
        }
        for review in reviews.select_related("reviewer")
    ]


def application_out(application: Application, user) -> dict:
    """The application as `user` may see it: staff see everything (the scores only when `can_see_scores`); the
    applicant's side sees the public status, and the reasons and amount once they are theirs to read."""
    call = application.call
    staff = is_staff(user)
    public = application.public_status()
    status = application.status if staff else public
    data = {
        "id": application.pk,
        "call": call.pk,
        "call_title": call.title,
        "programme": call.programme.slug,
        "startup": application.product.ghid if application.product_id else None,
        "applicant_name": application.applicant_name,
        "name": application.display_name,
        "answers": application.answers,
        "stated_budget": application.stated_budget,
        "amount_requested": application.amount_requested,
        "status": status,
        "status_label": ApplicationStatus(status).label,
        "editable": perms.can_edit_application(user, application),
        "created_at": application.created_at,
        "submitted_at": application.submitted_at,
        "updated_at": application.updated_at,
        "version": application.version,
    }
    if staff:
        verdicts = application.eligibility or {}
        data |= {
            "amount_granted": application.amount_granted,
            "decision_reasons": application.decision_reasons,
            "public_status": public,
            "applicant": application.applicant,
            "eligibility": [
                {
                    "id": criterion.pk,
                    "label": criterion.label,
                    "verification": criterion.verification,
                    "result": verdicts.get(str(criterion.pk)),
                }
                for criterion in call.eligibility_criteria.all()
            ],
            "decided_by": application.decided_by,
            "decided_at": application.decided_at,
            "reviews": _reviews(application) if perms.can_see_scores(user, application) else None,
        }
    else:
        told = public in (ApplicationStatus.NOT_SELECTED, ApplicationStatus.INADMISSIBLE)
        data |= {
            "amount_granted": application.amount_granted if public in GRANTED else None,
            "decision_reasons": application.decision_reasons if told else None,
        }
    return data
