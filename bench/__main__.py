"""make bench: the performance figures P1–P5 of issue #7, measured in one run on this machine.

Prepares a throwaway environment under var/bench/ (SQLite databases, cache table, collected static files), with
the organisation, the routing table, the programmes, the beta.gouv.fr sample (when ../shared is there) and
synthetic data (`manage.py seed_synthetic`), starts gunicorn with the production settings (gthread, 2 workers x 4
threads) on a free port of 127.0.0.1, and measures under the same bounded concurrent load (8 clients):

- P1: each public page and each API list against the bare view (/_perf/hello, the same middleware stack, no
  template, no query), measured right before it: throughput ratio and p95 ratio. `/api/v1/requests` is read by
  a member of the Incubator with an API token. The database holds the sample and 1,000 synthetic requests.
- P2: SQL queries per page and endpoint at N, 10N and 100N (tests/synthetic/test_query_counts.py, which is also
  part of `make test`: the counts must be identical).
- P3: `import_betagouv` of the sample tree (into an empty registry, and again over itself) against the bare
  libyaml parse (`yaml.CSafeLoader`) of the front matter of the same files, in one process.
- P4: /api/v2.7/authors.json against the same bytes served as a static file by WhiteNoise in the same server.
- P5: p95 of the staff desk (`/guichet/equipe/?vue=toutes`) and of a request page at 1,000 and at 100,000
  requests (`seed_synthetic --scale 10000`; when seeding takes longer than --seed-timeout here, 10,000 requests,
  and the output says so).

Prints the tables and writes var/bench/latest.json (P1–P5 and the machine).

Keep-alive connections stay with the gunicorn worker that accepted them, and with 8 connections the
kernel often hands all of them to one worker (one core, the GIL): the throughput then halves, whatever
the page. So each measurement opens its connections again until they are spread evenly (4/4), and
the table shows the spread it ran with.

It never fails on a time: the exit status is non-zero only when the server cannot start or a
request fails outright (connection error, timeout, or a page that does not answer 2xx when checked).

The load generator is wrk (Debian package `wrk`, installed when missing and running as root), or a
pure-Python generator (processes with keep-alive http.client connections) when wrk is unavailable.
"""

import argparse
import http.client
import importlib.metadata
import json
import multiprocessing
import os
import platform
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

# --- What is measured -----------------------------------------------------------------------------
# The floor: the same middleware stack, no template, no query. Measured right before each page.
FLOOR = ("hello", "/_perf/hello")
PRODUCT_PAGE = "/produits/1-eleve-1-stage/"  # a product of the sample (a synthetic one without the sample)
# P1: (name, path, who) measured against the floor; who is None (anonymous), "token" (a staff member's API
# token) or "session" (a staff member's session cookie). Add pages and API endpoints here.
PAGES = [
    ("home", "/", None),
    ("connexion", "/connexion/", None),
    ("qui-fait-quoi", "/qui-fait-quoi/", None),
    ("produits", "/produits/", None),
    ("produit", PRODUCT_PAGE, None),
    ("api organisation", "/api/v1/organisation", None),
    ("api v2.7 startups", "/api/v2.7/startups.json", None),
    ("api v2.7 authors", "/api/v2.7/authors.json", None),
    ("api v2.7 incubators", "/api/v2.7/incubators.json", None),
    ("api v2.7 organisations", "/api/v2.7/organisations.json", None),
    ("api v2.7 sponsors", "/api/v2.7/sponsors.json", None),
    ("api v1 startups", "/api/v1/startups", None),
    ("api v1 requests (staff, token)", "/api/v1/requests", "token"),
]
# P4: the view and the same bytes as a static file (written under STATIC_ROOT before the server starts).
P4_VIEW = "/api/v2.7/authors.json"
P4_STATIC = "bench/authors.json"  # under STATIC_ROOT, served at /static/bench/authors.json
# P5: pages of the staff, read with a session, at two sizes of the desk.
P5_PAGES = [("desk, toutes", "/guichet/equipe/?vue=toutes"), ("request page", "/guichet/demandes/{ticket}/")]
VIEWER = "ishan.bhojwani"  # a member of the Incubator (lead of the direction, data/organisation.yaml)
SMALL_SCALE = 100  # seed_synthetic --scale: 100 products, 1,000 members, 1,000 requests
LARGE_SCALE = 10_000  # 100,000 requests
FALLBACK_SCALE = 1_000  # 10,000 requests, when the large seed takes too long here

# --- How -----------------------------------------------------------------------------------------
CONNECTIONS = 8  # concurrent clients, each on a keep-alive connection
GUNICORN_WORKERS = 2
GUNICORN_THREADS = 4
REQUEST_TIMEOUT = 30  # seconds: a request slower than this counts as failed (the desk at 100,000 requests is slow)
STARTUP_TIMEOUT = 60  # seconds for gunicorn to answer /healthz
COMMAND_TIMEOUT = 300  # seconds for each management command (migrate, collectstatic...)
IMPORT_ROUNDS = 5  # P3: each side timed this many times (the median is kept)
# Keep-alive connections stay with the worker that accepted them: a measurement starts again (its
# connections opened again) until they are spread evenly over the workers, at most this many times.
BALANCE_ATTEMPTS = 40
START_DELAY = 0.5  # seconds wrk holds its first requests while the spread is checked (not counted in req/s)

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT.parent / "shared" / "data" / "betagouv-content-sample"
BENCH_DIR = ROOT / "var" / "bench"
RESULT_FILE = BENCH_DIR / "latest.json"  # kept across runs: the wipe spares it, the run overwrites it
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = VENV_BIN / "python"
GUNICORN = VENV_BIN / "gunicorn"
DB_EMPTY = BENCH_DIR / "db-empty-registry.sqlite3"  # P3: the organisation, no registry yet
DB_BASE = BENCH_DIR / "db-base.sqlite3"  # the organisation and the sample, no synthetic data
DB_MAIN = BENCH_DIR / "db.sqlite3"  # P1, P4, P5 at 1,000 requests
DB_LARGE = BENCH_DIR / "db-large.sqlite3"  # P5 at 100,000 requests


class BenchError(Exception):
    """The benchmark could not run: the server did not start, or a request failed outright."""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- Environment ----------------------------------------------------------------------------------


def bench_env(database: Path = DB_MAIN) -> dict[str, str]:
    env = dict(os.environ)
    # Nothing from the caller's shell may change what is measured.
    for name in ("DEBUG", "DATABASE_URL", "CSRF_TRUSTED_ORIGINS", "PYTHONPATH", "LOG_LEVEL"):
        env.pop(name, None)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": "bench-" + secrets.token_urlsafe(60),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",  # plain HTTP on loopback
            "VAR_DIR": str(BENCH_DIR),
            "DATABASE_URL": f"sqlite:///{database}",  # absolute path: sqlite:////...
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    return env


def on_database(env: dict[str, str], database: Path) -> dict[str, str]:
    return {**env, "DATABASE_URL": f"sqlite:///{database}"}


def manage(env: dict[str, str], *command: str, timeout: float = COMMAND_TIMEOUT) -> str:
    log(
        f"manage.py {' '.join(command)}"
        + ("" if env["DATABASE_URL"].endswith(DB_MAIN.name) else f"  [{Path(env['DATABASE_URL']).name}]")
    )
    result = subprocess.run(
        [str(PYTHON), "manage.py", *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise BenchError(f"manage.py {command[0]} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def django_script(env: dict[str, str], code: str, *args: str, timeout: float = COMMAND_TIMEOUT) -> dict:
    """Run `code` (which calls django.setup() and prints one `BENCH_JSON {...}` line) with these settings."""
    result = subprocess.run(
        [str(PYTHON), "-c", code, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    for line in result.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            return json.loads(line.removeprefix("BENCH_JSON "))
    raise BenchError(f"a helper script failed (status {result.returncode}):\n{result.stdout}{result.stderr}")


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database (the online backup API, never `cp` of a WAL database)."""
    target.unlink(missing_ok=True)
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def seed(env: dict[str, str], scale: int, timeout: float) -> float:
    """`seed_synthetic --scale` into the environment's database; the seconds it took."""
    started = time.perf_counter()
    manage(env, "seed_synthetic", "--scale", str(scale), timeout=timeout)
    return time.perf_counter() - started


def prepare(env: dict[str, str], *, large_scale: int, seed_timeout: float) -> dict:
    """Wipe var/bench/ (except the previous results) and build the databases and static files:

    - the organisation, the routing table and the programmes (a copy is kept for P3: an empty registry);
    - the sample (a copy is kept: the base of the large database);
    - DB_MAIN: the base and seed_synthetic --scale SMALL_SCALE (1,000 requests);
    - DB_LARGE: the base and seed_synthetic --scale large_scale (100,000 requests), or FALLBACK_SCALE when that
      takes more than `seed_timeout` seconds here.
    """
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    for entry in BENCH_DIR.iterdir():
        if entry == RESULT_FILE:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    for command in (
        ["migrate", "--noinput"],
        ["createcachetable"],
        ["collectstatic", "--noinput"],
        ["load_organisation"],
        ["load_routing"],
        ["load_programmes"],
    ):
        manage(env, *command, "-v", "0")
    copy_database(DB_MAIN, DB_EMPTY)
    if SAMPLE.is_dir():  # the registry pages and APIs measured on real data when the shared sample is there
        manage(env, "import_betagouv", str(SAMPLE), "-v", "0")
    copy_database(DB_MAIN, DB_BASE)
    info = {"small": {"scale": SMALL_SCALE, "seconds": seed(env, SMALL_SCALE, seed_timeout)}}
    copy_database(DB_BASE, DB_LARGE)
    large = on_database(env, DB_LARGE)
    try:
        info["large"] = {"scale": large_scale, "seconds": seed(large, large_scale, seed_timeout)}
    except subprocess.TimeoutExpired:
        log(f"seed_synthetic --scale {large_scale} took more than {seed_timeout:g} s: --scale {FALLBACK_SCALE}")
        copy_database(DB_BASE, DB_LARGE)
        info["large"] = {
            "scale": FALLBACK_SCALE,
            "seconds": seed(large, FALLBACK_SCALE, seed_timeout),
            "fallback_from": large_scale,
        }
    for size in info.values():
        size["requests"] = 10 * size["scale"]
    return info


# Run in the bench environment against one database: an API token and a session for VIEWER, the targets of the
# P5 pages, and (for P4) authors.json written as a static file. Prints one BENCH_JSON line.
SERVER_DATA = r"""
import json, sys
from pathlib import Path

import django

django.setup()
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client

from incubateur.accounts.api_auth import api_token_issue
from incubateur.guichet.models import Message, Ticket
from incubateur.registry.models import Product
from incubateur.synthetic.generator import GHID_PREFIX

viewer = get_user_model().objects.get(username=sys.argv[1])
_, token = api_token_issue(user=viewer, name="make bench")
session = SessionStore()
session[SESSION_KEY] = str(viewer.pk)
session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
session[HASH_SESSION_KEY] = viewer.get_session_auth_hash()
session.create()
# A request as staff handle most: not confidential, about a product, with a thread (the same choice at any size).
ticket = (
    Ticket.objects.filter(confidential=False, team_owned=False, product__isnull=False, assignee__isnull=False)
    .filter(pk__in=Message.objects.filter(internal=False).values("ticket"))
    .order_by("pk")
    .first()
)
product = Product.objects.filter(ghid__startswith=GHID_PREFIX).order_by("pk").first()
static = None
if len(sys.argv) > 3:
    response = Client(HTTP_HOST="127.0.0.1").get(sys.argv[2])
    target = Path(settings.STATIC_ROOT) / sys.argv[3]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(response.content)
    static = {"status": response.status_code, "bytes": len(response.content), "url": settings.STATIC_URL + sys.argv[3]}
print("BENCH_JSON " + json.dumps({
    "token": token,
    "cookie": f"{settings.SESSION_COOKIE_NAME}={session.session_key}",
    "ticket": ticket.pk if ticket else None,
    "product": product.ghid if product else None,
    "requests": Ticket.objects.count(),
    "static": static,
}))
"""

# P3, in one process: the import of the tree into an empty registry (rolled back after each round, so every round
# is a first import), the import over itself, and the bare libyaml parse of the front matter of the same files.
IMPORT_RATIO = r"""
import json, statistics, sys, time
from io import StringIO
from pathlib import Path

import django

django.setup()
import yaml
from django.core.management import call_command
from django.db import transaction

tree, rounds = Path(sys.argv[1]), int(sys.argv[2])
files = sorted(tree.glob("_*/*.md"))


def parse():
    for path in files:
        text = path.read_text(encoding="utf-8")
        end = text.find("\n---", 3)
        yaml.load(text[4:end] if text.startswith("---") and end > 0 else text, Loader=yaml.CSafeLoader)


def load(commit=False):
    with transaction.atomic():
        call_command("import_betagouv", str(tree), stdout=StringIO())
        transaction.set_rollback(not commit)


def timed(function, *args):
    function(*args)  # warm: the files in the page cache, the code imported
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        function(*args)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


parse_s = timed(parse)
first_s = timed(load)
load(commit=True)
again_s = timed(load)
print("BENCH_JSON " + json.dumps({
    "files": len(files),
    "bytes": sum(path.stat().st_size for path in files),
    "libyaml": bool(getattr(yaml, "__with_libyaml__", False)),
    "rounds": rounds,
    "parse_s": parse_s,
    "import_s": first_s,
    "reimport_s": again_s,
}))
"""


def import_ratio(env: dict[str, str]) -> dict | None:
    """P3: import_betagouv of the sample against the bare libyaml parse of the same files."""
    if not SAMPLE.is_dir():
        log(f"P3 skipped: no sample tree at {SAMPLE}")
        return None
    log(f"P3: import_betagouv {SAMPLE.name} against yaml.CSafeLoader, {IMPORT_ROUNDS} rounds each")
    figures = django_script(on_database(env, DB_EMPTY), IMPORT_RATIO, str(SAMPLE), str(IMPORT_ROUNDS))
    figures["import_ratio"] = ratio(figures["import_s"], figures["parse_s"])
    figures["reimport_ratio"] = ratio(figures["reimport_s"], figures["parse_s"])
    return figures


def query_counts() -> dict:
    """P2: tests/synthetic/test_query_counts.py (also part of `make test`), its counts read back."""
    out = BENCH_DIR / "query_counts.json"
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env["QUERY_COUNTS_OUT"] = str(out)
    log("P2: pytest tests/synthetic/test_query_counts.py (queries at N, 10N, 100N)")
    result = subprocess.run(
        [str(PYTHON), "-m", "pytest", "tests/synthetic/test_query_counts.py", "-q", "-p", "no:logging"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
    )
    if not out.exists():
        raise BenchError(f"the query-count test wrote nothing:\n{result.stdout[-3000:]}{result.stderr[-2000:]}")
    figures = json.loads(out.read_text())
    figures["test_passed"] = result.returncode == 0
    figures["all_constant"] = all(row["constant"] for row in figures["endpoints"])
    if not figures["test_passed"]:
        figures["test_output"] = result.stdout[-3000:]
    return figures


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- Server ---------------------------------------------------------------------------------------


class Server:
    """gunicorn in its own session, stopped by its pid (SIGTERM, then SIGKILL of its process group)."""

    def __init__(self, env: dict[str, str], port: int):
        self.env = env
        self.port = port
        self.log_path = BENCH_DIR / "gunicorn.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [
            str(GUNICORN),
            "config.wsgi",
            "--worker-class",
            "gthread",
            "--workers",
            str(GUNICORN_WORKERS),
            "--threads",
            str(GUNICORN_THREADS),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--log-level",
            "warning",
            "--no-control-socket",
        ]
        log(f"gunicorn on 127.0.0.1:{self.port} ({GUNICORN_WORKERS} workers x {GUNICORN_THREADS} threads, gthread)")
        # gunicorn's error log and Django's console logging both go to var/bench/gunicorn.log.
        with self.log_path.open("ab") as log_file:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches the script, which stops the server itself
            )
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"gunicorn exited with status {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.2)
        raise BenchError(f"gunicorn did not answer /healthz within {STARTUP_TIMEOUT} s:\n{self.log_tail()}")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(process.pid, signal.SIGKILL)  # the session gunicorn leads: the master and its workers
            except ProcessLookupError:
                pass
            process.wait(timeout=5)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no gunicorn log)"

    def worker_pids(self) -> list[int]:
        """The gunicorn workers: the children of the master, found in /proc."""
        master = self.process.pid if self.process else None
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()  # after "pid (comm)": state, ppid, ...
            except (OSError, IndexError):
                continue
            if fields[1:2] == [str(master)]:
                pids.append(int(stat.parent.name))
        return sorted(pids)

    def connection_spread(self) -> list[int] | None:
        """Established client connections each worker holds (from /proc), or None where /proc cannot tell.

        A keep-alive connection stays with the worker that accepted it; with 8 connections and 2 workers,
        8/0 instead of 4/4 halves the throughput (the GIL: one worker is one core), whatever the page.
        """
        try:
            inodes = set()
            for table in ("/proc/net/tcp", "/proc/net/tcp6"):
                try:
                    rows = Path(table).read_text().splitlines()[1:]
                except FileNotFoundError:
                    continue
                for row in rows:
                    fields = row.split()
                    # local address "0100007F:1F90", state 01 = ESTABLISHED, inode in column 10
                    if fields[3] == "01" and int(fields[1].rsplit(":", 1)[1], 16) == self.port:
                        inodes.add(f"socket:[{fields[9]}]")
            spread = []
            for pid in self.worker_pids():
                count = 0
                for fd in Path(f"/proc/{pid}/fd").iterdir():
                    try:
                        count += os.readlink(fd) in inodes
                    except OSError:
                        continue
                spread.append(count)
        except (OSError, ValueError, IndexError):
            return None
        return spread or None

    def wait_connections(self, expected: int, timeout: float = 3.0) -> list[int] | None:
        """The spread once the workers hold `expected` connections in all (or at the timeout)."""
        deadline = time.monotonic() + timeout
        while True:
            spread = self.connection_spread()
            if spread is None or sum(spread) == expected or time.monotonic() >= deadline:
                return spread
            time.sleep(0.01)


def balanced(spread: list[int] | None) -> bool:
    return spread is not None and sum(spread) == CONNECTIONS and max(spread) - min(spread) <= 1


def fetch(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """One plain GET: a page must answer 2xx before it is worth measuring."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def check_page(port: int, path: str, headers: dict[str, str] | None = None) -> int:
    return fetch(port, path, headers)[0]


# --- Load generator: wrk ----------------------------------------------------------------------------

WRK_SCRIPT = """
-- Counts non-2xx per thread, then reports exact percentiles (microseconds) as one JSON line.
-- The first request of each connection waits START_DELAY ms (args: connections of the thread, the delay): the
-- connections are open and their spread over the workers checked before anything is sent, so a run stopped for
-- an uneven spread leaves no requests behind it for the next one to wait for.
local threads = {}
local held = 0
local hold_ms = 0
function setup(thread)
  table.insert(threads, thread)
end
function init(args)
  non2xx = 0
  held = tonumber(args[1]) or 0
  hold_ms = tonumber(args[2]) or 0
end
function delay()
  if held > 0 then
    held = held - 1
    return hold_ms
  end
  return 0
end
function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end
function done(summary, latency, requests)
  local non2xx_total = 0
  for _, thread in ipairs(threads) do
    non2xx_total = non2xx_total + thread:get("non2xx")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "non2xx": %d, "errors": %d, "timeouts": %d, '
      .. '"p50_us": %d, "p95_us": %d, "p99_us": %d}\\n',
    summary.requests, summary.duration, non2xx_total, e.connect + e.read + e.write, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def find_wrk(install: bool) -> str | None:
    found = shutil.which("wrk")
    if found or not install:
        return found
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        log("wrk is missing (apt-get install wrk as root); using the Python load generator")
        return None
    log("wrk is missing: apt-get install -y wrk")
    apt_env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for update_first in (False, True):
        try:
            if update_first:
                subprocess.run(["apt-get", "update", "-qq"], env=apt_env, capture_output=True, timeout=300)
            subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=apt_env, capture_output=True, timeout=300)
        except (OSError, subprocess.TimeoutExpired):
            break
        if shutil.which("wrk"):
            return shutil.which("wrk")
    log("could not install wrk; using the Python load generator")
    return None


class WrkLoad:
    def __init__(self, wrk: str):
        self.wrk = wrk
        self._tmp = tempfile.TemporaryDirectory(prefix="bench-wrk-")
        self.script = Path(self._tmp.name) / "report.lua"
        self.script.write_text(WRK_SCRIPT)
        version = subprocess.run([wrk, "-v"], capture_output=True, text=True, timeout=10)
        first_line = (version.stdout + version.stderr).strip().splitlines()[:1]
        self.name = first_line[0].split(" [")[0] if first_line else "wrk"

    def run(self, server: Server, path: str, duration: float, headers: dict[str, str] | None = None) -> dict:
        seconds = max(1, round(duration))  # wrk takes whole seconds
        threads = max(1, min(CONNECTIONS, os.cpu_count() or 1))
        command = [
            self.wrk,
            f"-t{threads}",
            f"-c{CONNECTIONS}",
            f"-d{seconds}s",
            f"--timeout={REQUEST_TIMEOUT}s",
            "-s",
            str(self.script),
            *[part for name, value in (headers or {}).items() for part in ("-H", f"{name}: {value}")],
            f"http://127.0.0.1:{server.port}{path}",
            "--",
            str(-(-CONNECTIONS // threads)),  # connections per thread (wrk gives each thread c/t of them)
            str(round(START_DELAY * 1000)),
        ]
        process = None
        try:
            # Start wrk again until its connections are spread evenly over the workers (bounded).
            for attempt in range(1, BALANCE_ATTEMPTS + 1):
                server.wait_connections(0)
                process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                spread = server.wait_connections(CONNECTIONS)
                if spread is None or balanced(spread) or attempt == BALANCE_ATTEMPTS:
                    break
                process.kill()
                process.communicate()
            try:
                stdout, stderr = process.communicate(timeout=seconds + REQUEST_TIMEOUT + 30)
            except subprocess.TimeoutExpired as error:
                raise BenchError(f"wrk did not finish on {path}") from error
        finally:
            if process is not None and process.poll() is None:
                process.kill()
                process.communicate()
        for line in stdout.splitlines():
            if line.startswith("BENCH_JSON "):
                raw = json.loads(line.removeprefix("BENCH_JSON "))
                break
        else:
            raise BenchError(f"wrk gave no result for {path} (status {process.returncode}):\n{stdout}{stderr}")
        elapsed = raw["duration_us"] / 1e6 - START_DELAY  # the first requests were held that long
        return {
            "requests": raw["requests"],
            "seconds": round(elapsed, 3),
            "rps": raw["requests"] / elapsed if elapsed else 0.0,
            "p50_ms": raw["p50_us"] / 1000,
            "p95_ms": raw["p95_us"] / 1000,
            "p99_ms": raw["p99_us"] / 1000,
            "non2xx": raw["non2xx"],
            "errors": raw["errors"] + raw["timeouts"],
            "connections_per_worker": spread,
            "attempts": attempt,
        }

    def close(self) -> None:
        self._tmp.cleanup()


# --- Load generator: pure Python --------------------------------------------------------------------


def _python_client(pipe) -> None:
    """One client process: one keep-alive connection, one request at a time, driven over a pipe."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent, which stops the clients
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    connection = None
    while True:
        command, *params = pipe.recv()
        if command in ("close", "stop") and connection is not None:
            connection.close()
            connection = None
        if command == "stop":
            return
        if command == "close":
            pipe.send(True)
        elif command == "connect":
            (port,) = params
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
            try:
                connection.connect()
                pipe.send(True)
            except OSError:
                connection = None
                pipe.send(False)
        elif command == "run":
            port, path, headers, start_at, stop_at = params
            pipe.send(_client_load(connection, port, path, headers, start_at, stop_at))
            connection = None


def _client_load(connection, port: int, path: str, headers: dict, start_at: float, stop_at: float) -> dict:
    latencies: list[float] = []
    non2xx = errors = 0
    time.sleep(max(0.0, start_at - time.monotonic()))
    while time.monotonic() < stop_at:
        if connection is None:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
        began = time.perf_counter()
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            errors += 1
            connection.close()
            connection = None
            continue
        latencies.append(time.perf_counter() - began)
        if not 200 <= response.status <= 299:
            non2xx += 1
        if response.will_close:
            connection.close()
            connection = None
    finished_at = time.monotonic()
    if connection is not None:
        connection.close()
    return {"latencies": latencies, "non2xx": non2xx, "errors": errors, "finished_at": finished_at}


def percentile(ordered: list[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not ordered:
        return 0.0
    rank = max(1, -(-len(ordered) * pct // 100))  # ceil
    return ordered[int(rank) - 1]


class PythonLoad:
    """CONNECTIONS client processes (no GIL shared between them), each with a keep-alive connection."""

    def __init__(self):
        context = multiprocessing.get_context("fork")
        self.name = f"python (http.client, {CONNECTIONS} processes)"
        self.clients = []
        for _ in range(CONNECTIONS):
            parent_end, child_end = context.Pipe()
            process = context.Process(target=_python_client, args=(child_end,), daemon=True)
            process.start()
            self.clients.append((process, parent_end))

    def _ask(self, message: tuple, timeout: float) -> list:
        for _, pipe in self.clients:
            pipe.send(message)
        answers = []
        for _, pipe in self.clients:
            if not pipe.poll(timeout):
                raise BenchError(f"a Python load client did not answer {message[0]!r} within {timeout:g} s")
            answers.append(pipe.recv())
        return answers

    def run(self, server: Server, path: str, duration: float, headers: dict[str, str] | None = None) -> dict:
        # Connect again until the connections are spread evenly over the workers (bounded).
        attempt = 0
        while True:
            attempt += 1
            self._ask(("close",), REQUEST_TIMEOUT)
            server.wait_connections(0)
            if not all(self._ask(("connect", server.port), REQUEST_TIMEOUT + 5)):
                raise BenchError(f"could not connect to 127.0.0.1:{server.port}")
            spread = server.wait_connections(CONNECTIONS)
            if spread is None or balanced(spread) or attempt >= BALANCE_ATTEMPTS:
                break
        start_at = time.monotonic() + 0.05
        stop_at = start_at + duration
        parts = self._ask(
            ("run", server.port, path, headers or {}, start_at, stop_at), duration + REQUEST_TIMEOUT + 30
        )
        ordered = sorted(latency for part in parts for latency in part["latencies"])
        elapsed = max(part["finished_at"] for part in parts) - start_at
        return {
            "requests": len(ordered),
            "seconds": round(elapsed, 3),
            "rps": len(ordered) / elapsed,
            "p50_ms": percentile(ordered, 50) * 1000,
            "p95_ms": percentile(ordered, 95) * 1000,
            "p99_ms": percentile(ordered, 99) * 1000,
            "non2xx": sum(part["non2xx"] for part in parts),
            "errors": sum(part["errors"] for part in parts),
            "connections_per_worker": spread,
            "attempts": attempt,
        }

    def close(self) -> None:
        for _, pipe in self.clients:
            try:
                pipe.send(("stop",))
            except OSError:
                pass
        for process, _ in self.clients:
            process.join(timeout=REQUEST_TIMEOUT + 5)
            if process.is_alive():
                process.kill()
                process.join(timeout=5)
        self.clients = []


def load_generator(choice: str) -> WrkLoad | PythonLoad:
    wrk = find_wrk(install=choice == "auto") if choice in ("auto", "wrk") else None
    if choice == "wrk" and not wrk:
        raise BenchError("wrk was asked for and is not installed")
    return WrkLoad(wrk) if wrk else PythonLoad()


def ratio(value: float, floor: float) -> float | None:
    return value / floor if floor else None


# --- Measurements -----------------------------------------------------------------------------------


@dataclass
class Target:
    name: str
    path: str
    headers: dict[str, str] | None = None


def compare(generator, server: Server, page: Target, floor: Target, duration: float, page_duration=None) -> dict:
    """`floor` then `page`, back to back under the same load: the page's figures and its ratios to the floor."""
    log(f"measure {floor.path} ({floor.name}), then {page.path}")
    below = generator.run(server, floor.path, duration, floor.headers)
    figures = generator.run(server, page.path, page_duration or duration, page.headers)
    return {
        "name": page.name,
        "path": page.path,
        **figures,
        "floor": {"name": floor.name, "path": floor.path, **below},
        "rps_ratio": ratio(figures["rps"], below["rps"]),
        "p95_ratio": ratio(figures["p95_ms"], below["p95_ms"]),
    }


def check(server: Server, targets: list[Target]) -> None:
    for target in targets:
        status = check_page(server.port, target.path, target.headers)
        if not 200 <= status <= 299:
            raise BenchError(f"GET {target.path} answered {status}, not 2xx:\n{server.log_tail()}")


def warm(generator, server: Server, targets: list[Target], seconds: float) -> None:
    if seconds > 0:
        for target in targets:
            log(f"warm-up {target.path}")
            generator.run(server, target.path, seconds, target.headers)


def credentials(data: dict) -> dict[str | None, dict[str, str] | None]:
    return {None: None, "token": {"Authorization": f"Bearer {data['token']}"}, "session": {"Cookie": data["cookie"]}}


def p1_targets(data: dict) -> list[Target]:
    who = credentials(data)
    targets = []
    for name, path, auth in PAGES:
        if path == PRODUCT_PAGE and not SAMPLE.is_dir():
            path = f"/produits/{data['product']}/"  # no sample: the first synthetic product
        targets.append(Target(name, path, who[auth]))
    return targets


def p5_targets(data: dict) -> list[Target]:
    return [Target(name, path.format(ticket=data["ticket"]), credentials(data)["session"]) for name, path in P5_PAGES]


def p5_measure(generator, server: Server, data: dict, size: dict, args) -> list[dict]:
    floor = Target(*FLOOR)
    targets = p5_targets(data)
    check(server, targets)
    warm(generator, server, targets, args.warmup)
    rows = []
    for target in targets:
        # Longer than the others: a slow page gives few samples for its p95 in a few seconds.
        row = compare(generator, server, target, floor, args.duration, max(args.duration, args.p5_duration))
        row.update(requests=data["requests"], scale=size["scale"])
        rows.append(row)
    return rows


# --- Report ---------------------------------------------------------------------------------------


def machine_info(generator: str, busy_before: float | None, busy_after: float | None) -> dict:
    cpu_model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def version(package: str) -> str:
        try:
            return importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            return "?"

    return {
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu_model": cpu_model,
        "memory_gb": _memory_gb(),
        "os": platform.platform(terse=True),
        "python": platform.python_version(),
        "django": version("django"),
        "gunicorn": version("gunicorn"),
        "sqlite": sqlite3.sqlite_version,
        "load_generator": generator,
        # CPU in use (0..1) just before and just after the run: other work on the machine skews every figure.
        "cpu_busy_before": busy_before,
        "cpu_busy_after": busy_after,
    }


def _memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    return None


def render_table(header: tuple, lines: list[tuple], left: int = 2) -> str:
    """Columns aligned: the first `left` to the left, the others (figures) to the right."""
    widths = [max(len(str(cells[i])) for cells in [header, *lines]) for i in range(len(header))]

    def render(cells) -> str:
        cells = zip(cells, widths, strict=True)
        return "  ".join(str(c).ljust(w) if i < left else str(c).rjust(w) for i, (c, w) in enumerate(cells))

    return "\n".join([render(header), "  ".join("-" * w for w in widths), *(render(cells) for cells in lines)])


def _times(value: float | None) -> str:
    return f"{value:.2f}×" if value is not None else ""


def format_table(rows: list[dict], floor_label: str = "floor") -> str:
    """Each row's floor, then the row, with the ratios (the page to its floor)."""
    header = (
        "page",
        "path",
        "req/s",
        "p50 ms",
        "p95 ms",
        "non-2xx",
        "errors",
        "conns/worker",
        f"req/s ÷ {floor_label}",
        f"p95 ÷ {floor_label}",
    )
    lines = []
    for row in rows:
        floor = row["floor"]
        for label, figures, is_page in ((f"{floor['name']} ({floor_label})", floor, False), (row["name"], row, True)):
            lines.append(
                (
                    label,
                    figures["path"],
                    f"{figures['rps']:.0f}",
                    f"{figures['p50_ms']:.2f}",
                    f"{figures['p95_ms']:.2f}",
                    str(figures["non2xx"]),
                    str(figures["errors"]),
                    "/".join(map(str, figures["connections_per_worker"] or [])) or "?",
                    _times(row["rps_ratio"]) if is_page else "",
                    _times(row["p95_ratio"]) if is_page else "",
                )
            )
    return render_table(header, lines)


def format_p2(p2: dict) -> str:
    scales = list(p2["scales_products"])
    header = ("endpoint", "path", *[f"N={n} ({10 * int(n)} req.)" for n in scales], "constant")
    lines = [
        (row["name"], row["path"], *[str(row["queries"][n]) for n in scales], "yes" if row["constant"] else "NO")
        for row in p2["endpoints"]
    ]
    return render_table(header, lines)


def format_p3(p3: dict | None) -> str:
    if p3 is None:
        return "P3 skipped: no sample tree."
    return "\n".join(
        [
            f"{p3['files']} files, {p3['bytes'] / 1e6:.1f} MB, median of {p3['rounds']} rounds "
            f"(libyaml: {'yes' if p3['libyaml'] else 'NO'}):",
            f"  bare parse (read + yaml.CSafeLoader of the front matter)  {p3['parse_s'] * 1000:8.0f} ms",
            f"  import_betagouv into an empty registry                   {p3['import_s'] * 1000:8.0f} ms"
            f"   {_times(p3['import_ratio'])} the parse",
            f"  import_betagouv again over itself                         {p3['reimport_s'] * 1000:8.0f} ms"
            f"   {_times(p3['reimport_ratio'])} the parse",
        ]
    )


def format_p5(p5: dict) -> str:
    header = ("page", "requests", "req/s", "p50 ms", "p95 ms", "bare p95 ms", "p95 ÷ bare")
    lines = []
    for name, _ in P5_PAGES:
        for size in ("small", "large"):
            row = next(r for r in p5[size]["rows"] if r["name"] == name)
            lines.append(
                (
                    name,
                    f"{row['requests']:,}",
                    f"{row['rps']:.0f}",
                    f"{row['p50_ms']:.2f}",
                    f"{row['p95_ms']:.2f}",
                    f"{row['floor']['p95_ms']:.2f}",
                    _times(row["p95_ratio"]),
                )
            )
    table = render_table(header, lines, left=1)
    growth = ", ".join(f"{name} {_times(value)}" for name, value in p5["p95_growth"].items())
    small, large = p5["small"]["requests"], p5["large"]["requests"]
    note = f"p95 at {large:,} requests ÷ p95 at {small:,}: {growth}"
    if p5["large"].get("fallback_from"):
        note += (
            f"\n(seeding {10 * p5['large']['fallback_from']:,} requests took longer than --seed-timeout here: "
            f"measured at {large:,})"
        )
    return f"{table}\n{note}"


# --- Main -----------------------------------------------------------------------------------------
def cpu_busy(seconds: float = 1.0) -> float | None:
    """Share of the machine's CPU time (0..1) spent outside idle over a short sample, from /proc/stat."""

    def sample() -> tuple[int, int]:
        fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        return sum(fields[:8]), idle

    try:
        total_a, idle_a = sample()
        time.sleep(seconds)
        total_b, idle_b = sample()
    except (OSError, ValueError, IndexError):
        return None
    elapsed = total_b - total_a
    return round(1 - (idle_b - idle_a) / elapsed, 3) if elapsed > 0 else None


def measure(args: argparse.Namespace) -> int:
    started = time.monotonic()
    busy_before = cpu_busy()
    env = bench_env()
    sizes = prepare(env, large_scale=args.large_scale, seed_timeout=args.seed_timeout)
    p2 = query_counts()
    p3 = import_ratio(env)
    main_data = django_script(env, SERVER_DATA, VIEWER, P4_VIEW, P4_STATIC)
    large_data = django_script(on_database(env, DB_LARGE), SERVER_DATA, VIEWER)
    if not main_data["ticket"] or not large_data["ticket"]:
        raise BenchError("no request to measure: seed_synthetic wrote none")

    floor = Target(*FLOOR)
    pages = p1_targets(main_data)
    static = Target("authors.json as a static file", main_data["static"]["url"])
    view = Target("authors.json (view)", P4_VIEW)
    generator = None
    server = Server(env, free_port())
    try:
        server.start()
        check(server, [floor, *pages, static, view])
        served, copied = fetch(server.port, view.path)[1], fetch(server.port, static.path)[1]
        generator = load_generator(args.generator)
        log(f"load: {generator.name}, {CONNECTIONS} connections, {args.duration:g} s per measurement")
        warm(generator, server, [floor, *pages, static], args.warmup)
        p1 = [compare(generator, server, page, floor, args.duration) for page in pages]
        p4 = compare(generator, server, view, static, args.duration)
        p4.update(bytes=len(served), identical_bytes=served == copied)
        p5 = {"small": {**sizes["small"], "rows": p5_measure(generator, server, main_data, sizes["small"], args)}}
        server.stop()
        server = Server(on_database(env, DB_LARGE), free_port())
        server.start()
        check(server, [floor])
        p5["large"] = {**sizes["large"], "rows": p5_measure(generator, server, large_data, sizes["large"], args)}
    finally:
        if generator is not None:
            generator.close()
        server.stop()
    p5["p95_growth"] = {
        name: ratio(
            next(r for r in p5["large"]["rows"] if r["name"] == name)["p95_ms"],
            next(r for r in p5["small"]["rows"] if r["name"] == name)["p95_ms"],
        )
        for name, _ in P5_PAGES
    }
    busy_after = cpu_busy()
    machine = machine_info(generator.name, busy_before, busy_after)

    print("P1 — pages and API lists against the bare view (sample + 1,000 synthetic requests)")
    print(format_table(p1))
    print()
    print("P2 — SQL queries per request at N, 10N, 100N products (tests/synthetic/test_query_counts.py)")
    print(format_p2(p2))
    if not p2["all_constant"] or not p2["test_passed"]:
        print("WARNING: a count grows with the data (N+1) or the test failed: see var/bench/latest.json")
    print()
    print("P3 — import_betagouv against the bare libyaml parse of the same files")
    print(format_p3(p3))
    print()
    print("P4 — /api/v2.7/authors.json against the same bytes as a static file (WhiteNoise, same server)")
    print(format_table([p4], floor_label="static"))
    print(f"{p4['bytes']:,} bytes, identical: {'yes' if p4['identical_bytes'] else 'NO'}")
    print()
    print("P5 — staff desk and a request page (session), as the desk grows")
    print(format_p5(p5))
    print()
    print(
        f"Machine: {machine['nproc']} CPU ({machine['cpu_model']}), {machine['memory_gb']} GB, "
        f"Python {machine['python']}, Django {machine['django']}, gunicorn {machine['gunicorn']} "
        f"(gthread, {GUNICORN_WORKERS} workers x {GUNICORN_THREADS} threads), SQLite {machine['sqlite']}"
    )
    print(f"Load: {machine['load_generator']}, {CONNECTIONS} connections, {args.duration:g} s per measurement")
    seeds = ", ".join(
        f"--scale {size['scale']} ({size['requests']:,} requests) in {size['seconds']:.0f} s"
        for size in sizes.values()
    )
    print(f"seed_synthetic: {seeds}. Whole run: {time.monotonic() - started:.0f} s")
    if busy_before is not None and busy_after is not None:
        busy = max(busy_before, busy_after) > 0.1
        print(
            f"CPU in use by other work just before / after the run: {busy_before:.0%} / {busy_after:.0%}"
            + (" — the machine was busy: figures are noisy, run again when it is idle" if busy else "")
        )

    report = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine,
        "config": {
            "settings": env["DJANGO_SETTINGS_MODULE"],
            "database": "sqlite",
            "connections": CONNECTIONS,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "gunicorn": {"worker_class": "gthread", "workers": GUNICORN_WORKERS, "threads": GUNICORN_THREADS},
            "floor": {"name": FLOOR[0], "path": FLOOR[1]},
            "sample": str(SAMPLE) if SAMPLE.is_dir() else None,
            "seed_synthetic": sizes,
            "viewer": VIEWER,
        },
        "p1": p1,
        "p2": p2,
        "p3": p3,
        "p4": p4,
        "p5": p5,
        "seconds": round(time.monotonic() - started),
    }
    RESULT_FILE.parent.mkdir(parents=True, exist_ok=True)
    RESULT_FILE.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"Written to {RESULT_FILE.relative_to(ROOT)}")

    measured = [*p1, p4, *p5["small"]["rows"], *p5["large"]["rows"]]
    for row in measured:
        for figures in (row["floor"], row):
            if figures["connections_per_worker"] is not None and not balanced(figures["connections_per_worker"]):
                log(f"warning: connections unevenly spread over the workers while measuring {figures['path']}")
        if row["non2xx"] or row["floor"]["non2xx"]:
            log(f"warning: non-2xx answers while measuring {row['path']} or {row['floor']['path']}")
    if any(figures["errors"] for row in measured for figures in (row, row["floor"])):
        log("requests failed outright (connection errors or timeouts): see the errors column")
        return 1
    return 0


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds of load per measurement (default 5)")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds of warm-up per URL (default 1)")
    parser.add_argument(
        "--generator",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="load generator: wrk (installed when missing and root), else Python (default auto)",
    )
    parser.add_argument(
        "--p5-duration",
        type=float,
        default=10.0,
        help="P5: seconds of load on each staff page, at least --duration (default 10)",
    )
    parser.add_argument(
        "--large-scale",
        type=int,
        default=LARGE_SCALE,
        help=f"P5: seed_synthetic --scale of the large desk (default {LARGE_SCALE}: {10 * LARGE_SCALE:,} requests)",
    )
    parser.add_argument(
        "--seed-timeout",
        type=float,
        default=300.0,
        help=f"seconds the large seed may take, else --scale {FALLBACK_SCALE} (default 300)",
    )
    args = parser.parse_args()
    if args.duration <= 0:
        parser.error("--duration must be positive")
    if args.large_scale < 1:
        parser.error("--large-scale must be at least 1")

    # SIGTERM takes the same path as Ctrl-C: the server is stopped in a finally. SIGINT is set explicitly
    # because a shell starting the script in the background may have left it ignored.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        return measure(args)
    except BenchError as error:
        log(f"bench: {error}")
        return 1
    except KeyboardInterrupt:
        log("bench: interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
