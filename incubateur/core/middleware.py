import json
import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpResponse, JsonResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.template.loader import render_to_string

from incubateur.core.errors import NotAllowed

logger = logging.getLogger(__name__)


class DatabaseUnavailableMiddleware:
    """Answer 503 quickly, with a page that needs no database, when the database cannot be reached or is locked.
    The transaction of the request has rolled back: nothing was half-written.

    Also the one place where a service's `NotAllowed` becomes a page's 404 (the API maps it in config/api.py).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_database_unavailable(exception):
            logger.error("Database unavailable: %s", exception)
            return unavailable_response()
        if isinstance(exception, NotAllowed):
            # A page never says more than "not found" about what is outside a person's scope.
            raise Http404(str(exception)) from exception
        return None


def is_database_unavailable(exception) -> bool:
    return isinstance(exception, OperationalError | InterfaceError)


def unavailable_response() -> HttpResponse:
    """The 503 page, rendered without the database."""
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = "30"
    return response


# --- Hostile input --------------------------------------------------------------------------------------------------

# No text of the platform may hold these: PostgreSQL refuses NUL in text, and a lone surrogate (`"\ud800"` in JSON)
# cannot be encoded in UTF-8 for any database, template or e-mail.
FORBIDDEN_CHARACTERS = re.compile("[\x00\ud800-\udfff]")
# Answers under this prefix are JSON, in the shape of the API's other 400s (config/api.py, core/api.py).
JSON_PATH_PREFIX = "/api/"
FORM_CONTENT_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}

FORBIDDEN_MESSAGE = "Ce texte contient un caractère refusé : caractère nul ou demi-paire de substitution isolée."
TOO_LARGE_MESSAGE = "Le corps de la requête dépasse la taille maximale acceptée ({size})."
TOO_MANY_MESSAGE = "La requête contient trop de champs."
UNREADABLE_MESSAGE = "Le corps de la requête n'a pas pu être lu."


@dataclass(frozen=True)
class Refusal:
    type: str
    loc: tuple
    msg: str
    status: int = 400


class HostileInputMiddleware:
    """Refuse at the edge, with the house 400, what no page nor endpoint can store or show:

    - a NUL character or a lone surrogate in the query string, form data or a JSON body (decoded: keys and values at
      any depth); in the path, a 404 (no page nor object has such a name);
    - a body over `DATA_UPLOAD_MAX_MEMORY_SIZE` (the limit is the whole body's), but for a multipart form posted to
      a page that takes files (under `UPLOAD_PATH_PREFIXES`: #18's attachments), whose limit is
      `UPLOAD_MAX_BODY_SIZE` (its fields still count against `DATA_UPLOAD_MAX_MEMORY_SIZE`, which Django's multipart
      parser applies to them; files are streamed to disk); too many fields, or a body Django cannot parse.

    Django raises the body's errors lazily, wherever `request.POST` or `request.body` is first read (CSRF's
    `process_view`, the view, django-ninja): reading them here, before any `process_view` and view, is the one place
    they are caught. The API (`/api/`) answers JSON (`{"detail": [{"type", "loc", "msg"}]}`, `loc` starting with
    `query`, `form` or `body`), the pages the DSFR 400 page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            refusal = hostile_input(request)
        except RequestDataTooBig:
            refusal = Refusal("body_too_large", ("body",), TOO_LARGE_MESSAGE.format(size=_body_limit()))
        except UploadTooBig:
            refusal = Refusal("body_too_large", ("body",), TOO_LARGE_MESSAGE.format(size=_body_limit(upload=True)))
        except (TooManyFieldsSent, TooManyFilesSent):
            refusal = Refusal("too_many_fields", (), TOO_MANY_MESSAGE)
        except (MultiPartParserError, BadRequest):
            refusal = Refusal("body_invalid", ("body",), UNREADABLE_MESSAGE)
        if refusal is None:
            return self.get_response(request)
        # Never the input itself in the log: only where it was refused.
        logger.warning("Input refused: %s at %s (%s %r)", refusal.type, refusal.loc, request.method, request.path[:99])
        return refused_response(request, refusal)


def hostile_input(request) -> Refusal | None:
    """The first thing in the request's input the platform refuses, or None."""
    if FORBIDDEN_CHARACTERS.search(request.path_info):
        # No page nor object has such a name: not found, as for any other unknown address.
        return Refusal("not_found", ("path",), "Not Found", status=404)
    refusal = _in_query_dict(request.GET, "query")
    if refusal is not None:
        return refusal
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return Refusal("body_invalid", ("body",), UNREADABLE_MESSAGE)
    if length <= 0:
        return None
    if _is_upload(request):
        # Not `request.body`: it would hold the files in memory (and refuse them over DATA_UPLOAD_MAX_MEMORY_SIZE).
        if length > _upload_limit():
            raise UploadTooBig
        return _in_query_dict(request.POST, "form")
    body = request.body  # RequestDataTooBig over the limit, before anything is parsed
    if request.content_type in FORM_CONTENT_TYPES:
        if request.method == "POST":
            return _in_query_dict(request.POST, "form")
        if request.content_type == "application/x-www-form-urlencoded":
            return _in_query_dict(QueryDict(body, encoding=request.encoding), "form")
        return None
    try:
        # As django-ninja reads a body, whatever its content type.
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None  # not JSON: the view refuses it in its own words
    return _in_json(data)


class UploadTooBig(Exception):
    """A page's multipart form over `UPLOAD_MAX_BODY_SIZE`."""


def _upload_limit() -> int:
    return getattr(settings, "UPLOAD_MAX_BODY_SIZE", None) or settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def _is_upload(request) -> bool:
    """A form that may carry files (multipart POST to a page that takes files): the one body read as a stream."""
    return (
        request.method == "POST"
        and request.content_type == "multipart/form-data"
        and request.path_info.startswith(tuple(getattr(settings, "UPLOAD_PATH_PREFIXES", ())))
        and not request.path_info.startswith(JSON_PATH_PREFIX)
    )


def _in_query_dict(data: QueryDict, where: str) -> Refusal | None:
    for key, values in data.lists():
        if FORBIDDEN_CHARACTERS.search(key):
            return Refusal("string_unicode", (where,), FORBIDDEN_MESSAGE)  # the name is not repeated
        if any(FORBIDDEN_CHARACTERS.search(value) for value in values):
            return Refusal("string_unicode", (where, key), FORBIDDEN_MESSAGE)
    return None


def _in_json(data) -> Refusal | None:
    """Walks the decoded JSON without recursion (a deep document must not exhaust the stack)."""
    stack = [((), data)]
    while stack:
        loc, value = stack.pop()
        if isinstance(value, str):
            if FORBIDDEN_CHARACTERS.search(value):
                return Refusal("string_unicode", ("body", *loc), FORBIDDEN_MESSAGE)
        elif isinstance(value, dict):
            for key, item in value.items():
                if FORBIDDEN_CHARACTERS.search(key):
                    return Refusal("string_unicode", ("body", *loc), FORBIDDEN_MESSAGE)
                stack.append(((*loc, key), item))
        elif isinstance(value, list):
            stack.extend(((*loc, index), item) for index, item in enumerate(value))
    return None


def _body_limit(*, upload: bool = False) -> str:
    """The limit as people write it: « 2,6 Mo »."""
    limit = _upload_limit() if upload else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return f"{limit / 1_000_000:.1f} Mo".replace(".", ",")


def refused_response(request, refusal: Refusal) -> HttpResponse:
    """The house answer: the API's JSON (django-ninja's 404, the validation errors' 400), or the DSFR page."""
    api = request.path_info.startswith(JSON_PATH_PREFIX)
    if refusal.status == 404:
        return _json({"detail": refusal.msg}, status=404) if api else render(request, "404.html", status=404)
    if api:
        return _json({"detail": [{"type": refusal.type, "loc": list(refusal.loc), "msg": refusal.msg}]}, status=400)
    return render(request, "400.html", {"reason": refusal.msg}, status=400)


def _json(data, *, status: int) -> JsonResponse:
    return JsonResponse(data, status=status, content_type="application/json; charset=utf-8")  # as django-ninja's
