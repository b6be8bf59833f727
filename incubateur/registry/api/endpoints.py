"""/api/v1/: the registry (members, products, incubators, organisations) as JSON, with filters and pagination.

Everything is public except personal fields, which need a token (`Authorization: Bearer <token>`, see
`accounts.api_auth`): a member's e-mail address (from the linked account) and the employer of each mission.
Without a token these keys are absent. An Authorization header with an invalid or revoked token is a 401.

The first page of a list read without filters is rendered once per registry version (`registry.cache`, bumped by
every write; and per day, as `active` depends on the date) and served from the cache, unless it holds personal
fields (their accounts are outside the registry's version). Each process also keeps the last body of each list
and size next to its tag: a hit decodes no stored blob and reads only the registry's version, from the disk when
core/published.py vouches for it (`core.api.stamp_key`: no query; else one); the tag holds the stamp's version, so
a body is never served after a write has moved it.
"""

import functools
from collections.abc import Callable
from datetime import date

from django.core.cache import cache as django_cache
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from ninja.renderers import JSONRenderer

from incubateur.accounts.api_auth import has_token, optional_token
from incubateur.core.api import DEFAULT_LIMIT, MAX_LIMIT, BadRequestOut, ErrorOut, Page, stamp_key
from incubateur.registry import cache as registry_cache
from incubateur.registry import selectors
from incubateur.registry.api.schemas import (
    TOKEN_ONLY,
    IncubatorList,
    IncubatorOut,
    MemberFilters,
    MemberList,
    MemberOut,
    OrganisationFilters,
    OrganisationList,
    OrganisationOut,
    StartupFilters,
    StartupList,
    StartupOut,
    strings,
)

router = Router(tags=["registre"])

# The registry's API has dates but no datetime: the default renderer gives the same bytes as config/api.py's.
RENDERER = JSONRenderer()


def optional_security() -> dict:
    """`openapi_extra` of an operation open to anyone that a token enriches: OpenAPI's empty security requirement
    (`{}`) added to the bearer's says that the token is optional (django-ninja lists the bearer alone)."""
    return {"security": [{}]}


def _read(path: str, schema: type[Schema], errors: dict, **options):
    """An operation open to anyone; a token adds the personal fields (an invalid one is a 401)."""
    return router.get(
        path, response={200: schema, **errors}, auth=optional_token, openapi_extra=optional_security(), **options
    )


def _list(path: str, schema: type[Schema], **options):
    """A list operation: paginated, 400 on bad parameters."""
    return _read(path, schema, {400: BadRequestOut, 401: ErrorOut}, **options)


def _detail(path: str, schema: type[Schema], **options):
    """A one-row operation: 404 for an unknown identifier."""
    return _read(path, schema, {401: ErrorOut, 404: ErrorOut}, **options)


def _found(queryset: QuerySet, what: str, **lookup):
    """The row of `queryset` matching the one `lookup`, or a 404 naming what was asked for."""
    [value] = lookup.values()
    found = queryset.filter(**lookup).first()
    if found is None:
        raise HttpError(404, f"{what} introuvable : « {value[:100]} ».")
    return found


# The last body of each cached list and size in this process, with its tag: (name, limit) → (tag, body). Bounded
# by construction: one entry per list and size.
_bodies: dict[str, tuple[str, bytes]] = {}


def _page(queryset: QuerySet, page: Page, serialise=None) -> dict:
    """One page of rows, each given to `serialise` if any (else its Schema reads the row itself)."""
    rows = queryset[page.offset : page.offset + page.limit]
    return {"items": [serialise(obj) for obj in rows] if serialise else list(rows), "count": queryset.count()}


def _cached_page(
    request: HttpRequest, name: str, schema: type[Schema], page: Page, build, **dump
) -> HttpResponse | dict:
    """An unfiltered first page, rendered once per registry version and day, from the shared cache.

    Only the first page of the default or the largest size: a bounded number of entries (one per list and size,
    the version in the value), whatever offsets clients ask for.
    """
    if page.offset != 0 or page.limit not in (DEFAULT_LIMIT, MAX_LIMIT):
        return build()
    tag = stamp_key(registry_cache.stamp, f"api-v1:{name}:{page.limit}")
    stored_key = f"registry:api-v1:{name}:{page.limit}"
    stored = _bodies.get(stored_key)
    if stored is None or stored[0] != tag:
        stored = django_cache.get(stored_key)
        if not (isinstance(stored, tuple) and len(stored) == 2 and stored[0] == tag):
            data = schema.model_validate(build()).model_dump(mode="json", by_alias=True, **dump)
            stored = (tag, RENDERER.render(request, data, response_status=200).encode())
            django_cache.set(stored_key, stored, timeout=None)
        _bodies[stored_key] = stored
    body = stored[1]
    return HttpResponse(body, content_type=f"{RENDERER.media_type}; charset={RENDERER.charset}")


def _respond(
    request: HttpRequest,
    name: str,
    schema: type[Schema],
    page: Page,
    queryset: Callable[[], QuerySet],
    serialise=None,
    *,
    cached: bool,
    **dump,
) -> HttpResponse | dict:
    """One page of `queryset()`; from the cache when `cached` (an unfiltered list without personal fields), dumped
    with `dump` (the options of the operation's response, e.g. `exclude_unset`). The queryset is built only when
    the page is (a hit builds none)."""

    def build():
        return _page(queryset(), page, serialise)

    if cached:
        return _cached_page(request, name, schema, page, build, **dump)
    return build()


def _unfiltered(filters: Schema) -> bool:
    return all(value is None for value in filters.model_dump().values())


# --- Organisations ----------------------------------------------------------------------------------


@_list("/organisations", OrganisationList, url_name="registry_organisations", summary="Les organisations (sponsors)")
def organisations(request: HttpRequest, page: Query[Page], filters: Query[OrganisationFilters]):
    cached = _unfiltered(filters)

    def queryset():
        found = selectors.organisations()
        return found if cached else found.filter(domaine_ministeriel=filters.ministry.value)

    return _respond(request, "organisations", OrganisationList, page, queryset, cached=cached)


@_detail("/organisations/{ghid}", OrganisationOut, url_name="registry_organisation", summary="Une organisation")
def organisation(request: HttpRequest, ghid: str):
    return _found(selectors.organisations(), "Organisation", ghid=ghid)


# --- Incubators -------------------------------------------------------------------------------------


@_list("/incubators", IncubatorList, url_name="registry_incubators", summary="Les incubateurs")
def incubators(request: HttpRequest, page: Query[Page]):
    return _respond(request, "incubators", IncubatorList, page, selectors.incubators_for_listing, cached=True)


@_detail("/incubators/{ghid}", IncubatorOut, url_name="registry_incubator", summary="Un incubateur")
def incubator(request: HttpRequest, ghid: str):
    return _found(selectors.incubators_for_listing(), "Incubateur", ghid=ghid)


# --- Products ---------------------------------------------------------------------------------------


@_list("/startups", StartupList, url_name="registry_startups", summary="Les produits (startups d'État)")
def startups(request: HttpRequest, page: Query[Page], filters: Query[StartupFilters]):
    cached = _unfiltered(filters)

    def queryset():
        if cached:
            return selectors.products_for_listing()
        return selectors.filter_products(
            selectors.products_for_listing(),
            incubator=filters.incubator,
            phase=filters.phase.value if filters.phase else None,
            ministry=filters.ministry.value if filters.ministry else None,
            thematique=(filters.thematique or "").strip() or None,
            active=filters.active,
        )

    return _respond(request, "startups", StartupList, page, queryset, cached=cached)


@_detail("/startups/{ghid}", StartupOut, url_name="registry_startup", summary="Un produit")
def startup(request: HttpRequest, ghid: str):
    return _found(selectors.products_for_listing(), "Produit", ghid=ghid)


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
        "competences": strings(m.competences),
        "teams": [team.ghid for team in m.teams.all()],
        "active": any(x.start <= today and (x.end is None or x.end >= today) for x in m.missions.all()),
        "missions": missions,
    }
    if personal:
        member["email"] = m.user.email if m.user else None
    return member


PERSONAL_FIELDS = f"Champs personnels (`email`, `missions[].employer`) : {TOKEN_ONLY}"


@_list(
    "/members",
    MemberList,
    url_name="registry_members",
    exclude_unset=True,
    summary="Les membres de la communauté",
    description=PERSONAL_FIELDS,
)
def members(request: HttpRequest, page: Query[Page], filters: Query[MemberFilters]):

    def queryset():
        return selectors.filter_members(
            selectors.members_for_listing(),
            active=filters.active,
            incubator=filters.incubator,
            startup=filters.startup,
            domaine=filters.domaine.value if filters.domaine else None,
        )

    personal, today = has_token(request), timezone.localdate()
    serialise = functools.partial(_member, personal=personal, today=today)
    cached = _unfiltered(filters) and not personal
    return _respond(request, "members", MemberList, page, queryset, serialise, cached=cached, exclude_unset=True)


@_detail(
    "/members/{username}",
    MemberOut,
    url_name="registry_member",
    exclude_unset=True,
    summary="Un membre",
    description=PERSONAL_FIELDS,
)
def member(request: HttpRequest, username: str):
    found = _found(selectors.members_for_listing(), "Membre", username=username)
    return _member(found, personal=has_token(request), today=timezone.localdate())
