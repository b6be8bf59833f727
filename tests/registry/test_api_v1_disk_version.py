"""/api/v1/ lists: a cached list read without a query when core/published.py vouches for the registry's version
(`core.api.stamp_key`), the same headers and bytes as when the database is read, and never a stale body: a
committed write (here or in another thread) is visible on the next request, a rolled-back one leaves the body as
it was. Real commits (transactional_db): the guarantee hangs on on_commit hooks."""

import threading

import pytest
from django.core.cache import cache
from django.db import close_old_connections, connection, transaction
from django.test.utils import CaptureQueriesContext

from incubateur.accounts.api_auth import api_token_issue
from incubateur.core import api as core_api
from incubateur.core import published
from incubateur.core.stamps import Stamp
from incubateur.organisation import cache as organisation_cache
from incubateur.registry import cache as registry_cache
from incubateur.registry.models import Product
from tests.factories import UserFactory
from tests.registry.factories import IncubatorFactory, MemberFactory, OrganisationFactory, ProductFactory

pytestmark = pytest.mark.django_db(transaction=True)

API = "/api/v1"
LISTS = ["members", "startups", "incubators", "organisations"]


@pytest.fixture
def root(settings, tmp_path):
    settings.PUBLISHED_ROOT = tmp_path / "published"
    yield settings.PUBLISHED_ROOT
    cache.clear()  # the database cache's table is not flushed between transactional tests: leave it empty


@pytest.fixture
def world():
    owner = OrganisationFactory(ghid="anct", name="ANCT")
    incubator = IncubatorFactory(ghid="anct", title="Incubateur des territoires", owner=owner)
    product = ProductFactory(ghid="mon-service", name="Mon Service", incubator=incubator)
    MemberFactory(username="camille.martin", fullname="Camille Martin")
    return product


@pytest.fixture
def secret():
    return api_token_issue(user=UserFactory(), name="tests")[1]


def queries(client, path, **headers):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, **headers)
    assert response.status_code == 200, response.content
    return response, [q["sql"] for q in ctx.captured_queries]


def names(client) -> list[str]:
    return [item["name"] for item in client.get(f"{API}/startups").json()["items"]]


@pytest.mark.parametrize("name", LISTS)
def test_a_cached_list_runs_no_query_and_one_with_a_token(client, root, world, secret, name):
    client.get(f"{API}/{name}", HTTP_AUTHORIZATION=f"Bearer {secret}")  # last_used_at written
    client.get(f"{API}/{name}")  # built, and the version published on disk
    _, anonymous = queries(client, f"{API}/{name}")
    assert anonymous == []
    _, with_token = queries(client, f"{API}/{name}", HTTP_AUTHORIZATION=f"Bearer {secret}")
    if name == "members":  # personal fields: never from the cache
        assert any("accounts_apitoken" in sql for sql in with_token)
    else:
        assert len(with_token) == 1 and "accounts_apitoken" in with_token[0]  # the token, nothing else


@pytest.mark.parametrize("name", LISTS)
def test_the_same_headers_and_bytes_from_the_disk_as_from_the_database(client, settings, tmp_path, world, name):
    settings.PUBLISHED_ROOT = None
    from_database = client.get(f"{API}/{name}")
    settings.PUBLISHED_ROOT = tmp_path / "published"
    client.get(f"{API}/{name}")
    _, sql = queries(client, f"{API}/{name}")
    assert sql == []
    from_disk = client.get(f"{API}/{name}")
    assert from_disk.content == from_database.content
    assert sorted(from_disk.items()) == sorted(from_database.items())
    cache.clear()


def test_a_committed_write_is_visible_at_once(client, root, world):
    assert names(client) == ["Mon Service"]
    assert queries(client, f"{API}/startups")[1] == []
    world.name = "Mon Service renommé"
    world.save()
    assert names(client) == ["Mon Service renommé"]
    assert queries(client, f"{API}/startups")[1] == []  # published again once its hook ran


def test_a_write_committed_by_another_thread_is_visible_at_once(client, root, world):
    assert names(client) == ["Mon Service"]

    def rename():
        try:
            Product.objects.filter(pk=world.pk).update(name="Renommé ailleurs")
            registry_cache.bump()  # as a bulk write does (signals do not run for update())
        finally:
            close_old_connections()

    thread = threading.Thread(target=rename)
    thread.start()
    thread.join()
    assert names(client) == ["Renommé ailleurs"]


def test_a_rolled_back_write_is_never_served(client, root, world):
    assert names(client) == ["Mon Service"]
    with pytest.raises(RuntimeError), transaction.atomic():
        world.name = "Jamais écrit"
        world.save()
        # Inside the transaction, the request reads its own write (a mark is on the disk: the database is read).
        assert names(client) == ["Jamais écrit"]
        raise RuntimeError
    assert names(client) == ["Mon Service"]
    client.get(f"{API}/startups")  # the mark of the rolled-back transaction cleared at the end of the request
    assert queries(client, f"{API}/startups")[1] == []


def test_a_mark_left_by_another_process_keeps_the_database_read(client, root, world):
    client.get(f"{API}/startups")
    assert queries(client, f"{API}/startups")[1] == []
    mark = published.root() / "stamps" / "registry" / f"dirty-{'0' * 32}-1"  # pid 1 is alive: a transaction open
    mark.touch()
    assert queries(client, f"{API}/startups")[1] != []
    mark.unlink()
    assert queries(client, f"{API}/startups")[1] == []


def test_the_stamps_read_from_the_disk_are_marked_on_every_bump(root):
    # The rule stamp_key relies on: core/published.py marks the bumps of these stamps (they are stamps of
    # registered files, from the apps' ready()).
    for stamp in (registry_cache.stamp, organisation_cache.stamp):
        assert core_api.watched(stamp)
        with transaction.atomic():
            stamp.bump()
            assert list((published.root() / "stamps" / stamp.name).glob("dirty-*"))
        assert not list((published.root() / "stamps" / stamp.name).glob("dirty-*"))


def test_a_stamp_published_py_does_not_watch_is_read_from_the_database(root):
    other = Stamp("v1-tests-unwatched")
    assert not core_api.watched(other)
    other.version()  # created
    for _ in range(2):
        with CaptureQueriesContext(connection) as ctx:
            version = core_api.stamp_version(other)
        assert len(ctx.captured_queries) == 1
    assert version == other.version()
    assert not (published.root() / "stamps" / other.name).exists()


def test_stamp_key_is_stamp_key(root):
    assert core_api.stamp_key(registry_cache.stamp, "x") == registry_cache.key("x")
    assert core_api.stamp_key(organisation_cache.stamp, "api:organisation") == organisation_cache.key(
        "api:organisation"
    )


def test_a_disk_that_fails_only_costs_the_query(client, settings, tmp_path, world):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    settings.PUBLISHED_ROOT = blocker / "published"  # nothing can be created under a file
    first = client.get(f"{API}/startups")
    assert first.status_code == 200
    response, sql = queries(client, f"{API}/startups")
    assert len(sql) == 1 and "django_cache" in sql[0]
    assert response.content == first.content  # (a write then fails: core/published.py refuses a bump it cannot mark)
    cache.clear()
