"""`python -m bench [--quick]`: prepare, serve, measure, report (see the package's docstring)."""

import argparse
import json
import signal
import sys
import time
from datetime import UTC, datetime

from bench import BENCH_DIR, ROOT, BenchError, environment, log, report, scenarios
from bench.load import CONNECTIONS, Wrk, balanced
from bench.scenarios import FLOOR, P4_STATIC, P4_VIEW, P5_PAGES, VIEWER, Target
from bench.server import GUNICORN_THREADS, GUNICORN_WORKERS, Server, fetch

QUICK_FILES = (BENCH_DIR / "quick.json", BENCH_DIR / "performance-quick.md")


def serve_and_measure(args, env: dict[str, str], sizes: dict, generator: Wrk) -> dict:
    """P1, P4 and P5 against a server on the small database, then P5 again on the large one."""
    main_data = environment.manage_json(env, "bench_fixtures", VIEWER, "--static", P4_VIEW, P4_STATIC)
    large_data = environment.manage_json(environment.on_database(env, environment.DB_LARGE), "bench_fixtures", VIEWER)
    if not main_data["ticket"] or not large_data["ticket"]:
        raise BenchError("no request to measure: seed_synthetic wrote none")
    floor = Target(*FLOOR)
    pages = scenarios.p1_targets(main_data)
    static = Target("authors.json as a static file", main_data["static"]["url"])
    view = Target("authors.json (view)", P4_VIEW)
    server = Server(env, environment.free_port())
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
        p5 = {"small": {**sizes["small"], "rows": small}}
        server.stop()
        server = Server(environment.on_database(env, environment.DB_LARGE), environment.free_port())
        server.start()
        scenarios.check(server, [floor])
        p5["large"] = {
            **sizes["large"],
            "rows": scenarios.p5_measure(generator, server, large_data, sizes["large"], args),
        }
    finally:
        server.stop()
    p5["p95_growth"] = {
        name: environment.ratio(
            next(r for r in p5["large"]["rows"] if r["name"] == name)["p95_ms"],
            next(r for r in p5["small"]["rows"] if r["name"] == name)["p95_ms"],
        )
        for name, _ in P5_PAGES
    }
    return {"p1": p1, "p4": p4, "p5": p5}


def measure(args: argparse.Namespace) -> int:
    started = time.monotonic()
    plan = scenarios.QUICK if args.quick else scenarios.FULL
    large_scale = args.large_scale or plan.large
    result_file, docs_file = QUICK_FILES if args.quick else (report.RESULT_FILE, report.DOCS_FILE)
    busy_before = report.cpu_busy()
    generator = Wrk()  # first: without wrk there is nothing to measure with
    env = environment.bench_env()
    environment.wipe(keep={report.RESULT_FILE, *QUICK_FILES})
    sizes = environment.prepare(
        env,
        small_scale=plan.small,
        large_scale=large_scale,
        fallback_scale=min(plan.fallback, large_scale),
        seed_timeout=args.seed_timeout,
    )
    p2 = environment.query_counts()
    p3 = environment.import_ratio(env, plan.import_rounds)
    figures = serve_and_measure(args, env, sizes, generator)
    results = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "machine": report.machine_info(generator.name, busy_before, report.cpu_busy()),
        "config": {
            "settings": env["DJANGO_SETTINGS_MODULE"],
            "database": "sqlite",
            "connections": CONNECTIONS,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "gunicorn": {"worker_class": "gthread", "workers": GUNICORN_WORKERS, "threads": GUNICORN_THREADS},
            "floor": {"name": FLOOR[0], "path": FLOOR[1]},
            "sample": str(environment.SAMPLE) if environment.SAMPLE.is_dir() else None,
            "seed_synthetic": sizes,
            "viewer": VIEWER,
        },
        "p1": figures["p1"],
        "p2": p2,
        "p3": p3,
        "p4": figures["p4"],
        "p5": figures["p5"],
        "seconds": round(time.monotonic() - started),
    }
    report.print_report(results)
    result_file.parent.mkdir(parents=True, exist_ok=True)
    result_file.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    report.write_markdown(results, docs_file)
    print(f"Written to {result_file.relative_to(ROOT)} and {docs_file.relative_to(ROOT)}")
    return outcome(figures)


def outcome(figures: dict) -> int:
    """Never a failure on a time: only requests that failed outright (errors) make the run fail."""
    p5 = figures["p5"]
    measured = [*figures["p1"], figures["p4"], *p5["small"]["rows"], *p5["large"]["rows"]]
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
    parser.add_argument("--duration", type=float, help="seconds of load per measurement (default 5; quick 1)")
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
        "--seed-timeout",
        type=float,
        default=300.0,
        help=f"seconds the large seed may take, else --scale {scenarios.FULL.fallback} (default 300)",
    )
    args = parser.parse_args()
    defaults = (1.0, 0.0, 1.0) if args.quick else (5.0, 1.0, 10.0)
    for name, default in zip(("duration", "warmup", "p5_duration"), defaults, strict=True):
        if getattr(args, name) is None:
            setattr(args, name, default)
    if args.duration <= 0:
        parser.error("--duration must be positive")
    if args.large_scale is not None and args.large_scale < 1:
        parser.error("--large-scale must be at least 1")
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
