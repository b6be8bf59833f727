"""Fault injection: a slow SMTP server, a slow webhook, a worker killed in the middle of a delivery,
SQLite locked by another writer, PostgreSQL restarted while clients write.

Already covered, not repeated here (tests/core/test_notifications.py): SMTP down then back
(test_a_notification_survives_an_smtp_server_that_is_down_for_its_first_attempts); 421 and 451
(test_temporary_smtp_refusals_are_retried); Mattermost 500 and 429
(test_mattermost_errors_are_retried_until_it_answers);
the first attempt of a Mattermost timeout (test_a_mattermost_timeout_is_retried); failed and listed after the last
attempt (test_after_the_last_attempt_the_notification_is_failed_and_listed_for_staff); a stale claim swept, simulated
in-process (test_a_delivery_claimed_by_a_worker_that_died_is_swept_and_delivered_once). The 503 page itself:
tests/core/test_pages.py. Scale-out: tests/test_scale_out.py.

The peers are real (aiosmtpd, pytest-httpserver); the worker, the web server and PostgreSQL are real processes.
"""

import asyncio
import json
import os
import shlex
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from werkzeug import Response

from incubateur.accounts.api_auth import api_token_issue
from incubateur.accounts.models import LoginToken
from incubateur.core import notifications
from incubateur.core.models import JournalEntry, Notification, NotificationStatus
from incubateur.guichet.models import Ticket
from tests.factories import UserFactory
from tests.organisation.helpers import load_organisation
from tests.utils import SMTPRecorder, SMTPServer, fast_forward, free_port, run_tasks

ROOT = Path(django_settings.BASE_DIR)
PIERRE = "pierre.boussole@beta.gouv.fr"


def _wait_until(predicate, *, timeout: float, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


# --- SMTP slower than EMAIL_TIMEOUT -----------------------------------------------------------------------


@dataclass
class SlowSMTP(SMTPRecorder):
    """Answers RCPT TO after `delay` seconds (an overloaded relay): the message itself is never transmitted while
    the client waits, so a client that gives up leaves nothing behind on the server."""

    delay: float = 0.0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.delay:
            await asyncio.sleep(self.delay)
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def slow_smtp(smtp_port, settings):
    settings.EMAIL_TIMEOUT = 0.4
    server = SMTPServer(port=smtp_port)
    server.handler = SlowSMTP(delay=1.5)
    server.start()
    yield server
    server.stop()


def test_an_smtp_server_slower_than_email_timeout_delays_the_login_link_but_loses_nothing(client, slow_smtp):
    UserFactory(email=PIERRE)
    response = client.post("/connexion/", {"email": PIERRE})
    assert response.status_code == 302  # the user action succeeds: it only writes the outbox
    assert Notification.objects.get().attempts == 0  # nothing was sent during the request

    assert run_tasks() == 1  # the worker gives up after EMAIL_TIMEOUT ("timed out" below)
    notification = Notification.objects.get()
    assert notification.status == NotificationStatus.PENDING
    assert notification.attempts == 1
    assert "timed out" in notification.last_error
    assert 20 < (notification.next_attempt_at - timezone.now()).total_seconds() <= 36  # 30 s ± 20 %, less time since
    assert run_tasks() == 0  # the retry waits for its time

    fast_forward()
    run_tasks()  # still slow: the backoff doubles
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (NotificationStatus.PENDING, 2)
    assert 44 < (notification.next_attempt_at - timezone.now()).total_seconds() <= 72

    slow_smtp.handler.delay = 0  # the relay answers in time again
    fast_forward()
    run_tasks()
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (NotificationStatus.SENT, 3)
    fast_forward()
    assert run_tasks() == 0
    time.sleep(1.2)  # the abandoned sessions' delays run out: they must not deliver anything late
    [message] = slow_smtp.messages
    assert message["To"] == PIERRE
    assert message["X-Incubateur-Notification"] == str(notification.pk)
    assert "/connexion/lien/" in message.get_content()


def test_a_mattermost_timeout_is_retried_until_the_webhook_answers_in_time(mattermost, settings):
    """The first attempt's POST reached the webhook, which answered too late: the retry posts again. This is the
    webhook's duplicate window (an incoming webhook has no idempotency key), like SMTP's "250" lost in transit."""
    settings.MATTERMOST_TIMEOUT = 0.3

    def late(request):
        time.sleep(0.8)
        return Response("late")

    mattermost.expect_ordered_request("/hooks/incubateur", method="POST").respond_with_handler(late)
    mattermost.expect_ordered_request("/hooks/incubateur", method="POST").respond_with_data("ok")
    with transaction.atomic():
        [notification] = notifications.notify(
            kind="test", subject="Nouvelle demande", body="x", mattermost_channel="incubateur-animation"
        )
    run_tasks()
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (NotificationStatus.PENDING, 1)
    assert "timed out" in notification.last_error.lower()
    assert run_tasks() == 0  # not before its backoff
    assert _wait_until(lambda: len(mattermost.log) == 1, timeout=3)  # the webhook is done with the late answer
    fast_forward()
    run_tasks()
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (NotificationStatus.SENT, 2)
    fast_forward()
    assert run_tasks() == 0
    mattermost.check_assertions()
    assert len(mattermost.log) == 2


# --- The test database, seen from other processes ---------------------------------------------------------


@dataclass
class SharedDatabase:
    """The test database as another process (a worker, a web server) opens it.

    SQLite: the test database lives in memory, which no other process can open; `publish()` copies it to a file
    (SQLite's online backup) and the other processes open that file. PostgreSQL: the test database itself.
    """

    url: str
    path: Path | None = None

    def publish(self) -> None:
        """Make what this test wrote so far visible to the other processes."""
        if self.path is None:
            return
        connection.ensure_connection()
        with closing(sqlite3.connect(self.path)) as target:
            connection.connection.backup(target)
            target.execute("PRAGMA journal_mode=WAL")  # as the project's connections set it

    def query(self, sql: str) -> list[tuple]:
        """What the other processes wrote (no parameters: the placeholders differ between the two databases)."""
        if self.path is None:
            with connection.cursor() as cursor:
                cursor.execute(sql)
                return cursor.fetchall()
        with closing(sqlite3.connect(self.path, timeout=5)) as db:
            return db.execute(sql).fetchall()


@pytest.fixture
def shared_database(tmp_path) -> SharedDatabase:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        path = tmp_path / "shared.sqlite3"
        return SharedDatabase(url=f"sqlite:///{path}", path=path)
    assert connection.vendor == "postgresql", connection.vendor
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    host = db["HOST"] or "127.0.0.1"
    return SharedDatabase(
        url=f"postgres://{quote(db['USER'], safe='')}{password}@{host}:{db['PORT'] or 5432}/{db['NAME']}"
    )


def _environment(database_url: str, settings_module: str = "config.settings.test", **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE=settings_module, PYTHONDONTWRITEBYTECODE="1")
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT), *extra.pop("pythonpath", ()), env.get("PYTHONPATH")) if p
    )
    env.update({k: str(v) for k, v in extra.items()})
    return env


# --- SQLite locked by another writer ----------------------------------------------------------------------

POST_LOGIN_REQUESTS = """
import json, sys, time
import django
django.setup()
from django.test import Client
client = Client(raise_request_exception=False, SERVER_NAME="127.0.0.1")
client.get("/connexion/")  # warm up (URLconf, templates: reads only): the POSTs alone are timed
for _ in range(2):  # the second once the test says so (a line on stdin)
    started = time.monotonic()
    response = client.post("/connexion/", {"email": sys.argv[1]})
    answer = {"status": response.status_code, "seconds": time.monotonic() - started}
    print(json.dumps({**answer, "retry_after": response.get("Retry-After"), "page": response.content.decode()}))
    sys.stdout.flush()
    sys.stdin.readline()
"""

WRITTEN_BY_A_LOGIN_REQUEST = {
    "tokens": f"SELECT COUNT(*) FROM {LoginToken._meta.db_table}",
    "notifications": f"SELECT COUNT(*) FROM {Notification._meta.db_table}",
    "tasks": f"SELECT COUNT(*) FROM {DBTaskResult._meta.db_table}",
    "journal": f"SELECT COUNT(*) FROM {JournalEntry._meta.db_table} WHERE action = 'accounts.login_link_sent'",
    "rate limits": "SELECT COUNT(*) FROM django_cache WHERE cache_key LIKE '%ratelimit:%'",
    "sessions": f"SELECT COUNT(*) FROM {Session._meta.db_table}",
}

BUSY_TIMEOUT = 0.5  # seconds (SQLITE_BUSY_TIMEOUT; 5 in production)


class LoginRequests:
    """A Django process that POSTs /connexion/ twice: once at start, once more when `next()` is called."""

    def __init__(self, shared: SharedDatabase, email: str, log: Path):
        self.log = log
        with log.open("wb") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, "-c", POST_LOGIN_REQUESTS, email],
                cwd=ROOT,
                env=_environment(shared.url, SQLITE_BUSY_TIMEOUT=BUSY_TIMEOUT, LOG_LEVEL="CRITICAL"),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
            )
        self.watchdog = threading.Timer(60, self.process.kill)
        self.watchdog.start()

    def answer(self) -> dict:
        line = self.process.stdout.readline()
        assert line, self.log.read_text()[-3000:]
        return json.loads(line)

    def next(self) -> dict:
        self.process.stdin.write("\n")
        self.process.stdin.flush()
        return self.answer()

    def close(self) -> None:
        self.watchdog.cancel()
        self.process.kill()
        self.process.communicate()


def _written(shared: SharedDatabase) -> dict[str, int]:
    return {table: shared.query(sql)[0][0] for table, sql in WRITTEN_BY_A_LOGIN_REQUEST.items()}


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's write lock (the PostgreSQL stage skips it)")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("email", [PIERRE, "inconnu@example.org"], ids=["known-address", "unknown-address"])
def test_sqlite_locked_by_another_writer_answers_503_quickly_and_writes_nothing(shared_database, email, tmp_path):
    UserFactory(email=PIERRE)
    shared_database.publish()
    nothing = _written(shared_database)

    requests = LoginRequests(shared_database, email, tmp_path / "requests.log")
    try:
        with closing(sqlite3.connect(shared_database.path, isolation_level=None)) as other_writer:
            other_writer.execute("BEGIN IMMEDIATE")  # e.g. an import or a backup holding the write lock
            try:
                answer = requests.answer()
            finally:
                other_writer.execute("ROLLBACK")
        locked_out = _written(shared_database)
        # The same request once the lock is gone: it does write all of that (the check can see a write).
        unlocked = requests.next()
    finally:
        requests.close()

    assert answer["status"] == 503, answer["status"]
    assert "Service momentanément indisponible" in answer["page"]
    assert answer["retry_after"] == "30"
    assert locked_out == nothing

    assert unlocked["status"] == 302
    after = _written(shared_database)
    assert after["rate limits"] == 2 and after["sessions"] == 1
    if email == PIERRE:
        assert after["tokens"] == after["notifications"] == after["tasks"] == after["journal"] == 1


# --- The worker killed in the middle of a delivery --------------------------------------------------------


@dataclass
class HoldingSMTP(SMTPRecorder):
    """Receives the first message in full, then keeps its client waiting for the "250" until the connection is lost
    (aiosmtpd then cancels this handler: the message is not delivered); answers the next ones at once."""

    holding: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, server, session, envelope):
        if not self.holding.is_set():
            self.holding.set()
            while not self.released.is_set():
                await asyncio.sleep(0.02)
            return "451 Released by the test"
        return await super().handle_DATA(server, session, envelope)


WORKER_SETTINGS = """
import os

from config.settings.test import *  # noqa: F403

EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = int(os.environ["FAULTS_SMTP_PORT"])
EMAIL_TIMEOUT = 30  # longer than the test: the worker dies waiting for the "250", it does not time out
NOTIFICATION_CLAIM_TIMEOUT = {claim_timeout}
WORKER_HOUSEKEEPING_INTERVAL = {interval}
"""


WORKER_COMMAND = [sys.executable, "manage.py", "db_worker", "--interval", "0.1", "--no-startup-delay"]


class Worker:
    """`manage.py db_worker` in its own process, as in production."""

    def __init__(self, name: str, env: dict, log_dir: Path):
        self.log = log_dir / f"{name}.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [*WORKER_COMMAND, "--worker-id", name],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_in_the_middle_of_a_delivery_is_replaced_and_the_mail_is_delivered_once(
    shared_database, tmp_path
):
    """SIGKILL while the worker waits for the SMTP server's "250": the message was transmitted but not accepted.
    The next worker's housekeeping finds the claim older than NOTIFICATION_CLAIM_TIMEOUT, queues it again, and it is
    delivered once. The one window this cannot close: a death between the server's "250" and the UPDATE that
    records `sent` (the server has the message, the row says `sending`): that message is sent twice."""
    claim_timeout, interval = 2, 0.2
    (tmp_path / "faults_worker_settings.py").write_text(
        WORKER_SETTINGS.format(claim_timeout=claim_timeout, interval=interval)
    )
    smtp = SMTPServer()
    smtp.handler = HoldingSMTP()
    smtp.start()
    env = _environment(
        shared_database.url, "faults_worker_settings", pythonpath=[str(tmp_path)], FAULTS_SMTP_PORT=smtp.port
    )
    with transaction.atomic():
        [notification] = notifications.notify(kind="test", subject="Objet", body="Corps", emails=[PIERRE])
    shared_database.publish()
    state = f"SELECT status, attempts FROM {Notification._meta.db_table} WHERE id = {notification.pk}"
    ready_tasks = f"SELECT COUNT(*) FROM {DBTaskResult._meta.db_table} WHERE status = 'READY'"
    workers = []
    try:
        workers.append(Worker("worker-1", env, tmp_path))
        assert smtp.handler.holding.wait(timeout=20), workers[0].output()
        assert shared_database.query(state) == [("sending", 1)]  # claimed, and in the send
        workers[0].process.kill()  # SIGKILL: no clean-up of any kind
        workers[0].process.wait(timeout=5)
        assert smtp.messages == []
        assert shared_database.query(state) == [("sending", 1)]  # what a dead worker leaves behind

        workers.append(Worker("worker-2", env, tmp_path))
        assert _wait_until(lambda: shared_database.query(state) == [("sent", 2)], timeout=20, interval=0.1), (
            shared_database.query(state),
            workers[1].output(),
        )
        # The sweep may have queued it more than once before the claim went through: every copy has run...
        assert _wait_until(lambda: shared_database.query(ready_tasks) == [(0,)], timeout=5), workers[1].output()
        time.sleep(3 * interval)  # ... and a few more beats of housekeeping find nothing to do.
        [message] = smtp.messages
        assert message["X-Incubateur-Notification"] == str(notification.pk)
        assert message["To"] == PIERRE
        assert shared_database.query(state) == [("sent", 2)]
    finally:
        smtp.handler.released.set()
        for worker in workers:
            worker.stop()
        smtp.stop()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's write lock (PostgreSQL: the test below)")
@pytest.mark.django_db(transaction=True)
def test_a_worker_outlives_a_database_locked_longer_than_its_busy_timeout(shared_database, tmp_path):
    """Another process holds SQLite's write lock longer than the worker's busy timeout (a long command, say): the
    worker's claiming transaction cannot begin. The worker says so, pauses and starts its loop again; once the lock
    is released the queued mail goes out, once, from the same process."""
    (tmp_path / "faults_worker_settings.py").write_text(WORKER_SETTINGS.format(claim_timeout=60, interval=0.2))
    smtp = SMTPServer().start()
    env = _environment(
        shared_database.url,
        "faults_worker_settings",
        pythonpath=[str(tmp_path)],
        FAULTS_SMTP_PORT=smtp.port,
        SQLITE_BUSY_TIMEOUT="0.2",
    )
    with transaction.atomic():
        notifications.notify(kind="test", subject="Objet", body="Corps", emails=[PIERRE])
    shared_database.publish()
    locker = sqlite3.connect(shared_database.path, isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")  # the write lock, held by another process's connection
    worker = Worker("worker-locked", env, tmp_path)
    try:
        assert _wait_until(lambda: "Database unavailable" in worker.output(), timeout=30), worker.output()
        assert smtp.messages == []
        locker.execute("COMMIT")
        assert _wait_until(lambda: smtp.messages, timeout=30), worker.output()
        time.sleep(1)
        assert worker.process.poll() is None, worker.output()  # the same worker, still running
        [message] = smtp.messages
        assert message["To"] == PIERRE
    finally:
        if locker.in_transaction:
            locker.execute("ROLLBACK")
        locker.close()
        worker.stop()
        smtp.stop()


# --- PostgreSQL restarted while clients are writing ------------------------------------------------------

PG_CTL, PG_DATA = os.environ.get("TEST_PG_CTL"), os.environ.get("TEST_PG_DATA")
OUTAGE_PAGE = "Service momentanément indisponible"


def _pg_ctl(*args: str) -> None:
    command = [PG_CTL, "-D", PG_DATA, *args]
    if os.geteuid() == 0:  # the cluster belongs to postgres (as in scripts/test.sh)
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)


def _postmaster_options() -> str:
    """The options the running server was started with (`pg_ctl start` does not reuse them, `restart` does)."""
    words = shlex.split((Path(PG_DATA) / "postmaster.opts").read_text())[1:]
    if "-D" in words:
        at = words.index("-D")
        del words[at : at + 2]
    return shlex.join(words)


def _postmaster_pid() -> int:
    return int((Path(PG_DATA) / "postmaster.pid").read_text().split()[0])


def _children(pid: int) -> set[int]:
    """The processes whose parent is `pid` (gunicorn's workers: the master replaces one that dies)."""
    children = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid:
            children.add(int(stat.parent.name))
    return children


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _submit(port: int, token: str, key: str) -> tuple[int, str]:
    """POST one guichet request through the API; the status and body (0 and the error when there is no answer)."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/requests",
        data=json.dumps({"kind": "autre", "subject": f"Question {key}", "body": "Bonjour"}).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Idempotency-Key": key},
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError as error:  # the web server itself must stay up: recorded, and the test fails
        return 0, repr(error)


@dataclass
class Answer:
    key: str
    sent: float  # time.monotonic() when the request left
    at: float  # ... and when its answer came
    status: int
    body: str


def _submit_until(stop: threading.Event, port: int, token: str, prefix: str, answers: list[Answer]) -> None:
    for n in range(1_000_000):
        if stop.is_set():
            return
        key, sent = f"{prefix}-{n}", time.monotonic()
        status, body = _submit(port, token, key)
        answers.append(Answer(key, sent, time.monotonic(), status, body))
        time.sleep(0.01)


def _summary(answers: list[Answer]) -> str:
    counts: dict[int, int] = {}
    for answer in answers:
        counts[answer.status] = counts.get(answer.status, 0) + 1
    odd = next((a.body[:2000] for a in answers if a.status not in (201, 503)), "")
    return f"statuses {counts}; first unexpected answer: {odd}"


@pytest.mark.serial  # restarts and stops the cluster: no other test may be using it meanwhile
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only (the SQLite stage skips it)")
@pytest.mark.skipif(
    not (PG_CTL and PG_DATA),
    reason="needs control of the server: `scripts/test.sh postgres` exports TEST_PG_CTL and TEST_PG_DATA",
)
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("pool", ["1", "0"], ids=["pool", "no-pool"])
def test_postgresql_restarted_while_clients_write_gives_clean_errors_and_the_app_resumes(
    shared_database, tmp_path, pool
):
    """gunicorn as in production (gthread, 2 workers × 4 threads; DB_POOL on, the default, or off) under four
    clients writing through the API. First `pg_ctl restart -m fast` in the middle: never a 500 nor a dropped
    connection, and every request sent once the server is back succeeds (with the pool, a restart shorter than its
    wait for a connection may cost no request at all). Then a longer outage (`pg_ctl stop`, held until every client
    has met it, `pg_ctl start`): 503 pages, then the same processes serve again. Nothing is lost nor doubled: every
    201 is in the database, and a 503 whose commit did happen (the connection died on the way back) is settled by a
    retry with its Idempotency-Key, which creates nothing more."""
    load_organisation(routing=True)
    requester = UserFactory(username="camille.charge")
    _token, secret = api_token_issue(user=requester, name="faults")
    port = free_port()
    env = _environment(
        shared_database.url,
        "config.settings.dev",
        DEBUG="0",
        DB_POOL=pool,
        ALLOWED_HOSTS="127.0.0.1",
        LOG_LEVEL="WARNING",
        EMAIL_HOST="",
        MATTERMOST_WEBHOOK_URL="",
    )
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as log_file:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{port}", "-k", "gthread",
             "--workers", "2", "--threads", "4"],
            cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT,
        )  # fmt: skip
    stop = threading.Event()
    answers: list[Answer] = []
    clients = [
        threading.Thread(target=_submit_until, args=(stop, port, secret, f"c{n}", answers), daemon=True)
        for n in range(4)
    ]
    try:
        assert _wait_until(lambda: _healthy(port), timeout=30, interval=0.1), log.read_text()[-3000:]
        workers = _children(server.pid)
        for client in clients:
            client.start()
        assert _wait_until(lambda: len(answers) >= 12, timeout=10), _summary(answers)

        server_log = str(Path(PG_DATA).parent / "server.log")
        postmaster = _postmaster_pid()
        _pg_ctl("restart", "-m", "fast", "-w", "-l", server_log)
        restarted = time.monotonic()
        assert _postmaster_pid() != postmaster

        def served_since(moment: float) -> bool:
            return sum(1 for a in answers if a.sent > moment and a.status == 201) >= 12

        assert _wait_until(lambda: served_since(restarted), timeout=30), _summary(answers)

        # A longer outage, held until every client has met it (with the pool, a request waits up to its timeout for
        # a connection, then gets the 503 page).
        options = _postmaster_options()
        stopping = time.monotonic()
        _pg_ctl("stop", "-m", "fast", "-w")
        stopped = time.monotonic()

        def every_client_met_the_outage() -> bool:
            return {a.key.split("-")[0] for a in list(answers) if a.sent > stopped} >= {"c0", "c1", "c2", "c3"}

        assert _wait_until(every_client_met_the_outage, timeout=60), _summary(answers)
        starting = time.monotonic()
        _pg_ctl("start", "-w", "-l", server_log, "-o", options)
        started = time.monotonic()
        down = [a for a in list(answers) if stopped < a.sent and a.at < starting]
        assert down and all(a.status == 503 for a in down), _summary(down)
        # Service resumes without restarting the app (with the pool, after its reconnection backoff: psycopg_pool
        # retries a failed connection after 1, 2, 4, 8… seconds).
        assert _wait_until(lambda: served_since(started), timeout=60), _summary(answers)
        stop.set()
        for client in clients:
            client.join(timeout=25)
        assert server.poll() is None and _children(server.pid) == workers  # the app was not restarted

        answers.sort(key=lambda a: a.at)
        assert {a.status for a in answers} <= {201, 503}, _summary(answers)
        failed = [a for a in answers if a.status == 503]
        assert all(OUTAGE_PAGE in a.body for a in failed)
        # The first outage ends with the restart: every request sent once the server is back succeeds
        # (CONN_HEALTH_CHECKS: the pool checks a connection before lending it, so one that died is replaced, not used).
        late = [(round(a.sent - restarted, 2), a.body[:200]) for a in failed if restarted < a.sent and a.at < stopping]
        assert not late, late

        connection.close()  # this process's connection died with the restart: the next query reconnects
        created = set(Ticket.objects.filter(requester=requester).values_list("idempotency_key", flat=True))
        succeeded = {a.key for a in answers if a.status == 201}
        assert succeeded <= created  # nothing the client was told is lost
        assert created - succeeded <= {a.key for a in failed}  # committed, but the answer was lost: a 503
        # The client retries its 503s with their keys: a replay (200) or the creation (201), never a second request.
        keys = [a.key for a in failed]
        with ThreadPoolExecutor(max_workers=8) as executor:
            retried = dict(zip(keys, executor.map(lambda key: _submit(port, secret, key), keys), strict=True))
        assert all(status in (200, 201) for status, _body in retried.values()), retried
        assert all(status == 200 for key, (status, _body) in retried.items() if key in created)
        assert Ticket.objects.filter(requester=requester).count() == len(succeeded) + len(failed)

        # A restart while the app is idle (a night's maintenance) costs no request at all: the connections the pool
        # keeps died with the server, and CONN_HEALTH_CHECKS makes the pool test one before lending it.
        _pg_ctl("restart", "-m", "fast", "-w", "-l", server_log)
        keys = [f"after-{n}" for n in range(16)]
        with ThreadPoolExecutor(max_workers=8) as executor:
            burst = list(executor.map(lambda key: _submit(port, secret, key)[0], keys))
        assert burst == [201] * len(keys), burst
        assert server.poll() is None and _children(server.pid) == workers
    finally:
        stop.set()
        server.send_signal(signal.SIGINT)  # gunicorn's quick shutdown
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        connection.close()
