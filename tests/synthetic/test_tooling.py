"""Tooling stays out of the running site: production has neither `incubateur.synthetic` nor `/_perf/hello`; the
bench settings (production plus the tooling) have both. And a bench run rewrites only its own block of
docs/performance.md."""

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.test import Client

from bench import report
from incubateur.guichet.models import Ticket
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]

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


def test_a_bench_run_rewrites_only_its_block_of_docs_performance(tmp_path):
    """`make bench` replaces the figures between the markers of docs/performance.md; the text around them stays."""
    floor = _figures("hello", "/_perf/hello", 2000.0, 7.0)
    desk = _compared("desk, toutes", "/guichet/equipe/?vue=toutes", floor)
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
        "p1": [_compared("home", "/", floor)],
        "p2": {
            "scales_products": {"1": 1, "10": 10},
            "endpoints": [{"name": "home", "path": "/", "queries": {"1": 0, "10": 0}, "constant": True}],
            "all_constant": True,
            "test_passed": True,
        },
        "p3": None,
        "p4": {
            **_compared("authors.json (view)", "/api/v2.7/authors.json", floor),
            "bytes": 10,
            "identical_bytes": True,
        },
        "p5": {
            "small": {"requests": 1000, "rows": [{**desk, "requests": 1000}]},
            "large": {"requests": 100000, "rows": [{**desk, "requests": 100000}]},
            "p95_growth": {"desk, toutes": 1.0},
        },
        "seconds": 60,
    }
    doc = tmp_path / "performance.md"
    doc.write_text(f"# Performance\n\nIntro.\n\n{report.BEGIN}\nold figures\n{report.END}\n\n## History\n\nKept.\n")

    report.write_markdown(results, doc)
    report.write_markdown(results, doc)

    text = doc.read_text()
    assert text.startswith("# Performance\n\nIntro.\n\n") and text.endswith("## History\n\nKept.\n")
    assert "old figures" not in text and text.count(report.BEGIN) == 1
    assert "| home | / | 500 | 10.00 | 20.00 | 0 | 0 | 4/4 | 0.25× | 2.86× |" in text
    assert "the machine was busy" in text


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
    client = Client()
    assert client.get("/api/v1/requests", HTTP_AUTHORIZATION=f"Bearer {figures['token']}").status_code == 200
    name, key = figures["cookie"].split("=", 1)
    assert name == django_settings.SESSION_COOKIE_NAME
    client.cookies[name] = key
    assert client.get(f"/guichet/demandes/{figures['ticket']}/").status_code == 200
