"""Operations added to the registry's router (`endpoints.router`): a member's missions (#14).

- `GET /members/{username}/missions`: the member's missions, each with its id, its employer and whether the caller
  may change it (`editable`);
- `POST /members/{username}/missions`: add one;
- `PATCH /missions/{id}`: change one (only the fields sent): extend or shorten it, change its start, status,
  employer or products;
- `DELETE /missions/{id}`: delete one entered by error.

A bearer token or the site's session (with its CSRF token on unsafe methods), as the guichet's operations;
anonymous is a 401. Rights are `registry.perms`, as on the pages: a member or a mission the caller may not change
is a 404, as one that does not exist; a mission the caller may change but not delete is a 400 with the reason.
Every rule of `registry.services.missions` is a 400 naming the field (`["body", "payload", "end"]`…).
"""

import datetime
from typing import Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.errors import HttpError
from ninja.responses import Status

from incubateur.accounts.api_auth import api_user, token_or_session
from incubateur.core.api import BadRequestOut, ErrorOut, bad_request, from_django
from incubateur.registry import perms
from incubateur.registry.api.endpoints import router
from incubateur.registry.models import Member, Mission, MissionProduct, Product
from incubateur.registry.services import missions as services

AUTH = token_or_session()
STATUS = Literal["admin", "independent", "service"]
STATUS_HELP = "admin : agent public ; independent : indépendant ; service : prestataire."
STARTUPS_HELP = "Identifiants des produits (validés par leur incubateur)."
# The services name the products `products`; the API, as beta.gouv.fr, `startups`.
RENAME = {"products": ("body", "payload", "startups")}


class MissionItem(Schema):
    id: int
    start: datetime.date
    end: datetime.date | None
    status: str = Field(description=STATUS_HELP)
    employer: str
    startups: list[str]
    active: bool = Field(description="La mission court aujourd'hui.")
    editable: bool = Field(description="Vous pouvez la modifier (PATCH /missions/{id}).")


class MissionIn(Schema):
    start: datetime.date
    end: datetime.date | None = Field(
        None, description="Hors agents publics, au plus 6 mois après aujourd'hui (sauf équipes d'incubateur)."
    )
    status: STATUS = Field(description=STATUS_HELP)
    employer: str = Field("", max_length=services.EMPLOYER_MAX_LENGTH, description="Jamais publié.")
    startups: list[str] = Field(default_factory=list, description=STARTUPS_HELP)


class MissionPatch(Schema):
    start: datetime.date | None = None
    end: datetime.date | None = Field(None, description="`null` : sans date de fin (agents publics).")
    status: STATUS | None = Field(None, description=STATUS_HELP)
    employer: str | None = Field(None, max_length=services.EMPLOYER_MAX_LENGTH)
    startups: list[str] | None = Field(None, description=STARTUPS_HELP)


ERRORS = {400: BadRequestOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


def _missions():
    return Mission.objects.select_related("member__user").prefetch_related(
        Prefetch("missionproduct_set", queryset=MissionProduct.objects.select_related("product").order_by("order"))
    )


def _member(username: str) -> Member:
    member = Member.objects.select_related("user").filter(username=username).first()
    if member is None:
        raise HttpError(404, f"Membre introuvable : « {username[:100]} ».")
    return member


def _editable(user, pk: int) -> Mission:
    mission = _missions().filter(pk=pk).first()
    if mission is None or not perms.can_edit_mission(user, mission):
        raise HttpError(404, f"Mission introuvable : n°{pk}.")
    return mission


def _products(ghids: list[str]) -> list[Product]:
    """The products named, in that order; a 400 on `startups` naming the unknown ones."""
    found = {p.ghid: p for p in Product.objects.filter(ghid__in=ghids)}
    unknown = [ghid for ghid in ghids if ghid not in found]
    if unknown:
        names = ", ".join(f"« {ghid[:100]} »" for ghid in unknown)
        raise bad_request({"startups": [f"Produit inconnu : {names}."]})
    return [found[ghid] for ghid in ghids]


def _item(mission: Mission, editable: bool) -> MissionItem:
    return MissionItem(
        id=mission.pk,
        start=mission.start,
        end=mission.end,
        status=mission.status,
        employer=mission.employer,
        startups=[link.product.ghid for link in mission.missionproduct_set.all()],
        active=mission.is_running,
        editable=editable,
    )


def _run(call):
    try:
        return call()
    except DjangoValidationError as exc:
        raise from_django(exc, rename=RENAME) from exc


@router.get(
    "/members/{username}/missions",
    response={200: list[MissionItem], 401: ErrorOut, 404: ErrorOut},
    auth=AUTH,
    url_name="registry_member_missions",
    summary="Les missions d'un membre",
)
def member_missions(request: HttpRequest, username: str):
    """Every mission of the member, in their order, with the employer (personal: never on the public pages)."""
    user = api_user(request)
    member = _member(username)
    missions = list(_missions().filter(member=member).order_by("order", "start", "pk"))
    editable = perms.editable_mission_ids(user, missions)
    return [_item(mission, mission.pk in editable) for mission in missions]


@router.post(
    "/members/{username}/missions",
    response={201: MissionItem, **ERRORS},
    auth=AUTH,
    url_name="registry_member_mission_add",
    summary="Ajouter une mission à un membre",
)
def mission_add(request: HttpRequest, username: str, payload: MissionIn):
    """The member themself, the active members of a product the member has been on, the teams of those products'
    incubators, Incubator staff and administrators; 404 for anyone else. Missions may overlap."""
    user = api_user(request)
    member = _member(username)
    if not perms.can_add_mission(user, member):
        raise HttpError(404, f"Membre introuvable : « {username[:100]} ».")
    products = _products(payload.startups)
    mission = _run(
        lambda: services.mission_add(
            member=member,
            by=user,
            start=payload.start,
            end=payload.end,
            status=payload.status,
            employer=payload.employer,
            products=products,
        )
    )
    return Status(201, _item(_missions().get(pk=mission.pk), True))


@router.patch(
    "/missions/{mission_id}",
    response={200: MissionItem, **ERRORS},
    auth=AUTH,
    url_name="registry_mission_update",
    summary="Modifier une mission (prolonger, raccourcir, statut, employeur, produits)",
)
def mission_update(request: HttpRequest, mission_id: int, payload: MissionPatch):
    """Only the fields sent change. 404 for a mission you may not change."""
    user = api_user(request)
    mission = _editable(user, mission_id)
    sent = payload.dict(exclude_unset=True)
    for name in ("start", "status", "employer"):
        if name in sent and sent[name] is None:
            raise bad_request({name: ["Ce champ ne peut pas être vide."]})
    current = [link.product for link in mission.missionproduct_set.all()]
    products = _products(sent["startups"] or []) if "startups" in sent else current
    _run(
        lambda: services.mission_update(
            mission=mission,
            by=user,
            start=sent.get("start", mission.start),
            end=sent["end"] if "end" in sent else mission.end,
            status=sent.get("status", mission.status),
            employer=sent.get("employer", mission.employer),
            products=products,
        )
    )
    return _item(_missions().get(pk=mission.pk), True)


@router.delete(
    "/missions/{mission_id}",
    response={204: None, **ERRORS},
    auth=AUTH,
    url_name="registry_mission_delete",
    summary="Supprimer une mission saisie par erreur",
)
def mission_delete(request: HttpRequest, mission_id: int):
    """A mission that has not started yet, or added on the platform in the last days (administrators: any). 404
    for a mission you may not change; 400 for one you may change but not delete (end it instead)."""
    user = api_user(request)
    mission = _editable(user, mission_id)
    if not perms.can_delete_mission(user, mission):
        raise bad_request(
            {
                "__all__": [
                    "Seule une mission saisie par erreur se supprime : pas encore commencée, ou ajoutée il y a "
                    f"moins de {perms.MISSION_DELETE_DAYS} jours. Une mission qui a eu lieu se termine."
                ]
            }
        )
    services.mission_delete(mission=mission, by=user)
    return Status(204, None)
