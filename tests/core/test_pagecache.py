import datetime

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time

from incubateur.core import pagecache
from incubateur.registry import cache as registry_cache
from tests.factories import UserFactory
from tests.registry.factories import ProductFactory

pytestmark = pytest.mark.usefixtures("public_page_cache")


def queries(client, url) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    return len(ctx.captured_queries), response


def test_an_anonymous_hit_skips_the_view_and_keeps_the_headers(client):
    ProductFactory(name="Mon Service")
    first_count, first = queries(client, "/produits/")
    second_count, second = queries(client, "/produits/")
    assert second.content == first.content
    assert "Mon Service" in second.content.decode()
    assert second_count == 1  # the registry's stamp (the page itself is also kept in the process)
    assert second_count < first_count
    for header in ("Content-Security-Policy", "X-Frame-Options", "Content-Type", "Content-Language"):
        assert second[header] == first[header]


def test_a_write_is_visible_at_once(client):
    product = ProductFactory(name="Mon Service")
    client.get("/produits/")
    product.name = "Mon Service renommé"
    product.save()
    assert "Mon Service renommé" in client.get("/produits/").content.decode()


def test_the_query_string_is_part_of_the_key(client):
    ProductFactory(name="Alpha")
    ProductFactory(name="Beta")
    client.get("/produits/")
    page = client.get("/produits/?q=beta").content.decode()
    assert "Beta" in page and "Alpha" not in page


def test_logged_in_users_and_flash_messages_bypass_it(client):
    client.get("/")
    assert "Se connecter" in client.get("/").content.decode()  # served from the cache
    user = UserFactory()
    client.force_login(user)
    page = client.get("/").content.decode()
    assert "Mon espace" in page and "Se connecter" not in page
    client.post("/deconnexion/")  # leaves a flash message for the next page, in a cookie
    page = client.get("/").content.decode()
    assert "Vous êtes déconnecté." in page


def test_a_page_with_a_csrf_token_is_never_stored(client, settings):
    settings.ROOT_URLCONF = "tests.core.urls_pagecache"
    first = client.get("/_test/form")
    other_visitor = client.__class__()
    second = other_visitor.get("/_test/form")
    assert second.content != first.content  # each visitor gets their own token
    again = client.get("/_test/form")  # this visitor already has the cookie: still not stored
    assert other_visitor.get("/_test/form").content != again.content


def test_errors_are_not_stored(client):
    client.get("/produits/inconnu/")
    ProductFactory(ghid="inconnu", name="Maintenant connu")
    assert client.get("/produits/inconnu/").status_code == 200


def test_stamps_change_the_key():
    before = registry_cache.version()
    registry_cache.bump()
    assert registry_cache.version() != before


def test_a_page_with_a_csp_nonce_is_never_stored(client, settings):
    settings.ROOT_URLCONF = "tests.core.urls_pagecache"
    first = client.get("/_test/nonce")
    assert "'nonce-" in first["Content-Security-Policy"]
    second = client.__class__().get("/_test/nonce")
    assert second.content != first.content


def _middleware(until):
    """The middleware in front of a view whose response holds until `until`, and how many times the view ran."""
    calls = []

    def view(request):
        calls.append(request)
        return pagecache.valid_until(HttpResponse(f"rendu n°{len(calls)}"), until)

    return pagecache.PublicPageCacheMiddleware(view), calls


def test_an_entry_is_served_only_before_the_instant_its_view_gave(rf):
    start = datetime.datetime(2026, 12, 7, 9, 0, tzinfo=datetime.UTC)
    until = start + datetime.timedelta(minutes=10)
    middleware, calls = _middleware(until)
    with freeze_time(start):
        assert middleware(rf.get("/")).content == b"rendu n\xc2\xb01"
    with freeze_time(until - datetime.timedelta(microseconds=1)):
        assert middleware(rf.get("/")).content == b"rendu n\xc2\xb01"  # a hit
    with freeze_time(until):
        assert middleware(rf.get("/")).content == b"rendu n\xc2\xb02"  # its end: rendered again
    assert len(calls) == 2


def test_an_entry_already_past_its_end_is_not_stored(rf):
    start = datetime.datetime(2026, 12, 7, 9, 0, tzinfo=datetime.UTC)
    middleware, calls = _middleware(start)  # the view read the data before an instant that has come by now
    with freeze_time(start):
        middleware(rf.get("/"))
        middleware(rf.get("/"))
    assert len(calls) == 2


def test_an_entry_without_an_end_keeps_the_cache_s_own_limit(rf):
    start = datetime.datetime(2026, 12, 7, 9, 0, tzinfo=datetime.UTC)
    middleware, calls = _middleware(None)
    with freeze_time(start):
        middleware(rf.get("/"))
    with freeze_time(start + datetime.timedelta(minutes=59)):
        middleware(rf.get("/"))
    assert len(calls) == 1
