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


def on_database(env: dict[str, str], database: Path) -> dict[str, str]:
    return {**env, "DATABASE_URL": f"sqlite:///{database}"}


def manage(env: dict[str, str], *command: str, timeout: float = COMMAND_TIMEOUT) -> str:
    database = Path(env["DATABASE_URL"]).name
    log(f"manage.py {' '.join(command)}" + ("" if database == DB_MAIN.name else f"  [{database}]"))
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


def prepare(env: dict[str, str], *, small_scale: int, large_scale: int, fallback_scale: int, seed_timeout: float):
    """Build the databases and static files (var/bench/ is wiped first, its results kept):

    - the organisation, the routing table and the programmes (a copy is kept for P3: an empty registry);
    - the sample (a copy is kept: the base of the large database);
    - DB_MAIN: the base and seed_synthetic --scale small_scale;
    - DB_LARGE: the base and seed_synthetic --scale large_scale, or fallback_scale when that takes more than
      `seed_timeout` seconds here.
    """
    require_sample()
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
    info = {"small": {"scale": small_scale, "seconds": seed(env, small_scale, seed_timeout)}}
    copy_database(DB_BASE, DB_LARGE)
    large = on_database(env, DB_LARGE)
    try:
        info["large"] = {"scale": large_scale, "seconds": seed(large, large_scale, seed_timeout)}
    except subprocess.TimeoutExpired:
        log(f"seed_synthetic --scale {large_scale} took more than {seed_timeout:g} s: --scale {fallback_scale}")
        copy_database(DB_BASE, DB_LARGE)
        info["large"] = {
            "scale": fallback_scale,
            "seconds": seed(large, fallback_scale, seed_timeout),
            "fallback_from": large_scale,
        }
    for size in info.values():
        size["requests"] = 10 * size["scale"]
    return info


def require_sample() -> None:
    """Say once what is measured without the sample; in CI (which has ../shared), refuse to go on without it."""
    if SAMPLE.is_dir():
        log(f"beta.gouv.fr sample: {SAMPLE}")
        return
    if os.environ.get("CI") == "true":
        raise BenchError(f"{SAMPLE_MISSING} (CI=true: the registry on real data and P3 are not skipped in CI)")
    log(f"{SAMPLE_MISSING} — the registry on real data and P3 are skipped")


def import_ratio(env: dict[str, str], rounds: int) -> dict | None:
    """P3: import_betagouv of the sample against the bare libyaml parse of the same files (`bench_import`)."""
    if not SAMPLE.is_dir():
        log(f"P3 skipped: {SAMPLE_MISSING}")
        return None
    log(f"P3: import_betagouv {SAMPLE.name} against yaml.CSafeLoader, {rounds} rounds each")
    figures = manage_json(on_database(env, DB_EMPTY), "bench_import", str(SAMPLE), "--rounds", str(rounds))
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
