"""What is measured (pages, API lists, the desk, the sizes) and how two measurements are compared."""

from dataclasses import dataclass

from bench import BenchError, log
from bench.environment import SAMPLE, ratio
from bench.load import Wrk
from bench.server import Server, check_page

# The floor: the same middleware stack, no template, no query (config.urls_bench). Measured right before each page.
FLOOR = ("hello", "/_perf/hello")
PRODUCT_PAGE = "/produits/1-eleve-1-stage/"  # a product of the sample (a synthetic one without the sample)
# P1: (name, path, who) measured against the floor; who is None (anonymous), "token" (a staff member's API
# token), "session" (a staff member's session cookie) or "member" (a community member's session, not staff). A path
# may name what bench_fixtures found: {dotted_product} (a product id with a dot), {attachment} (an attachment's id).
# Add pages and API endpoints here.
PAGES = [
    ("home", "/", None),
    ("connexion", "/connexion/", None),
    ("qui-fait-quoi", "/qui-fait-quoi/", None),
    ("produits", "/produits/", None),
    ("produit", PRODUCT_PAGE, None),
    ("api organisation", "/api/v1/organisation", None),
    ("api v2.7 startups", "/api/v2.7/startups.json", None),
    ("api v2.7 authors", "/api/v2.7/authors.json", None),
    ("api v2.7 incubators", "/api/v2.7/incubators.json", None),
    ("api v2.7 organisations", "/api/v2.7/organisations.json", None),
    ("api v2.7 sponsors", "/api/v2.7/sponsors.json", None),
    ("api v1 startups", "/api/v1/startups", None),
    ("api v1 requests (staff, token)", "/api/v1/requests", "token"),
    ("api v1 startups (token)", "/api/v1/startups", "token"),
    ("api v1 organisation (token)", "/api/v1/organisation", "token"),
    ("api v2.7 startups.csv", "/api/v2.7/startups.csv", None),
    ("api v3 a startup", "/api/v3/startups/{dotted_product}.json", None),
    ("api v2.6 jobs", "/api/v2.6/jobs.json", None),
    ("recrutement", "/recrutement/", None),
    ("recrutement feed", "/recrutement/flux.atom", None),
    ("journal", "/journal/", None),
    ("journal feed", "/journal/flux.atom", None),
    ("statistiques", "/statistiques/", None),
    ("engagements", "/engagements/", None),
    ("mon-espace (member)", "/mon-espace/", "member"),
    ("attachment (staff)", "/guichet/pieces-jointes/{attachment}/", "session"),
]
# The rows of #19's goals (bench.goals) that read P1, by name.
PUBLIC_PAGES = ("qui-fait-quoi", "produits", "produit")
# P4: the view and the same bytes as a static file (written under STATIC_ROOT before the server starts).
P4_VIEW = "/api/v2.7/authors.json"
P4_STATIC = "bench/authors.json"  # under STATIC_ROOT, served at /static/bench/authors.json
# P5: pages of the staff, read with a session, at two sizes of the desk.
P5_PAGES = [("desk, toutes", "/guichet/equipe/?vue=toutes"), ("request page", "/guichet/demandes/{ticket}/")]
VIEWER = "ishan.bhojwani"  # a member of the Incubator (lead of the direction, data/organisation.yaml)


@dataclass(frozen=True)
class Sizes:
    """seed_synthetic --scale N: N products, 10N members, 10N requests."""

    small: int = 100  # P1, P4, P5: 1,000 requests
    large: int = 10_000  # P5 on SQLite: 100,000 requests
    fallback: int = 1_000  # P5 on SQLite: 10,000 requests, when the large seed takes too long here
    pg_large: int = 100_000  # P5 on PostgreSQL: 1,000,000 requests
    pg_fallback: int = 10_000  # P5 on PostgreSQL: 100,000 requests, when the large seed takes too long here
    import_rounds: int = 3  # P3: each side timed this many times (the median is kept)
    import_factor: int = 4  # P3: the tree is the sample this many times over (manage.py synthetic_tree)


FULL = Sizes()
# Checks the harness, measures nothing.
QUICK = Sizes(small=10, large=100, fallback=30, pg_large=100, pg_fallback=30, import_rounds=1, import_factor=1)


@dataclass
class Target:
    name: str
    path: str
    headers: dict[str, str] | None = None


def compare(generator: Wrk, server: Server, page: Target, floor: Target, duration: float, page_duration=None) -> dict:
    """`floor` then `page`, back to back under the same load: the page's figures and its ratios to the floor."""
    log(f"measure {floor.path} ({floor.name}), then {page.path}")
    below = generator.run(server, floor.path, duration, floor.headers)
    figures = generator.run(server, page.path, page_duration or duration, page.headers)
    return {
        "name": page.name,
        "path": page.path,
        **figures,
        "floor": {"name": floor.name, "path": floor.path, **below},
        # No request answered within the measurement (a page slower than it): nothing to compare.
        "rps_ratio": ratio(figures["rps"], below["rps"]) if figures["requests"] else None,
        "p95_ratio": ratio(figures["p95_ms"], below["p95_ms"]) if figures["requests"] else None,
    }


def check(server: Server, targets: list[Target]) -> None:
    for target in targets:
        status = check_page(server.port, target.path, target.headers)
        if not 200 <= status <= 299:
            raise BenchError(f"GET {target.path} answered {status}, not 2xx:\n{server.log_tail()}")


def warm(generator: Wrk, server: Server, targets: list[Target], seconds: float) -> None:
    if seconds > 0:
        for target in targets:
            log(f"warm-up {target.path}")
            generator.run(server, target.path, seconds, target.headers)


def credentials(data: dict) -> dict[str | None, dict[str, str] | None]:
    return {
        None: None,
        "token": {"Authorization": f"Bearer {data['token']}"},
        "session": {"Cookie": data["cookie"]},
        "member": {"Cookie": data["member_cookie"]} if data.get("member_cookie") else None,
    }


def p1_targets(data: dict) -> list[Target]:
    who = credentials(data)
    targets = []
    for name, path, auth in PAGES:
        if path == PRODUCT_PAGE and not SAMPLE.is_dir():
            path = f"/produits/{data['product']}/"  # no sample: the first synthetic product
        if auth == "member" and who[auth] is None:
            log(f"P1: no community member with an account: {path} skipped")
            continue
        targets.append(Target(name, path.format(**data), who[auth]))
    return targets


def estimate_seconds(args, pages: int, databases: int) -> float:
    """What the measurements alone take (seeding and building the databases come on top): per database, each P1
    page and P4 after its floor, with its warm-up and about a second to spread the connections; P5's two pages at
    two sizes, and the desk once more (memory)."""
    per_compare = 2 * args.duration + args.warmup + 2
    p5 = 5 * (args.duration + max(args.duration, args.p5_duration) + args.warmup + 2)
    return databases * ((pages + 1) * per_compare + p5)


def p5_targets(data: dict) -> list[Target]:
    return [Target(name, path.format(ticket=data["ticket"]), credentials(data)["session"]) for name, path in P5_PAGES]


def p5_measure(generator: Wrk, server: Server, data: dict, size: dict, args) -> list[dict]:
    floor = Target(*FLOOR)
    targets = p5_targets(data)
    check(server, targets)
    warm(generator, server, targets, args.warmup)
    rows = []
    for target in targets:
        # Longer than the others: a slow page gives few samples for its p95 in a few seconds.
        row = compare(generator, server, target, floor, args.duration, max(args.duration, args.p5_duration))
        row.update(desk_requests=data["requests"], scale=size["scale"])  # "requests": those wrk counted
        rows.append(row)
    return rows


def memory_repeat(generator: Wrk, server: Server, data: dict, args) -> dict:
    """The longest measurement (the desk at the large size) run twice more, each workers' RSS after each: memory
    that grows with the number of requests served shows as a delta."""
    desk = p5_targets(data)[0]
    runs = []
    for _ in range(2):
        log(f"memory: {desk.path} again, then each worker's RSS")
        figures = generator.run(server, desk.path, max(args.duration, args.p5_duration), desk.headers)
        runs.append({"requests": figures["requests"], "rss_mb": server.worker_rss_mb()})
    first, second = runs[0]["rss_mb"], runs[1]["rss_mb"]
    delta = [round(b - a, 1) for a, b in zip(first, second, strict=False)] if first and second else None
    return {"path": desk.path, "runs": runs, "delta_mb": delta}
