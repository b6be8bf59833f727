"""Test helpers shared by every app's tests."""

import json
import socket
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult, get_date_max

from incubateur.accounts.api_auth import api_token_issue
from incubateur.core.models import Notification, NotificationStatus


def analyse() -> None:
    """Give PostgreSQL's planner the statistics of data a test loaded in its own transaction (autovacuum never sees
    uncommitted rows; ANALYZE counts the current transaction's). Without them a module that imports the whole sample
    then crawls its pages plans nested loops over thousands of rows: seconds per query. SQLite: nothing to do."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fast_forward() -> None:
    """Make what is scheduled for later due now, as if the time had passed (retries, backoff)."""
    now = timezone.now()
    DBTaskResult.objects.filter(status="READY", run_after__gt=now, run_after__lt=get_date_max()).update(run_after=now)
    Notification.objects.filter(status=NotificationStatus.PENDING, next_attempt_at__gt=now).update(next_attempt_at=now)


def run_tasks(*, limit: int = 100) -> int:
    """Run the tasks that are ready, as `manage.py db_worker --batch` does, inside the test's transaction.

    Returns the number of tasks run.
    """
    worker = db_worker.Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    count = 0
    for _ in range(limit):
        task_result = DBTaskResult.objects.ready().filter(backend_name="default").first()
        if task_result is None:
            break
        task_result.claim(worker.worker_id)
        worker.run_task(task_result)
        count += 1
    return count


def later(**kwargs) -> datetime:
    return timezone.now() + timezone.timedelta(**kwargs)


# The real beta.gouv.fr content, read in place: the team's sample in `../shared` beside the checkout (every team
# machine and CI), else the public tree fetched by `make sample` (a sparse clone of the beta.gouv.fr repository:
# its `content/` folder). Without either, the tests that read it skip (tests/conftest.py: `sample_needed`).
ROOT = Path(__file__).resolve().parents[1]
SHARED_SAMPLE = ROOT.parent / "shared" / "data" / "betagouv-content-sample"
FETCHED_SAMPLE = ROOT / "var" / "betagouv-content" / "content"
SAMPLE = next((path for path in (SHARED_SAMPLE, FETCHED_SAMPLE) if path.is_dir()), SHARED_SAMPLE)
SAMPLE_MISSING = "beta.gouv.fr sample missing: run `make sample`"


# --- A real SMTP server --------------------------------------------------------------------------


@dataclass
class SMTPRecorder:
    """aiosmtpd handler that keeps what it receives, or refuses it with a given reply."""

    messages: list[EmailMessage] = field(default_factory=list)
    reply: str | None = None  # e.g. "421 Service not available": refuse every message

    async def handle_DATA(self, server, session, envelope):
        if self.reply:
            return self.reply
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


class SMTPServer:
    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.handler = SMTPRecorder()
        self.controller = None

    @property
    def messages(self) -> list[EmailMessage]:
        return self.handler.messages

    def start(self):
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


API = "/api/v1"


class Caller:
    """An API client authenticated with a bearer token of `user` (or anonymous)."""

    def __init__(self, user=None):
        self.client = Client()
        self.headers = {}
        if user is not None:
            _, secret = api_token_issue(user=user, name="tests")
            self.headers["Authorization"] = f"Bearer {secret}"

    def get(self, path, params=None, **headers):
        return self.client.get(f"{API}{path}", params or {}, headers={**self.headers, **headers})

    def post(self, path, data=None, **headers):
        body = json.dumps(data) if data is not None else ""
        return self.client.post(
            f"{API}{path}", body, content_type="application/json", headers={**self.headers, **headers}
        )
