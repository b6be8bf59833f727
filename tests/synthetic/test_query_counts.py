"""P2 of `make bench` as a test: the SQL queries of each page and endpoint are the same at scale N, 10N and 100N
(`seed_synthetic` with N = 1: 1, 10 and 100 products; 10, 100 and 1,000 members and requests).

Each URL is requested once to warm per-process caches (content types, a token's `last_used_at`), then measured
with the shared cache emptied (page caches are off in the test settings; the registry's and the organisation's
cached fragments and JSON files are rebuilt): what is counted is the whole build, where an N+1 would show. The
statistics' and commitments' snapshots are refreshed after each seed, as the worker's daily housekeeping would.
A count that grows with the data is an N+1 query: the failure names the URL and shows the queries that differ.

`make bench` runs this module with QUERY_COUNTS_OUT=<file>: the counts are also written there (its P2 section).
"""

import json
import os
import re
from collections import Counter
from dataclasses import dataclass
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from freezegun import freeze_time

from incubateur.accounts.api_auth import api_token_issue
from incubateur.accounts.models import User
from incubateur.guichet.models import Attachment, Message, Offer, OfferStatus, Ticket
from incubateur.organisation.models import Portfolio
from incubateur.organisation.selectors import match_portfolio
from incubateur.programmes.models import Application
from incubateur.recruitment.models import JobPost
from incubateur.registry.models import Product
from incubateur.registry.selectors import perimeters
from incubateur.synthetic import generator
from incubateur.transparency import commitments, statistics
from tests.organisation.helpers import load_organisation
from tests.utils import analyse

SCALES = (1, 10, 100)
VIEWER = "igor.balise"  # lead of the direction: Incubator staff who sees every board


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str  # may name {product}, {ticket}, {manager}, {post}, {attachment}
    auth: str = "anonymous"  # or "session" (staff), "token" (staff's API token), "member" (a synthetic member)


ENDPOINTS = [
    Endpoint("home", "/"),
    Endpoint("qui fait quoi", "/qui-fait-quoi/"),
    Endpoint("produits", "/produits/"),
    Endpoint("produit", "/produits/{product}/"),
    Endpoint("api v2.7 startups", "/api/v2.7/startups.json"),
    Endpoint("api v2.7 authors", "/api/v2.7/authors.json"),
    Endpoint("api v2.7 incubators", "/api/v2.7/incubators.json"),
    Endpoint("api v2.7 organisations", "/api/v2.7/organisations.json"),
    Endpoint("api v2.7 sponsors", "/api/v2.7/sponsors.json"),
    Endpoint("api v1 startups", "/api/v1/startups"),
    Endpoint("api v1 members", "/api/v1/members"),
    Endpoint("api v1 requests", "/api/v1/requests", "token"),
    Endpoint("api v1 request", "/api/v1/requests/{ticket}", "token"),
    Endpoint("api v1 offers", "/api/v1/offers", "token"),
    Endpoint("guichet desk, toutes", "/guichet/equipe/?vue=toutes", "session"),
    Endpoint("guichet request", "/guichet/demandes/{ticket}/", "session"),
    Endpoint("programmes", "/programmes/"),
    Endpoint("board", "/equipe/portefeuilles/{manager}/", "session"),
    Endpoint("boards", "/equipe/portefeuilles/", "session"),
    # The pages of #11–#15.
    Endpoint("mon espace", "/mon-espace/", "member"),
    Endpoint("mon parcours", "/mon-espace/parcours/", "member"),
    Endpoint("statistiques", "/statistiques/"),
    Endpoint("statistique", "/statistiques/produits-par-phase/"),
    Endpoint("engagements", "/engagements/"),
    Endpoint("journal", "/journal/"),
    Endpoint("journal atom", "/journal/flux.atom"),
    Endpoint("recrutement", "/recrutement/"),
    Endpoint("annonce", "/recrutement/{post}/"),
    Endpoint("recrutement atom", "/recrutement/flux.atom"),
    Endpoint("api v2.6 jobs", "/api/v2.6/jobs.json"),
    Endpoint("api v1 jobs", "/api/v1/jobs"),
    Endpoint("pièce jointe", "/guichet/pieces-jointes/{attachment}/", "session"),
]


def _targets() -> dict[str, str]:
    """The objects the URLs name, chosen alike at every scale: the first synthetic product (in construction, in a
    portfolio); the first request that is not confidential, has a product and a thread, as staff handle most;
    the manager of the first product's portfolio. Lists are never empty at the smallest scale (an empty page skips
    its rows query, which is not what is compared here)."""
    product = Product.objects.filter(ghid__startswith=generator.GHID_PREFIX).order_by("pk").first()
    ticket = (
        Ticket.objects.filter(confidential=False, team_owned=False, product__isnull=False, assignee__isnull=False)
        .filter(pk__in=Message.objects.filter(internal=False).values("ticket"))
        .order_by("pk")
        .first()
    )
    themes, ministries = perimeters([product])[product.pk]
    portfolio, _ = match_portfolio(
        list(Portfolio.objects.select_related("manager")), ministries=ministries, themes=themes
    )
    post = JobPost.objects.open_public().filter(product__ghid__startswith=generator.GHID_PREFIX).order_by("pk").first()
    attachment = Attachment.objects.filter(ticket__confidential=False).order_by("pk").first()
    return {
        "product": product.ghid,
        "ticket": ticket.reference,
        "manager": portfolio.manager.username,
        "post": str(post.pk),
        "attachment": str(attachment.pk),
    }


def _member() -> User:
    """The first synthetic member (on the first product's active team, with ticked onboarding steps), given one row
    in each block of « Mon espace » at every scale (an empty block skips its rows query, which is not what is
    compared here): a request about the product, an application for it, a pending offer of help to its team."""
    user = User.objects.filter(email__endswith="@" + generator.EMAIL_DOMAIN).order_by("pk").first()
    product = Product.objects.filter(ghid__startswith=generator.GHID_PREFIX).order_by("pk").first()
    first = {"pk__in": Ticket.objects.filter(confidential=False, team_owned=False).order_by("pk").values("pk")[:1]}
    Ticket.objects.filter(**first).update(requester=user, product=product)
    applications = Application.objects.filter(product__isnull=False).order_by("pk").values("pk")[:1]
    Application.objects.filter(pk__in=applications).update(applicant=user, product=product)
    offers = Offer.objects.filter(status=OfferStatus.PENDING).order_by("pk").values("pk")[:1]
    Offer.objects.filter(pk__in=offers).update(product=product)
    return user


def _measure(client: Client, endpoint: Endpoint, targets: dict, headers: dict) -> list[str]:
    path = endpoint.path.format(**targets)
    extra = headers if endpoint.auth == "token" else {}
    # One instant for both requests: what the clock decides (a token's `last_used_at`, written at most once a
    # minute) happens in the warm-up, never in the measure, however slow the machine.
    with freeze_time(timezone.now()):
        cache.clear()
        warm = client.get(path, **extra)
        _drain(warm)
        assert warm.status_code == 200, f"{path}: {warm.status_code}"
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path, **extra)
        _drain(response)
    assert response.status_code == 200, f"{path}: {response.status_code}"
    return [query["sql"] for query in queries.captured_queries]


def _drain(response) -> None:
    """Read a streamed download to its end: the test client then closes the file, as a WSGI server would (never
    `response.close()` here: its `request_finished` signal would close the database connection of the module's
    transaction)."""
    if response.streaming:
        b"".join(response.streaming_content)


@pytest.fixture(scope="module")
def measured(django_db_setup, django_db_blocker) -> dict[str, dict[int, list[str]]]:
    """{endpoint name: {scale: [SQL]}}, measured once for the module in a transaction rolled back at its end."""
    results: dict[str, dict[int, list[str]]] = {endpoint.name: {} for endpoint in ENDPOINTS}
    with django_db_blocker.unblock(), transaction.atomic():
        load_organisation(routing=True)
        call_command("load_programmes", stdout=StringIO())
        viewer = User.objects.get(username=VIEWER)
        _, secret = api_token_issue(user=viewer, name="query counts")
        headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
        anonymous, staff = Client(), Client()
        staff.force_login(viewer)
        for scale in SCALES:
            if generator.exists():
                generator.delete()
            generator.seed(scale=scale, seed=0)
            # What the worker's daily housekeeping computes from the data: the pages read these snapshots.
            statistics.refresh()
            commitments.refresh()
            analyse()
            targets = _targets()
            member = Client()
            member.force_login(_member())
            clients = {"anonymous": anonymous, "session": staff, "token": staff, "member": member}
            for endpoint in ENDPOINTS:
                client = clients[endpoint.auth]
                results[endpoint.name][scale] = _measure(client, endpoint, targets, headers)
        transaction.set_rollback(True)
    if os.environ.get("QUERY_COUNTS_OUT"):
        _write(os.environ["QUERY_COUNTS_OUT"], results)
    return results


def _write(path: str, results: dict[str, dict[int, list[str]]]) -> None:
    """The counts for `make bench` (P2): one row per endpoint, its count at each scale."""
    rows = []
    for endpoint in ENDPOINTS:
        counts = {str(scale): len(queries) for scale, queries in results[endpoint.name].items()}
        rows.append(
            {
                "name": endpoint.name,
                "path": endpoint.path,
                "auth": endpoint.auth,
                "queries": counts,
                "constant": len(set(counts.values())) == 1,
            }
        )
    products = {str(scale): scale for scale in SCALES}
    with open(path, "w", encoding="utf-8") as out:
        json.dump({"scales_products": products, "requests_per_product": 10, "endpoints": rows}, out, indent=2)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e.name for e in ENDPOINTS])
def test_queries_do_not_grow_with_the_data(measured, endpoint):
    by_scale = measured[endpoint.name]
    counts = {scale: len(queries) for scale, queries in by_scale.items()}
    if len(set(counts.values())) > 1:
        smallest, largest = Counter(map(_shape, by_scale[SCALES[0]])), Counter(map(_shape, by_scale[SCALES[-1]]))
        extra = [f"{count} × {sql}" for sql, count in (largest - smallest).items()][:5]
        fewer = [f"{count} × {sql}" for sql, count in (smallest - largest).items()][:5]
        pytest.fail(
            f"{endpoint.path}: {counts} queries at scales {SCALES} — N+1. Queries only at the largest scale:\n"
            + "\n".join(extra)
            + "\nQueries only at the smallest scale:\n"
            + "\n".join(fewer)
        )


def _shape(sql: str) -> str:
    """The query without its values: the same query for another row is the same shape."""
    return re.sub(r"\b\d+\b", "?", re.sub(r"'[^']*'", "?", sql))


def test_every_page_keeps_a_small_budget(measured):
    """An absolute budget besides the constant count (quality.md: about 10 per page); sessions and tokens
    included. Printed with `-s` for the record."""
    table = {name: len(by_scale[SCALES[-1]]) for name, by_scale in measured.items()}
    print("\nSQL queries per request (scale 100):", table)
    over = {name: count for name, count in table.items() if count > 30}
    assert not over, over
