"""`manage.py bench_import TREE [--rounds N]`, run by `make bench` (P3) on a database with no registry yet: the
import of the tree into an empty registry (rolled back after each round, so every round is a first import), the
import over itself, and the bare libyaml parse of the front matter of the same files, in one process. Prints one
JSON line: the medians in seconds, and the process's peak RSS (VmHWM) after the first imports and again after the
re-imports: the bench runs it as a dedicated child, so the peak is the import's own (if the second is well above the
first, memory grows with the number of imports)."""

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
        peak_first_kb = peak_rss_kb()
        again_s = timed(load, rounds)
        figures = {
            "files": len(files),
            "bytes": sum(path.stat().st_size for path in files),
            "libyaml": bool(getattr(yaml, "__with_libyaml__", False)),
            "rounds": rounds,
            "parse_s": parse_s,
            "import_s": first_s,
            "reimport_s": again_s,
            "peak_rss_mb_after_import": kb_to_mb(peak_first_kb),
            "peak_rss_mb": kb_to_mb(peak_rss_kb()),
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


def peak_rss_kb() -> int | None:
    """This process's peak resident memory so far (VmHWM, Linux), in kB; None where /proc cannot tell."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def kb_to_mb(kb: int | None) -> float | None:
    return round(kb / 1024, 1) if kb is not None else None
