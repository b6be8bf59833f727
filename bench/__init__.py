"""`make bench` (`python -m bench`): the performance figures P1–P5, measured in one run on this machine.

Prepares a throwaway environment under var/bench/ (SQLite databases, cache table, collected static files), with
the organisation, the routing table, the programmes, the beta.gouv.fr sample (when ../shared is there) and
synthetic data (`manage.py seed_synthetic`), starts gunicorn with `config.settings.bench` (production's settings
plus the tooling: gthread, 2 workers x 4 threads) on a free port of 127.0.0.1, and measures with wrk under the same
bounded concurrent load (8 connections):

- P1: each public page and each API list against the bare view (/_perf/hello, the same middleware stack, no
  template, no query, in `config.urls_bench` only), measured right before it: throughput ratio and p95 ratio.
  `/api/v1/requests` is read by a member of the Incubator with an API token. The database holds the sample and
  1,000 synthetic requests.
- P2: SQL queries per page and endpoint at N, 10N and 100N (tests/synthetic/test_query_counts.py, which is also
  part of `make test`: the counts must be identical).
- P3: `import_betagouv` of the sample tree (into an empty registry, and again over itself) against the bare
  libyaml parse (`yaml.CSafeLoader`) of the front matter of the same files, in one process.
- P4: /api/v2.7/authors.json against the same bytes served as a static file by WhiteNoise in the same server.
- P5: p95 of the staff desk (`/guichet/equipe/?vue=toutes`) and of a request page at 1,000 and at 100,000
  requests (`seed_synthetic --scale 10000`; when seeding takes longer than --seed-timeout here, 10,000 requests,
  and the output says so).

Prints the tables, writes var/bench/latest.json (P1–P5 and the machine) and regenerates docs/performance.md from
it. `--quick` runs every step at small sizes and short durations to check the harness: its figures go to
var/bench/quick.json and var/bench/performance-quick.md, never to docs/.

It never fails on a time: the exit status is non-zero only when the server cannot start or a request fails
outright (connection error, timeout, or a page that does not answer 2xx when checked).

The Django side of the bench is real code run with `manage.py` (`incubateur.synthetic`'s `seed_synthetic`,
`bench_fixtures`, `bench_import`); this package only drives processes and reads their JSON.
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
