from django_tasks import task

from incubateur.core import notifications


@task()
def deliver_notification(notification_id: int) -> str:
    return notifications.deliver(notification_id)
