"""The per-request cost of each MIDDLEWARE layer, for anonymous GETs (`python -m bench.layers`, #19).

In one process, with `config.settings.bench` and django.test.Client (the full WSGI handler: request signals, the
database connection opened and closed per request as under gunicorn): each path is timed
with no middleware, then with the stack's layers added one at a time in their order. A layer's cost is what adding
it adds (µs per request); a negative cost means the layer saves work below it (the page cache answers before the
rest of the stack and the view run).

The database: var/bench/db.sqlite3 when `make bench` has built it (or `--database`), else a throwaway SQLite
database built here (migrate, createcachetable, collectstatic, load_organisation). Figures from a busy machine
are noisy: each
noisy: each
configuration is timed `--rounds` times and the best round is kept.
"""

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import timeit
from pathlib import Path

from bench import BENCH_DIR, PYTHON, ROOT

DEFAULT_PATHS = ("/_perf/hello", "/qui-fait-quoi/", "/produits/", "/connexion/", "/api/v1/organisation")


def _environment(database: Path) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.bench",
            "SECRET_KEY": "layers-" + secrets.token_urlsafe(60),
            "ALLOWED_HOSTS": "testserver,127.0.0.1",
            "DATABASE_URL": f"sqlite:///{database}",
            "SECURE_SSL_REDIRECT": "false",
            "VAR_DIR": str(database.parent),
            "LOG_LEVEL": "ERROR",
        }
    )
    os.environ.pop("DEBUG", None)


def _build(database: Path) -> None:
    for command in (
        ["migrate", "--noinput"],
        ["createcachetable"],
        ["collectstatic", "--noinput"],
        ["load_organisation"],
    ):
        subprocess.run([str(PYTHON), "manage.py", *command, "-v", "0"], cwd=ROOT, env=os.environ, check=True)


def _per_request(client, path: str, *, number: int, rounds: int) -> float:
    response = client.get(path)
    if response.status_code != 200:
        raise SystemExit(f"{path}: HTTP {response.status_code}")
    for _ in range(20):  # warm: templates, caches, the page cache entry
        client.get(path)
    best = min(timeit.repeat(lambda: client.get(path), number=number, repeat=rounds))
    return best / number * 1e6


def measure(paths, *, number: int, rounds: int) -> tuple[list[str], dict[str, dict[str, float]]]:
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client
    from django.test.utils import override_settings
    from django.utils.module_loading import import_string

    full = []
    for layer in settings.MIDDLEWARE:
        try:
            import_string(layer)
        except ImportError as error:  # a layer being rewritten elsewhere: measured without it, and said so
            print(f"left out (cannot import): {layer}: {error}", file=sys.stderr)
        else:
            full.append(layer)
    results: dict[str, dict[str, float]] = {}
    for path in paths:
        # Layers added one at a time, in the stack's order (a layer needs those above it: auth needs sessions).
        row, previous = {}, None
        for size in range(len(full) + 1):
            with override_settings(MIDDLEWARE=full[:size]):
                try:
                    current = _per_request(Client(), path, number=number, rounds=rounds)
                except Exception as error:
                    print(f"{path} without {full[size:]}: {error!r}"[:200], file=sys.stderr)
                    current = float("nan")
            row["none" if size == 0 else full[size - 1]] = current if previous is None else current - previous
            previous = current
        row["stack"] = current
        results[path] = row
    return full, results


def table(layers: list[str], results: dict[str, dict[str, float]]) -> str:
    paths = list(results)
    width = max(len(layer.rsplit(".", 1)[-1]) for layer in layers) + 2

    def line(label: str, key: str) -> str:
        return label.ljust(width) + "".join(f"{results[path][key]:>24.0f}" for path in paths)

    lines = ["µs per request".ljust(width) + "".join(f"{path[-23:]:>24}" for path in paths)]
    lines.append(line("no middleware", "none"))
    lines += [line("+ " + layer.rsplit(".", 1)[-1], layer) for layer in layers]
    lines.append(line("whole stack", "stack"))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", default=list(DEFAULT_PATHS))
    parser.add_argument("--database", type=Path, help="an SQLite database built as `make bench` builds it")
    parser.add_argument("--number", type=int, default=100, help="requests per timing")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    database = args.database or BENCH_DIR / "db.sqlite3"
    if database.exists():
        _environment(database.resolve())
        print(f"database: {database}", file=sys.stderr)
    else:
        database = Path(tempfile.mkdtemp(prefix="bench-layers-")) / "db.sqlite3"
        _environment(database)
        print(f"database: throwaway {database}", file=sys.stderr)
        _build(database)
    layers, results = measure(args.paths, number=args.number, rounds=args.rounds)
    print(table(layers, results))


if __name__ == "__main__":
    main()
