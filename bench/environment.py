"""The throwaway environment under var/bench/: settings, databases, and the management commands run in it."""

import json
import os
import secrets
import shutil
import socket
import sqlite3
import subprocess
import time
from pathlib import Path

from bench import BENCH_DIR, PYTHON, ROOT, BenchError, log

SETTINGS = "config.settings.bench"
# The real beta.gouv.fr content, as the tests find it (tests/utils.py): the team's sample in ../shared, else the
# public tree that `make sample` fetches into var/. Without either, what needs it is skipped (CI=true: an error).
SHARED_SAMPLE = ROOT.parent / "shared" / "data" / "betagouv-content-sample"
FETCHED_SAMPLE = ROOT / "var" / "betagouv-content" / "content"
SAMPLE = next((path for path in (SHARED_SAMPLE, FETCHED_SAMPLE) if path.is_dir()), SHARED_SAMPLE)
SAMPLE_MISSING = "beta.gouv.fr sample missing: run `make sample`"
COMMAND_TIMEOUT = 300  # seconds for each management command (migrate, collectstatic...)
DB_EMPTY = BENCH_DIR / "db-empty-registry.sqlite3"  # P3: the organisation, no registry yet
DB_BASE = BENCH_DIR / "db-base.sqlite3"  # the organisation and the sample, no synthetic data
DB_MAIN = BENCH_DIR / "db.sqlite3"  # P1, P4, P5 at 1,000 requests
DB_LARGE = BENCH_DIR / "db-large.sqlite3"  # P5 at 100,000 requests
SYNTHETIC_TREE = ROOT / "incubateur" / "synthetic" / "management" / "commands" / "synthetic_tree.py"
IMPORT_TIMEOUT = 1800  # seconds for bench_import (P3: a tree 4x the sample, several rounds of each side)


def bench_env(database: Path = DB_MAIN) -> dict[str, str]:
    env = dict(os.environ)
    # Nothing from the caller's shell may change what is measured.
    for name in ("DEBUG", "DATABASE_URL", "CSRF_TRUSTED_ORIGINS", "PYTHONPATH", "LOG_LEVEL", "SECURE_SSL_REDIRECT"):
        env.pop(name, None)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": SETTINGS,
            "SECRET_KEY": "bench-" + secrets.token_urlsafe(60),
            "ALLOWED_HOSTS": "127.0.0.1",
            "VAR_DIR": str(BENCH_DIR),
            "DATABASE_URL": f"sqlite:///{database}",  # absolute path: sqlite:////...
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    return env


def manage(env: dict[str, str], *command: str, timeout: float = COMMAND_TIMEOUT) -> str:
    database = env["DATABASE_URL"].rsplit("/", 1)[-1]
    log(f"manage.py {' '.join(command)}  [{database}]")
    result = subprocess.run(
        [str(PYTHON), "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        raise BenchError(f"manage.py {command[0]} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def manage_json(env: dict[str, str], *command: str, timeout: float = COMMAND_TIMEOUT) -> dict:
    """A command of `incubateur.synthetic` that prints its figures as JSON on its last line."""
    out = manage(env, *command, timeout=timeout).strip().splitlines()
    try:
        return json.loads(out[-1])
    except (IndexError, ValueError) as error:
        raise BenchError(f"manage.py {command[0]} printed no JSON:\n{out}") from error


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database (the online backup API, never `cp` of a WAL database)."""
    target.unlink(missing_ok=True)
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


class SqliteDatabases:
    """The bench's databases as SQLite files under var/bench/, by role: empty (P3), base, main, large."""

    kind = "sqlite"
    FILES = {"empty": DB_EMPTY, "base": DB_BASE, "main": DB_MAIN, "large": DB_LARGE}

    def url(self, role: str) -> str:
        return f"sqlite:///{self.FILES[role]}"  # absolute path: sqlite:////...

    def create(self, role: str) -> None:
        """Nothing to do: `migrate` creates the file."""

    def copy(self, source: str, target: str) -> None:
        copy_database(self.FILES[source], self.FILES[target])

    def settle(self, role: str) -> None:
        """Nothing to do: SQLite's planner reads no statistics unless ANALYZE wrote them."""


class PostgresDatabases:
    """The bench's databases in a throwaway PostgreSQL cluster (bench.postgres), copied with `createdb -T`."""

    kind = "postgresql"

    def __init__(self, cluster):
        self.cluster = cluster

    def name(self, role: str) -> str:
        return f"bench_{role}"

    def url(self, role: str) -> str:
        return self.cluster.url(self.name(role))

    def create(self, role: str) -> None:
        self.cluster.create(self.name(role))

    def copy(self, source: str, target: str) -> None:
        self.cluster.drop(self.name(target))
        self.cluster.create(self.name(target), template=self.name(source))

    def settle(self, role: str) -> None:
        self.cluster.analyze(self.name(role))


def on(env: dict[str, str], databases, role: str) -> dict[str, str]:
    return {**env, "DATABASE_URL": databases.url(role)}


def seed(env: dict[str, str], scale: int, timeout: float) -> float:
    """`seed_synthetic --scale` into the environment's database; the seconds it took."""
    started = time.perf_counter()
    manage(env, "seed_synthetic", "--scale", str(scale), timeout=timeout)
    return time.perf_counter() - started


def wipe(keep: set[Path]) -> None:
    """Empty var/bench/, except the results of previous runs."""
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    for entry in BENCH_DIR.iterdir():
        if entry in keep:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


# Every database of the bench starts with these (then the sample, then synthetic data).
BUILD_COMMANDS = (
    ("migrate", "--noinput"),
    ("createcachetable",),
    ("load_organisation",),
    ("load_routing",),
    ("load_programmes",),
)


def prepare_static(env: dict[str, str]) -> None:
    """collectstatic into var/bench/ (once: both databases' servers serve the same files)."""
    manage(env, "collectstatic", "--noinput", "-v", "0")


def prepare(
    env: dict[str, str],
    databases,
    *,
    small_scale: int,
    large_scale: int,
    fallback_scale: int,
    seed_timeout: float,
    keep_empty: bool = False,
) -> dict:
    """Build the bench's databases (SQLite files or PostgreSQL databases, by role):

    - the organisation, the routing table and the programmes (copied as `empty` for P3 when `keep_empty`);
    - the sample (copied as `base`: the base of the large database);
    - `main`: the base and seed_synthetic --scale small_scale;
    - `large`: the base and seed_synthetic --scale large_scale, or fallback_scale when that takes more than
      `seed_timeout` seconds here.
    """
    require_sample()
    main = on(env, databases, "main")
    databases.create("main")
    for command in BUILD_COMMANDS:
        manage(main, *command, "-v", "0")
    if keep_empty:
        databases.copy("main", "empty")
    if SAMPLE.is_dir():  # the registry pages and APIs measured on real data when the shared sample is there
        manage(main, "import_betagouv", str(SAMPLE), "-v", "0")
    databases.copy("main", "base")
    info = {"small": {"scale": small_scale, "seconds": seed(main, small_scale, seed_timeout)}}
    databases.settle("main")
    databases.copy("base", "large")
    large = on(env, databases, "large")
    try:
        info["large"] = {"scale": large_scale, "seconds": seed(large, large_scale, seed_timeout)}
    except subprocess.TimeoutExpired:
        log(f"seed_synthetic --scale {large_scale} took more than {seed_timeout:g} s: --scale {fallback_scale}")
        databases.copy("base", "large")
        info["large"] = {
            "scale": fallback_scale,
            "seconds": seed(large, fallback_scale, seed_timeout),
            "fallback_from": large_scale,
        }
    databases.settle("large")
    for size in info.values():
        size["requests"] = 10 * size["scale"]
        size["seconds"] = round(size["seconds"], 1)
    return info


def require_sample() -> None:
    """Say once what is measured without the sample; in CI (which has ../shared), refuse to go on without it."""
    if SAMPLE.is_dir():
        log(f"beta.gouv.fr sample: {SAMPLE}")
        return
    if os.environ.get("CI") == "true":
        raise BenchError(f"{SAMPLE_MISSING} (CI=true: the registry on real data and P3 are not skipped in CI)")
    log(f"{SAMPLE_MISSING} — the registry on real data and P3 are skipped")


def import_tree(env: dict[str, str], factor: int) -> tuple[Path, str]:
    """P3's tree: `manage.py synthetic_tree` writes the sample `factor` times over (its layout, new ids); where that
    command is missing, the sample itself (and the label says so)."""
    if not SYNTHETIC_TREE.exists():
        log("P3: manage.py synthetic_tree is missing: the import is measured on the sample itself")
        return SAMPLE, "the sample (synthetic_tree missing)"
    tree = BENCH_DIR / f"tree-x{factor}"
    manage(env, "synthetic_tree", str(tree), "--factor", str(factor), "--sample", str(SAMPLE), "-v", "0")
    return tree, f"{factor}× the sample, synthetic_tree"


def import_ratio(env: dict[str, str], databases, rounds: int, factor: int) -> dict | None:
    """P3: import_betagouv of a tree `factor` times the sample against the bare libyaml parse of the same files
    (`bench_import`, a dedicated child process: its peak RSS is the import's own)."""
    if not SAMPLE.is_dir():
        log(f"P3 skipped: {SAMPLE_MISSING}")
        return None
    tree, label = import_tree(env, factor)
    log(f"P3: import_betagouv {tree.name} against yaml.CSafeLoader, {rounds} rounds each")
    empty = on(env, databases, "empty")
    figures = manage_json(empty, "bench_import", str(tree), "--rounds", str(rounds), timeout=IMPORT_TIMEOUT)
    figures["tree"] = label
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


def ratio(value: float, floor: float) -> float | None:
    return value / floor if floor else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
