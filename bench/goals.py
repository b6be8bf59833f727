"""#19's table of goals ("what / now / goal"), each row measured on SQLite and on PostgreSQL, met or not.

`evaluate(results)` reads a run's figures (P1–P5, the workers' memory) and gives one row per goal: its key, what it
is about, the goal, and per database a cell {"value": text, "met": True / False / None (not measured there)}.
The rows are stored in latest.json as they are, so the next run shows them as its "previous" column by key.
"""

from bench.scenarios import PUBLIC_PAGES

# A worker's RSS may move by a few MB between two runs (allocator arenas, caches filled once): more than this
# between two identical runs of the desk is growth with the number of requests served.
RSS_GROWTH_MB = 10.0
# The import's peak RSS after the re-imports may exceed the peak after the first imports by this share at most.
IMPORT_PEAK_GROWTH = 0.10
# P5: p95 at the large size ÷ p95 at the small one. SQLite: 1,000 → 100,000 requests; PostgreSQL: 1,000 → 1,000,000.
GROWTH_GOAL = {"sqlite": 1.5, "postgresql": 2.0}


def _x(value: float | None) -> str:
    return f"{value:.2f}×" if value is not None else "–"


def _span(values: list[float]) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "–"
    low, high = min(values), max(values)
    return _x(low) if abs(high - low) < 0.005 else f"{low:.2f}–{high:.2f}×"


def _cell(value: str, met: bool | None) -> dict:
    return {"value": value, "met": met}


MISSING = _cell("–", None)
UNANSWERED = "a page answered no request within its measurement"


def _rows(p1: list[dict], *, names=(), paths=(), who=None) -> list[dict]:
    return [r for r in p1 if r["name"] in names or (r["path"] in paths and (who is None or who(r["name"])))]


def _compared(rows: list[dict], rps_goal: float, p95_goal: float | None = None) -> dict:
    if not rows:
        return MISSING
    rps = [r["rps_ratio"] for r in rows]
    p95 = [r["p95_ratio"] for r in rows]
    met = all(v >= rps_goal for v in rps if v is not None)
    value = _span(rps)
    if p95_goal is not None:
        met = met and all(v <= p95_goal for v in p95 if v is not None)
        value += f", p95 {_span(p95)}"
    if None in rps:  # a page had no answered request within its measurement: not judged unless another failed
        value += f" ({UNANSWERED})"
        met = False if not met else None
    return _cell(value, met)


def _database_cells(kind: str, figures: dict) -> dict[str, dict]:
    p1, p4, p5, memory = figures["p1"], figures["p4"], figures["p5"], figures["memory"]
    v1 = ("/api/v1/startups", "/api/v1/organisation")
    v27 = [r for r in p1 if r["path"].startswith("/api/v2.7/") and r["path"].endswith(".json")]
    desk_small = next((r for r in p5["small"]["rows"] if r["name"].startswith("desk")), None)
    small, large = p5["small"]["requests"], p5["large"]["requests"]
    cells = {
        "public": _compared(_rows(p1, names=PUBLIC_PAGES), 0.6, 2.0),
        "connexion": _compared(_rows(p1, names=("connexion",)), 0.4),
        "api_v1_anonymous": _compared(_rows(p1, paths=v1, who=lambda name: "token" not in name), 0.5),
        "api_v1_token": _compared(_rows(p1, paths=v1, who=lambda name: "token" in name), 0.3),
        "api_v1_requests": _compared(_rows(p1, paths=("/api/v1/requests",)), 0.15),
    }
    p4_met = p4["rps_ratio"] is not None and p4["rps_ratio"] >= 0.9 and (p4["p95_ratio"] or 0) <= 1.5
    cells["api_v27"] = _cell(
        f"{_x(p4['rps_ratio'])} the static file, p95 {_x(p4['p95_ratio'])}; "
        f"{_span([r['rps_ratio'] for r in v27])} the bare view",
        p4_met,
    )
    if desk_small is not None and not desk_small["requests"]:
        cells["desk_throughput"] = _cell(f"– ({UNANSWERED})", None)
    elif desk_small is not None:
        cells["desk_throughput"] = _cell(
            f"{desk_small['rps']:.0f} req/s, {_x(desk_small['rps_ratio'])}, p95 {desk_small['p95_ms']:.0f} ms "
            f"({small:,} requests)",
            desk_small["rps_ratio"] is not None and desk_small["rps_ratio"] >= 0.15,
        )
    for key, prefix in (("desk_growth", "desk"), ("request_growth", "request")):
        name = next((n for n in p5["p95_growth"] if n.startswith(prefix)), None)
        growth = p5["p95_growth"].get(name) if name else None
        cells[key] = _cell(
            f"p95 ×{growth:.2f} ({small:,} → {large:,})" if growth is not None else "–",
            None if growth is None else growth <= GROWTH_GOAL[kind],
        )
        if p5["large"].get("fallback_from"):
            cells[key]["value"] += " (fallback size)"
    twice = memory.get("desk_twice") or {}
    runs, delta = twice.get("runs") or [], twice.get("delta_mb")
    if delta is not None and len(runs) == 2:
        before = "/".join(f"{mb:.0f}" for mb in runs[0]["rss_mb"])
        after = "/".join(f"{mb:.0f}" for mb in runs[1]["rss_mb"])
        cells["worker_rss"] = _cell(
            f"{before} → {after} MB per worker (Δ {'/'.join(f'{d:+.1f}' for d in delta)} MB)",
            max(delta) <= RSS_GROWTH_MB,
        )
    return cells


def _import_cells(p3: dict | None) -> dict[str, dict]:
    if p3 is None:
        return {}
    tree = p3.get("tree", "the sample")
    cells = {
        "import_first": _cell(f"{_x(p3['import_ratio'])} ({tree})", (p3["import_ratio"] or 99) <= 2.0),
        "import_again": _cell(f"{_x(p3['reimport_ratio'])} ({tree})", (p3["reimport_ratio"] or 99) <= 2.0),
    }
    first, peak = p3.get("peak_rss_mb_after_import"), p3.get("peak_rss_mb")
    if first is not None and peak is not None:
        cells["import_peak_rss"] = _cell(
            f"{peak:.0f} MB (after the first imports {first:.0f} MB)", peak <= first * (1 + IMPORT_PEAK_GROWTH)
        )
    return cells


def _query_cells(p2: dict) -> dict[str, dict]:
    count = len(p2["endpoints"])
    growing = sum(not row["constant"] for row in p2["endpoints"])
    value = f"{growing} of {count} endpoints grow" if growing else f"flat for {count} endpoints"
    if not p2["test_passed"]:
        value += " (the test failed)"
    return {"query_counts": _cell(value, not growing and p2["test_passed"])}


# (key, what, goal): #19's rows, then the memory and query-count rows its text asks for.
ROWS = [
    ("public", "public pages (/qui-fait-quoi/, /produits/, a product)", "≥ 0.6× the bare view, p95 ≤ 2×"),
    ("connexion", "/connexion/", "≥ 0.4×"),
    ("api_v27", "/api/v2.7/*.json (P4: authors.json vs the same bytes static)", "≥ 0.9× the static file, p95 ≤ 1.5×"),
    ("api_v1_anonymous", "/api/v1/startups, /api/v1/organisation (anonymous)", "≥ 0.5×"),
    ("api_v1_token", "/api/v1/startups, /api/v1/organisation (staff token)", "≥ 0.3×"),
    ("api_v1_requests", "/api/v1/requests (staff token, pages of 100)", "≥ 0.15×"),
    ("desk_throughput", "staff desk (« toutes »)", "≥ 0.15× the bare view"),
    ("desk_growth", "staff desk p95, as the desk grows", "≤ 1.5× (SQLite, 100k) / ≤ 2× (PostgreSQL, 1M)"),
    ("request_growth", "a request page p95, as the desk grows", "≤ 1.5× (SQLite, 100k) / ≤ 2× (PostgreSQL, 1M)"),
    ("import_first", "import of a tree 4× the sample, first import", "≤ 2× the bare libyaml parse"),
    ("import_again", "import of a tree 4× the sample, re-import", "≤ 2× the bare libyaml parse"),
    ("import_peak_rss", "peak RSS of the import process", f"no growth (re-imports ≤ +{IMPORT_PEAK_GROWTH:.0%})"),
    ("worker_rss", "gunicorn workers' RSS, desk measured twice", f"no growth (Δ ≤ {RSS_GROWTH_MB:g} MB)"),
    ("query_counts", "SQL queries per page at N, 10N, 100N (P2)", "flat"),
]
KINDS = ("sqlite", "postgresql")
# Measured once, on SQLite, whatever the server's database: P2 (the test suite's database) and P3.
SQLITE_ONLY = {"import_first", "import_again", "import_peak_rss", "query_counts"}


def evaluate(results: dict) -> list[dict]:
    per_kind = {kind: _database_cells(kind, figures) for kind, figures in results["databases"].items()}
    per_kind.setdefault("sqlite", {}).update(_import_cells(results.get("p3")), **_query_cells(results["p2"]))
    return [
        {"key": key, "what": what, "goal": goal, **{kind: per_kind.get(kind, {}).get(key, MISSING) for kind in KINDS}}
        for key, what, goal in ROWS
    ]


def verdict(cell: dict | None) -> str:
    if not cell or cell.get("met") is None:
        return "–"
    return "met" if cell["met"] else "not met"
