"""The home page and /programmes/ in the public page cache (core/pagecache.py): cached whole for anonymous visitors
under the stamps of what they show, and only until the next minute a call opens or closes (a call opens and closes
by the clock, with no write). Each test crosses such instants on a frozen clock."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from freezegun import freeze_time

from incubateur.programmes import cache as programmes_cache
from incubateur.programmes.models import Programme
from incubateur.registry.models import Product
from tests.factories import UserFactory
from tests.programmes.factories import fast_call
from tests.registry.factories import ProductFactory
from tests.registry.test_pages import main_text

T0 = datetime.datetime(2026, 12, 7, 9, 0, tzinfo=datetime.UTC)
MINUTE = datetime.timedelta(minutes=1)


pytestmark = pytest.mark.usefixtures("public_page_cache")


def visit(client, url="/") -> tuple[int, str]:
    """How many queries the visit made (1: the stamps only, a hit), and the page's main text."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), main_text(response)


@pytest.mark.parametrize("url", ["/", "/programmes/"])
def test_a_call_shows_at_the_minute_it_opens_and_goes_at_the_minute_it_closes(client, url):
    with freeze_time(T0):
        fast_call(title="FAST 30", number=30, opens_at=T0 + 10 * MINUTE, closes_at=T0 + 20 * MINUTE)
        queries, page = visit(client, url)
        assert queries > 1
        assert "Aucun appel n'est ouvert en ce moment" in page
    with freeze_time(T0 + 10 * MINUTE - datetime.timedelta(seconds=1)):
        queries, page = visit(client, url)
        assert queries == 1  # a hit, one second before the opening
        assert "Aucun appel n'est ouvert en ce moment" in page
    with freeze_time(T0 + 10 * MINUTE):
        queries, page = visit(client, url)
        assert queries > 1  # the entry ended at the opening: rendered again
        assert "Aucun appel n'est ouvert en ce moment" not in page and "FAST 30" in page
    with freeze_time(T0 + 15 * MINUTE):
        queries, page = visit(client, url)
        assert queries == 1
        assert "Aucun appel n'est ouvert en ce moment" not in page
    with freeze_time(T0 + 20 * MINUTE):
        queries, page = visit(client, url)
        assert queries > 1
        assert "Aucun appel n'est ouvert en ce moment" in page


def test_the_next_change_is_the_first_opening_or_closing_to_come():
    fast_call(title="FAST 31", number=31, opens_at=T0 - MINUTE, closes_at=T0 + 60 * MINUTE)
    fast_call(title="FAST 32", number=32, opens_at=T0 + 30 * MINUTE, closes_at=T0 + 90 * MINUTE)
    assert programmes_cache.next_change(T0) == T0 + 30 * MINUTE
    assert programmes_cache.next_change(T0 + 30 * MINUTE) == T0 + 60 * MINUTE
    assert programmes_cache.next_change(T0 + 60 * MINUTE) == T0 + 90 * MINUTE
    assert programmes_cache.next_change(T0 + 90 * MINUTE) is None


@pytest.mark.parametrize("url", ["/", "/programmes/"])
def test_an_edit_of_a_call_or_a_programme_is_visible_at_once(client, url):
    call = fast_call(title="FAST 33", number=33)
    assert "FAST 33" in visit(client, url)[1]
    assert visit(client, url)[0] == 1
    call.title = "FAST 33 bis"
    call.save()
    assert "FAST 33 bis" in visit(client, url)[1]
    programme = Programme.objects.get(pk=call.programme_id)
    programme.name = "FAST renommé"
    programme.save()
    assert "FAST renommé" in visit(client, url)[1]
    call.closes_at = timezone.now() - MINUTE
    call.save()
    assert "FAST 33 bis" not in visit(client, "/")[1]


def test_a_new_call_open_now_is_visible_at_once(client):
    visit(client)
    fast_call(title="FAST 34", number=34)
    assert "FAST 34" in visit(client)[1]


def test_the_figures_change_with_the_registry(client):
    assert "0 produit en activité" in visit(client)[1]
    ProductFactory(phase="construction")
    assert "1 produit en activité" in visit(client)[1]
    Product.objects.get().delete()
    assert "0 produit en activité" in visit(client)[1]


def test_a_logged_in_visitor_never_gets_the_cached_page(client):
    fast_call(title="FAST 35", number=35)
    visit(client)
    assert visit(client)[0] == 1
    client.force_login(UserFactory())
    queries, page = visit(client)
    assert queries > 1
    assert "Mon espace" in page and "Se connecter" not in page
    client.logout()
    queries, page = visit(client)
    assert "Se connecter" in page and "Mon espace" not in page
