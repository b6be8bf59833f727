#!/usr/bin/env bash
# make test: quality checks, the suite on SQLite, again on a throwaway PostgreSQL cluster, then the browser tests.
# `scripts/test.sh STAGE` runs one stage: lint, sqlite, postgres, browser.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export PYTHONDONTWRITEBYTECODE=1
unset DATABASE_URL

as_root() { [ "$(id -u)" = 0 ]; }

apt_install() {
  if ! as_root; then
    echo "Missing $*: install it (apt-get install $*) or run as root." >&2
    return 1
  fi
  if [ -z "${APT_UPDATED:-}" ]; then apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# ProConnect's tests (#15) run a real OpenID provider on Node (tests/oidc_provider/: its packages are pinned by
# package-lock.json and installed by the test fixture with `npm ci`): Debian's nodejs and npm when they are missing.
if [ "${1:-all}" != lint ] && ! { command -v node && command -v npm; } >/dev/null 2>&1; then
  apt_install nodejs npm
fi

# The guichet-by-e-mail tests (#18) run a real IMAP server: Debian's Dovecot (tests/guichet/mailserver.py starts it
# on a free port with a throwaway config and Maildir), installed when missing.
if [ "${1:-all}" != lint ] && [ ! -x /usr/sbin/dovecot ]; then
  apt_install dovecot-imapd
fi

stage_lint() {
  mkdir -p var
  echo "== Qualité : ruff, imports entre apps, migrations, check --deploy"
  .venv/bin/ruff check .
  .venv/bin/ruff format --check .
  .venv/bin/lint-imports --no-cache  # the contracts of pyproject.toml [tool.importlinter] (ARCHITECTURE.md)
  DJANGO_SETTINGS_MODULE=config.settings.test $PY manage.py makemigrations --check --dry-run
  # Production settings with test values for the secrets: every deployment check must pass.
  SECRET_KEY="check-deploy-$(head -c 48 /dev/urandom | base64 | tr -d '/+=')" ALLOWED_HOSTS=incubateur.example.org \
    DJANGO_SETTINGS_MODULE=config.settings.production $PY manage.py check --deploy --fail-level WARNING
}

# Each stage runs its tests in TEST_WORKERS processes side by side (pytest-xdist; default: one per core), each file in
# one process (its module fixtures built once); each process has its own test database. The tests marked `serial`
# (they restart the PostgreSQL cluster the others use) run first, alone, in one process.
TEST_WORKERS="${TEST_WORKERS:-$(nproc)}"

run_suite() {
  local selection="$1"; shift
  local serial=0 parallel=0
  # The serial ones first: the stage's last summary is then the one of most of its tests (never "N deselected").
  $PY -m pytest -m "$selection and serial" "$@" || serial=$?
  [ "$serial" = 0 ] || [ "$serial" = 5 ] || return "$serial"
  $PY -m pytest -m "$selection and not serial" -n "$TEST_WORKERS" --dist loadfile "$@" || parallel=$?
  # pytest's 5 is "no test selected": fine for one half (a single file asked for), not for both.
  if [ "$parallel" = 5 ] && [ "$serial" = 5 ]; then return 5; fi
  [ "$parallel" = 0 ] || [ "$parallel" = 5 ] || return "$parallel"
}

stage_sqlite() {
  echo "== Tests sur SQLite"
  run_suite "not browser" "$@"
}

PG_DIR=""
stop_postgres() {
  if [ -n "$PG_DIR" ] && [ -d "$PG_DIR" ]; then
    pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
    PG_DIR=""
  fi
}

pg_as() {
  if as_root; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
  PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)"
  if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
    if command -v initdb >/dev/null 2>&1; then
      PG_BIN="$(dirname "$(command -v initdb)")"
    else
      apt_install postgresql
      PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)"
    fi
  fi
  PG_DIR="$(mktemp -d /tmp/incubateur-pg.XXXXXX)"
  if as_root; then chown postgres: "$PG_DIR"; fi
  local port
  port="$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null
  pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
    -o "-p $port -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" start >/dev/null
  export DATABASE_URL="postgres://postgres@127.0.0.1:$port/incubateur"
  export TEST_PG_CTL="$PG_BIN/pg_ctl" TEST_PG_DATA="$PG_DIR/data"  # tests/core/test_faults.py restarts this server
  echo "PostgreSQL jetable sur le port $port ($PG_DIR)"
}

stage_postgres() {
  echo "== Tests sur PostgreSQL"
  trap stop_postgres EXIT
  start_postgres
  run_suite "not browser" "$@"
  stop_postgres
  unset DATABASE_URL
  trap - EXIT
}

stage_browser() {
  echo "== Tests dans Chromium"
  if [ ! -x /usr/bin/chromium ]; then apt_install chromium; fi
  run_suite "browser" "$@"  # one Chromium and one live server per process
}

stage="${1:-all}"
[ $# -gt 0 ] && shift
case "$stage" in
  lint) stage_lint ;;
  sqlite) stage_sqlite "$@" ;;
  postgres) stage_postgres "$@" ;;
  browser) stage_browser "$@" ;;
  all)
    stage_lint
    stage_sqlite
    stage_postgres
    stage_browser
    echo "== Toutes les étapes sont passées."
    ;;
  *) echo "Unknown stage: $stage (lint, sqlite, postgres, browser)" >&2; exit 2 ;;
esac
