"""make bench: throughput and latency of pages as ratios to a bare Django view on the same server.

Prepares a throwaway environment under var/bench/ (SQLite database, cache table, collected static
files), starts gunicorn with the production settings (gthread, 2 workers x 4 threads) on a free port
of 127.0.0.1, then for every page of PAGES measures the floor (/_perf/hello) and the page right after
it, under the same bounded concurrent load (8 clients). Prints a table and writes var/bench/latest.json.

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
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

# --- What is measured -----------------------------------------------------------------------------
# The floor: the same middleware stack, no template, no query. Measured right before each page.
FLOOR = ("hello", "/_perf/hello")
# (name, path) of every page measured against the floor. Add API endpoints and pages here.
PAGES = [
    ("home", "/"),
    ("connexion", "/connexion/"),
    ("qui-fait-quoi", "/qui-fait-quoi/"),
    ("api organisation", "/api/v1/organisation"),
    ("api v2.7 startups", "/api/v2.7/startups.json"),
    ("api v2.7 authors", "/api/v2.7/authors.json"),
    ("api v1 startups", "/api/v1/startups"),
    ("produits", "/produits/"),
    ("produit", "/produits/1-eleve-1-stage/"),
]

# --- How -----------------------------------------------------------------------------------------
CONNECTIONS = 8  # concurrent clients, each on a keep-alive connection
GUNICORN_WORKERS = 2
GUNICORN_THREADS = 4
REQUEST_TIMEOUT = 10  # seconds: a request slower than this counts as failed
STARTUP_TIMEOUT = 60  # seconds for gunicorn to answer /healthz
COMMAND_TIMEOUT = 300  # seconds for each management command (migrate, collectstatic...)
# Keep-alive connections stay with the worker that accepted them: a measurement starts again (its
# connections opened again) until they are spread evenly over the workers, at most this many times.
BALANCE_ATTEMPTS = 40

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT.parent / "shared" / "data" / "betagouv-content-sample"
BENCH_DIR = ROOT / "var" / "bench"
RESULT_FILE = BENCH_DIR / "latest.json"  # kept across runs: the wipe spares it, the run overwrites it
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = VENV_BIN / "python"
GUNICORN = VENV_BIN / "gunicorn"


class BenchError(Exception):
    """The benchmark could not run: the server did not start, or a request failed outright."""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- Environment ----------------------------------------------------------------------------------


def bench_env() -> dict[str, str]:
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
            "DATABASE_URL": f"sqlite:///{BENCH_DIR / 'db.sqlite3'}",  # absolute path: sqlite:////...
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    return env


def prepare(env: dict[str, str]) -> None:
    """Wipe var/bench/ (except the previous results) and build a fresh database and static files."""
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    for entry in BENCH_DIR.iterdir():
        if entry == RESULT_FILE:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    commands = [["migrate", "--noinput"], ["createcachetable"], ["collectstatic", "--noinput"], ["load_organisation"]]
    if SAMPLE.is_dir():  # the registry pages and APIs measured on real data when the shared sample is there
        commands.append(["import_betagouv", str(SAMPLE)])
    for command in commands:
        log(f"manage.py {' '.join(command)}")
        result = subprocess.run(
            [str(PYTHON), "manage.py", *command, "-v", "0"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
        )
        if result.returncode != 0:
            raise BenchError(f"manage.py {command[0]} failed:\n{result.stdout}{result.stderr}")


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


def check_page(port: int, path: str) -> int:
    """One plain GET: the page must answer 2xx before it is worth measuring."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


# --- Load generator: wrk ----------------------------------------------------------------------------

WRK_SCRIPT = """
-- Counts non-2xx per thread, then reports exact percentiles (microseconds) as one JSON line.
local threads = {}
function setup(thread)
  table.insert(threads, thread)
end
function init(args)
  non2xx = 0
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

    def run(self, server: Server, path: str, duration: float) -> dict:
        seconds = max(1, round(duration))  # wrk takes whole seconds
        command = [
            self.wrk,
            f"-t{max(1, min(CONNECTIONS, os.cpu_count() or 1))}",
            f"-c{CONNECTIONS}",
            f"-d{seconds}s",
            f"--timeout={REQUEST_TIMEOUT}s",
            "-s",
            str(self.script),
            f"http://127.0.0.1:{server.port}{path}",
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
        elapsed = raw["duration_us"] / 1e6
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
            port, path, start_at, stop_at = params
            pipe.send(_client_load(connection, port, path, start_at, stop_at))
            connection = None


def _client_load(connection, port: int, path: str, start_at: float, stop_at: float) -> dict:
    latencies: list[float] = []
    non2xx = errors = 0
    time.sleep(max(0.0, start_at - time.monotonic()))
    while time.monotonic() < stop_at:
        if connection is None:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
        began = time.perf_counter()
        try:
            connection.request("GET", path)
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

    def run(self, server: Server, path: str, duration: float) -> dict:
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
        parts = self._ask(("run", server.port, path, start_at, stop_at), duration + REQUEST_TIMEOUT + 30)
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
        "python": platform.python_version(),
        "django": version("django"),
        "gunicorn": version("gunicorn"),
        "load_generator": generator,
        # CPU in use (0..1) just before and just after the run: other work on the machine skews every figure.
        "cpu_busy_before": busy_before,
        "cpu_busy_after": busy_after,
    }


def ratio(value: float, floor: float) -> float | None:
    return value / floor if floor else None


def format_table(rows: list[dict]) -> str:
    header = (
        "page",
        "path",
        "req/s",
        "p50 ms",
        "p95 ms",
        "non-2xx",
        "errors",
        "conns/worker",
        "req/s ÷ floor",
        "p95 ÷ floor",
    )
    lines = []
    for row in rows:
        for label, figures, is_page in ((f"{FLOOR[0]} (floor)", row["floor"], False), (row["name"], row, True)):
            lines.append(
                (
                    label,
                    FLOOR[1] if not is_page else row["path"],
                    f"{figures['rps']:.0f}",
                    f"{figures['p50_ms']:.2f}",
                    f"{figures['p95_ms']:.2f}",
                    str(figures["non2xx"]),
                    str(figures["errors"]),
                    "/".join(map(str, figures["connections_per_worker"] or [])) or "?",
                    f"{row['rps_ratio']:.2f}×" if is_page and row["rps_ratio"] is not None else "",
                    f"{row['p95_ratio']:.2f}×" if is_page and row["p95_ratio"] is not None else "",
                )
            )
    widths = [max(len(str(cells[i])) for cells in [header, *lines]) for i in range(len(header))]
    left = {0, 1}

    def render(cells) -> str:
        cells = zip(cells, widths, strict=True)
        return "  ".join(c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(cells))

    return "\n".join([render(header), "  ".join("-" * w for w in widths), *(render(cells) for cells in lines)])


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
    busy_before = cpu_busy()
    env = bench_env()
    prepare(env)
    server = Server(env, free_port())
    generator = None
    try:
        server.start()
        for _, path in [FLOOR, *PAGES]:
            status = check_page(server.port, path)
            if not 200 <= status <= 299:
                raise BenchError(f"GET {path} answered {status}, not 2xx:\n{server.log_tail()}")
        generator = load_generator(args.generator)
        log(f"load: {generator.name}, {CONNECTIONS} connections, {args.duration:g} s per measurement")
        if args.warmup > 0:
            for _, path in [FLOOR, *PAGES]:
                log(f"warm-up {path}")
                generator.run(server, path, args.warmup)
        rows = []
        for name, path in PAGES:
            log(f"measure {FLOOR[1]} (floor), then {path}")
            floor = generator.run(server, FLOOR[1], args.duration)
            page = generator.run(server, path, args.duration)
            rows.append(
                {
                    "name": name,
                    "path": path,
                    **page,
                    "floor": floor,
                    "rps_ratio": ratio(page["rps"], floor["rps"]),
                    "p95_ratio": ratio(page["p95_ms"], floor["p95_ms"]),
                }
            )
    finally:
        if generator is not None:
            generator.close()
        server.stop()
    busy_after = cpu_busy()
    machine = machine_info(generator.name, busy_before, busy_after)

    print(format_table(rows))
    print()
    print(
        f"Machine: {machine['nproc']} CPU ({machine['cpu_model']}), Python {machine['python']}, "
        f"Django {machine['django']}, gunicorn {machine['gunicorn']} "
        f"(gthread, {GUNICORN_WORKERS} workers x {GUNICORN_THREADS} threads)"
    )
    print(f"Load: {machine['load_generator']}, {CONNECTIONS} connections, {args.duration:g} s per measurement")
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
        },
        "results": rows,
    }
    RESULT_FILE.parent.mkdir(parents=True, exist_ok=True)
    RESULT_FILE.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"Written to {RESULT_FILE.relative_to(ROOT)}")

    for row in rows:
        for figures, path in ((row["floor"], FLOOR[1]), (row, row["path"])):
            if figures["connections_per_worker"] is not None and not balanced(figures["connections_per_worker"]):
                log(f"warning: connections unevenly spread over the workers while measuring {path}")
    failed = [row for row in rows for figures in (row, row["floor"]) if figures["errors"]]
    for row in rows:
        if row["non2xx"] or row["floor"]["non2xx"]:
            log(f"warning: non-2xx answers while measuring {row['path']} or its floor")
    if failed:
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
    args = parser.parse_args()
    if args.duration <= 0:
        parser.error("--duration must be positive")

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
