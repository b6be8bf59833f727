"""`manage.py db_worker`: django-tasks-db's worker, plus a housekeeping thread.

The thread beats every WORKER_HOUSEKEEPING_INTERVAL seconds: it records that this worker is alive
(`/healthz` reads it), re-queues notifications left behind by a worker that died, and runs the domain apps'
hooks (WORKER_HOUSEKEEPING_HOOKS: the guichet's reminders and auto-close).
"""

import logging
import threading

from django.conf import settings
from django.db import close_old_connections, connections
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks_db.management.commands import db_worker

from incubateur.core import notifications
from incubateur.core.models import WorkerHeartbeat

logger = logging.getLogger(__name__)


def housekeeping(worker_id: str) -> None:
    WorkerHeartbeat.objects.update_or_create(worker_id=worker_id, defaults={"beat_at": timezone.now()})
    requeued = notifications.sweep()
    if requeued:
        logger.info("Housekeeping re-queued %s notification(s).", requeued)
    # The domain apps' periodic chores (WORKER_HOUSEKEEPING_HOOKS): core names them, never imports them.
    for path in settings.WORKER_HOUSEKEEPING_HOOKS:
        try:
            import_string(path)()
        except Exception:  # one failing hook must not stop the heartbeat or the others
            logger.exception("Housekeeping hook %s failed", path)


class HousekeepingThread(threading.Thread):
    def __init__(self, worker_id: str, interval: float):
        super().__init__(name="housekeeping", daemon=True)
        self.worker_id = worker_id
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                close_old_connections()
                housekeeping(self.worker_id)
            except Exception:  # a failed beat is logged and tried again
                logger.exception("Housekeeping failed")
            finally:
                connections.close_all()
            self.stopped.wait(self.interval)


class Command(db_worker.Command):
    help = "Run the task worker (django-tasks-db) with the heartbeat and the notification sweep."

    def handle(self, *args, worker_id: str, batch: bool, **options):
        thread = None
        if not batch:
            thread = HousekeepingThread(worker_id, settings.WORKER_HOUSEKEEPING_INTERVAL)
            thread.start()
        try:
            return super().handle(*args, worker_id=worker_id, batch=batch, **options)
        finally:
            if thread is not None:
                thread.stopped.set()
