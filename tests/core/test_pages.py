import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from incubateur.core.models import WorkerHeartbeat
from tests.factories import UserFactory
from tests.utils import free_port


@pytest.fixture
def failing_client(settings):
    settings.ROOT_URLCONF = "tests.core.urls_for_errors"
    return Client(raise_request_exception=False)


def test_404_is_a_dsfr_page(client):
    response = client.get("/cette-page-n-existe-pas/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "<h1>Page introuvable</h1>" in html
    assert 'class="fr-header"' in html
    assert "Erreur 404" in html


def test_403_is_a_dsfr_page(failing_client):
    response = failing_client.get("/_test/forbidden")
    assert response.status_code == 403
    assert "<h1>Accès refusé</h1>" in response.content.decode()


def test_500_renders_without_touching_the_database(failing_client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = failing_client.get("/_test/boom")
    assert response.status_code == 500
    html = response.content.decode()
    assert "<h1>Erreur inattendue</h1>" in html
    assert 'class="fr-footer"' in html


def test_a_database_error_answers_503_without_touching_the_database(failing_client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = failing_client.get("/_test/database")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "Service momentanément indisponible" in response.content.decode()


def test_csrf_failure_is_explained(client):
    csrf_client = Client(enforce_csrf_checks=True)
    response = csrf_client.post("/connexion/", {"email": "a@example.org"})
    assert response.status_code == 403
    assert "Formulaire expiré" in response.content.decode()


def test_healthz_reports_a_stale_worker_then_a_live_one(client):
    assert client.get("/healthz").json() == {"status": "ok", "database": "ok", "worker": "stale"}
    WorkerHeartbeat.objects.create(worker_id="w1", beat_at=timezone.now() - timedelta(minutes=10))
    assert client.get("/healthz").json()["worker"] == "stale"
    WorkerHeartbeat.objects.create(worker_id="w2", beat_at=timezone.now())
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "worker": "ok"}
    assert "no-cache" in response["Cache-Control"]


def _django(code: str, **env) -> subprocess.CompletedProcess:
    """Run Python code in a fresh Django process (for settings that only apply at start-up)."""
    environment = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=django_settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


HEALTHZ = """
import django, json
django.setup()
from django.test import Client
response = Client(SERVER_NAME="127.0.0.1").get("/healthz")
print(json.dumps({"status": response.status_code, "body": response.json()}))
"""


def test_healthz_answers_503_when_the_database_is_unreachable():
    result = _django(
        HEALTHZ,
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DATABASE_URL=f"postgres://nobody@127.0.0.1:{free_port()}/nothing",
        DB_CONNECT_TIMEOUT="2",
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer == {"status": 503, "body": {"status": "error", "database": "error", "worker": "unknown"}}


def test_production_settings_refuse_to_start_without_a_secret_key():
    result = _django("import django; django.setup()", DJANGO_SETTINGS_MODULE="config.settings.production")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_security_headers(client):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    for directive in ["default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"]:
        assert directive in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_staff_navigation_is_shown_to_staff_only(client):
    client.force_login(UserFactory())
    assert "/equipe/journal/" not in client.get("/").content.decode()
    client.force_login(UserFactory(staff=True))
    assert "/equipe/journal/" in client.get("/").content.decode()


PRODUCTION_HEADERS = """
import django, json
django.setup()
from django.test import Client
client = Client(raise_request_exception=False)
plain = client.get("/api/v1/openapi.json")
secure = client.get("/api/v1/openapi.json", secure=True)
print(json.dumps({
    "plain": [plain.status_code, plain.get("Location", "")],
    "headers": {name: secure.get(name, "") for name in [
        "Strict-Transport-Security", "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options",
        "Cross-Origin-Opener-Policy", "Content-Security-Policy",
    ]},
    "cookies": [django.conf.settings.SESSION_COOKIE_NAME, django.conf.settings.SESSION_COOKIE_SECURE,
                django.conf.settings.CSRF_COOKIE_NAME, django.conf.settings.CSRF_COOKIE_SECURE,
                django.conf.settings.SESSION_COOKIE_HTTPONLY],
}))
"""


def test_production_settings_send_the_security_headers(tmp_path):
    """In production settings: HTTPS redirect, HSTS, nosniff, referrer policy, no framing, CSP, secure `__Host-`
    cookies — in a fresh process, as gunicorn would load them."""
    result = _django(
        PRODUCTION_HEADERS,
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="x" * 60,
        ALLOWED_HOSTS="testserver",
        DATABASE_URL=f"sqlite:///{tmp_path / 'prod.sqlite3'}",
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["plain"] == [301, "https://testserver/api/v1/openapi.json"]
    headers = answer["headers"]
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert answer["cookies"] == ["__Host-sessionid", True, "__Host-csrftoken", True, True]


def test_a_database_lost_after_the_view_is_a_503_too(rf):
    """The session's save runs in a middleware, after the 503 middleware had its say: the error handler answers."""
    from django.db import OperationalError

    from incubateur.core.views import server_error

    try:
        raise OperationalError("database is locked")
    except OperationalError:
        response = server_error(rf.get("/"))
    assert (response.status_code, response["Retry-After"]) == (503, "30")
    try:
        raise ValueError("a bug")
    except ValueError:
        assert server_error(rf.get("/")).status_code == 500
