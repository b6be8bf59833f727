import hashlib
import json

from django.core.cache import cache as django_cache
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from ninja import Router, Schema
from ninja.errors import HttpError

from incubateur.core.api import ErrorOut
from incubateur.core.ministries import MINISTRIES
from incubateur.organisation import cache, selectors

router = Router(tags=["organisation"])


# The schemas' names are unique in the whole API: OpenAPI lists them by name (`components.schemas`), and two
# classes with the same name would be one entry there, describing only one of them.
class OrganisationPersonOut(Schema):
    username: str
    fullname: str


class PoleMemberOut(OrganisationPersonOut):
    role: str
    lead: bool


class PoleOut(Schema):
    slug: str
    name: str
    mission: str
    members: list[PoleMemberOut]


class PortfolioOut(Schema):
    label: str
    manager: OrganisationPersonOut | None
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


class ManagerOut(OrganisationPersonOut):
    email: str


class ContactOut(Schema):
    manager: ManagerOut | None
    portfolio: str | None
    explanation: str


def _person(user) -> dict | None:
    if user is None:
        return None
    return {"username": user.username or "", "fullname": user.get_full_name() or user.email}


@router.get("", response=IncubatorOrganisationOut, auth=None, summary="L'organisation de l'Incubateur")
def organisation(request: HttpRequest):
    """Rendered once per organisation version; conditional GET with an ETag."""
    key = cache.key("api:organisation")
    etag = f'"{hashlib.sha256(key.encode()).hexdigest()[:32]}"'
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    else:
        body = django_cache.get(key)
        if body is None:
            data = IncubatorOrganisationOut.model_validate(_organisation_data()).model_dump(mode="json")
            body = json.dumps(data, ensure_ascii=False).encode()
            django_cache.set(key, body, timeout=24 * 3600)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["ETag"] = etag
    response["Cache-Control"] = "public, max-age=60"
    return response


def _organisation_data() -> dict:
    d = selectors.directory()
    dep = d.department
    return {
        "department": dep
        and {
            "name": dep.name,
            "description": dep.description,
            "contact_email": dep.contact_email,
            "mattermost_channel": dep.mattermost_channel,
        },
        "poles": [
            {
                "slug": pole.slug,
                "name": pole.name,
                "mission": pole.mission,
                "members": [{**_person(p.person), "role": p.title, "lead": p.is_lead} for p in pole.current_positions],
            }
            for pole in d.poles
        ],
        "portfolios": [
            {"label": p.label, "manager": _person(p.manager), "ministries": p.ministries, "themes": p.themes}
            for p in d.portfolios
        ],
        "contacts": {
            "email": dep.contact_email if dep else "",
            "mattermost_channel": dep.mattermost_channel if dep else "",
            "channels": [{"label": c.label, "kind": c.kind, "value": c.value, "url": c.url} for c in d.contacts],
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
    manager = found.person
    return {
        "manager": manager and {**_person(manager), "email": manager.email},
        "portfolio": found.portfolio.label if found.portfolio else None,
        "explanation": found.explanation,
    }
