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
# token) or "session" (a staff member's session cookie). Add pages and API endpoints here.
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
]
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
    large: int = 10_000  # P5: 100,000 requests
    fallback: int = 1_000  # P5: 10,000 requests, when the large seed takes too long here
    import_rounds: int = 5  # P3: each side timed this many times (the median is kept)


FULL = Sizes()
QUICK = Sizes(small=10, large=100, fallback=30, import_rounds=1)  # checks the harness, measures nothing


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
        "rps_ratio": ratio(figures["rps"], below["rps"]),
        "p95_ratio": ratio(figures["p95_ms"], below["p95_ms"]),
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
    return {None: None, "token": {"Authorization": f"Bearer {data['token']}"}, "session": {"Cookie": data["cookie"]}}


def p1_targets(data: dict) -> list[Target]:
    who = credentials(data)
    targets = []
    for name, path, auth in PAGES:
        if path == PRODUCT_PAGE and not SAMPLE.is_dir():
            path = f"/produits/{data['product']}/"  # no sample: the first synthetic product
        targets.append(Target(name, path, who[auth]))
    return targets


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
        row.update(requests=data["requests"], scale=size["scale"])
        rows.append(row)
    return rows
