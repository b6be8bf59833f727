"""The load generator: wrk (Debian package `wrk`, installed with apt when missing and running as root).

Keep-alive connections stay with the gunicorn worker that accepted them, and with 8 connections the kernel often
hands all of them to one worker (one core, the GIL): the throughput then halves, whatever the page. So each
measurement opens its connections again until they are spread evenly (4/4), and the tables show the spread it
ran with. wrk_report.lua holds the first requests of each connection START_DELAY while the spread is checked, and
reports exact percentiles as one JSON line.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

from bench import BenchError, log
from bench.server import REQUEST_TIMEOUT, Server

CONNECTIONS = 8  # concurrent clients, each on a keep-alive connection
# A measurement starts again (its connections opened again) until they are spread evenly over the workers, at most
# this many times.
BALANCE_ATTEMPTS = 40
START_DELAY = 0.5  # seconds wrk holds its first requests while the spread is checked (not counted in req/s)
SCRIPT = Path(__file__).with_name("wrk_report.lua")


def balanced(spread: list[int] | None) -> bool:
    return spread is not None and sum(spread) == CONNECTIONS and max(spread) - min(spread) <= 1


def find_wrk() -> str:
    """wrk's path; installed with apt-get when missing and running as root (as scripts/test.sh installs chromium)."""
    found = shutil.which("wrk")
    if found:
        return found
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        raise BenchError("wrk is missing: apt-get install wrk (as root), then run make bench again")
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
    raise BenchError("could not install wrk (apt-get install wrk)")


class Wrk:
    def __init__(self):
        self.wrk = find_wrk()
        version = subprocess.run([self.wrk, "-v"], capture_output=True, text=True, timeout=10)
        first_line = (version.stdout + version.stderr).strip().splitlines()[:1]
        self.name = first_line[0].split(" [")[0] if first_line else "wrk"

    def command(self, server: Server, path: str, seconds: int, headers: dict[str, str] | None) -> list[str]:
        threads = max(1, min(CONNECTIONS, os.cpu_count() or 1))
        return [
            self.wrk,
            f"-t{threads}",
            f"-c{CONNECTIONS}",
            f"-d{seconds}s",
            f"--timeout={REQUEST_TIMEOUT}s",
            "-s",
            str(SCRIPT),
            *[part for name, value in (headers or {}).items() for part in ("-H", f"{name}: {value}")],
            f"http://127.0.0.1:{server.port}{path}",
            "--",
            str(-(-CONNECTIONS // threads)),  # connections per thread (wrk gives each thread c/t of them)
            str(round(START_DELAY * 1000)),
        ]

    def run(self, server: Server, path: str, duration: float, headers: dict[str, str] | None = None) -> dict:
        seconds = max(1, round(duration))  # wrk takes whole seconds
        command = self.command(server, path, seconds, headers)
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
        raw = _result(stdout)
        if raw is None:
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


def _result(stdout: str) -> dict | None:
    for line in stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            return json.loads(line.removeprefix("BENCH_JSON "))
    return None
