"""The public statistics make a constant number of queries whatever the size of the data: the pages read snapshots
(one query), and the daily computation reads each indicator's rows in one or two queries, counted in Python. Measured
on the synthetic data at scale N, 10N and 100N (`seed_synthetic`: 1, 10 and 100 products; 10, 100 and 1,000 members
and requests)."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from incubateur.registry.models import Member, Product
from incubateur.synthetic import generator
from incubateur.transparency import statistics
from tests.organisation.helpers import load_organisation

SCALES = (1, 10, 100)
PAGES = [
    "/statistiques/",
    "/statistiques/nouveaux-membres/",
    "/statistiques/demandes-au-guichet/",
    "/statistiques/produits-par-incubateur.csv",
    "/statistiques/membres-par-statut.json",
]


def _count(call) -> int:
    with CaptureQueriesContext(connection) as queries:
        call()
    return len(queries.captured_queries)


@pytest.fixture(scope="module")
def measured(django_db_setup, django_db_blocker) -> dict[int, dict[str, int]]:
    results: dict[int, dict[str, int]] = {}
    with django_db_blocker.unblock(), transaction.atomic():
        load_organisation(routing=True)
        call_command("load_programmes", stdout=StringIO())
        client = Client()
        for scale in SCALES:
            if generator.exists():
                generator.delete()
            generator.seed(scale=scale, seed=0)
            statistics.refresh()  # the snapshots exist: what is measured is the daily replacement
            counts = {"refresh": _count(statistics.refresh), "products": Product.objects.count()}
            counts["members"] = Member.objects.count()
            for path in PAGES:
                client.get(path)  # warm per-process caches
                counts[path] = _count(lambda path=path: client.get(path))
            results[scale] = counts
        transaction.set_rollback(True)
    return results


def test_the_data_grows(measured):
    assert measured[100]["products"] > measured[1]["products"] * 10
    assert measured[100]["members"] > measured[1]["members"] * 10


@pytest.mark.parametrize("what", ["refresh", *PAGES])
def test_query_count_is_flat(measured, what):
    assert measured[1][what] == measured[10][what] == measured[100][what], {s: measured[s][what] for s in SCALES}


@pytest.mark.parametrize("path", PAGES)
def test_pages_make_at_most_a_few_queries(measured, path):
    assert measured[100][path] <= 3
