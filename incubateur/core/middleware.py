import logging

from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpResponse
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
