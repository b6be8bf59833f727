"""/api/v1/ of the programmes: programmes and their calls, applications, decisions, results, portfolio boards.

Public reads (`GET /programmes`, `/calls`, `/calls/{id}`, `/calls/{id}/results`) need no credentials. The rest
accepts a bearer token (`Authorization: Bearer <token>`, `accounts.ApiToken`) or the session of the site; with
the session, every unsafe method (POST) needs the CSRF token (`X-CSRFToken` header). An Authorization header that
does not carry a usable token is a 401 (never a fall back to the session); no credentials at all is a 401.

Conventions (the same as the guichet's API):

- what the caller may see starts from `Application.objects.for_user()` and `Call.objects.visible()`: anything
  outside it is a 404, exactly as if it did not exist;
- the staff-only operations (a decision, a portfolio board) are a 404 for anyone else, before a body is read;
- an action the caller is not open to on something they see is a 400 with the reason, never a 403;
- every 400 has the shape of django-ninja's validation errors, `{"detail": [{"type", "loc", "msg"}]}`, with
  `loc` naming the field (`["body", "payload", "amount"]`, `["answers", "impact"]`…; empty when the message is
  about the whole action, e.g. a closed call);
- date-times are ISO 8601 with their offset, in Paris time; amounts are whole euros.
"""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Count, F, Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.text import slugify
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status

from incubateur.accounts.api_auth import api_user, optional_token, token_or_session
from incubateur.accounts.models import ApiToken
from incubateur.core.api import BadRequestOut, ErrorOut, Page, PersonOut, bad_request, from_django
from incubateur.core.roles import is_staff
from incubateur.programmes import board as boards_
from incubateur.programmes import perms, services
from incubateur.programmes.models import (
    GRANTED,
    ApplicantType,
    Application,
    ApplicationStatus,
    Call,
    EligibilityCheck,
    Programme,
    QuestionType,
    Review,
)

router = Router(tags=["programmes"])

MAX_AMOUNT = 10**12  # as the answers of type "montant" (rules.clean_answer)
NOT_FOUND = "Introuvable."
# Call's Meta.ordering, with the ties and NULLs placed alike on SQLite and PostgreSQL (NULLs sort first in a
# descending order on PostgreSQL, last on SQLite): programme by programme, the latest edition first.
CALL_ORDER = (
    "programme__order",
    "programme__name",
    "programme_id",
    F("number").desc(nulls_last=True),
    F("opens_at").desc(nulls_last=True),
    "-pk",
)


# --- Authentication: a token or the session -----------------------------------------------------------------
# Shared with the guichet: incubateur/accounts/api_auth.py (auth) and incubateur/core/api.py (errors).


AUTH = token_or_session()
STAFF_AUTH = token_or_session(staff_only=True)


def _reader(request: HttpRequest):
    """The reader of a public operation (`auth=None`): the token's account when an Authorization header is sent
    (an unusable one is a 401, as everywhere), else the session's user (anonymous included)."""
    found = optional_token(request)
    return found.user if isinstance(found, ApiToken) else request.user


# --- Errors -------------------------------------------------------------------------------------------------


def _not_allowed(exc: services.NotAllowed):
    return bad_request({"__all__": [str(exc)]})


# --- Schemas ------------------------------------------------------------------------------------------------


class ProgrammeOut(Schema):
    slug: str
    name: str
    description: str
    calls: int = Field(description="Nombre d'appels publiés (annoncés ou passés).")


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
    opens_at: str | None = Field(description="Ouverture (ISO 8601, heure de Paris).")
    closes_at: str | None = Field(description="Clôture (ISO 8601, heure de Paris) : aucun dépôt à partir de là.")
    state: str = Field(description="en-preparation, a-venir, ouvert, clos ou resultats-publies.")
    state_label: str
    applicant_type: str = Field(description="Qui candidate : " + ", ".join(ApplicantType.values) + ".")
    envelope: int | None = Field(description="Enveloppe de l'appel (€).")
    cap: int | None = Field(description="Plafond par candidature (€).")
    max_cofinancing_share: int | None = Field(description="Part maximale de co-financement (% du budget du projet).")
    historical: bool = Field(description="Édition passée, importée de beta.gouv.fr.")
    results_published: bool


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
    submitted_at: str | None


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
    created_at: str
    submitted_at: str | None
    updated_at: str
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
    decided_at: str | None = Field(None, description="Équipe de l'Incubateur.")
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
    published_at: str | None
    laureates: list[LaureateOut]
    total: int = Field(description="Montant total attribué (€).")
    count: int


class BoardRowOut(Schema):
    ghid: str
    name: str
    phase: str
    phase_label: str
    phase_start: str
    months_in_phase: float
    norm_months: int | None = Field(description="Repère de durée de la phase (mois).")
    over_norm: bool
    last_committee: str | None
    next_committee_due: str | None
    committee_overdue: bool
    open_requests: int
    pending_offers: int
    running_applications: int


class BoardPhaseOut(Schema):
    phase: str
    label: str
    count: int
    products: list[BoardRowOut]


class BoardTotalsOut(Schema):
    products: int
    committees_overdue: int
    over_norm: int
    open_requests: int
    pending_offers: int
    running_applications: int


class PortfolioBoardOut(Schema):
    slug: str
    label: str
    phases: list[BoardPhaseOut]
    totals: BoardTotalsOut


class BoardOut(Schema):
    manager: PersonOut
    today: str
    portfolios: list[PortfolioBoardOut]
    totals: BoardTotalsOut = Field(description="Sur l'ensemble de ses portefeuilles.")


# --- Serialisation ------------------------------------------------------------------------------------------


def _when(moment) -> str | None:
    return timezone.localtime(moment).isoformat() if moment is not None else None


def _day(date) -> str | None:
    return date.isoformat() if date is not None else None


def _person(user) -> dict | None:
    if user is None:
        return None
    return {"username": user.username or None, "fullname": user.get_full_name() or user.username or ""}


def _call(call: Call, now) -> dict:
    label = call.state_label(now)
    return {
        "id": call.pk,
        "programme": call.programme.slug,
        "title": call.title,
        "number": call.number,
        "opens_at": _when(call.opens_at),
        "closes_at": _when(call.closes_at),
        "state": slugify(label),
        "state_label": label,
        "applicant_type": call.applicant_type,
        "envelope": call.envelope,
        "cap": call.cap,
        "max_cofinancing_share": call.max_cofinancing_share,
        "historical": call.historical,
        "results_published": call.results_published,
    }


def _reviews(application: Application) -> list[dict]:
    criteria = list(application.call.selection_criteria.all())
    reviews = Review.objects.filter(application=application, submitted_at__isnull=False, withdrawn=False)
    return [
        {
            "reviewer": _person(review.reviewer),
            "scores": {str(k): int(v) for k, v in review.scores.items()},
            "weighted_score": review.weighted_score(criteria),
            "comment": review.comment,
            "submitted_at": _when(review.submitted_at),
        }
        for review in reviews.select_related("reviewer")
    ]


def _application(application: Application, user) -> dict:
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
        "created_at": _when(application.created_at),
        "submitted_at": _when(application.submitted_at),
        "updated_at": _when(application.updated_at),
        "version": application.version,
    }
    if staff:
        verdicts = application.eligibility or {}
        data |= {
            "amount_granted": application.amount_granted,
            "decision_reasons": application.decision_reasons,
            "public_status": public,
            "applicant": _person(application.applicant),
            "eligibility": [
                {
                    "id": criterion.pk,
                    "label": criterion.label,
                    "verification": criterion.verification,
                    "result": verdicts.get(str(criterion.pk)),
                }
                for criterion in call.eligibility_criteria.all()
            ],
            "decided_by": _person(application.decided_by),
            "decided_at": _when(application.decided_at),
            "reviews": _reviews(application) if perms.can_see_scores(user, application) else None,
        }
    else:
        told = public in (ApplicationStatus.NOT_SELECTED, ApplicationStatus.INADMISSIBLE)
        data |= {
            "amount_granted": application.amount_granted if public in GRANTED else None,
            "decision_reasons": application.decision_reasons if told else None,
        }
    return data


def _board_row(row: boards_.ProductRow) -> dict:
    return {
        "ghid": row.product.ghid,
        "name": row.product.name,
        "phase": row.phase,
        "phase_label": row.phase_label,
        "phase_start": _day(row.phase_start),
        "months_in_phase": row.months_in_phase,
        "norm_months": row.norm_months,
        "over_norm": row.over_norm,
        "last_committee": _day(row.last_committee),
        "next_committee_due": _day(row.next_committee_due),
        "committee_overdue": row.committee_overdue,
        "open_requests": row.open_requests,
        "pending_offers": row.pending_offers,
        "running_applications": row.running_applications,
    }


# --- Lookups ------------------------------------------------------------------------------------------------


def _visible_call(pk: int) -> Call:
    call = Call.objects.visible().select_related("programme").filter(pk=pk).first()
    if call is None:
        raise HttpError(404, f"Appel introuvable : n°{pk}.")
    return call


def _applications(user):
    return Application.objects.for_user(user).select_related("call__programme", "product", "applicant", "decided_by")


def _visible_application(user, pk: int) -> Application:
    application = _applications(user).filter(pk=pk).first()
    if application is None:
        raise HttpError(404, f"Candidature introuvable : n°{pk}.")
    return application


# --- Programmes and calls (public) --------------------------------------------------------------------------


@router.get(
    "/programmes",
    response={200: ProgrammeList},
    auth=None,
    url_name="programmes_list",
    summary="Les programmes (FAST, consolidation, EIG, AIC…)",
)
def programme_list(request: HttpRequest):
    visible = Q(calls__opens_at__isnull=False) | Q(calls__historical=True)
    # Meta.ordering does not apply to a GROUP BY query: say it.
    programmes = Programme.objects.annotate(n=Count("calls", filter=visible)).order_by("order", "name", "pk")
    items = [{"slug": p.slug, "name": p.name, "description": p.description, "calls": p.n} for p in programmes]
    return {"items": items, "count": len(items)}


@router.get(
    "/calls",
    response={200: CallList, 400: BadRequestOut},
    auth=None,
    url_name="programmes_calls",
    summary="Les appels publiés (annoncés, ouverts, clos ou passés)",
)
def call_list(request: HttpRequest, page: Query[Page], filters: Query[CallFilters]):
    """The calls the public sees. An unknown `programme` gives an empty list."""
    now = timezone.now()
    calls = Call.objects.visible().select_related("programme").order_by(*CALL_ORDER)
    if filters.programme:
        calls = calls.filter(programme__slug=filters.programme)
    if filters.open is True:
        calls = calls.open(now)
    elif filters.open is False:
        calls = calls.exclude(pk__in=Call.objects.open(now).values("pk"))
    return {
        "items": [_call(c, now) for c in calls[page.offset : page.offset + page.limit]],
        "count": calls.count(),
    }


@router.get(
    "/calls/{call_id}",
    response={200: CallDetailOut, 400: BadRequestOut, 404: ErrorOut},
    auth=None,
    url_name="programmes_call",
    summary="Un appel, ses questions et ses critères",
)
def call_detail(request: HttpRequest, call_id: int):
    call = _visible_call(call_id)
    data = _call(call, timezone.now())
    data["description"] = call.description
    data["questions"] = [
        {
            "key": q.key,
            "label": q.label,
            "type": q.type,
            "required": q.required,
            "choices": [str(c) for c in q.choices or []],
            "help_text": q.help_text,
        }
        for q in call.questions.all()
    ]
    data["eligibility_criteria"] = [
        {"id": c.pk, "label": c.label, "verification": c.verification} for c in call.eligibility_criteria.all()
    ]
    data["selection_criteria"] = [
        {"id": c.pk, "label": c.label, "weight": c.weight, "description": c.description}
        for c in call.selection_criteria.all()
    ]
    return data


@router.get(
    "/calls/{call_id}/results",
    response={200: ResultsOut, 400: BadRequestOut, 401: ErrorOut, 404: ErrorOut},
    auth=None,
    url_name="programmes_call_results",
    summary="Les résultats d'un appel (une fois publiés)",
)
def call_results(request: HttpRequest, call_id: int):
    """The laureates and their amounts: public once the results are published (a past edition's at once); a 404
    before, except for the Incubator's staff, who preview them (session or token)."""
    call = _visible_call(call_id)
    if not perms.can_see_results(_reader(request), call):
        raise HttpError(404, f"Appel introuvable : n°{call_id}.")
    laureates = Application.objects.filter(call=call, status__in=GRANTED).select_related("product")
    items = sorted(
        (
            {
                "startup": a.product.ghid if a.product_id else None,
                "name": a.display_name,
                "amount": a.amount_granted or 0,
            }
            for a in laureates
        ),
        key=lambda item: (-item["amount"], item["name"].casefold()),
    )
    return {
        "call": call.pk,
        "title": call.title,
        "published_at": _when(call.results_published_at),
        "laureates": items,
        "total": sum(item["amount"] for item in items),
        "count": len(items),
    }


# --- Applications -------------------------------------------------------------------------------------------


@router.post(
    "/calls/{call_id}/applications",
    response={201: ApplicationOut, 400: BadRequestOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    auth=AUTH,
    url_name="programmes_application_create",
    exclude_unset=True,
    summary="Commencer une candidature (un brouillon)",
)
def application_create(request: HttpRequest, call_id: int, payload: ApplicationIn):
    """A draft: answers may be incomplete (they are checked when it is submitted). A call open to product teams
    needs `startup`, a product whose active team you are in (a team applies once per call, through any of its
    members); other calls need `applicant_name`. 400 when the call is not open, with the reason."""
    user = api_user(request)
    call = _visible_call(call_id)
    product = None
    ghid = (payload.startup or "").strip()
    if ghid and call.applicant_type == ApplicantType.PRODUCT:
        from incubateur.registry.models import Product

        product = Product.objects.filter(ghid=ghid).first()
        if product is None:
            raise bad_request({"startup": [f"Produit inconnu : « {ghid[:100]} »."]})
    rename = {"product": ("body", "payload", "startup")}
    try:
        with transaction.atomic():
            application = services.application_start(
                call=call, user=user, product=product, applicant_name=payload.applicant_name
            )
            services.application_save_draft(
                application=application,
                user=user,
                answers=payload.answers,
                stated_budget=payload.stated_budget,
                amount_requested=payload.amount_requested,
            )
    except DjangoValidationError as exc:
        raise from_django(exc, rename=rename) from None
    except services.NotAllowed as exc:
        raise _not_allowed(exc) from None
    return Status(201, _application(_applications(user).get(pk=application.pk), user))


@router.post(
    "/applications/{application_id}/submit",
    response={200: ApplicationOut, 400: BadRequestOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    auth=AUTH,
    url_name="programmes_application_submit",
    exclude_unset=True,
    summary="Déposer une candidature",
)
def application_submit(request: HttpRequest, application_id: int):
    """Every required question answered and well formed (else 400, one message per question, `loc`
    `["answers", key]`); refused once the call is closed (400 with the closing date). 404 if you cannot see the
    application; 400 with the reason if you see it but do not apply with it (the Incubator's staff)."""
    user = api_user(request)
    application = _visible_application(user, application_id)
    rename = {q.key: ("answers", q.key) for q in application.call.questions.all()}
    try:
        services.application_submit(application=application, user=user)
    except DjangoValidationError as exc:
        raise from_django(exc, where=(), rename=rename) from None
    except services.NotAllowed as exc:
        raise _not_allowed(exc) from None
    return _application(_applications(user).get(pk=application.pk), user)


@router.get(
    "/applications/{application_id}",
    response={200: ApplicationOut, 400: BadRequestOut, 401: ErrorOut, 404: ErrorOut},
    auth=AUTH,
    url_name="programmes_application",
    exclude_unset=True,
    summary="Une candidature, où elle en est",
)
def application_detail(request: HttpRequest, application_id: int):
    """The applicant's side (its applicant, or any active member of its product's team) sees the public status (a
    decision stays « en-comite » until the results are published) and, once told, the reasons. The Incubator's
    staff see everything; the reviews' scores only when theirs to see (blind reviews, conflicts)."""
    user = api_user(request)
    return _application(_visible_application(user, application_id), user)


@router.post(
    "/applications/{application_id}/decision",
    response={200: ApplicationOut, 400: BadRequestOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    auth=STAFF_AUTH,
    url_name="programmes_application_decide",
    exclude_unset=True,
    summary="Décider d'une candidature (équipe de l'Incubateur)",
)
def application_decide(request: HttpRequest, application_id: int, payload: DecisionIn):
    """Laureate (with an amount) or not selected (with the reasons). The amount respects the cap, the co-financing
    share of the stated budget and the call's envelope: else a 400 whose `amount` messages say by how much it
    overflows. Incubator staff only (404 for anyone else); 400 with the reason for a conflict of interest."""
    user = api_user(request)
    application = _visible_application(user, application_id)
    try:
        services.application_decide(
            application=application,
            actor=user,
            decision=payload.decision,
            amount=payload.amount,
            reasons=payload.reasons,
        )
    except DjangoValidationError as exc:
        raise from_django(exc) from None
    except services.NotAllowed as exc:
        raise _not_allowed(exc) from None
    return _application(_applications(user).get(pk=application.pk), user)


# --- Portfolio boards ---------------------------------------------------------------------------------------


@router.get(
    "/portfolios/{username}/board",
    response={200: BoardOut, 401: ErrorOut, 404: ErrorOut},
    auth=STAFF_AUTH,
    url_name="programmes_board",
    summary="Le tableau de bord d'un responsable de portefeuille",
)
def portfolio_board(request: HttpRequest, username: str):
    """The products of the manager's portfolios grouped by current phase: last committee and when the next is due,
    time in phase against its norm, open guichet requests, pending offers of help, running applications. For that
    manager, the pole leads, the direction and administrators; a 404 for anyone else."""
    from incubateur.organisation.models import Portfolio

    user = api_user(request)
    manager = get_user_model().objects.filter(username=username, is_active=True).first()
    if manager is None or not perms.can_see_board(user, manager):
        raise HttpError(404, f"Tableau de bord introuvable : « {username[:100]} ».")
    portfolios = list(Portfolio.objects.filter(manager=manager))
    if not portfolios:
        raise HttpError(404, f"Tableau de bord introuvable : « {username[:100]} ».")
    today = timezone.localdate()
    found = boards_.boards(portfolios, today=today)
    totals = dict.fromkeys(BoardTotalsOut.model_fields, 0)
    for board in found:
        for key, value in board.totals.items():
            totals[key] += value
    return {
        "manager": _person(manager),
        "today": today.isoformat(),
        "portfolios": [
            {
                "slug": board.portfolio.slug,
                "label": board.portfolio.label,
                "phases": [
                    {
                        "phase": group.phase,
                        "label": group.label,
                        "count": len(group.rows),
                        "products": [_board_row(row) for row in group.rows],
                    }
                    for group in board.groups
                ],
                "totals": board.totals,
            }
            for board in found
        ],
        "totals": totals,
    }
