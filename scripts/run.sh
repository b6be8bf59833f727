#!/usr/bin/env bash
# make run: migrate, load the organisation, then the web server and the task worker side by side.
# One Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${PORT:-8000}"
# Links in e-mails point at this server unless told otherwise.
export BASE_URL="${BASE_URL:-http://127.0.0.1:${PORT}}"
PY=.venv/bin/python
mkdir -p var

$PY manage.py migrate --no-input
$PY manage.py createcachetable
# The first run loads data/organisation.yaml; later runs keep what staff changed online
# (`manage.py load_organisation` makes the database say what the file says again).
$PY manage.py load_organisation --if-empty
$PY manage.py load_routing --if-empty
$PY manage.py load_programmes
# The registry: the beta.gouv.fr content tree named by BETAGOUV_CONTENT (a checkout's `content/` folder, e.g. the
# one `make sample` fetches into var/betagouv-content/content), imported at every run; else, on an empty registry,
# a small demo registry (synthetic, labelled "Données de démonstration" on every page), which the first
# `manage.py import_betagouv` removes.
if [ -n "${BETAGOUV_CONTENT:-}" ]; then
  $PY manage.py import_betagouv "$BETAGOUV_CONTENT"
else
  $PY manage.py load_demo
fi

pids=()
cleanup() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait || true
}
trap cleanup INT TERM EXIT

$PY manage.py db_worker --no-reload &
pids+=($!)
$PY manage.py runserver "127.0.0.1:${PORT}" &
pids+=($!)
echo "Incubateur de services numériques : http://127.0.0.1:${PORT}/ (Ctrl-C pour arrêter le site et le worker)"
# Whichever stops first stops the other.
wait -n
