"""/api/v1/: the registry (members, products, incubators, organisations) as JSON, with filters and pagination.

Everything is public except personal fields, which need a token (`Authorization: Bearer <token>`, see
`accounts.api_auth`): a member's e-mail address (from the linked account) and the employer of each mission.
Without a token these keys are absent. An Authorization header with an invalid or revoked token is a 401.

The first page of a list read without filters is rendered once per registry version (`registry.cache`, bumped by
every write; and per day, as `active` depends on the date) and served from the cache, unless it holds personal
fields (their accounts are outside the registry's version).
"""

import enum
from datetime import date

from django.core.cache import cache as django_cache
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.renderers import JSONRenderer

from incubateur.accounts.api_auth import has_token, optional_token
from incubateur.core.api import DEFAULT_LIMIT, MAX_LIMIT, BadRequestOut, ErrorOut, Page
from incubateur.core.ministries import MINISTRIES
from incubateur.registry import cache as registry_cache
from incubateur.registry import selectors
from incubateur.registry.enums import ACTIVE_PHASES, Domaine, PhaseName

router = Router(tags=["registre"])

RENDERER = JSONRenderer()  # config/api.py's NinjaAPI uses the default renderer
TOKEN_ONLY = "Avec un jeton d'API seulement (absent sinon)."


def optional_security() -> dict:
    """`openapi_extra` of an operation open to anyone that a token enriches: OpenAPI's empty security requirement
    (`{}`) added to the bearer's says that the token is optional (django-ninja lists the bearer alone)."""
    return {"security": [{}]}


Ministry = enum.Enum("Ministry", {code.replace("-", "_"): code for code in MINISTRIES}, type=str)


# --- Query parameters -------------------------------------------------------------------------------


class StartupFilters(Schema):
    incubator: str | None = Field(None, description="Identifiant d'un de ses incubateurs (principal ou non).")
    phase: PhaseName | None = Field(None, description="Phase actuelle (celle qui a commencé en dernier).")
    ministry: Ministry | None = Field(None, description="Domaine ministériel d'un de ses sponsors.")
    thematique: str | None = Field(None, max_length=200, description="Thématique, sans casse ni accents.")
    active: bool | None = Field(None, description="Phase actuelle active (investigation à consolidation, opérée).")


class MemberFilters(Schema):
    active: bool | None = Field(None, description="Une mission en cours aujourd'hui.")
    incubator: str | None = Field(None, description="Une mission (passée ou en cours) sur un produit de l'incubateur.")
    startup: str | None = Field(None, description="Une mission (passée ou en cours) sur ce produit.")
    domaine: Domaine | None = Field(None, description="Domaine du membre.")


class OrganisationFilters(Schema):
    ministry: Ministry | None = Field(None, description="Domaine ministériel.")


# --- Responses --------------------------------------------------------------------------------------


class OrganisationOut(Schema):
    id: str
    name: str
    acronym: str
    domaine_ministeriel: str
    type: str


class IncubatorOut(Schema):
    id: str
    title: str
    short_description: str
    description: str
    owner: str | None = Field(description="Identifiant de l'organisation porteuse.")
    contact: str
    address: str
    website: str
    github: str
    logo: str
    highlighted_startups: list[str]


class PhaseOut(Schema):
    name: str
    start: date
    end: date | None
    comment: str


class EventOut(Schema):
    name: str
    date: date
    comment: str


class StartupOut(Schema):
    id: str
    name: str
    pitch: str
    description: str = Field(description="Markdown.")
    contact: str
    link: str
    repository: str
    stats_url: str
    budget_url: str
    impact_url: str
    dashlord_url: str
    accessibility_status: str
    analyse_risques: bool | None
    analyse_risques_url: str
    mon_service_securise: bool | None
    thematiques: list[str]
    usertypes: list[str]
    technos: list[str]
    current_phase: str | None
    active: bool
    incubator: str | None = Field(description="Incubateur principal.")
    incubators: list[str] = Field(description="Tous ses incubateurs, le principal en premier.")
    sponsors: list[str]
    contact_dinum: str
    contact_incubator: str
    fast_promotion: int | None
    fast_amount: int | None
    phases: list[PhaseOut]
    events: list[EventOut]


class MissionOut(Schema):
    start: date
    end: date | None
    status: str
    startups: list[str]
    employer: str | None = Field(None, description=TOKEN_ONLY)


class MemberOut(Schema):
    id: str
    fullname: str
    role: str
    domaine: str
    member_type: str
    bio: str = Field(description="Markdown.")
    link: str
    github: str
    avatar: str
    competences: list[str]
    teams: list[str]
    active: bool = Field(description="Une mission en cours aujourd'hui.")
    missions: list[MissionOut]
    email: str | None = Field(None, description=f"Adresse du compte lié au membre. {TOKEN_ONLY}")


class OrganisationList(Schema):
    items: list[OrganisationOut]
    count: int


class IncubatorList(Schema):
    items: list[IncubatorOut]
    count: int


class StartupList(Schema):
    items: list[StartupOut]
    count: int


class MemberList(Schema):
    items: list[MemberOut]
    count: int


def _page(queryset: QuerySet, page: Page, serialise) -> dict:
    return {
        "items": [serialise(obj) for obj in queryset[page.offset : page.offset + page.limit]],
        "count": queryset.count(),
    }


def _cached_page(
    request: HttpRequest, name: str, schema: type[Schema], page: Page, build, **dump
) -> HttpResponse | dict:
    """An unfiltered first page, rendered once per registry version and day, from the shared cache.

    Only the first page of the default or the largest size: a bounded number of entries (one per list and size,
    the version in the value), whatever offsets clients ask for.
    """
    if page.offset != 0 or page.limit not in (DEFAULT_LIMIT, MAX_LIMIT):
        return build()
    tag = registry_cache.key(f"api-v1:{name}:{page.limit}")
    stored_key = f"registry:api-v1:{name}:{page.limit}"
    stored = django_cache.get(stored_key)
    if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == tag:
        body = stored[1]
    else:
        data = schema.model_validate(build()).model_dump(mode="json", by_alias=True, **dump)
        body = RENDERER.render(request, data, response_status=200).encode()
        django_cache.set(stored_key, (tag, body), timeout=None)
    return HttpResponse(body, content_type=f"{RENDERER.media_type}; charset={RENDERER.charset}")


def _unfiltered(filters: Schema) -> bool:
    return all(value is None for value in filters.model_dump().values())


def _strings(values) -> list[str]:
    return [str(v) for v in values or []]


# --- Organisations ----------------------------------------------------------------------------------


def _organisation(o) -> dict:
    return {
        "id": o.ghid,
        "name": o.name,
        "acronym": o.acronym,
        "domaine_ministeriel": o.domaine_ministeriel,
        "type": o.type,
    }


@router.get(
    "/organisations",
    response={200: OrganisationList, 400: BadRequestOut, 401: ErrorOut},
    auth=optional_token,
    openapi_extra=optional_security(),
    url_name="registry_organisations",
    summary="Les organisations (sponsors)",
)
def organisations(request: HttpRequest, page: Query[Page], filters: Query[OrganisationFilters]):
    queryset = selectors.organisations()
    if _unfiltered(filters):
        return _cached_page(
            request, "organisations", OrganisationList, page, lambda: _page(queryset, page, _organisation)
        )
    queryset = queryset.filter(domaine_ministeriel=filters.ministry.value)
    return _page(queryset, page, _organisation)


@router.get(
    "/organisations/{ghid}",
    response={200: OrganisationOut, 401: ErrorOut, 404: ErrorOut},
    auth=optional_token,
    openapi_extra=optional_security(),
    url_name="registry_organisation",
    summary="Une organisation",
)
def organisation(request: HttpRequest, ghid: str):
    found = selectors.organisations().filter(ghid=ghid).first()
    if found is None:
        raise HttpError(404, f"Organisation introuvable : « {ghid[:100]} ».")
    return _organisation(found)


# --- Incubators -------------------------------------------------------------------------------------


def _incubator(i) -> dict:
    return {
        "id": i.ghid,
        "title": i.title,
        "short_description": i.short_description,
        "description": i.description,
        "owner": i.owner.ghid if i.owner else None,
        "contact": i.contact,
        "address": i.address,
        "website": i.website,
        "github": i.github,
        "logo": i.logo,
        "highlighted_startups": _strings(i.highlighted_products),
    }


@router.get(
    "/incubators",
    response={200: IncubatorList, 400: BadRequestOut, 401: ErrorOut},
    auth=optional_token,
    openapi_extra=optional_security(),
    url_name="registry_incubators",
    summary="Les incubateurs",
)
def incubators(request: HttpRequest, page: Query[Page]):
    return _cached_page(
        request, "incubators", IncubatorList, page, lambda: _page(selectors.incubators_for_listing(), page, _incubator)
    )


@router.get(
    "/incubators/{ghid}",
    response={200: IncubatorOut, 401: ErrorOut, 404: ErrorOut},
    auth=optional_token,
    openapi_extra=optional_security(),
    url_name="registry_incubator",
    summary="Un incubateur",
)
def incubator(request: HttpRequest, ghid: str):
    found = selectors.incubators_for_listing().filter(ghid=ghid).first()
    if found is None:
        raise HttpError(404, f"Incubateur introuvable : « {ghid[:100]} ».")
    return _incubator(found)


# --- Products ---------------------------------------------------------------------------------------


def _startup(p) -> dict:
    links = list(p.productincubator_set.all())
    principal = next((link.incubator.ghid for link in links if link.is_principal), None)
    return {
        "id": p.ghid,
        "name": p.name,
        "pitch": p.pitch,
        "description": p.description,
        "contact": p.contact,
        "link": p.link,
        "repository": p.repository,
        "stats_url": p.stats_url,
        "budget_url": p.budget_url,
        "impact_url": p.impact_url,
        "dashlord_url": p.dashlord_url,
        "accessibility_status": p.accessibility_status,
        "analyse_risques": p.analyse_risques,
        "analyse_risques_url": p.analyse_risques_url,
        "mon_service_securise": p.mon_service_securise,
        "thematiques": _strings(p.thematiques),
        "usertypes": _strings(p.usertypes),
        "technos": _strings(p.techno),
        "current_phase": p.current_phase,
        "active": p.current_phase in ACTIVE_PHASES,
        "incubator": principal,
        "incubators": [link.incubator.ghid for link in links],
        "sponsors": [link.organisation.ghid for link in p.productsponsor_set.all()],
        "contact_dinum": p.contact_dinum,
        "contact_incubator": p.contact_incubator,
        "fast_promotion": p.fast_promotion,
        "fast_amount": p.fast_amount,
        "phases": [{"name": x.name, "start": x.start, "end": x.end, "comment": x.comment} for x in p.phases.all()],
        "events": [{"name": e.name, "date": e.date, "comment": e.comment} for e in p.events.all()],
    }


@router.get(
    "/startups",
    response={200: StartupList, 400: BadRequestOut, 401: ErrorOut},
    auth=optional_token,
    openapi_extra=optional_security(),
    url_name="registry_startups",
    summary="Les produits (startups d'État)",
)
def startups(request: HttpRequest, page: Query[Page], filters: Query[StartupFilters]):
    if _unfiltered(filters):
        return _cached_page(
            request, "startups", StartupList, page, lambda: _page(selectors.products_for_listing(), page, _startup)
        )
    queryset = selectors.filter_products(
        selectors.products_for_listing(),
        incubator=filters.incubator,
        phase=filters.phase.value if filters.phase else None,
        ministry=filters.ministry.value if filters.ministry else None,
        thematique=(filters.thematique or "").strip() or None,
        active=filters.active,
    )
    return _page(queryset, page, _startup)


@router.get(
    "/startups/{ghid}",
    response={200: StartupOut, 401: ErrorOut, 404: ErrorOut},
    auth=optional_token,
    openapi_extra=optional_security(),
    url_name="registry_startup",
    summary="Un produit",
)
def startup(request: HttpRequest, ghid: str):
    found = selectors.products_for_listing().filter(ghid=ghid).first()
    if found is None:
        raise HttpError(404, f"Produit introuvable : « {ghid[:100]} ».")
    return _startup(found)


# --- Members ----------------------------------------------------------------------------------------


def _member(m, *, personal: bool, today: date) -> dict:
    missions = []
    for mission in m.missions.all():
        item = {
            "start": mission.start,
            "end": mission.end,
            "status": mission.status,
            "startups": [link.product.ghid for link in mission.missionproduct_set.all()],
        }
        if personal:
            item["employer"] = mission.employer
        missions.append(item)
    member = {
        "id": m.username,
        "fullname": m.fullname,
        "role": m.role,
        "domaine": m.domaine,
        "member_type": m.member_type,
        "bio": m.bio,
        "link": m.link,
        "github": m.github,
        "avatar": m.avatar,
        "competences": _strings(m.competences),
        "teams": [team.ghid for team in m.teams.all()],
        "active": any(x.start <= today and (x.end is None or x.end >= today) for x in m.missions.all()),
        "missions": missions,
    }
    if personal:
        member["email"] = m.user.email if m.user else None
    return member


@router.get(
    "/members",
    response={200: MemberList, 400: BadRequestOut, 401: ErrorOut},
    auth=optional_token,
    openapi_extra=optional_security(),
    url_name="registry_members",
    exclude_unset=True,
    summary="Les membres de la communauté",
    description=f"Champs personnels (`email`, `missions[].employer`) : {TOKEN_ONLY}",
)
def members(request: HttpRequest, page: Query[Page], filters: Query[MemberFilters]):
    queryset = selectors.filter_members(
        selectors.members_for_listing(),
        active=filters.active,
        incubator=filters.incubator,
        startup=filters.startup,
        domaine=filters.domaine.value if filters.domaine else None,
    )
    personal, today = has_token(request), timezone.localdate()

    def build():
        return _page(queryset, page, lambda m: _member(m, personal=personal, today=today))

    if _unfiltered(filters) and not personal:
        return _cached_page(request, "members", MemberList, page, build, exclude_unset=True)
    return build()


@router.get(
    "/members/{username}",
    response={200: MemberOut, 401: ErrorOut, 404: ErrorOut},
    auth=optional_token,
    openapi_extra=optional_security(),
    url_name="registry_member",
    exclude_unset=True,
    summary="Un membre",
    description=f"Champs personnels (`email`, `missions[].employer`) : {TOKEN_ONLY}",
)
def member(request: HttpRequest, username: str):
    found = selectors.members_for_listing().filter(username=username).first()
    if found is None:
        raise HttpError(404, f"Membre introuvable : « {username[:100]} ».")
    return _member(found, personal=has_token(request), today=timezone.localdate())
