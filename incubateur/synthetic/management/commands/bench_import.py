"""`manage.py bench_import TREE [--rounds N]`, run by `make bench` (P3) on a database with no registry yet: the
import of the tree into an empty registry (rolled back after each round, so every round is a first import), the
import over itself, and the bare libyaml parse of the front matter of the same files, in one process. Prints one
JSON line: the medians in seconds."""

import json
import statistics
import time
from io import StringIO
from pathlib import Path

import yaml
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = "Pour make bench (P3) : import_betagouv face à la lecture nue des en-têtes YAML, en une ligne JSON."

    def add_arguments(self, parser):
        parser.add_argument("tree", type=Path, help="Dossier du contenu beta.gouv.fr.")
        parser.add_argument("--rounds", type=int, default=5, help="Mesures de chaque côté (la médiane est gardée).")

    def handle(self, *args, tree: Path, rounds: int, **options):
        files = sorted(tree.glob("_*/*.md"))

        def parse():
            for path in files:
                text = path.read_text(encoding="utf-8")
                end = text.find("\n---", 3)
                yaml.load(text[4:end] if text.startswith("---") and end > 0 else text, Loader=yaml.CSafeLoader)

        def load(commit=False):
            with transaction.atomic():
                call_command("import_betagouv", str(tree), stdout=StringIO())
                transaction.set_rollback(not commit)

        parse_s = timed(parse, rounds)
        first_s = timed(load, rounds)
        load(commit=True)
        again_s = timed(load, rounds)
        figures = {
            "files": len(files),
            "bytes": sum(path.stat().st_size for path in files),
            "libyaml": bool(getattr(yaml, "__with_libyaml__", False)),
            "rounds": rounds,
            "parse_s": parse_s,
            "import_s": first_s,
            "reimport_s": again_s,
        }
        self.stdout.write(json.dumps(figures))


def timed(function, rounds: int) -> float:
    """The median of `rounds` runs, after one to warm up (the files in the page cache, the code imported)."""
    function()
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)
