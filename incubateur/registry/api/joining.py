"""Joining (#14) in the API, on the registry's router (`endpoints.router`): propose a member or a product (it awaits
its incubator's validation), and validate or refuse one. Token or session (CSRF) auth; the same permissions and
services as the pages: a proposal outside one's rights is a 400 naming the field, a review outside one's scope a 404.
"""

import datetime
from typing import Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Schema
from ninja.errors import HttpError
from ninja.responses import Status as Answer

from incubateur.accounts.api_auth import api_user, token_or_session
from incubateur.core.api import BadRequestOut, ErrorOut, bad_request, when
from incubateur.registry import perms
from incubateur.registry.api.endpoints import router
from incubateur.registry.models import Incubator, Member, Organisation, Product, Review
from incubateur.registry.services import joining

AUTH = token_or_session()
NOT_FOUND = "Introuvable."


class MemberProposeIn(Schema):
    first_name: str = Field(..., description="Prénom", max_length=150)
    last_name: str = Field(..., description="Nom", max_length=150)
    email: str = Field(..., description="Adresse e-mail : le compte est créé inactif jusqu'à la validation")
    domaine: str = Field(..., description="Domaine (`Développement`, `Design`, `Produit`…)")
    role: str = Field(..., description="Rôle", max_length=300)
    startup: str = Field(..., description="Identifiant du produit de la première mission")
    start: datetime.date = Field(..., description="Début de la mission")
    end: datetime.date | None = Field(None, description="Fin de la mission")
    status: str = Field(..., description="Statut : `admin` (agent public), `independent` ou `service`")
    employer: str = Field("", description="Employeur (jamais publié)", max_length=300)


class ProductProposeIn(Schema):
    name: str = Field(..., description="Nom du produit", max_length=300)
    pitch: str = Field(..., description="Mission, en une ou deux phrases")
    incubator: str = Field(..., description="Identifiant de l'incubateur")
    sponsors: list[str] = Field(default_factory=list, description="Identifiants des organisations sponsors")
    phase: str = Field("investigation", description="Première phase")
    phase_start: datetime.date | None = Field(None, description="Début de la première phase (aujourd'hui si absent)")


class ValidationDecisionIn(Schema):
    decision: Literal["valider", "refuser"]
    reason: str = Field("", description="Motif : obligatoire pour un refus (la personne qui a proposé le reçoit)")


class ValidationOut(Schema):
    id: str = Field(..., description="Identifiant du membre ou du produit")
    name: str
    review_state: str = Field(..., description="`en_attente`, `valide` ou `refuse`")
    requested_at: str | None
    decision: str = Field(..., description="`valider`, `refuser` ou vide tant qu'aucune décision n'est prise")
    decided_at: str | None
    escalated_at: str | None


def _out(review: Review) -> dict:
    target = review.member or review.product
    return {
        "id": review.member.username if review.member_id else review.product.ghid,
        "name": review.member.fullname if review.member_id else review.product.name,
        "review_state": target.review_state,
        "requested_at": when(review.requested_at),
        "decision": review.decision,
        "decided_at": when(review.decided_at),
        "escalated_at": when(review.escalated_at),
    }


def _review_in_scope(user, review: Review | None) -> Review:
    if review is None or not perms.can_review(user, review):
        raise HttpError(404, NOT_FOUND)
    return review


RESPONSES = {201: ValidationOut, 400: BadRequestOut, 401: ErrorOut, 403: ErrorOut}
DECIDE_RESPONSES = {200: ValidationOut, 400: BadRequestOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


@router.post(
    "/members", response=RESPONSES, auth=AUTH, url_name="registry_member_propose", summary="Proposer un membre"
)
def member_propose(request: HttpRequest, payload: MemberProposeIn):
    """A newcomer on a product's team (an active member of the product, a member of a team of its incubator, staff):
    an inactive account and a fiche « en attente de validation » until a member of a team of the product's incubator
    validates it. 400 with the field for each problem (an address that already has an account, a mission's dates…)."""
    user = api_user(request)
    product = Product.objects.filter(ghid=payload.startup).first()
    if product is None:
        raise bad_request({"startup": [f"Produit inconnu : « {payload.startup[:100]} »."]})
    if not perms.can_propose_member(user, product):
        raise bad_request({"startup": ["Vous ne pouvez pas ajouter de membre à ce produit."]})
    data = payload.model_dump(exclude={"startup"})
    member = joining.member_propose(by=user, product=product, **data)
    return Answer(201, _out(Review.objects.select_related("member", "product").get(member=member)))


@router.post(
    "/members/{username}/validation",
    response=DECIDE_RESPONSES,
    auth=AUTH,
    url_name="registry_member_validation",
    summary="Valider ou refuser l'arrivée d'un membre",
)
def member_validation(request: HttpRequest, username: str, payload: ValidationDecisionIn):
    """For a member of a team of the incubator(s) concerned; Incubator staff once the review is escalated (2 working
    days without a decision); administrators. 404 outside that scope; 409 once decided."""
    user = api_user(request)
    member = Member.objects.filter(username=username).first()
    review = Review.objects.select_related("member", "product").filter(member=member).first() if member else None
    review = joining.review_decide(
        review=_review_in_scope(user, review), by=user, decision=payload.decision, reason=payload.reason
    )
    return _out(review)


@router.post(
    "/startups", response=RESPONSES, auth=AUTH, url_name="registry_startup_propose", summary="Proposer un produit"
)
def startup_propose(request: HttpRequest, payload: ProductProposeIn):
    """A new product (any member of the community): absent from every public list until a member of a team of its
    incubator validates it."""
    user = api_user(request)
    errors: dict[str, list[str]] = {}
    incubator = Incubator.objects.filter(ghid=payload.incubator).first()
    if incubator is None:
        errors["incubator"] = [f"Incubateur inconnu : « {payload.incubator[:100]} »."]
    found = {o.ghid: o for o in Organisation.objects.filter(ghid__in=payload.sponsors)}
    if unknown := [ghid for ghid in payload.sponsors if ghid not in found]:
        errors["sponsors"] = ["Organisation inconnue : " + ", ".join(f"« {ghid[:100]} »" for ghid in unknown) + "."]
    if errors:
        raise bad_request(errors)
    product = joining.product_propose(
        by=user,
        name=payload.name,
        pitch=payload.pitch,
        incubator=incubator,
        sponsors=[found[ghid] for ghid in payload.sponsors],
        phase=payload.phase,
        phase_start=payload.phase_start or timezone.localdate(),
    )
    return Answer(201, _out(Review.objects.select_related("member", "product").get(product=product)))


@router.post(
    "/startups/{ghid}/validation",
    response=DECIDE_RESPONSES,
    auth=AUTH,
    url_name="registry_startup_validation",
    summary="Valider ou refuser un nouveau produit",
)
def startup_validation(request: HttpRequest, ghid: str, payload: ValidationDecisionIn):
    """For a member of a team of the product's incubator(s); Incubator staff once escalated; administrators. 404
    outside that scope; 409 once decided."""
    user = api_user(request)
    product = Product.objects.filter(ghid=ghid).first()
    review = Review.objects.select_related("member", "product").filter(product=product).first() if product else None
    review = joining.review_decide(
        review=_review_in_scope(user, review), by=user, decision=payload.decision, reason=payload.reason
    )
    return _out(review)
