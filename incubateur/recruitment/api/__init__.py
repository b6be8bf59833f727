"""/api/v1/jobs: job and mission posts (#16).

Reading: anyone gets the public posts; a member (a bearer token or the site's session) also gets the posts in their
community window, and the drafts and posts they may edit by id. A post that is no longer open (filled, closed, past
its date) is a 410 by id; one outside the caller's scope a 404. Writing (token or session, CSRF with the session):
the same rules as the pages (`recruitment.perms`); a refusal is a 400 with details, a post one may not edit a 404.
"""

import datetime

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status as Answer

from incubateur.accounts.api_auth import api_user, optional_token, token_or_session
from incubateur.accounts.models import ApiToken
from incubateur.core.api import BadRequestOut, ErrorOut, Page, bad_request, when
from incubateur.organisation.models import Pole
from incubateur.recruitment import selectors, services
from incubateur.recruitment.models import Contract, JobPost, Kind, Status, Workplace
from incubateur.registry.models import Product

router = Router(tags=["recrutement"])

AUTH = token_or_session()
GONE = "Ce poste n'est plus ouvert."
NOT_FOUND = "Introuvable."


def _reader(request: HttpRequest):
    """The reader of a public operation (`auth=None`): the token's account when an Authorization header is sent
    (an unusable one is a 401, as everywhere), else the session's user (anonymous included)."""
    found = optional_token(request)
    return found.user if isinstance(found, ApiToken) else request.user


class JobOut(Schema):
    id: int
    url: str
    title: str
    kind: Kind
    contracting_body: str
    startup: str | None = Field(description="Le produit (identifiant beta.gouv.fr), sinon null.")
    pole: str | None = Field(description="Le pôle de l'Incubateur (identifiant), sinon null.")
    domaines: list[str]
    technos: list[str]
    junior: bool
    contract: str
    place: str
    workplace: str
    description: str
    contacts: list[str]
    apply_url: str
    community_from: datetime.date
    public_from: datetime.date
    unpublish_on: datetime.date
    status: Status
    published_at: str | None
    prolonged: bool

    @staticmethod
    def resolve_url(post):
        return f"/recrutement/{post.pk}/"

    @staticmethod
    def resolve_startup(post):
        return post.product.ghid if post.product_id else None

    @staticmethod
    def resolve_pole(post):
        return post.pole.slug if post.pole_id else None

    @staticmethod
    def resolve_contacts(post):
        return post.contact_lines

    @staticmethod
    def resolve_published_at(post):
        return when(post.published_at)

    @staticmethod
    def resolve_prolonged(post):
        return post.prolonged_at is not None


class JobList(Schema):
    items: list[JobOut]
    count: int


class JobIn(Schema):
    title: str = Field(max_length=200)
    kind: Kind
    description: str
    community_from: datetime.date
    startup: str | None = Field(None, description="Le produit (identifiant) ; ou `pole`.")
    pole: str | None = Field(None, description="Le pôle de l'Incubateur (identifiant) ; ou `startup`.")
    contracting_body: str = ""
    domaines: list[str] = []
    technos: list[str] = []
    junior: bool = False
    contract: Contract | None = None
    place: str = ""
    workplace: Workplace | None = None
    contacts: list[str] = []
    apply_url: str = ""
    public_from: datetime.date | None = None
    unpublish_on: datetime.date | None = None
    draft: bool = False


class JobPatch(Schema):
    title: str | None = Field(None, max_length=200)
    kind: Kind | None = None
    description: str | None = None
    contracting_body: str | None = None
    domaines: list[str] | None = None
    technos: list[str] | None = None
    junior: bool | None = None
    contract: Contract | None = None
    place: str | None = None
    workplace: Workplace | None = None
    contacts: list[str] | None = None
    apply_url: str | None = None
    community_from: datetime.date | None = None
    public_from: datetime.date | None = None
    unpublish_on: datetime.date | None = None
    publish: bool = False


class CloseIn(Schema):
    status: str = Field(description="« pourvu » ou « ferme ».")


def _values(payload: Schema, *, exclude: set[str]) -> dict:
    values = payload.dict(exclude_unset=True, exclude=exclude)
    if "contacts" in values:
        values["contacts"] = "\n".join(line.strip() for line in values["contacts"] or [] if line.strip())
    for key in ("contract", "workplace"):
        if key in values:
            values[key] = values[key] or ""
    return {key: value for key, value in values.items() if value is not None or key in ("contract", "workplace")}


def _editable(user, job_id: int) -> JobPost:
    post = JobPost.objects.editable_by(user).select_related("product", "pole").filter(pk=job_id).first()
    if post is None:
        raise HttpError(404, NOT_FOUND)
    return post


@router.get(
    "/jobs",
    response={200: JobList, 400: BadRequestOut, 401: ErrorOut},
    auth=None,
    url_name="recruitment_jobs",
    summary="Les annonces ouvertes",
)
def job_list(request: HttpRequest, page: Query[Page]):
    """The open posts: public ones; for a member, those in the community window too."""
    posts = selectors.listed(_reader(request))
    return {"items": list(posts[page.offset : page.offset + page.limit]), "count": posts.count()}


@router.get(
    "/jobs/{job_id}",
    response={200: JobOut, 400: BadRequestOut, 401: ErrorOut, 404: ErrorOut, 410: ErrorOut},
    auth=None,
    url_name="recruitment_job",
    summary="Une annonce",
)
def job_detail(request: HttpRequest, job_id: int):
    post = JobPost.objects.visible_to(_reader(request)).select_related("product", "pole").filter(pk=job_id).first()
    if post is None:
        raise HttpError(404, NOT_FOUND)
    if post.is_gone():
        raise HttpError(410, GONE)
    return post


@router.post(
    "/jobs",
    response={201: JobOut, 400: BadRequestOut, 401: ErrorOut, 403: ErrorOut},
    auth=AUTH,
    url_name="recruitment_job_create",
    summary="Publier une annonce",
)
def job_create(request: HttpRequest, payload: JobIn):
    """For a product (`startup`: its active members, staff) or a pole of the Incubator (`pole`: staff)."""
    user = api_user(request)
    errors: dict[str, list[str]] = {}
    product = pole = None
    if payload.startup:
        product = Product.objects.filter(ghid=payload.startup).first()
        if product is None:
            errors["startup"] = [f"Produit inconnu : {payload.startup}."]
    if payload.pole:
        pole = Pole.objects.filter(slug=payload.pole).first()
        if pole is None:
            errors["pole"] = [f"Pôle inconnu : {payload.pole}."]
    if errors:
        raise bad_request(errors)
    values = _values(payload, exclude={"startup", "pole"})
    post = services.post_create(by=user, product=product, pole=pole, **values)
    return Answer(201, JobPost.objects.select_related("product", "pole").get(pk=post.pk))


@router.patch(
    "/jobs/{job_id}",
    response={200: JobOut, 400: BadRequestOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    auth=AUTH,
    url_name="recruitment_job_update",
    summary="Modifier une annonce",
)
def job_update(request: HttpRequest, job_id: int, payload: JobPatch):
    user = api_user(request)
    post = _editable(user, job_id)
    values = _values(payload, exclude={"publish"})
    services.post_update(post=post, by=user, publish=payload.publish, **values)
    return JobPost.objects.select_related("product", "pole").get(pk=post.pk)


@router.post(
    "/jobs/{job_id}/close",
    response={200: JobOut, 400: BadRequestOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    auth=AUTH,
    url_name="recruitment_job_close",
    summary="Fermer une annonce",
)
def job_close(request: HttpRequest, job_id: int, payload: CloseIn):
    user = api_user(request)
    post = _editable(user, job_id)
    services.post_close(post=post, by=user, status=payload.status)
    return JobPost.objects.select_related("product", "pole").get(pk=post.pk)
