"""The JSON API `/api/v1/` (django-ninja). Each app adds its router; OpenAPI at /api/v1/openapi.json."""

from django.urls import URLPattern, URLResolver
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError

api = NinjaAPI(
    title="API de l'Incubateur de services numériques",
    version="1",
    description="Données publiques de l'Incubateur de services numériques (DINUM).",
    urls_namespace="api-v1",
)


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    # Bad input is a 400 with the details of each field (not 422).
    return api.create_response(request, {"detail": exc.errors}, status=400)


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
