"""`python -m bench [--quick]`: prepare, serve, measure, report (see the package's docstring)."""

import argparse
import json
import signal
import sqlite3
import sys
import time
from datetime import UTC, datetime

from bench import BENCH_DIR, ROOT, BenchError, environment, goals, log, postgres, report, scenarios
from bench.load import CONNECTIONS, Wrk, balanced
from bench.scenarios import FLOOR, P4_STATIC, P4_VIEW, P5_PAGES, VIEWER, Target
from bench.server import GUNICORN_THREADS, GUNICORN_WORKERS, Server, fetch

QUICK_FILES = (BENCH_DIR / "quick.json", BENCH_DIR / "performance-quick.md")


def serve_and_measure(args, env: dict[str, str], databases, sizes: dict, generator: Wrk) -> dict:
    """P1, P4 and P5 against a server on the `main` database, the workers' RSS; then P5 again on the `large` one,
    and the desk twice more there (memory)."""
    main_env, large_env = environment.on(env, databases, "main"), environment.on(env, databases, "large")
    main_data = environment.manage_json(main_env, "bench_fixtures", VIEWER, "--static", P4_VIEW, P4_STATIC)
    large_data = environment.manage_json(large_env, "bench_fixtures", VIEWER)
    if not main_data["ticket"] or not large_data["ticket"]:
        raise BenchError("no request to measure: seed_synthetic wrote none")
    floor = Target(*FLOOR)
    pages = scenarios.p1_targets(main_data)
    static = Target("authors.json as a static file", main_data["static"]["url"])
    view = Target("authors.json (view)", P4_VIEW)
    server = Server(main_env, environment.free_port())
    log(f"== {databases.kind}: P1 ({len(pages)} pages), P4, P5")
    try:
        server.start()
        scenarios.check(server, [floor, *pages, static, view])
        served, copied = fetch(server.port, view.path)[1], fetch(server.port, static.path)[1]
        log(f"load: {generator.name}, {CONNECTIONS} connections, {args.duration:g} s per measurement")
        scenarios.warm(generator, server, [floor, *pages, static], args.warmup)
        p1 = [scenarios.compare(generator, server, page, floor, args.duration) for page in pages]
        p4 = scenarios.compare(generator, server, view, static, args.duration)
        p4.update(bytes=len(served), identical_bytes=served == copied)
        small = scenarios.p5_measure(generator, server, main_data, sizes["small"], args)
        memory = {"after_p1_p4_p5_mb": server.worker_rss_mb()}
        p5 = {"small": {**sizes["small"], "rows": small}}
        server.stop()
        server = Server(large_env, environment.free_port())
        server.start()
        scenarios.check(server, [floor])
        p5["large"] = {
            **sizes["large"],
            "rows": scenarios.p5_measure(generator, server, large_data, sizes["large"], args),
        }
        memory["desk_twice"] = scenarios.memory_repeat(generator, server, large_data, args)
    finally:
        server.stop()
    p5["p95_growth"] = {name: p95_growth(p5, name) for name, _ in P5_PAGES}
    return {"seed_synthetic": sizes, "p1": p1, "p4": p4, "p5": p5, "memory": memory}


def p95_growth(p5: dict, name: str) -> float | None:
    """p95 at the large size ÷ p95 at the small one; None when either measurement had no answered request."""
    large, small = (next(r for r in p5[size]["rows"] if r["name"] == name) for size in ("large", "small"))
    return environment.ratio(large["p95_ms"], small["p95_ms"]) if large["requests"] and small["requests"] else None


def on_postgres(args, env: dict[str, str], plan, generator: Wrk) -> dict:
    """The same databases and measurements on a throwaway PostgreSQL cluster, stopped and removed on the way out."""
    with postgres.Cluster() as cluster:
        databases = environment.PostgresDatabases(cluster)
        large_scale = args.pg_large_scale or plan.pg_large
        sizes = environment.prepare(
            env,
            databases,
            small_scale=plan.small,
            large_scale=large_scale,
            fallback_scale=min(plan.pg_fallback, large_scale),
            seed_timeout=args.pg_seed_timeout,
        )
        figures = serve_and_measure(args, env, databases, sizes, generator)
        figures["version"] = cluster.version()
        return figures


def measure(args: argparse.Namespace) -> int:
    started = time.monotonic()
    plan = scenarios.QUICK if args.quick else scenarios.FULL
    large_scale = args.large_scale or plan.large
    result_file, docs_file = QUICK_FILES if args.quick else (report.RESULT_FILE, report.DOCS_FILE)
    previous = report.previous_results()
    busy_before = report.cpu_busy()
    generator = Wrk()  # first: without wrk there is nothing to measure with
    env = environment.bench_env()
    kinds = ["sqlite"] + ([] if args.no_postgres else ["postgresql"])
    estimate = scenarios.estimate_seconds(args, len(scenarios.PAGES), len(kinds))
    log(
        f"plan: {', '.join(kinds)}; {len(scenarios.PAGES)} P1 pages, {args.duration:g} s each; measurements alone "
        f"≈ {estimate / 60:.0f} min, plus building the databases (seed timeouts: SQLite {args.seed_timeout:g} s, "
        f"PostgreSQL {args.pg_seed_timeout:g} s)"
    )
    environment.wipe(keep={report.RESULT_FILE, *QUICK_FILES})
    environment.prepare_static(env)
    sqlite = environment.SqliteDatabases()
    sizes = environment.prepare(
        env,
        sqlite,
        small_scale=plan.small,
        large_scale=large_scale,
        fallback_scale=min(plan.fallback, large_scale),
        seed_timeout=args.seed_timeout,
        keep_empty=True,
    )
    p2 = environment.query_counts()
    p3 = environment.import_ratio(env, sqlite, plan.import_rounds, plan.import_factor)
    databases = {"sqlite": serve_and_measure(args, env, sqlite, sizes, generator)}
    databases["sqlite"]["version"] = sqlite3.sqlite_version
    if not args.no_postgres:
        databases["postgresql"] = on_postgres(args, env, plan, generator)
    results = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "machine": report.machine_info(generator.name, busy_before, report.cpu_busy()),
        "config": {
            "settings": env["DJANGO_SETTINGS_MODULE"],
            "databases": kinds,
            "connections": CONNECTIONS,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "p5_duration_s": max(args.duration, args.p5_duration),
            "gunicorn": {"worker_class": "gthread", "workers": GUNICORN_WORKERS, "threads": GUNICORN_THREADS},
            "floor": {"name": FLOOR[0], "path": FLOOR[1]},
            "sample": str(environment.SAMPLE) if environment.SAMPLE.is_dir() else None,
            "seed_synthetic": sizes,
            "viewer": VIEWER,
        },
        "p2": p2,
        "p3": p3,
        "databases": databases,
        "estimated_measurement_s": round(estimate),
        "seconds": round(time.monotonic() - started),
    }
    results["goals"] = goals.evaluate(results)
    report.print_report(results, previous)
    result_file.parent.mkdir(parents=True, exist_ok=True)
    result_file.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    if not args.quick:  # the committed copy: the "previous" column of the next run, also on a fresh clone
        report.PREVIOUS_FILE.parent.mkdir(parents=True, exist_ok=True)
        report.PREVIOUS_FILE.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    report.write_markdown(results, docs_file, previous)
    print(f"Written to {result_file.relative_to(ROOT)} and {docs_file.relative_to(ROOT)}")
    return outcome(databases)


def outcome(databases: dict) -> int:
    """Never a failure on a time: only requests that failed outright (errors) make the run fail."""
    measured = [
        row
        for figures in databases.values()
        for row in [*figures["p1"], figures["p4"], *figures["p5"]["small"]["rows"], *figures["p5"]["large"]["rows"]]
    ]
    for row in measured:
        for side in (row["floor"], row):
            if side["connections_per_worker"] is not None and not balanced(side["connections_per_worker"]):
                log(f"warning: connections unevenly spread over the workers while measuring {side['path']}")
        if row["non2xx"] or row["floor"]["non2xx"]:
            log(f"warning: non-2xx answers while measuring {row['path']} or {row['floor']['path']}")
    if any(side["errors"] for row in measured for side in (row, row["floor"])):
        log("requests failed outright (connection errors or timeouts): see the errors column")
        return 1
    return 0


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description="make bench: the performance figures P1–P5.")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="check the harness: small sizes, 1 s per measurement, no warm-up; writes var/bench/quick.json and "
        "var/bench/performance-quick.md, not latest.json nor docs/performance.md",
    )
    parser.add_argument("--duration", type=float, help="seconds of load per measurement (default 4; quick 1)")
    parser.add_argument("--warmup", type=float, help="seconds of warm-up per URL (default 1; quick 0)")
    parser.add_argument(
        "--p5-duration", type=float, help="P5: seconds of load on each staff page, at least --duration (default 10)"
    )
    parser.add_argument(
        "--large-scale",
        type=int,
        help=f"P5: seed_synthetic --scale of the large desk (default {scenarios.FULL.large}: "
        f"{10 * scenarios.FULL.large:,} requests)",
    )
    parser.add_argument(
        "--pg-large-scale",
        type=int,
        help=f"P5 on PostgreSQL: seed_synthetic --scale of the large desk (default {scenarios.FULL.pg_large}: "
        f"{10 * scenarios.FULL.pg_large:,} requests)",
    )
    parser.add_argument(
        "--pg-seed-timeout",
        type=float,
        default=1800.0,  # 1,000,000 requests took 934 s on 2 cores (2026-12-07)
        help=f"seconds the large PostgreSQL seed may take, else --scale {scenarios.FULL.pg_fallback} (default 1800)",
    )
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only (no PostgreSQL cluster)")
    parser.add_argument(
        "--seed-timeout",
        type=float,
        default=300.0,
        help=f"seconds the large seed may take, else --scale {scenarios.FULL.fallback} (default 300)",
    )
    args = parser.parse_args()
    defaults = (1.0, 0.0, 1.0) if args.quick else (4.0, 1.0, 10.0)  # 27 pages x 2 databases: ≈ 25 min in all
    for name, default in zip(("duration", "warmup", "p5_duration"), defaults, strict=True):
        if getattr(args, name) is None:
            setattr(args, name, default)
    if args.duration <= 0:
        parser.error("--duration must be positive")
    for name in ("large_scale", "pg_large_scale"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def main() -> int:
    args = arguments()
    # SIGTERM takes the same path as Ctrl-C: the server is stopped in a finally. SIGINT is set explicitly
    # because a shell starting the bench in the background may have left it ignored.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        return measure(args)
    except BenchError as error:
        log(f"bench: {error}")
        return 1
    except KeyboardInterrupt:
        log("bench: interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
