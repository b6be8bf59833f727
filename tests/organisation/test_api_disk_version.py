"""`/api/v1/organisation` without a query when core/published.py vouches for the organisation's version
(`core.api.stamp_key`): the same headers and bytes as when the database is read, a committed change visible (and a
new ETag) on the next request, a rolled-back one never served. Real commits (transactional_db)."""

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from incubateur.organisation import services
from incubateur.organisation.models import Portfolio
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

API = "/api/v1/organisation"


@pytest.fixture
def root(settings, tmp_path):
    settings.PUBLISHED_ROOT = tmp_path / "published"
    yield settings.PUBLISHED_ROOT
    cache.clear()  # the database cache's table is not flushed between transactional tests: leave it empty


def queries(client, **headers):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(API, **headers)
    return response, len(ctx.captured_queries)


def manager(response) -> str | None:
    justice = next(p for p in response.json()["portfolios"] if p["label"] == "Justice")
    return justice["manager"] and justice["manager"]["username"]


def test_a_hit_runs_no_query_with_the_same_headers_and_bytes(client, settings, tmp_path, organisation):
    settings.PUBLISHED_ROOT = None
    from_database = client.get(API)
    settings.PUBLISHED_ROOT = tmp_path / "published"
    client.get(API)  # the version read once from the database by this process
    from_disk, count = queries(client)
    assert count == 0
    assert from_disk.content == from_database.content
    assert sorted(from_disk.items()) == sorted(from_database.items())
    not_modified, count = queries(client, HTTP_IF_NONE_MATCH=from_disk["ETag"])
    assert (not_modified.status_code, count) == (304, 0)
    assert queries(client, HTTP_AUTHORIZATION="Bearer ignoré")[1] == 0  # a public operation: no token read
    cache.clear()


def test_a_committed_change_is_visible_at_once(client, root, organisation):
    first = client.get(API)
    assert queries(client)[1] == 0
    services.portfolio_set_manager(
        portfolio=Portfolio.objects.get(slug="justice"), manager=UserFactory(username="nouvelle.personne"), by=None
    )
    changed = client.get(API, HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200
    assert changed["ETag"] != first["ETag"]
    assert manager(changed) == "nouvelle.personne"
    assert queries(client)[1] == 0


def test_a_rolled_back_change_is_never_served(client, root, organisation):
    before = client.get(API)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.portfolio_set_manager(
            portfolio=Portfolio.objects.get(slug="justice"), manager=UserFactory(username="jamais.ecrit"), by=None
        )
        raise RuntimeError
    after = client.get(API)
    assert after.content == before.content
    assert after["ETag"] == before["ETag"]
