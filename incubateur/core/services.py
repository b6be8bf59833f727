"""Write use cases of the core app. Each one is atomic, writes its journal row and queues its side effects."""

from django.db import transaction

from incubateur.core import journal, notifications
from incubateur.core.models import Notification, Visibility


@transaction.atomic
def notification_retry(*, notification: Notification, by) -> None:
    notifications.retry_now(notification)
    journal.record(
        actor=by,
        action="notification.retry",
        message=f"Nouvel envoi demandé pour la notification n° {notification.pk} ({notification.recipient})",
        visibility=Visibility.INTERNAL,
        obj=notification,
    )
