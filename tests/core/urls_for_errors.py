"""A URLconf for the error-page tests: the project's routes plus views that fail on purpose."""

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.db import OperationalError
from django.urls import path

from config.urls import handler400, handler403, handler404, handler500, urlpatterns  # noqa: F401


@login_not_required
def boom(request):
    raise RuntimeError("boom")


@login_not_required
def forbidden(request):
    raise PermissionDenied


@login_not_required
def database_gone(request):
    raise OperationalError("database is locked")


urlpatterns = [
    *urlpatterns,
    path("_test/boom", boom),
    path("_test/forbidden", forbidden),
    path("_test/database", database_gone),
]
