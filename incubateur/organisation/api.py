import hashlib
import json

from django.core.cache import cache as django_cache
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from ninja import Router, Schema
from ninja.errors import HttpError

from incubateur.core.api import ErrorOut, PersonOut, stamp_key
from incubateur.core.ministries import MINISTRIES
from incubateur.organisation import cache, selectors

router = Router(tags=["organisation"])


# The schemas' names are unique in the whole API: OpenAPI lists them by name (`components.schemas`), and two
# classes with the same name would be one entry there, describing only one of them.
class PoleMemberOut(PersonOut):
    """A current position, read from the `Position`: its person as `PersonOut` reads an account, its role."""

    role: str
    lead: bool

    @staticmethod
    def resolve_username(position) -> str | None:
        return PersonOut.resolve_username(position.person)

    @staticmethod
    def resolve_fullname(position) -> str:
        return PersonOut.resolve_fullname(position.person)

    @staticmethod
    def resolve_role(position) -> str:
        return position.title

    @staticmethod
    def resolve_lead(position) -> bool:
        return position.is_lead


class PoleOut(Schema):
    slug: str
    name: str
    mission: str
    members: list[PoleMemberOut]

    @staticmethod
    def resolve_members(pole) -> list:
        return pole.current_positions  # Pole.objects.with_current_positions()


class PortfolioOut(Schema):
    label: str
    manager: PersonOut | None
    ministries: list[str]
    themes: list[str]


class DepartmentOut(Schema):
    name: str
    description: str
    contact_email: str
    mattermost_channel: str


class ContactChannelOut(Schema):
    label: str
    kind: str
    value: str
    url: str


class ContactsOut(Schema):
    email: str
    mattermost_channel: str
    channels: list[ContactChannelOut]


class IncubatorOrganisationOut(Schema):
    department: DepartmentOut | None
    poles: list[PoleOut]
    portfolios: list[PortfolioOut]
    contacts: ContactsOut


class SearchItem(Schema):
    username: str
    fullname: str
    role: str
    pole: str


class SearchOut(Schema):
    items: list[SearchItem]


class ManagerOut(PersonOut):
    email: str


class ContactOut(Schema):
    manager: ManagerOut | None
    portfolio: str | None
    explanation: str


# The last body served by this process, with its versioned key and its ETag: one entry.
_last_body: dict[str, tuple[str, str, bytes]] = {}


@router.get("", response=IncubatorOrganisationOut, auth=None, summary="L'organisation de l'Incubateur")
def organisation(request: HttpRequest):
    """Rendered once per organisation version; conditional GET with an ETag. The process keeps the last body next
    to its key (which holds the version) and ETag: a hit reads only the stamp's version, from the disk when
    core/published.py vouches for it (`core.api.stamp_key`: no query; else one)."""
    key = stamp_key(cache.stamp, "api:organisation")
    kept = _last_body.get("organisation")
    if kept is not None and kept[0] != key:
        kept = None
    etag = kept[1] if kept is not None else f'"{hashlib.sha256(key.encode()).hexdigest()[:32]}"'
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    else:
        if kept is None:
            body = django_cache.get(key)
            if body is None:
                data = IncubatorOrganisationOut.model_validate(_organisation_data()).model_dump(mode="json")
                body = json.dumps(data, ensure_ascii=False).encode()
                django_cache.set(key, body, timeout=24 * 3600)
            kept = _last_body["organisation"] = (key, etag, body)
        response = HttpResponse(kept[2], content_type="application/json; charset=utf-8")
    response["ETag"] = etag
    response["Cache-Control"] = "public, max-age=60"
    return response


def _organisation_data() -> dict:
    d = selectors.directory()
    dep = d.department
    return {
        "department": dep,
        "poles": d.poles,
        "portfolios": d.portfolios,
        "contacts": {
            "email": dep.contact_email if dep else "",
            "mattermost_channel": dep.mattermost_channel if dep else "",
            "channels": d.contacts,
        },
    }


@router.get("/search", response=SearchOut, auth=None, summary="Rechercher dans l'organisation")
def search(request: HttpRequest, q: str = ""):
    hits = selectors.search(q[:100])
    return {"items": [{"username": h.username, "fullname": h.fullname, "role": h.role, "pole": h.pole} for h in hits]}


@router.get(
    "/contact",
    response={200: ContactOut, 400: ErrorOut},
    auth=None,
    summary="Qui contacter pour un ministère ou une thématique",
)
def contact(request: HttpRequest, ministry: str = "", theme: str = ""):
    ministry = ministry.strip()
    if ministry and ministry not in MINISTRIES:
        raise HttpError(400, f"Ministère inconnu : « {ministry[:50]} ». Codes possibles : {', '.join(MINISTRIES)}.")
    found = selectors.contact_for(
        ministries=[ministry] if ministry else [], themes=[theme.strip()[:100]] if theme.strip() else []
    )
    return {
        "manager": found.person,
        "portfolio": found.portfolio.label if found.portfolio else None,
        "explanation": found.explanation,
    }
