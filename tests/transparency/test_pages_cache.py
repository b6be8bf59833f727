"""/journal/, /statistiques/ (and an indicator's page) and /engagements/ in the public page cache (core/pagecache.py):
cached whole for anonymous visitors under the stamps of `transparency/cache.py`; a change to what they show is
visible at once, and a logged-in visitor never gets the cached page."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time

from incubateur.organisation.models import Pole
from incubateur.transparency import commitments, statistics
from incubateur.transparency.models import Snapshot
from tests.factories import UserFactory
from tests.transparency.journal_helpers import row

NOW = datetime.datetime(2026, 6, 15, 12, 0, tzinfo=datetime.UTC)


pytestmark = pytest.mark.usefixtures("public_page_cache")


def visit(client, url) -> tuple[int, str]:
    """How many queries the visit made (1: the stamps only, a hit), and the page."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


@pytest.mark.parametrize("url", ["/statistiques/", "/statistiques/produits-par-phase/"])
def test_the_statistics_show_a_new_computation_at_once(client, url):
    statistics.refresh(now=NOW)
    queries, page = visit(client, url)
    assert "Calculé le 15 juin 2026" in page
    assert visit(client, url) == (1, page)  # a hit
    statistics.refresh(now=NOW + datetime.timedelta(days=1))
    queries, page = visit(client, url)
    assert queries > 1 and "Calculé le 16 juin 2026" in page


def test_the_commitments_show_a_new_computation_at_once(client):
    assert "pas encore été calculés" in visit(client, "/engagements/")[1]
    assert visit(client, "/engagements/")[0] == 1
    commitments.refresh(now=NOW)
    page = visit(client, "/engagements/")[1]
    assert "pas encore été calculés" not in page and "Calculé le 15 juin 2026" in page
    Snapshot.objects.filter(key__startswith=commitments.PREFIX).delete()
    assert "pas encore été calculés" in visit(client, "/engagements/")[1]


def test_the_journal_shows_a_new_public_row_at_once(client):
    row("programmes.results_published", "Résultats de « FAST 2026 » : 3 lauréats", laureates=3, total=600000)
    page = visit(client, "/journal/")[1]
    assert "Résultats de « FAST 2026 »" in page
    assert visit(client, "/journal/") == (1, page)
    row("programmes.results_published", "Résultats de « FAST 2027 » : 2 lauréats", laureates=2, total=400000)
    assert "Résultats de « FAST 2027 »" in visit(client, "/journal/")[1]


def test_the_journal_shows_a_renamed_pole_and_the_offers_computed_at_once(client, organisation):
    pole = Pole.objects.order_by("order").first()
    page = visit(client, "/journal/")[1]
    assert f'<option value="{pole.slug}">' in page and ">Pôle renommé</option>" not in page
    assert "Les chiffres des offres d'aide ne sont pas encore calculés." in page
    pole.name = "Pôle renommé"
    pole.save()
    assert ">Pôle renommé</option>" in visit(client, "/journal/")[1]
    commitments.refresh(now=NOW)
    assert "Les chiffres des offres d'aide ne sont pas encore calculés." not in visit(client, "/journal/")[1]


def test_the_journal_s_months_follow_the_day(client):
    with freeze_time(datetime.datetime(2026, 6, 30, 21, 0, tzinfo=datetime.UTC)):  # 23:00 in Paris
        page = visit(client, "/journal/")[1]
        assert ">juin 2026</option>" in page
    with freeze_time(datetime.datetime(2026, 6, 30, 22, 0, tzinfo=datetime.UTC)):  # midnight in Paris: July
        queries, page = visit(client, "/journal/")
        assert queries > 1 and ">juillet 2026</option>" in page


@pytest.mark.parametrize("url", ["/journal/", "/statistiques/", "/engagements/"])
def test_a_logged_in_visitor_never_gets_the_cached_page(client, url):
    statistics.refresh(now=NOW)  # else the first view computes them (a write: its page is stored under the old stamp)
    visit(client, url)
    assert visit(client, url)[0] == 1
    client.force_login(UserFactory())
    queries, page = visit(client, url)
    assert queries > 1
    assert "Se connecter" not in page
