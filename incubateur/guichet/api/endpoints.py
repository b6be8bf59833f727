"""/api/v1/ of the guichet: requests ("demandes"), their messages and status, offers of help.

Authentication: a bearer token (`Authorization: Bearer <token>`, `accounts.ApiToken`) or the session of the
site. With the session, every unsafe method (POST) needs the CSRF token (`X-CSRFToken` header), as a form
would. An Authorization header that does not carry a usable token is a 401 (never a fall back to the session);
no credentials at all is a 401 on every operation.

Conventions, the same on every operation:

- what the caller may see starts from `Ticket.objects.for_user()` / `Offer.objects.for_user()`: anything
  outside it is a 404, exactly as if it did not exist (a confidential request included);
- a request is named by its random `reference` (`G-7K3Q-M2XR`) in the paths and the answers, never by its
  sequential id, which would tell that confidential requests were made between two one sees (#13);
- the staff-only operation (`POST /offers`) is a 404 for anyone else, before its body is read;
- an action the caller is not open to on something they see (a requester writing an internal note, a staff
  member accepting an offer made to a team) is a 400 with the reason, never a 403;
- every 400 has the shape of django-ninja's validation errors: `{"detail": [{"type", "loc", "msg"}]}`, with
  `loc` naming the field (`["body", "payload", "recipient"]`, `["query", "status"]`…);
- a status change with a `version` older than the request's is a 409 with the current version;
- a 403 means one thing only: a session request without its CSRF token;
- `POST /requests` with an `Idempotency-Key` already used by the same caller creates nothing and answers 200 with
  the request the first call created (201 is for a request created by this call).
"""

from typing import Annotated

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse
from ninja import Path, Query, Router
from ninja.errors import HttpError
from ninja.params.functions import Header
from ninja.responses import Status as Answer  # `Status` is the requests' life cycle here

from incubateur.accounts.api_auth import api_user, token_or_session
from incubateur.core.api import BadRequestOut, ErrorOut, Page, bad_request, from_django
from incubateur.core.errors import Stale
from incubateur.guichet import perms, services
from incubateur.guichet.api import rows
from incubateur.guichet.api.schemas import (
    IDEMPOTENCY_HELP,
    ConflictOut,
    DeclineIn,
    MessageIn,
    MessageOut,
    OfferFilters,
    OfferIn,
    OfferList,
    OfferOut,
    RequestDetailOut,
    RequestFilters,
    RequestIn,
    RequestList,
    RequestOut,
    StatusIn,
)
from incubateur.guichet.models import Channel, Message, Offer, Participant, Read, Ticket
from incubateur.registry.models import Product

router = Router(tags=["guichet"])

# A request is named by its reference in the paths, never by its (sequential) id.
RequestReference = Annotated[str, Path(description="La référence de la demande (ex. G-7K3Q-M2XR).")]

AUTH = token_or_session()  # a token or the session
STAFF_AUTH = token_or_session(staff_only=True)


# --- Lookups --------------------------------------------------------------------------------------------


def _tickets(user):
    return Ticket.objects.for_user(user).select_related("product", "requester", "assignee")


def _visible_ticket(user, reference: str) -> Ticket:
    """The request named by its reference (`request_id` in the paths): an id, as any other text, names none."""
    ticket = _tickets(user).named(reference).first()
    if ticket is None:
        raise HttpError(404, f"Demande introuvable : {reference[:20]}.")
    return ticket


def _offers(user):
    # The accepted offer's request: only its reference is read.
    return Offer.objects.for_user(user).select_related("product", "offered_by", "decided_by", "ticket")


def _visible_offer(user, pk: int) -> Offer:
    offer = _offers(user).filter(pk=pk).first()
    if offer is None:
        raise HttpError(404, f"Offre d'aide introuvable : n°{pk}.")
    return offer


def _product(ghid: str, errors: dict, field: str = "startup"):
    """The product with this ghid, or None with the field's message added to `errors`."""
    product = Product.objects.filter(ghid=ghid).first()
    if product is None:
        errors[field] = [f"Produit inconnu : « {ghid[:100]} »."]
    return product


def _staff_member(username: str, errors: dict, field: str = "recipient"):
    """A member of the Incubator by username, or None with the field's message added to `errors`. Anyone else is
    "unknown" alike: the answer says nothing of who has an account."""
    user = get_user_model().objects.filter(username=username, is_incubator_staff=True, is_active=True).first()
    if user is None:
        errors[field] = [f"Aucune personne de l'Incubateur n'a l'identifiant « {username[:100]} »."]
    return user


# --- Requests -------------------------------------------------------------------------------------------


@router.post(
    "/requests",
    response={200: RequestOut, 201: RequestOut, 400: BadRequestOut, 401: ErrorOut, 403: ErrorOut},
    auth=AUTH,
    url_name="guichet_request_create",
    summary="Déposer une demande",
)
def request_create(
    request: HttpRequest,
    payload: RequestIn,
    idempotency_key: Annotated[str | None, Header(None, alias="Idempotency-Key", description=IDEMPOTENCY_HELP)] = None,
):
    """Open a request, routed by the routing table (`routing_reason` says why its assignee).

    201: the request was created. 200: a replay (same `Idempotency-Key`, same caller) — the request the first
    call created, unchanged, and nothing created (the body of the replay is not read again).
    """
    user = api_user(request)
    key = (idempotency_key or "").strip() or None
    if key is not None and len(key) > services.IDEMPOTENCY_KEY_MAX:
        raise bad_request(
            {"Idempotency-Key": [f"La clé fait {len(key)} caractères : {services.IDEMPOTENCY_KEY_MAX} au plus."]},
            where=("header",),
        )
    if key is not None:
        # A replay answers before anything of its body is looked up (the service checks again, for races).
        replayed = _tickets(user).filter(requester=user, idempotency_key=key).first()
        if replayed is not None:
            return Answer(200, replayed)
    errors: dict[str, list[str]] = {}
    product = recipient = None
    if (payload.startup or "").strip():
        product = _product(payload.startup.strip(), errors)
    if (payload.recipient or "").strip():
        recipient = _staff_member(payload.recipient.strip(), errors)
    if errors:
        raise bad_request(errors)
    ticket = services.ticket_submit(
        requester=user,
        kind=payload.kind,
        topic=payload.topic.strip(),
        subject=payload.subject,
        body=payload.body,
        product=product,
        ministry=(payload.ministry or "").strip(),
        recipient=recipient,
        confidential=payload.confidential,
        channel=Channel.API,
        idempotency_key=key,
    )
    replayed = getattr(ticket, "replayed", False)
    return Answer(200 if replayed else 201, _tickets(user).get(pk=ticket.pk))


@router.get(
    "/requests",
    response={200: RequestList, 400: BadRequestOut, 401: ErrorOut},
    auth=AUTH,
    url_name="guichet_requests",
    summary="Les demandes que vous pouvez voir",
)
def request_list(request: HttpRequest, page: Query[Page], filters: Query[RequestFilters]):
    """Your requests; for the Incubator's staff, every request but the confidential ones of others. A
    confidential request is listed and counted only for its requester and the people it was given to.

    Newest first. Read the following pages with `next` (`after`: a cursor, the same cost on every page); `offset`
    still works but costs more the further it goes. `count` is counted up to 1,000 (`count_capped` beyond)."""
    user = api_user(request)
    tickets = Ticket.objects.for_user(user)
    if filters.status:
        tickets = tickets.filter(status=filters.status)
    if filters.kind:
        tickets = tickets.filter(kind=filters.kind)
    if filters.mine:
        tickets = tickets.requester_side(user)
    after = None
    if filters.after:
        after = rows.decode_after(filters.after)
        if after is None:
            raise bad_request({"after": ["Curseur invalide : reprenez la liste depuis le début."]}, where=("query",))
    items, more = rows.page_rows(tickets, after=after, offset=page.offset, limit=page.limit)
    count, capped = rows.bounded_count(tickets)
    next_url = None
    if more:
        last = items[-1]
        query = request.GET.copy()
        query.pop("offset", None)
        query["after"] = rows.encode_after(last[rows.COLUMNS.index("created_at")], last[0])
        next_url = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
    # Trusted output, written once (rows.py); its equality with RequestList's rendering is tested.
    body = rows.rows_json(items, count=count, capped=capped, next_url=next_url)
    return HttpResponse(body, content_type="application/json; charset=utf-8")


@router.get(
    "/requests/{request_id}",
    response={200: RequestDetailOut, 400: BadRequestOut, 401: ErrorOut, 404: ErrorOut},
    auth=AUTH,
    url_name="guichet_request",
    summary="Une demande et ses messages",
)
def request_detail(request: HttpRequest, request_id: RequestReference):
    """The request with the messages you may read (internal notes only for the people who handle it). A
    confidential request also lists who has access to it and who read it; reading it is recorded (except by its
    requester)."""
    user = api_user(request)
    ticket = _visible_ticket(user, request_id)
    services.ticket_read(ticket=ticket, user=user)
    # The caller's part of the request, read by RequestDetailOut.
    notes = perms.can_write_internal_note(user, ticket)
    thread = Message.objects.filter(ticket=ticket).visible(include_internal=notes)
    ticket.thread = list(thread.select_related("author"))
    ticket.allowed_statuses = ticket.next_statuses(
        handler=perms.can_handle(user, ticket), requester=perms.is_requester_side(user, ticket)
    )
    ticket.people_with_access = ticket.read_by = None
    if ticket.confidential:
        participants = Participant.objects.filter(ticket=ticket).select_related("user")
        ticket.people_with_access = [p.user.username for p in participants]
    if perms.can_see_reads(user, ticket):
        ticket.read_by = list(Read.objects.filter(ticket=ticket).select_related("user"))
    return ticket


@router.post(
    "/requests/{request_id}/messages",
    response={201: MessageOut, 400: BadRequestOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    auth=AUTH,
    url_name="guichet_request_message",
    summary="Répondre à une demande, ou y ajouter une note interne",
)
def request_message(request: HttpRequest, request_id: RequestReference, payload: MessageIn):
    """A reply (e-mailed to the other side) or, with `"internal": true`, an internal note (for the people who
    handle the request only). 404 if you cannot see the request; 400 with the reason if you see it but may not
    write this (an internal note from the requester's side, a reply to a closed request)."""
    user = api_user(request)
    ticket = _visible_ticket(user, request_id)
    message = services.ticket_reply(ticket=ticket, author=user, body=payload.body, internal=payload.internal)
    return Answer(201, message)


@router.post(
    "/requests/{request_id}/status",
    response={200: RequestOut, 400: BadRequestOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ConflictOut},
    auth=AUTH,
    url_name="guichet_request_status",
    summary="Changer le statut d'une demande",
)
def request_status(request: HttpRequest, request_id: RequestReference, payload: StatusIn):
    """The handlers move a request along (pris-en-charge, en-attente-demandeur, resolu, clos); its requester may
    say it is settled (resolu) or reopen it. 400 for a change not open to you from the current status; 409 when
    `version` is not the request's current version (someone changed it since you read it)."""
    user = api_user(request)
    ticket = _visible_ticket(user, request_id)
    try:
        services.ticket_status_set(ticket=ticket, actor=user, status=payload.status, version=payload.version)
    except services.StaleTicket as exc:
        # The same 409, in the API's words: they name the version the caller sent (the pages' words do not).
        raise Stale(
            f"La demande a été modifiée depuis la version {payload.version} que vous avez lue (version actuelle : "
            f"{exc.version}). Relisez-la, puis recommencez si le changement a encore lieu d'être.",
            version=exc.version,
        ) from None
    return _tickets(user).get(pk=ticket.pk)


# --- Offers of help -------------------------------------------------------------------------------------


@router.post(
    "/offers",
    response={201: OfferOut, 400: BadRequestOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    auth=STAFF_AUTH,
    url_name="guichet_offer_create",
    summary="Proposer de l'aide à l'équipe d'un produit (équipe de l'Incubateur)",
)
def offer_create(request: HttpRequest, payload: OfferIn):
    """Nothing happens until a member of the product's active team accepts: no request, no task, no access.
    Incubator staff only (404 for anyone else)."""
    user = api_user(request)
    errors: dict[str, list[str]] = {}
    product = _product(payload.startup.strip(), errors)
    if errors:
        raise bad_request(errors)
    offer = services.offer_propose(offered_by=user, product=product, topic=payload.topic, message=payload.message)
    return Answer(201, _offers(user).get(pk=offer.pk))


@router.get(
    "/offers",
    response={200: OfferList, 400: BadRequestOut, 401: ErrorOut},
    auth=AUTH,
    url_name="guichet_offers",
    summary="Les offres d'aide que vous pouvez voir",
)
def offer_list(request: HttpRequest, page: Query[Page], filters: Query[OfferFilters]):
    """Incubator staff: every offer. A member: the offers made to the products whose active team they are in."""
    offers = _offers(api_user(request))
    if filters.status:
        offers = offers.filter(status=filters.status)
    return {"items": list(offers[page.offset : page.offset + page.limit]), "count": offers.count()}


@router.get(
    "/offers/{offer_id}",
    response={200: OfferOut, 400: BadRequestOut, 401: ErrorOut, 404: ErrorOut},
    auth=AUTH,
    url_name="guichet_offer",
    summary="Une offre d'aide",
)
def offer_detail(request: HttpRequest, offer_id: int):
    return _visible_offer(api_user(request), offer_id)


def _decide(request: HttpRequest, offer_id: int, decide) -> Offer:
    user = api_user(request)
    offer = _visible_offer(user, offer_id)
    try:
        decide(offer, user)
    except DjangoValidationError as exc:
        # `loc` ["offer"], not the body's: {"offer": ["Cette offre a déjà été acceptée."]} is about the path's offer.
        raise from_django(exc, where=()) from None
    return _offers(user).get(pk=offer.pk)


@router.post(
    "/offers/{offer_id}/accept",
    response={200: OfferOut, 400: BadRequestOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    auth=AUTH,
    url_name="guichet_offer_accept",
    summary="Accepter une offre d'aide (l'équipe active du produit)",
)
def offer_accept(request: HttpRequest, offer_id: int):
    """The offer becomes a request owned by the team (`request`), handled by the person who offered. Only a member
    of the product's active team decides: 404 if you cannot see the offer, 400 if you see it but do not decide
    (the Incubator's staff) or if it was already decided."""
    return _decide(request, offer_id, lambda offer, user: services.offer_accept(offer=offer, member_user=user))


@router.post(
    "/offers/{offer_id}/decline",
    response={200: OfferOut, 400: BadRequestOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    auth=AUTH,
    url_name="guichet_offer_decline",
    summary="Décliner une offre d'aide (l'équipe active du produit)",
)
def offer_decline(request: HttpRequest, offer_id: int, payload: DeclineIn | None = None):
    """Decline, with an optional reason (the person who offered is told). The same rules as accepting."""
    reason = payload.reason if payload is not None else ""
    return _decide(
        request, offer_id, lambda offer, user: services.offer_decline(offer=offer, member_user=user, reason=reason)
    )
