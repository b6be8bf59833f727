"""The JSON API `/api/v1/` (django-ninja). Each app adds its router; OpenAPI at /api/v1/openapi.json.

Errors are mapped here, once for every endpoint: bad input (ninja's or a service's `ValidationError`) and a
service's `NotAllowed` are a 400 in the validation errors' shape, a service's `Stale` a 409 with the current version.
Every moment is rendered in Paris time with its offset.
"""

import datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import URLPattern, URLResolver
from django.utils import timezone
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder

from incubateur.core.api import bad_request, from_django
from incubateur.core.errors import NotAllowed, Stale


class ParisJSONEncoder(NinjaJSONEncoder):
    def default(self, o):
        if isinstance(o, datetime.datetime) and timezone.is_aware(o):
            return timezone.localtime(o).isoformat()
        return super().default(o)


class ParisJSONRenderer(JSONRenderer):
    encoder_class = ParisJSONEncoder


class Api(NinjaAPI):
    def get_openapi_operation_id(self, operation) -> str:
        # The same ids since each app's api.py became a package: `incubateur_guichet_api_request_list`.
        module = operation.view_func.__module__.removesuffix(".endpoints")
        return f"{module}_{operation.view_func.__name__}".replace(".", "_")

    def get_openapi_schema(self, *args, **kwargs):
        schema = super().get_openapi_schema(*args, **kwargs)
        document_edge_refusals(schema)
        return schema


BAD_REQUEST_REF = {"$ref": "#/components/schemas/BadRequestOut"}


def document_edge_refusals(schema) -> None:
    """Every operation that reads a query string or a body may answer the house 400 before it runs
    (core.middleware.HostileInputMiddleware: a NUL character, a lone surrogate, a body over the limit): say so."""
    if "BadRequestOut" not in schema.get("components", {}).get("schemas", {}):
        return
    for operations in schema["paths"].values():
        for operation in operations.values():
            reads_input = "requestBody" in operation or any(
                parameter["in"] == "query" for parameter in operation.get("parameters", [])
            )
            if not reads_input:
                continue
            responses = operation["responses"]
            documented = responses.get(400)
            if documented is None:
                responses[400] = {
                    "description": "Bad Request",
                    "content": {"application/json": {"schema": dict(BAD_REQUEST_REF)}},
                }
                continue
            content = documented.setdefault("content", {}).setdefault("application/json", {})
            current = content.get("schema")
            if current is not None and current != BAD_REQUEST_REF and "anyOf" not in current:
                content["schema"] = {"anyOf": [current, dict(BAD_REQUEST_REF)]}


api = Api(
    title="API de l'Incubateur de services numériques",
    version="1",
    description="Données publiques de l'Incubateur de services numériques (DINUM). Les dates et heures sont en "
    "ISO 8601, heure de Paris, avec leur décalage.",
    urls_namespace="api-v1",
    renderer=ParisJSONRenderer(),
)


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    # Bad input is a 400 with the details of each field (not 422).
    return api.create_response(request, {"detail": exc.errors}, status=400)


@api.exception_handler(DjangoValidationError)
def service_validation_error(request, exc: DjangoValidationError):
    # A service refused the input: the same 400 as a validation error, `loc` naming the body's field.
    return validation_error(request, from_django(exc))


@api.exception_handler(NotAllowed)
def not_allowed(request, exc: NotAllowed):
    return validation_error(request, bad_request({exc.field or "__all__": [str(exc)]}))


@api.exception_handler(Stale)
def stale(request, exc: Stale):
    return api.create_response(request, {"detail": str(exc), "version": exc.version}, status=409)


UNPARSABLE_BODY = "Cannot parse request body"  # django-ninja's HttpError(400) for a body that is not JSON


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    if exc.status_code == 400 and str(exc).startswith(UNPARSABLE_BODY):
        # A 400 like every other bad input: in the shape of the validation errors, `loc` naming the body.
        detail = [{"type": "json_invalid", "loc": ["body"], "msg": "Le corps de la requête n'est pas du JSON valide."}]
        return api.create_response(request, {"detail": detail}, status=400)
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


api.add_router("/organisation", "incubateur.organisation.api.router")
api.add_router("", "incubateur.registry.api.router")
api.add_router("", "incubateur.guichet.api.router")
api.add_router("", "incubateur.programmes.api.router")
api.add_router("", "incubateur.portfolios.api.router")
api.add_router("", "incubateur.recruitment.api.router")
api.add_router("", "incubateur.transparency.api.router")


def _open(patterns):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            _open(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            # The API is not behind LoginRequiredMiddleware: each operation declares its own `auth`.
            pattern.callback.login_required = False


def urls():
    patterns, app_name, namespace = api.urls
    _open(patterns)
    return patterns, app_name, namespace
