"""Tooling stays out of the running site: production has neither `incubateur.synthetic` nor `/_perf/hello`; the
bench settings (production plus the tooling) have both. And a bench run rewrites only its own block of
docs/performance.md."""

import json
import os
import socket
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.test import Client

from bench import BenchError, goals, postgres, report
from incubateur.guichet.models import Attachment, Ticket
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]
# The run of 2026-11-29 as transcribed into docs/performance/latest.json, which every `make bench` replaces.
PREVIOUS_RUN = Path(__file__).with_name("data") / "bench-2026-11-29.json"

WHAT_IS_INSTALLED = """
import django, json
django.setup()
from django.conf import settings
from django.core.management import get_commands
from django.urls import Resolver404, resolve
try:
    resolve("/_perf/hello")
    hello = True
except Resolver404:
    hello = False
print(json.dumps({
    "synthetic": "incubateur.synthetic" in settings.INSTALLED_APPS,
    "seed_synthetic": "seed_synthetic" in get_commands(),
    "hello": hello,
    "urlconf": settings.ROOT_URLCONF,
}))
"""


def installed(settings_module: str, tmp_path: Path) -> dict:
    """What a fresh process with these settings has (as gunicorn or manage.py would load them)."""
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(
        DJANGO_SETTINGS_MODULE=settings_module,
        SECRET_KEY="x" * 60,
        ALLOWED_HOSTS="testserver",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    result = subprocess.run(
        [sys.executable, "-c", WHAT_IS_INSTALLED], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("settings_module", "expected"),
    [
        ("config.settings.production", {"synthetic": False, "seed_synthetic": False, "hello": False}),
        ("config.settings.bench", {"synthetic": True, "seed_synthetic": True, "hello": True}),
    ],
)
def test_tooling_is_in_the_bench_settings_only(settings_module, expected, tmp_path):
    answer = installed(settings_module, tmp_path)
    assert {key: answer[key] for key in expected} == expected
    assert answer["urlconf"] == ("config.urls_bench" if expected["hello"] else "config.urls")


def _figures(name: str, path: str, rps: float, p95: float) -> dict:
    return {
        "name": name,
        "path": path,
        "rps": rps,
        "p50_ms": p95 / 2,
        "p95_ms": p95,
        "non2xx": 0,
        "errors": 0,
        "connections_per_worker": [4, 4],
    }


def _compared(name: str, path: str, floor: dict) -> dict:
    page = _figures(name, path, 500.0, 20.0)
    return {**page, "floor": floor, "rps_ratio": 500.0 / floor["rps"], "p95_ratio": 20.0 / floor["p95_ms"]}


def _database(floor: dict, desk_growth: float, rss: tuple[list[float], list[float]]) -> dict:
    desk = _compared("desk, toutes", "/guichet/equipe/?vue=toutes", floor)
    return {
        "version": "X",
        "seed_synthetic": {"small": {"scale": 100, "requests": 1000, "seconds": 9.0}},
        "p1": [_compared("home", "/", floor), _compared("connexion", "/connexion/", floor)],
        "p4": {
            **_compared("authors.json (view)", "/api/v2.7/authors.json", floor),
            "bytes": 10,
            "identical_bytes": True,
        },
        "p5": {
            "small": {"requests": 1000, "rows": [{**desk, "requests": 1000}]},
            "large": {"requests": 100000, "rows": [{**desk, "requests": 100000}]},
            "p95_growth": {"desk, toutes": desk_growth},
        },
        "memory": {
            "after_p1_p4_p5_mb": rss[0],
            "desk_twice": {
                "runs": [{"requests": 900, "rss_mb": rss[0]}, {"requests": 900, "rss_mb": rss[1]}],
                "delta_mb": [round(b - a, 1) for a, b in zip(*rss, strict=True)],
            },
        },
    }


def _results() -> dict:
    floor = _figures("hello", "/_perf/hello", 2000.0, 7.0)
    results = {
        "generated_at": "2026-12-06T18:00:00+00:00",
        "machine": {
            "nproc": 2,
            "cpu_model": "CPU",
            "memory_gb": 8.0,
            "python": "3.11",
            "django": "5.2",
            "gunicorn": "23",
            "sqlite": "3.40",
            "load_generator": "wrk 4.1.0",
            "cpu_busy_before": 0.05,
            "cpu_busy_after": 0.5,
        },
        "config": {
            "connections": 8,
            "duration_s": 5.0,
            "gunicorn": {"worker_class": "gthread", "workers": 2, "threads": 4},
            "seed_synthetic": {"small": {"scale": 100, "requests": 1000, "seconds": 9.0}},
        },
        "p2": {
            "scales_products": {"1": 1, "10": 10},
            "endpoints": [{"name": "home", "path": "/", "queries": {"1": 0, "10": 0}, "constant": True}],
            "all_constant": True,
            "test_passed": True,
        },
        "p3": None,
        "databases": {
            "sqlite": _database(floor, 1.2, ([80.0, 81.0], [80.5, 81.0])),
            "postgresql": _database(floor, 3.0, ([90.0, 91.0], [130.0, 91.0])),
        },
        "seconds": 60,
    }
    results["goals"] = goals.evaluate(results)
    return results


def test_a_bench_run_rewrites_only_its_block_of_docs_performance(tmp_path):
    """`make bench` replaces the figures between the markers of docs/performance.md; the text around them stays."""
    results = _results()
    doc = tmp_path / "performance.md"
    doc.write_text(f"# Performance\n\nIntro.\n\n{report.BEGIN}\nold figures\n{report.END}\n\n## History\n\nKept.\n")

    report.write_markdown(results, doc)
    report.write_markdown(results, doc)

    text = doc.read_text()
    assert text.startswith("# Performance\n\nIntro.\n\n") and text.endswith("## History\n\nKept.\n")
    assert "old figures" not in text and text.count(report.BEGIN) == 1
    assert "| home | / | 500 | 10.00 | 20.00 | 0 | 0 | 4/4 | 0.25× | 2.86× |" in text
    assert "### SQLite: P1" in text and "### PostgreSQL: P1" in text
    assert "the machine was busy" in text


def test_the_goals_say_met_or_not_on_each_database():
    """Each row of #19's table is judged on each database: the growth and memory goals differ between the two runs."""
    rows = {row["key"]: row for row in _results()["goals"]}

    assert [row[0] for row in goals.ROWS] == list(rows)
    assert rows["connexion"]["sqlite"] == {"value": "0.25×", "met": False}
    assert rows["desk_growth"]["sqlite"]["met"] is True and rows["desk_growth"]["postgresql"]["met"] is False
    assert rows["worker_rss"]["sqlite"]["met"] is True and rows["worker_rss"]["postgresql"]["met"] is False
    assert rows["import_first"]["sqlite"] == goals.MISSING  # P3 skipped: not measured, neither met nor not
    assert rows["query_counts"]["sqlite"]["met"] is True and rows["query_counts"]["postgresql"] == goals.MISSING


def test_the_document_shows_the_previous_run_next_to_the_latest(tmp_path):
    """The previous run (docs/performance/latest.json as the last run committed it; here a copy of the transcribed run
    of 2026-11-29, as the next runs replace that file) is the "previous" column of the goals and of P1, by path; a
    page it did not measure shows "–"."""
    previous = json.loads(PREVIOUS_RUN.read_text())
    doc = tmp_path / "performance.md"

    report.write_markdown(_results(), doc, previous)

    text = doc.read_text()
    assert "Previous run: 2026-11-29, transcribed from the earlier docs/performance.md." in text
    assert "| /connexion/ | ≥ 0.4× | 0.25× | not met | 0.25× | not met | 0.31× | – |" in text
    assert "| connexion | /connexion/ | 500 | 10.00 | 20.00 | 0 | 0 | 4/4 | 0.25× | 2.86× | 0.31× | 2.73× |" in text


def test_bench_fixtures_gives_what_the_measured_requests_need(settings, tmp_path):
    """`manage.py bench_fixtures` (run by `make bench` on each database): a token and a session that work, the request
    and the product the pages show, and the bytes of a view copied as a static file."""
    call_command("seed_synthetic", "--scale", "1", stdout=StringIO())
    settings.STATIC_ROOT = tmp_path
    viewer = UserFactory(username="lecteur.bench", staff=True)
    out = StringIO()

    call_command("bench_fixtures", viewer.username, "--static", "/api/v2.7/authors.json", "bench/a.json", stdout=out)

    figures = json.loads(out.getvalue())
    assert figures["requests"] == Ticket.objects.count() == 10
    assert Ticket.objects.filter(reference=figures["ticket"], confidential=False).exists()
    assert figures["product"]
    assert figures["static"]["status"] == 200 and figures["static"]["url"].endswith("bench/a.json")
    assert (tmp_path / "bench" / "a.json").stat().st_size == figures["static"]["bytes"]
    assert figures["dotted_product"]
    client = Client()
    assert client.get("/api/v1/requests", HTTP_AUTHORIZATION=f"Bearer {figures['token']}").status_code == 200
    name, key = figures["cookie"].split("=", 1)
    assert name == django_settings.SESSION_COOKIE_NAME
    client.cookies[name] = key
    assert client.get(f"/guichet/demandes/{figures['ticket']}/").status_code == 200
    download = client.get(f"/guichet/pieces-jointes/{figures['attachment']}/")
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    member = Client()
    member.cookies[name] = figures["member_cookie"].split("=", 1)[1]
    assert member.get("/mon-espace/").status_code == 200
    assert not member.get("/mon-espace/").context["space"].staff  # a community member, not staff
    # A second run on the same database adds no second attachment.
    call_command("bench_fixtures", viewer.username, stdout=StringIO())
    assert Attachment.objects.filter(ticket__reference=figures["ticket"], name="mesure.txt").count() == 1


def test_the_bench_postgres_cluster_is_removed_whatever_happens():
    """`bench.postgres.Cluster` (the bench's throwaway PostgreSQL): a database and its `createdb -T` copy are there
    while it runs; on the way out (here, an error inside the block) the server is stopped and its directory gone."""
    try:
        cluster = postgres.Cluster()
    except BenchError:
        pytest.skip("PostgreSQL is not installed (and cannot be, not as root)")
    with pytest.raises(RuntimeError, match="inside"), cluster:
        directory, port = cluster.directory, cluster.port
        cluster.create("bench_a")
        cluster.create("bench_b", template="bench_a")
        listed = cluster.client("psql", "-At", "-d", "postgres", "-c", "SELECT datname FROM pg_database")
        assert {"bench_a", "bench_b"} <= set(listed.split())
        raise RuntimeError("inside")
    assert not directory.exists()
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0  # nothing listens there any more
