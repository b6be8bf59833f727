"""`make bench` (`python -m bench`): the performance figures P1–P5 and #19's goals, measured in one run on this
machine, on SQLite and on PostgreSQL.

Prepares a throwaway environment under var/bench/ (collected static files; SQLite databases, and then the same
databases in a throwaway PostgreSQL cluster, `bench.postgres`, copied with `createdb -T` instead of seeded twice),
with the organisation, the routing table, the programmes, the beta.gouv.fr sample (when ../shared is there) and
synthetic data (`manage.py seed_synthetic`), starts gunicorn with `config.settings.bench` (production's settings
plus the tooling: gthread, 2 workers x 4 threads) on a free port of 127.0.0.1, and measures with wrk under the same
bounded concurrent load (8 connections). On each database:

- P1: each public page, API list and file, the new pages of #11–#15 (Mon espace as a community member, statistics,
  commitments, journal, recruitment, the Atom feeds, an attachment as staff) against the bare view (/_perf/hello,
  the same middleware stack, no template, no query, in `config.urls_bench` only), measured right before it:
  throughput ratio and p95 ratio. The staff API is read by a member of the Incubator with an API token. The database
  holds the sample and 1,000 synthetic requests.
- P4: /api/v2.7/authors.json against the same bytes served as a static file by WhiteNoise in the same server.
- P5: p95 of the staff desk (`/guichet/equipe/?vue=toutes`) and of a request page at 1,000 requests and at
  100,000 (SQLite, `seed_synthetic --scale 10000`) or 1,000,000 (PostgreSQL, `--scale 100000`); when seeding takes
  longer than --seed-timeout / --pg-seed-timeout here, a tenth of that, and the output says so.
- Memory: each gunicorn worker's RSS after P1–P5, then after each of two more runs of the desk at the large size
  (it must not grow with the number of requests served).

Once, on SQLite:
- P2: SQL queries per page and endpoint at N, 10N and 100N (tests/synthetic/test_query_counts.py, which is also
  part of `make test`: the counts must be identical).
- P3: `import_betagouv` of a tree 4x the sample (`manage.py synthetic_tree`; the sample itself when that command is
  missing, and the output says so) into an empty registry, and again over itself, against the bare libyaml parse
  (`yaml.CSafeLoader`) of the front matter of the same files, in one dedicated process: its peak RSS too.

Prints the tables and #19's goals (met or not on each database, next to the previous run's values), writes
var/bench/latest.json and docs/performance/latest.json (the committed copy: the "previous" column of the next run)
and regenerates the block of docs/performance.md from them. `--quick` runs every step at small sizes and short
durations to check the harness: its figures go to var/bench/quick.json and var/bench/performance-quick.md, never to
docs/.

It never fails on a time: the exit status is non-zero only when the server cannot start or a request fails
outright (connection error, timeout, or a page that does not answer 2xx when checked). The PostgreSQL cluster and
the servers are stopped in a `finally`, on Ctrl-C and SIGTERM too.

The Django side of the bench is real code run with `manage.py` (`incubateur.synthetic`'s `seed_synthetic`,
`synthetic_tree`, `bench_fixtures`, `bench_import`); this package only drives processes and reads their JSON.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "var" / "bench"
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = VENV_BIN / "python"


class BenchError(Exception):
    """The benchmark could not run: the server did not start, or a request failed outright."""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
