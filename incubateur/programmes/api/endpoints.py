"""/api/v1/ of the programmes: programmes and their calls, applications, decisions, results.

Public reads (`GET /programmes`, `/calls`, `/calls/{id}`, `/calls/{id}/results`) need no credentials. The rest
accepts a bearer token (`Authorization: Bearer <token>`, `accounts.ApiToken`) or the session of the site; with
the session, every unsafe method (POST) needs the CSRF token (`X-CSRFToken` header). An Authorization header that
does not carry a usable token is a 401 (never a fall back to the session); no credentials at all is a 401.

Conventions (the same as the guichet's API):

- what the caller may see starts from `Application.objects.for_user()` and `Call.objects.visible()`: anything
  outside it is a 404, exactly as if it did not exist;
- the staff-only operations (a decision) are a 404 for anyone else, before a body is read;
- an action the caller is not open to on something they see is a 400 with the reason, never a 403;
- every 400 has the shape of django-ninja's validation errors, `{"detail": [{"type", "loc", "msg"}]}`, with
  `loc` naming the field (`["body", "payload", "amount"]`, `["answers", "impact"]`…; empty when the message is
  about the whole action, e.g. a closed call); a service's `ValidationError` and `NotAllowed` become that 400, and
  its `Stale` a 409, in config/api.py: an endpoint catches one only to name its fields otherwise;
- date-times are ISO 8601 with their offset, in Paris time; amounts are whole euros.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, F, Q
from django.http import HttpRequest
from ninja import Query, Router
from ninja.errors import HttpError
from ninja.responses import Status

from incubateur.accounts.api_auth import api_user, optional_token, token_or_session
from incubateur.accounts.models import ApiToken
from incubateur.core.api import BadRequestOut, ErrorOut, Page, bad_request, from_django
from incubateur.programmes import perms, services
from incubateur.programmes.api.schemas import (
    ApplicationIn,
    ApplicationOut,
    CallDetailOut,
    CallFilters,
    CallList,
    DecisionIn,
    ProgrammeList,
    ResultsOut,
    application_out,
    moment,
)
from incubateur.programmes.models import GRANTED, ApplicantType, Application, Call, Programme
from incubateur.registry.models import Product

router = Router(tags=["programmes"])

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


# --- Lookups ------------------------------------------------------------------------------------------------


def _visible_call(pk: int) -> Call:
    call = Call.objects.visible().select_related("programme").filter(pk=pk).first()
    if call is None:
        raise HttpError(404, f"Appel introuvable : n°{pk}.")
    return call


def _applications(user):
    return Application.objects.for_user(user).select_related("call__programme", "product", "applicant", "decided_by")


def _visibleapplication_out(user, pk: int) -> Application:
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
    items = list(programmes)
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
    now = moment(request)
    calls = Call.objects.visible().select_related("programme").order_by(*CALL_ORDER)
    if filters.programme:
        calls = calls.filter(programme__slug=filters.programme)
    if filters.open is True:
        calls = calls.open(now)
    elif filters.open is False:
        calls = calls.exclude(pk__in=Call.objects.open(now).values("pk"))
    return {
        "items": list(calls[page.offset : page.offset + page.limit]),
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
    return _visible_call(call_id)


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
        "published_at": call.results_published_at,
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
        product = Product.objects.filter(ghid=ghid).first()
        if product is None:
            raise bad_request({"startup": [f"Produit inconnu : « {ghid[:100]} »."]})
    try:
        application = services.application_create(
            call=call,
            user=user,
            product=product,
            applicant_name=payload.applicant_name,
            answers=payload.answers,
            stated_budget=payload.stated_budget,
            amount_requested=payload.amount_requested,
        )
    except DjangoValidationError as exc:
        # The service's `product` is this body's `startup`.
        raise from_django(exc, rename={"product": ("body", "payload", "startup")}) from None
    return Status(201, application_out(_applications(user).get(pk=application.pk), user))


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
    application (a draft, for anyone but its applicant side); 400 with the reason if you see it but may not submit
    it (already submitted)."""
    user = api_user(request)
    application = _visibleapplication_out(user, application_id)
    rename = {q.key: ("answers", q.key) for q in application.call.questions.all()}
    try:
        services.application_submit(application=application, user=user)
    except DjangoValidationError as exc:
        # The answers' messages are `["answers", key]`, the rest `[field]`: not the body's payload.
        raise from_django(exc, where=(), rename=rename) from None
    return application_out(_applications(user).get(pk=application.pk), user)


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
    staff see every submitted one (a draft is a 404 for them, as on their pages); the reviews' scores only when
    theirs to see (blind reviews, conflicts)."""
    user = api_user(request)
    return application_out(_visibleapplication_out(user, application_id), user)


@router.post(
    "/applications/{application_id}/decision",
    response={200: ApplicationOut, 400: BadRequestOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    auth=STAFF_AUTH,
    url_name="programmes_application_decide",
    exclude_unset=True,
    summary="Décider d'une candidature (équipe de l'Incubateur)",
)
def application_decide(request: HttpRequest, application_id: int, payload: DecisionIn):
    """Laureate (with an amount) or not selected (with the reasons), once the call is closed (before, a 400 saying
    when it closes). Without any submitted review, only with `confirm_without_review` (else a 400 on that field).
    The amount respects the cap, the co-financing share of the stated budget and the call's envelope: else a 400
    whose `amount` messages say by how much it overflows. Incubator staff only (404 for anyone else); 400 with the
    reason for a conflict of interest."""
    user = api_user(request)
    application = _visibleapplication_out(user, application_id)
    services.application_decide(
        application=application,
        actor=user,
        decision=payload.decision,
        amount=payload.amount,
        reasons=payload.reasons,
        confirm_without_review=payload.confirm_without_review,
    )
    return application_out(_applications(user).get(pk=application.pk), user)
