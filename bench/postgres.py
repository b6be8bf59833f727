"""A throwaway PostgreSQL cluster for the bench, as scripts/test.sh starts one for `make test`.

`initdb -A trust -U postgres`, fsync and full-page writes off, a free port on 127.0.0.1 and the unix socket in the
cluster's temporary directory; as root, initdb and pg_ctl run as the `postgres` user (`runuser`) and the directory
is theirs. PostgreSQL is installed with apt when it is missing and the bench runs as root. `Cluster` is a context
manager: the server is stopped (immediate mode) and its directory removed on the way out, whatever happened —
including Ctrl-C and SIGTERM, which `python -m bench` turns into KeyboardInterrupt.
"""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from bench import BenchError, log
from bench.environment import COMMAND_TIMEOUT, free_port

USER = "postgres"


def _as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def find_bin() -> Path:
    """The newest /usr/lib/postgresql/*/bin, else the directory of `initdb` on PATH; apt-get install when missing."""
    for attempt in range(2):
        versions = sorted(
            (path for path in Path("/usr/lib/postgresql").glob("*/bin") if (path / "initdb").exists()),
            key=lambda path: [int(part) if part.isdigit() else 0 for part in path.parent.name.split(".")],
        )
        if versions:
            return versions[-1]
        if shutil.which("initdb"):
            return Path(shutil.which("initdb")).parent
        if attempt or not _as_root():
            break
        log("PostgreSQL is missing: apt-get install -y postgresql")
        apt_env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], env=apt_env, capture_output=True, timeout=600)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "postgresql"], env=apt_env, capture_output=True, timeout=900
        )
    raise BenchError("PostgreSQL is missing: apt-get install postgresql (as root), or run with --no-postgres")


class Cluster:
    """`with Cluster() as pg:` a running server; `pg.url(name)` a database's DATABASE_URL."""

    def __init__(self):
        self.bin = find_bin()
        self.directory: Path | None = None
        self.port: int | None = None

    def _run(self, *command: str, timeout: float = COMMAND_TIMEOUT) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", USER, "--"] if _as_root() else []
        return subprocess.run([*prefix, *command], capture_output=True, text=True, timeout=timeout)

    def _checked(self, *command: str, timeout: float = COMMAND_TIMEOUT) -> str:
        result = self._run(*command, timeout=timeout)
        if result.returncode != 0:
            raise BenchError(f"{Path(command[0]).name} failed:\n{result.stdout}{result.stderr}")
        return result.stdout

    def __enter__(self) -> "Cluster":
        self.directory = Path(tempfile.mkdtemp(prefix="incubateur-bench-pg."))
        try:
            if _as_root():
                shutil.chown(self.directory, user=USER, group=USER)
            self.port = free_port()
            data = self.directory / "data"
            self._checked(
                str(self.bin / "initdb"), "-D", str(data), "-A", "trust", "-U", USER, "-E", "UTF8", "--locale=C.UTF-8"
            )
            options = (
                f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c full_page_writes=off -c synchronous_commit=off"
            )
            log_file = str(self.directory / "server.log")
            self._checked(str(self.bin / "pg_ctl"), "-D", str(data), "-l", log_file, "-w", "-o", options, "start")
        except BaseException:
            self.stop()
            raise
        log(f"PostgreSQL (throwaway) on 127.0.0.1:{self.port} ({self.directory})")
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        directory, self.directory = self.directory, None
        if directory is None:
            return
        if (directory / "data" / "postmaster.pid").exists():
            try:
                self._run(str(self.bin / "pg_ctl"), "-D", str(directory / "data"), "-m", "immediate", "-w", "stop")
            except (OSError, subprocess.TimeoutExpired):
                pass
        shutil.rmtree(directory, ignore_errors=True)
        log("PostgreSQL stopped and removed")

    def url(self, database: str) -> str:
        return f"postgres://{USER}@127.0.0.1:{self.port}/{database}"

    def client(self, name: str, *arguments: str, timeout: float = COMMAND_TIMEOUT) -> str:
        """A client program of the cluster (createdb, dropdb, psql) over TCP on its port; its output."""
        connection = ("-h", "127.0.0.1", "-p", str(self.port), "-U", USER)
        return self._checked(str(self.bin / name), *connection, *arguments, timeout=timeout)

    def create(self, database: str, template: str | None = None) -> None:
        """`createdb` (`-T template`: a copy of another database, far faster than building it again)."""
        log(f"createdb {database}" + (f" -T {template}" if template else ""))
        self.client("createdb", *(["-T", template] if template else []), database)

    def drop(self, database: str) -> None:
        self.client("dropdb", "--if-exists", "--force", database)  # a killed seed may leave a backend

    def analyze(self, database: str) -> None:
        """Fresh planner statistics after a bulk load (autovacuum may not have run yet)."""
        self.client("psql", "-q", "-d", database, "-c", "ANALYZE", timeout=1800)

    def version(self) -> str:
        """ "15.18" of "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"."""
        words = self._checked(str(self.bin / "postgres"), "--version").split()
        return words[2] if len(words) > 2 else " ".join(words)
