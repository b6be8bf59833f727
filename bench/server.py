"""gunicorn with the bench settings, in its own session, and which of its workers holds which connection."""

import http.client
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench import BENCH_DIR, ROOT, VENV_BIN, BenchError, log

GUNICORN = VENV_BIN / "gunicorn"
GUNICORN_WORKERS = 2
GUNICORN_THREADS = 4
STARTUP_TIMEOUT = 60  # seconds for gunicorn to answer /healthz
REQUEST_TIMEOUT = 30  # seconds: a request slower than this counts as failed (the desk at 100,000 requests is slow)


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

    def worker_rss_mb(self) -> list[float] | None:
        """Each worker's resident memory now (VmRSS from /proc, MB), by worker pid order; None where /proc cannot
        tell."""
        sizes = []
        for pid in self.worker_pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        sizes.append(round(int(line.split()[1]) / 1024, 1))
                        break
            except (OSError, ValueError, IndexError):
                return None
        return sizes or None

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
