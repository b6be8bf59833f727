"""`manage.py db_worker`: django-tasks-db's worker, plus a housekeeping thread.

The thread beats every WORKER_HOUSEKEEPING_INTERVAL seconds: it records that this worker is alive
(`/healthz` reads it), re-queues notifications left behind by a worker that died, and runs the domain apps'
hooks (WORKER_HOUSEKEEPING_HOOKS: the guichet's reminders and auto-close).

A database that is locked longer than the busy timeout (SQLite: a long write by a command) or unreachable
(PostgreSQL restarted) does not end the worker: django-tasks-db's loop lets such an error out when it opens its
claiming transaction, and the worker starts its loop again after a pause (1, 2, 5, 10, then 30 s). Nothing is lost:
a task is claimed in that transaction, so one that was not claimed stays queued.
"""

import logging
import threading
import time

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connections
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks_db.management.commands import db_worker

from incubateur.core import notifications
from incubateur.core.models import WorkerHeartbeat

logger = logging.getLogger(__name__)

RETRY_DELAYS = (1, 2, 5, 10, 30)  # seconds before the worker's loop starts again after a database error
RETRY_RESET = 300  # seconds without an error after which the pauses start from the first again


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
            failures, last_failure = 0, 0.0
            while True:
                try:
                    return super().handle(*args, worker_id=worker_id, batch=batch, **options)
                except DatabaseError as error:
                    if batch:
                        raise
                    if time.monotonic() - last_failure > RETRY_RESET:
                        failures = 0  # an error long after the last one starts the pauses again from the first
                    delay = RETRY_DELAYS[min(failures, len(RETRY_DELAYS) - 1)]
                    failures, last_failure = failures + 1, time.monotonic()
                    logger.warning("Database unavailable (%s): the worker starts again in %s s.", error, delay)
                    connections.close_all()
                    time.sleep(delay)
        finally:
            if thread is not None:
                thread.stopped.set()
