"""Scale-out on PostgreSQL: two gunicorn instances and two `db_worker`s on one database; 200 concurrent
guichet submissions spread over both → exactly 200 requests, and every notification delivered exactly once to a
real SMTP server. PostgreSQL stage only: SQLite is one writer on one machine by design."""

import json
import logging
import os
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from incubateur.accounts.api_auth import api_token_issue
from incubateur.core.models import Notification
from incubateur.guichet.models import Ticket
from tests.factories import UserFactory
from tests.organisation.helpers import load_organisation
from tests.utils import SMTPServer, free_port

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="scale-out needs PostgreSQL (the SQLite stage skips it)"
    ),
    pytest.mark.django_db(transaction=True),
]

ROOT = Path(settings.BASE_DIR)
SUBMISSIONS = 200


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _env(smtp_port: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "MATTERMOST_WEBHOOK_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        DEBUG="0",
        DATABASE_URL=_database_url(),
        DB_POOL="0",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        BASE_URL="http://127.0.0.1",
    )
    return env


def _log(folder: Path, name: str, logs: list):
    """A file for a process's stderr (kept in the test's tmp_path, readable when the test fails)."""
    log = open(folder / f"{name}.log", "w")
    logs.append(log)
    return log


def _wait_for(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"gunicorn on {port} did not start")


def _submit(port: int, token: str, n: int) -> int:
    body = json.dumps({"kind": "autre", "subject": f"Question {n}", "body": "Bonjour"}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/requests",
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Idempotency-Key": f"k{n}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status


def test_two_servers_and_two_workers_lose_nothing_and_send_nothing_twice(tmp_path):
    load_organisation(routing=True)
    requesters = [UserFactory(username=f"membre{n}.charge") for n in range(20)]
    tokens = [api_token_issue(user=user)[1] for user in requesters]
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd: ten lines per message otherwise
    smtp = SMTPServer().start()
    env = _env(smtp.port)
    ports = [free_port(), free_port()]
    processes, logs = [], []
    try:
        for port in ports:
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{port}", "-k", "gthread",
                     "--workers", "2", "--threads", "4", "--log-level", "warning"],
                    cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=_log(tmp_path, f"web-{port}", logs),
                )
            )  # fmt: skip
        for worker_id in ("worker-a", "worker-b"):
            processes.append(
                subprocess.Popen(
                    [sys.executable, "manage.py", "db_worker", "--worker-id", worker_id, "--interval", "0.2"],
                    cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=_log(tmp_path, worker_id, logs),
                )
            )  # fmt: skip
        for port in ports:
            _wait_for(port)

        with ThreadPoolExecutor(max_workers=32) as pool:
            statuses = list(
                pool.map(
                    lambda n: _submit(ports[n % 2], tokens[n % len(tokens)], n),
                    range(SUBMISSIONS),
                )
            )
        assert statuses == [201] * SUBMISSIONS
        assert Ticket.objects.count() == SUBMISSIONS

        expected = Notification.objects.count()
        assert expected >= SUBMISSIONS  # at least the assignee's e-mail for each request
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and Notification.objects.filter(status="sent").count() < expected:
            time.sleep(0.5)
        assert Notification.objects.filter(status="sent").count() == expected
        time.sleep(1)  # a duplicate would arrive now
        subjects = [str(message["Subject"]) for message in smtp.messages]
        assert len(subjects) == expected, "every notification delivered exactly once"
        assert len(set(zip(subjects, (str(m["To"]) for m in smtp.messages), strict=True))) == expected
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in logs:
            log.close()
        smtp.stop()
