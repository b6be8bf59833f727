import sys
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.db import DatabaseError, connection
from django.db.models import Q
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from incubateur.core import services
from incubateur.core.decorators import staff_required
from incubateur.core.middleware import is_database_unavailable, unavailable_response
from incubateur.core.models import (
    JournalEntry,
    Notification,
    NotificationChannel,
    NotificationStatus,
    Visibility,
    WorkerHeartbeat,
)


@login_not_required
@never_cache
@require_safe
def healthz(request):
    payload = {"status": "ok", "database": "ok", "worker": "stale"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        threshold = timezone.now() - timedelta(seconds=settings.WORKER_STALE_AFTER)
        if WorkerHeartbeat.objects.filter(beat_at__gte=threshold).exists():
            payload["worker"] = "ok"
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "error", "worker": "unknown"}, status=503)
    return JsonResponse(payload)


# --- Error pages ---------------------------------------------------------------------------------


@login_not_required
def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


@login_not_required
def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


@login_not_required
def bad_request(request, exception=None):
    return render(request, "400.html", status=400)


@login_not_required
def server_error(request):
    # A database lost after the view (the session's save, in a middleware) is still a 503: retry later.
    if is_database_unavailable(sys.exc_info()[1]):
        return unavailable_response()
    # No request context: a context processor could touch the database that just failed.
    return HttpResponse(render_to_string("500.html"), status=500)


@login_not_required
def csrf_failure(request, reason=""):
    return render(request, "403_csrf.html", status=403)


# --- Staff pages ----------------------------------------------------------------------------------


@staff_required
@require_safe
def journal_list(request):
    entries = JournalEntry.objects.for_user(request.user).select_related("actor", "content_type")
    visibility = request.GET.get("visibilite", "")
    if visibility in Visibility.values:
        entries = entries.filter(visibility=visibility)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "core/journal_list.html",
        {"page_obj": page, "visibility": visibility, "visibility_choices": Visibility.choices},
    )


def _listed_notifications(user):
    """The outbox as a member of the staff may see it: a notification about a confidential request is listed (masked)
    only to its own recipient, who has access to the request; to anyone else, even a masked row (its date, its
    number) would tell that such a request exists (#13)."""
    mine = Q(channel=NotificationChannel.EMAIL, recipient=(user.email or "").strip().lower())
    return Notification.objects.filter(Q(confidential=False) | mine)


@staff_required
@require_safe
def notification_list(request):
    status = request.GET.get("etat", NotificationStatus.FAILED)
    rows = _listed_notifications(request.user)
    if status in NotificationStatus.values:
        rows = rows.filter(status=status)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "core/notification_list.html",
        {"page_obj": page, "status": status, "status_choices": NotificationStatus.choices},
    )


@staff_required
@require_POST
def notification_retry(request, pk: int):
    notification = get_object_or_404(_listed_notifications(request.user), pk=pk)
    services.notification_retry(notification=notification, by=request.user)
    messages.success(request, "La notification sera envoyée de nouveau dans quelques instants.")
    return redirect("core:notifications")
