"""What a run says: the machine, the tables on the console, and the figures of docs/performance.md.

`python -m bench.report [var/bench/latest.json] [--out docs/performance.md]` regenerates the document from a run's
JSON without measuring anything.
"""

import argparse
import importlib.metadata
import json
import os
import platform
import sqlite3
import sys
import time
from pathlib import Path

from bench import BENCH_DIR, ROOT, goals

RESULT_FILE = BENCH_DIR / "latest.json"  # kept across runs: the wipe spares it, a full run overwrites it
DOCS_FILE = ROOT / "docs" / "performance.md"
# The committed copy of the last full run's results: the "previous" column of the next run (a fresh clone has no var/).
PREVIOUS_FILE = ROOT / "docs" / "performance" / "latest.json"
DATABASE_LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def previous_results() -> dict | None:
    """The last full run's results (docs/performance/latest.json), read before this run overwrites it."""
    try:
        return json.loads(PREVIOUS_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def machine_info(generator: str, busy_before: float | None, busy_after: float | None) -> dict:
    cpu_model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def version(package: str) -> str:
        try:
            return importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            return "?"

    return {
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu_model": cpu_model,
        "memory_gb": _memory_gb(),
        "os": platform.platform(terse=True),
        "python": platform.python_version(),
        "django": version("django"),
        "gunicorn": version("gunicorn"),
        "sqlite": sqlite3.sqlite_version,
        "load_generator": generator,
        # CPU in use (0..1) just before and just after the run: other work on the machine skews every figure.
        "cpu_busy_before": busy_before,
        "cpu_busy_after": busy_after,
    }


def _memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    return None


def cpu_busy(seconds: float = 1.0) -> float | None:
    """Share of the machine's CPU time (0..1) spent outside idle over a short sample, from /proc/stat."""

    def sample() -> tuple[int, int]:
        fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        return sum(fields[:8]), idle

    try:
        total_a, idle_a = sample()
        time.sleep(seconds)
        total_b, idle_b = sample()
    except (OSError, ValueError, IndexError):
        return None
    elapsed = total_b - total_a
    return round(1 - (idle_b - idle_a) / elapsed, 3) if elapsed > 0 else None


# --- Tables: one set of rows, printed as text or as Markdown ---------------------------------------


def text_table(header: tuple, lines: list[tuple], left: int = 2) -> str:
    """Columns aligned: the first `left` to the left, the others (figures) to the right."""
    widths = [max(len(str(cells[i])) for cells in [header, *lines]) for i in range(len(header))]

    def render(cells) -> str:
        cells = zip(cells, widths, strict=True)
        return "  ".join(str(c).ljust(w) if i < left else str(c).rjust(w) for i, (c, w) in enumerate(cells))

    return "\n".join([render(header), "  ".join("-" * w for w in widths), *(render(cells) for cells in lines)])


def markdown_table(header: tuple, lines: list[tuple], left: int = 2) -> str:
    def cell(value) -> str:
        return str(value).replace("|", "\\|")

    align = ["---" if i < left else "---:" for i in range(len(header))]
    rows = [header, align, *lines]
    return "\n".join("| " + " | ".join(cell(value) for value in row) + " |" for row in rows)


def _times(value: float | None) -> str:
    return f"{value:.2f}×" if value is not None else ""


def compared_rows(
    rows: list[dict], floor_label: str = "floor", previous: list[dict] | None = None
) -> tuple[tuple, list[tuple], int]:
    """Each row's floor, then the row, with the ratios (the page to its floor); with `previous` (the previous run's
    rows), its ratios for the same path and credentials, or "–"."""
    before = {_row_key(row): row for row in previous or []}
    header = (
        "page",
        "path",
        "req/s",
        "p50 ms",
        "p95 ms",
        "non-2xx",
        "errors",
        "conns/worker",
        f"req/s ÷ {floor_label}",
        f"p95 ÷ {floor_label}",
    )
    if previous is not None:
        header += ("previous req/s ÷", "previous p95 ÷")
    lines = []
    for row in rows:
        floor = row["floor"]
        old = before.get(_row_key(row), {})
        for label, figures, is_page in ((f"{floor['name']} ({floor_label})", floor, False), (row["name"], row, True)):
            lines.append(
                (
                    label,
                    figures["path"],
                    f"{figures['rps']:.0f}",
                    f"{figures['p50_ms']:.2f}",
                    f"{figures['p95_ms']:.2f}",
                    str(figures["non2xx"]),
                    str(figures["errors"]),
                    "/".join(map(str, figures["connections_per_worker"] or [])) or "?",
                    _times(row["rps_ratio"]) if is_page else "",
                    _times(row["p95_ratio"]) if is_page else "",
                )
                + (
                    ()
                    if previous is None
                    else (
                        (_times(old.get("rps_ratio")) or "–", _times(old.get("p95_ratio")) or "–")
                        if is_page
                        else ("", "")
                    )
                )
            )
    return header, lines, 2


def _row_key(row: dict) -> tuple[str, bool]:
    """The same page in two runs: its path, and whether it is read with a token (the v1 lists are read both ways)."""
    return row["path"], "token" in row["name"]


def p2_rows(p2: dict) -> tuple[tuple, list[tuple], int]:
    scales = list(p2["scales_products"])
    header = ("endpoint", "path", *[f"N={n} ({10 * int(n)} req.)" for n in scales], "constant")
    lines = [
        (row["name"], row["path"], *[str(row["queries"][n]) for n in scales], "yes" if row["constant"] else "NO")
        for row in p2["endpoints"]
    ]
    return header, lines, 2


def p3_lines(p3: dict | None) -> list[str]:
    if p3 is None:
        return ["P3 skipped: no sample tree."]
    return [
        f"{p3['files']} files, {p3['bytes'] / 1e6:.1f} MB, median of {p3['rounds']} rounds "
        f"(libyaml: {'yes' if p3['libyaml'] else 'NO'}):",
        f"  bare parse (read + yaml.CSafeLoader of the front matter)  {p3['parse_s'] * 1000:8.0f} ms",
        f"  import_betagouv into an empty registry                   {p3['import_s'] * 1000:8.0f} ms"
        f"   {_times(p3['import_ratio'])} the parse",
        f"  import_betagouv again over itself                         {p3['reimport_s'] * 1000:8.0f} ms"
        f"   {_times(p3['reimport_ratio'])} the parse",
    ]


def p5_rows(p5: dict) -> tuple[tuple, list[tuple], int]:
    header = ("page", "requests", "req/s", "p50 ms", "p95 ms", "bare p95 ms", "p95 ÷ bare")
    lines = []
    for name in p5["p95_growth"]:
        for size in ("small", "large"):
            row = next(r for r in p5[size]["rows"] if r["name"] == name)
            lines.append(
                (
                    name,
                    f"{p5[size]['requests']:,}",
                    f"{row['rps']:.0f}",
                    f"{row['p50_ms']:.2f}",
                    f"{row['p95_ms']:.2f}",
                    f"{row['floor']['p95_ms']:.2f}",
                    _times(row["p95_ratio"]),
                )
            )
    return header, lines, 1


def p5_note(p5: dict) -> str:
    growth = ", ".join(f"{name} {_times(value)}" for name, value in p5["p95_growth"].items())
    small, large = p5["small"]["requests"], p5["large"]["requests"]
    note = f"p95 at {large:,} requests ÷ p95 at {small:,}: {growth}"
    if p5["large"].get("fallback_from"):
        note += (
            f"\n(seeding {10 * p5['large']['fallback_from']:,} requests took longer than --seed-timeout here: "
            f"measured at {large:,})"
        )
    return note


def machine_line(report: dict) -> str:
    machine, config = report["machine"], report["config"]
    gunicorn = config["gunicorn"]
    versions = ", ".join(
        f"{DATABASE_LABELS.get(kind, kind)} {figures.get('version', '?')}"
        for kind, figures in report.get("databases", {}).items()
    )
    return (
        f"{machine['nproc']} CPU ({machine['cpu_model']}), {machine['memory_gb']} GB, Python {machine['python']}, "
        f"Django {machine['django']}, gunicorn {machine['gunicorn']} ({gunicorn['worker_class']}, "
        f"{gunicorn['workers']} workers x {gunicorn['threads']} threads), {versions}"
    )


def load_line(report: dict) -> str:
    config = report["config"]
    return f"{report['machine']['load_generator']}, {config['connections']} connections, {config['duration_s']:g} s"


def seeds_line(report: dict) -> str:
    return "; ".join(
        f"{DATABASE_LABELS.get(kind, kind)}: "
        + ", ".join(
            f"--scale {size['scale']} ({size['requests']:,} requests) in {size['seconds']:.0f} s"
            for size in figures["seed_synthetic"].values()
        )
        for kind, figures in report["databases"].items()
    )


def busy_line(report: dict) -> str | None:
    before, after = report["machine"]["cpu_busy_before"], report["machine"]["cpu_busy_after"]
    if before is None or after is None:
        return None
    noisy = max(before, after) > 0.1
    return f"CPU in use by other work just before / after the run: {before:.0%} / {after:.0%}" + (
        " — the machine was busy: figures are noisy, run again when it is idle" if noisy else ""
    )


def memory_lines(memory: dict) -> list[str]:
    after = memory.get("after_p1_p4_p5_mb")
    twice = memory.get("desk_twice") or {}
    lines = [f"workers' RSS after P1, P4 and P5 (small): {_mb(after)} MB"]
    for number, run in enumerate(twice.get("runs") or [], start=1):
        lines.append(f"after the desk, run {number} ({run['requests']:,} requests): {_mb(run['rss_mb'])} MB")
    if twice.get("delta_mb") is not None:
        lines.append(f"delta between the two runs: {' / '.join(f'{d:+.1f}' for d in twice['delta_mb'])} MB")
    return lines


def _mb(sizes: list[float] | None) -> str:
    return " / ".join(f"{size:.1f}" for size in sizes) if sizes else "?"


def goals_rows(report: dict, previous: dict | None) -> tuple[tuple, list[tuple], int]:
    """#19's goals: the latest value and verdict on each database, and the previous run's values."""
    kinds = [kind for kind in goals.KINDS if kind in report["databases"]]
    old = {row["key"]: row for row in (previous or {}).get("goals", [])}
    header = ("what", "goal")
    for kind in kinds:
        header += (DATABASE_LABELS[kind], "")
    header += tuple(f"previous {DATABASE_LABELS[kind]}" for kind in goals.KINDS)
    lines = []
    for row in report["goals"]:
        cells = (row["what"], row["goal"])
        for kind in kinds:
            cells += (row[kind]["value"], goals.verdict(row[kind]))
        before = old.get(row["key"], {})
        cells += tuple((before.get(kind) or {}).get("value", "–") for kind in goals.KINDS)
        lines.append(cells)
    return header, lines, len(header)


def previous_line(previous: dict | None) -> str:
    if previous is None:
        return "Previous run: none (docs/performance/latest.json is missing)."
    note = ", transcribed from the earlier docs/performance.md" if previous.get("transcribed") else ""
    return f"Previous run: {previous.get('generated_at', '?')}{note}."


# --- The console ----------------------------------------------------------------------------------


def _previous_rows(previous: dict | None, kind: str, part: str):
    figures = ((previous or {}).get("databases") or {}).get(kind)
    if figures is None:
        return None if previous is None else []
    value = figures.get(part)
    return value if isinstance(value, list) else [value] if value else []


def print_report(report: dict, previous: dict | None = None) -> None:
    p2 = report["p2"]
    for kind, figures in report["databases"].items():
        label = DATABASE_LABELS.get(kind, kind)
        print(f"=== {label} ===")
        print(f"P1 — pages and API lists against the bare view ({label})")
        print(text_table(*compared_rows(figures["p1"], previous=_previous_rows(previous, kind, "p1"))))
        print()
        print(f"P4 — /api/v2.7/authors.json against the same bytes as a static file ({label})")
        print(text_table(*compared_rows([figures["p4"]], "static", _previous_rows(previous, kind, "p4"))))
        print(f"{figures['p4']['bytes']:,} bytes, identical: {'yes' if figures['p4']['identical_bytes'] else 'NO'}")
        print()
        print(f"P5 — staff desk and a request page (session), as the desk grows ({label})")
        print(text_table(*p5_rows(figures["p5"])))
        print(p5_note(figures["p5"]))
        print()
        print(f"Memory — gunicorn workers' RSS ({label})")
        print("\n".join(memory_lines(figures["memory"])))
        print()
    print("P2 — SQL queries per request at N, 10N, 100N products (tests/synthetic/test_query_counts.py)")
    print(text_table(*p2_rows(p2)))
    if not p2["all_constant"] or not p2["test_passed"]:
        print("WARNING: a count grows with the data (N+1) or the test failed: see var/bench/latest.json")
    print()
    print("P3 — import_betagouv against the bare libyaml parse of the same files")
    print("\n".join(p3_lines(report["p3"])))
    print()
    print("Goals of #19")
    print(text_table(*goals_rows(report, previous)))
    print(previous_line(previous))
    print()
    print(f"Machine: {machine_line(report)}")
    print(f"Load: {load_line(report)} per measurement")
    print(f"seed_synthetic: {seeds_line(report)}. Whole run: {report['seconds']} s")
    busy = busy_line(report)
    if busy:
        print(busy)


# --- docs/performance.md --------------------------------------------------------------------------

BEGIN = "<!-- bench:begin (written by `make bench` from var/bench/latest.json: edit around it, not inside) -->"
END = "<!-- bench:end -->"


def markdown(report: dict, previous: dict | None = None) -> str:
    """The figures of one run, for docs/performance.md, next to the previous run's."""
    p2 = report["p2"]
    small = report["config"]["seed_synthetic"]["small"]["requests"]
    quick = " (--quick: checks the harness, measures nothing)" if report.get("quick") else ""
    parts = [
        f"Run of {report['generated_at']}{quick}: {machine_line(report)}. Load: {load_line(report)} per "
        f"measurement. `seed_synthetic`: {seeds_line(report)}. Whole run: {report['seconds']} s.",
    ]
    busy = busy_line(report)
    if busy:
        parts.append(busy + ".")
    parts += [
        "### The goals of #19, latest run and previous run",
        previous_line(previous),
        markdown_table(*goals_rows(report, previous)),
    ]
    for kind, figures in report["databases"].items():
        label = DATABASE_LABELS.get(kind, kind)
        p4 = figures["p4"]
        parts += [
            f"### {label}: P1 — pages and API lists against the bare view (sample + {small:,} synthetic requests)",
            markdown_table(*compared_rows(figures["p1"], previous=_previous_rows(previous, kind, "p1"))),
            f"### {label}: P4 — `/api/v2.7/authors.json` against the same bytes as a static file",
            markdown_table(*compared_rows([p4], "static", _previous_rows(previous, kind, "p4"))),
            f"{p4['bytes']:,} bytes, identical: {'yes' if p4['identical_bytes'] else 'NO'}.",
            f"### {label}: P5 — the staff desk and a request page (session), as the desk grows",
            markdown_table(*p5_rows(figures["p5"])),
            p5_note(figures["p5"]).replace("\n", " ") + ".",
            f"### {label}: memory — gunicorn workers' RSS",
            "\n".join(f"- {line}" for line in memory_lines(figures["memory"])),
        ]
    parts += [
        "### P2 — SQL queries per request at N, 10N, 100N products (`tests/synthetic/test_query_counts.py`)",
        markdown_table(*p2_rows(p2)),
    ]
    if not p2["all_constant"] or not p2["test_passed"]:
        parts.append("**A count grows with the data (N+1) or the test failed.**")
    parts += [
        "### P3 — `import_betagouv` against the bare libyaml parse of the same files",
        "```\n" + "\n".join(p3_lines(report["p3"])) + "\n```",
    ]
    return "\n\n".join(parts)


def write_markdown(report: dict, path: Path, previous: dict | None = None) -> None:
    """Replace the block between BEGIN and END in `path` (created with just the block when it does not exist)."""
    block = f"{BEGIN}\n\n{markdown(report, previous)}\n\n{END}"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if BEGIN in text and END in text:
        before, rest = text.split(BEGIN, 1)
        text = before + block + rest.split(END, 1)[1]
    else:
        text = (text.rstrip() + "\n\n" if text.strip() else "") + block + "\n"
    path.write_text(text, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description="Regenerate the figures of docs/performance.md from a bench run.")
    parser.add_argument("results", nargs="?", type=Path, default=RESULT_FILE, help="the run's JSON (latest.json)")
    parser.add_argument("--previous", type=Path, help="the previous run's JSON, shown next to it")
    parser.add_argument("--out", type=Path, default=DOCS_FILE, help="the Markdown file to update")
    args = parser.parse_args()
    previous = json.loads(args.previous.read_text(encoding="utf-8")) if args.previous else None
    write_markdown(json.loads(args.results.read_text(encoding="utf-8")), args.out, previous)
    print(f"{args.out} updated from {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
