"""Durable notifications: the outbox (`Notification` rows) and its delivery.

`notify()` writes one row per recipient and channel, and the delivery task row, in the caller's
transaction: the database is the queue, so both commit with the business change or not at all.
The worker runs `deliver()`, which claims the row with a conditional UPDATE (at most one worker
sends it), sends, and records the outcome; a failure is retried with exponential backoff and jitter,
then the row is marked failed and listed for staff, who can retry it.

A message that carries a secret (a login link) is stored without it: the app that owns the secret registers a
renderer for its kind (`register_renderer`), which the worker calls at send time to write the secret in. The
rendered body is sent, never saved, so neither the admin nor any outbox page can show it.
"""

import json
import logging
import random
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from incubateur.core.models import Notification, NotificationChannel, NotificationStatus

logger = logging.getLogger(__name__)

ERASED_BODY = "[contenu effacé après envoi]"


class DeliveryError(Exception):
    """A delivery attempt failed; it may succeed later."""


class Undeliverable(Exception):
    """Raised by a renderer: the message has nothing left to deliver (its secret can no longer be used, e.g. the
    login link was used, superseded or expired). The row is marked expired, not retried."""


# kind → function(notification) → the body to send. Filled by the apps that own secrets (their AppConfig.ready()).
_renderers: dict[str, Callable[[Notification], str]] = {}


def register_renderer(kind: str, renderer: Callable[[Notification], str]) -> None:
    """Have the worker build the body of `kind`'s messages at send time (the stored body keeps the secret out)."""
    _renderers[kind] = renderer


def notify(
    *,
    kind: str,
    subject: str,
    body: str,
    emails: Iterable[str] = (),
    mattermost_channel: str | None = None,
    mattermost_text: str | None = None,
    matrix_room: str | None = None,
    matrix_text: str | None = None,
    sensitive: bool = False,
    expires_at: datetime | None = None,
    confidential: bool = False,
    headers: dict[str, str] | None = None,
    headers_for: Callable[[str], dict[str, str]] | None = None,
) -> list[Notification]:
    """Record notifications in the current transaction and queue their delivery with it.

    `emails`: one e-mail per address. `mattermost_channel`: also post `mattermost_text` (or the
    subject) to that channel through the incoming webhook, when one is configured. `matrix_room`: also send
    `matrix_text` (or the Mattermost text, or the subject) to that Matrix/Tchap room (a room id or alias) through the
    client-server API, when a homeserver and an access token are configured. `confidential`: it concerns something
    confidential (a confidential guichet request): staff lists show neither recipient nor subject, and it never goes
    to Mattermost nor Matrix. `headers`: extra e-mail headers for every address; `headers_for(address)`: more for
    one address (a reply token is per recipient). They replace the defaults of `send_email` (`Auto-Submitted`).
    """
    if confidential and mattermost_channel is not None:
        raise ValueError("A confidential notification never goes to Mattermost.")
    if confidential and matrix_room is not None:
        raise ValueError("A confidential notification never goes to Matrix.")
    if not connection.in_atomic_block:
        raise RuntimeError("notify() must be called inside the transaction of the change it announces.")
    now = timezone.now()
    common = dict(
        kind=kind,
        sensitive=sensitive,
        confidential=confidential,
        expires_at=expires_at,
        created_at=now,
        next_attempt_at=now,
    )
    rows = [
        Notification(
            channel=NotificationChannel.EMAIL,
            recipient=address,
            subject=subject,
            body=body,
            headers=_email_headers(address, headers, headers_for),
            **common,
        )
        for address in dict.fromkeys(a.strip().lower() for a in emails if a and a.strip())
    ]
    if mattermost_channel is not None and settings.MATTERMOST_WEBHOOK_URL:
        rows.append(
            Notification(
                channel=NotificationChannel.MATTERMOST,
                recipient=mattermost_channel or settings.MATTERMOST_DEFAULT_CHANNEL,
                subject=subject,
                body=mattermost_text or subject,
                **common,
            )
        )
    if matrix_room and settings.MATRIX_HOMESERVER_URL and settings.MATRIX_ACCESS_TOKEN:
        rows.append(
            Notification(
                channel=NotificationChannel.MATRIX,
                recipient=matrix_room,
                subject=subject,
                body=matrix_text or mattermost_text or subject,
                **common,
            )
        )
    for row in rows:
        row.save()
        enqueue_delivery(row)
    return rows


# Headers a caller may not set: the transport's own, or the ones that say who sent what to whom.
_RESERVED_HEADERS = {"from", "to", "cc", "bcc", "subject", "date", "message-id", "x-incubateur-notification"}


def _email_headers(address: str, headers: dict | None, headers_for: Callable | None) -> dict[str, str]:
    result = dict(headers or {})
    if headers_for is not None:
        result.update(headers_for(address) or {})
    for name, value in result.items():
        if name.lower() in _RESERVED_HEADERS:
            raise ValueError(f"The header {name} is set by the outbox, not by the caller.")
        if "\n" in str(value) or "\r" in str(value):
            raise ValueError(f"The header {name} holds a line break.")
    return {name: str(value) for name, value in result.items()}


def enqueue_delivery(notification: Notification, *, run_after: datetime | None = None) -> None:
    task = deliver_notification
    if run_after is not None:
        task = task.using(run_after=run_after)
    task.enqueue(notification.pk)


def backoff_delay(attempts: int) -> float:
    """Seconds before the next attempt after `attempts` failed ones: 30 s · 2^(n-1), capped, ±20 % jitter."""
    base = min(settings.NOTIFICATION_BACKOFF_BASE * 2 ** max(attempts - 1, 0), settings.NOTIFICATION_BACKOFF_CAP)
    return base * random.uniform(0.8, 1.2)  # jitter, not security


def _claim(pk: int) -> bool:
    now = timezone.now()
    due = Notification.objects.filter(pk=pk).due(now)
    return bool(due.update(status=NotificationStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1))


def deliver(pk: int) -> str:
    """Attempt the delivery of one notification. Safe to call any number of times, concurrently."""
    if not _claim(pk):
        return "not-due"
    notification = Notification.objects.get(pk=pk)
    now = timezone.now()
    if notification.expires_at and notification.expires_at <= now:
        Notification.objects.filter(pk=pk).update(
            status=NotificationStatus.EXPIRED, body=ERASED_BODY if notification.sensitive else notification.body
        )
        return "expired"
    renderer = _renderers.get(notification.kind)
    try:
        if renderer is not None:
            notification.body = renderer(notification)  # in memory only: the rows are changed by UPDATEs below
        send(notification)
    except Undeliverable:
        Notification.objects.filter(pk=pk).update(
            status=NotificationStatus.EXPIRED, body=ERASED_BODY if notification.sensitive else F("body")
        )
        return "expired"
    except Exception as exc:  # every failure of a peer is recorded and retried
        return _record_failure(notification, exc)
    changes = {"status": NotificationStatus.SENT, "sent_at": timezone.now(), "last_error": ""}
    if notification.sensitive:
        changes["body"] = ERASED_BODY
    Notification.objects.filter(pk=pk, status=NotificationStatus.SENDING).update(**changes)
    return "sent"


@task()
def deliver_notification(notification_id: int) -> str:
    """The worker's task: one delivery attempt (task rows name it `incubateur.core.notifications.…`)."""
    return deliver(notification_id)


def _record_failure(notification: Notification, exc: Exception) -> str:
    error = f"{type(exc).__name__}: {exc}"[:2000]
    logger.warning("Notification %s: attempt %s failed: %s", notification.pk, notification.attempts, error)
    if notification.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
        Notification.objects.filter(pk=notification.pk).update(status=NotificationStatus.FAILED, last_error=error)
        return "failed"
    next_attempt_at = timezone.now() + timedelta(seconds=backoff_delay(notification.attempts))
    with transaction.atomic():
        Notification.objects.filter(pk=notification.pk).update(
            status=NotificationStatus.PENDING, next_attempt_at=next_attempt_at, last_error=error
        )
        enqueue_delivery(notification, run_after=next_attempt_at)
    return "retry"


def retry_now(notification: Notification) -> None:
    """Staff action on a failed (or stuck) notification: one more attempt, now."""
    if not connection.in_atomic_block:
        raise RuntimeError("retry_now() must run inside a transaction.")
    now = timezone.now()
    updated = Notification.objects.filter(
        pk=notification.pk, status__in=[NotificationStatus.FAILED, NotificationStatus.PENDING]
    ).update(
        status=NotificationStatus.PENDING,
        next_attempt_at=now,
        # One more attempt than the budget allows, so a failure goes straight back to "failed".
        attempts=min(notification.attempts, settings.NOTIFICATION_MAX_ATTEMPTS - 1),
    )
    if updated:
        enqueue_delivery(notification)


def sweep(now: datetime | None = None) -> int:
    """Queue again what was left behind: a row whose task was lost, or claimed by a worker that died.

    A row still pending a minute after it fell due has lost its task (the normal path runs it on time).
    Queuing one twice is harmless: only one claim succeeds.
    """
    now = now or timezone.now()
    grace = now - timedelta(seconds=60)
    stale = Notification.objects.due(now).exclude(status=NotificationStatus.PENDING, next_attempt_at__gt=grace)
    count = 0
    for notification in stale.only("pk")[:500]:
        with transaction.atomic():
            enqueue_delivery(notification)
        count += 1
    return count


# --- Channels -------------------------------------------------------------------------------------


def send(notification: Notification) -> None:
    if notification.channel == NotificationChannel.EMAIL:
        send_email(notification)
    elif notification.channel == NotificationChannel.MATTERMOST:
        send_mattermost(notification)
    elif notification.channel == NotificationChannel.MATRIX:
        send_matrix(notification)
    else:  # pragma: no cover - choices guard this
        raise DeliveryError(f"Canal inconnu : {notification.channel}")


def send_email(notification: Notification) -> None:
    message = EmailMessage(
        subject=notification.subject,
        body=notification.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient],
        headers={
            "Auto-Submitted": "auto-generated",
            **(notification.headers or {}),
            "X-Incubateur-Notification": str(notification.pk),
        },
        connection=get_connection(fail_silently=False, timeout=settings.EMAIL_TIMEOUT),
    )
    message.send()


def send_mattermost(notification: Notification) -> None:
    url = settings.MATTERMOST_WEBHOOK_URL
    if not url:
        raise DeliveryError("MATTERMOST_WEBHOOK_URL n'est pas configuré.")
    payload = json.dumps({"text": notification.body, "channel": notification.recipient}).encode()
    request = urllib.request.Request(url, data=payload, headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=settings.MATTERMOST_TIMEOUT) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"Mattermost a répondu {exc.code}") from exc


def matrix_transaction_id(notification: Notification) -> str:
    """The Matrix transaction id of a row: derived from the row alone, so every attempt (a retry after a timeout,
    a second worker after a stale claim) sends the same one and the homeserver keeps a single event."""
    return f"incubateur-notification-{notification.pk}"


def send_matrix(notification: Notification) -> None:
    """`PUT /_matrix/client/v3/rooms/{room}/send/m.room.message/{txnId}` (Matrix client-server API, Tchap too)."""
    homeserver = settings.MATRIX_HOMESERVER_URL.rstrip("/")
    token = settings.MATRIX_ACCESS_TOKEN
    if not homeserver or not token:
        raise DeliveryError("MATRIX_HOMESERVER_URL ou MATRIX_ACCESS_TOKEN n'est pas configuré.")
    room = urllib.parse.quote(notification.recipient, safe="")
    txn = urllib.parse.quote(matrix_transaction_id(notification), safe="")
    url = f"{homeserver}/_matrix/client/v3/rooms/{room}/send/m.room.message/{txn}"
    payload = json.dumps({"msgtype": "m.text", "body": notification.body}).encode()
    request = urllib.request.Request(
        url,
        data=payload,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        method="PUT",
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.MATRIX_TIMEOUT) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"Matrix a répondu {exc.code}") from exc
