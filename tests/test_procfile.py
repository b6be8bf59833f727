"""The Procfile, as a PaaS runs it (Scalingo, like most beta.gouv.fr services): each line read from the file and run
by `sh -c` in the project's folder with `$PORT` and the deployment's environment set; production settings, test
secrets, SQLite in a temporary folder.

The build's `collectstatic` first (the buildpack runs it), then `postdeploy` (twice: a second deployment changes
nothing), then `web` and `worker` side by side: `/healthz` answers through gunicorn with the database and the
worker's heartbeat "ok", over HTTPS as the PaaS's router forwards it, and plain HTTP is redirected there (the
production settings are the ones running). Run once, on the SQLite stage.
"""

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.utils import free_port

ROOT = Path(settings.BASE_DIR)
PROCFILE = ROOT / "Procfile"
PROCESSES = {"web", "worker", "postdeploy"}


def procfile() -> dict[str, str]:
    """name → command, as Procfile parsers read it (`name: command`, one a line)."""
    lines = {}
    for line in PROCFILE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, command = line.partition(":")
            lines[name.strip()] = command.strip()
    return lines


def test_the_procfile_names_the_processes_of_a_deployment():
    lines = procfile()
    assert set(lines) == PROCESSES
    for name in ("web", "worker", "postdeploy"):
        assert "config.settings.production" in lines[name], name
    assert "gunicorn config.wsgi" in lines["web"] and "$PORT" in lines["web"]
    assert "manage.py db_worker" in lines["worker"]
    for step in ("migrate", "createcachetable", "load_organisation --if-empty", "load_routing --if-empty"):
        assert f"manage.py {step}" in lines["postdeploy"], step


@pytest.fixture
def deployment(tmp_path) -> dict:
    """The environment of a deployment: production settings come from the Procfile's lines themselves."""
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")}
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",  # `python`, `gunicorn`: the venv's
        PORT=str(free_port()),
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="127.0.0.1",
        BASE_URL="https://127.0.0.1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        VAR_DIR=str(tmp_path),
        TRUSTED_PROXIES="1",  # the PaaS's router, which says the request came over HTTPS
        EMAIL_HOST="",
        MATTERMOST_WEBHOOK_URL="",
        WEB_CONCURRENCY="1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def run(command: str, env: dict, log: Path) -> None:
    with log.open("a") as out:
        done = subprocess.run(["sh", "-c", command], cwd=ROOT, env=env, stdout=out, stderr=out, timeout=600)
    assert done.returncode == 0, log.read_text()[-3000:]


def healthz(port: int, **headers) -> tuple[int, dict, dict]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/healthz", headers=headers)
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=3) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), {}


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.mark.skipif(connection.vendor != "sqlite", reason="run once, on the SQLite stage (its own SQLite database)")
def test_the_procfiles_lines_deploy_and_answer_healthz(deployment, tmp_path):
    lines = procfile()
    log = tmp_path / "deploy.log"
    # The build (the buildpack runs it, as the Dockerfile does).
    run("DJANGO_SETTINGS_MODULE=config.settings.production python manage.py collectstatic --no-input", deployment, log)
    run(lines["postdeploy"], deployment, log)
    run(lines["postdeploy"], deployment, log)  # a second deployment: nothing to do, nothing fails
    assert "Organisation déjà chargée" in log.read_text()

    processes, outs = {}, []
    try:
        for name in ("web", "worker"):
            out = (tmp_path / f"{name}.log").open("w")
            outs.append(out)
            processes[name] = subprocess.Popen(
                ["sh", "-c", lines[name]], cwd=ROOT, env=deployment, stdout=out, stderr=out, start_new_session=True
            )
        port = int(deployment["PORT"])
        answer = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            for name, process in processes.items():
                assert process.poll() is None, f"{name} stopped: {(tmp_path / f'{name}.log').read_text()[-3000:]}"
            try:
                answer = healthz(port, **{"X-Forwarded-Proto": "https"})
            except OSError:
                answer = None  # gunicorn not listening yet
            if answer and answer[2].get("worker") == "ok":
                break
            time.sleep(0.5)
        assert answer is not None, "gunicorn never answered"
        status, headers, body = answer
        assert (status, body) == (200, {"status": "ok", "database": "ok", "worker": "ok"})
        assert "Strict-Transport-Security" in headers  # production settings: HSTS on HTTPS
        status, headers, _ = healthz(port)
        assert status == 301 and headers["Location"] == f"https://127.0.0.1:{port}/healthz"
        # The Dockerfile's HEALTHCHECK, against the same server.
        check = dict(dockerfile_instructions())["HEALTHCHECK"].split(" CMD ", 1)[1]
        assert subprocess.run(["sh", "-c", check], cwd=ROOT, env=deployment, timeout=30).returncode == 0
    finally:
        for process in processes.values():
            os.killpg(process.pid, signal.SIGTERM)  # the session started for this process, and its children
        for process in processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for out in outs:
            out.close()


# --- The Dockerfile (not built here: no container engine on these machines) -----------------------------------------

DOCKERFILE = ROOT / "Dockerfile"


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined."""
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def test_the_dockerfile_runs_the_procfiles_web_line_as_a_non_root_user_and_checks_healthz():
    instructions = dockerfile_instructions()
    names = [name for name, _ in instructions]
    arguments = dict(reversed(instructions))  # the first of each instruction
    assert arguments["FROM"].startswith("python:3.11-slim")
    assert any(name == "RUN" and "uv sync --frozen --no-dev" in args for name, args in instructions)
    assert any(name == "RUN" and "manage.py collectstatic" in args for name, args in instructions)
    assert "DJANGO_SETTINGS_MODULE=config.settings.production" in arguments["ENV"]
    # The last USER before CMD is not root.
    user = [args for name, args in instructions if name == "USER"][-1]
    assert user not in ("root", "0") and names.index("USER") < names.index("CMD")
    assert "/healthz" in arguments["HEALTHCHECK"]
    # The image's command is the Procfile's web line (the settings come from ENV there).
    command = json.loads(arguments["CMD"])[-1].removeprefix("exec ")
    assert command == procfile()["web"].removeprefix("DJANGO_SETTINGS_MODULE=config.settings.production ")
