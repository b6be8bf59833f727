"""/recrutement/ in the public page cache (core/pagecache.py): cached whole for anonymous visitors under the public
posts' stamps (recruitment/cache.py) and the day. Posts open and close by their dates, with no write: the list
follows the day, whether or not the worker's transitions ran; a write is visible at once."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time

from incubateur.recruitment import services
from tests.factories import UserFactory
from tests.recruitment.helpers import make_post, product_team

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)  # a Monday, 10:00 in Paris


pytestmark = pytest.mark.usefixtures("public_page_cache")


def visit(client, url="/recrutement/") -> tuple[int, str]:
    """How many queries the visit made (1: the stamps only, a hit), and the page."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


def on(day: datetime.date, hour: int = 9) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=datetime.UTC)


def test_a_post_is_listed_on_its_public_day_and_gone_on_its_unpublish_day_without_the_worker(client):
    with freeze_time(START):
        product, author = product_team()
        post = make_post(by=author, product=product, title="Intégratrice DSFR")
        assert "Intégratrice DSFR" not in visit(client)[1]  # the community's window first
        assert visit(client)[0] == 1
    with freeze_time(on(post.public_from - datetime.timedelta(days=1), hour=22)):  # 23:00 in Paris, the day before
        assert "Intégratrice DSFR" not in visit(client)[1]
    with freeze_time(on(post.public_from - datetime.timedelta(days=1), hour=23)):  # midnight in Paris
        assert "Intégratrice DSFR" in visit(client)[1]
        assert visit(client)[0] == 1
    with freeze_time(on(post.unpublish_on)):
        assert "Intégratrice DSFR" not in visit(client)[1]


def test_a_write_is_visible_at_once(client):
    product, author = product_team()
    post = make_post(by=author, product=product, title="Designer", days_to_community=-30)  # public by now
    assert "Designer" in visit(client)[1]
    services.post_update(post=post, by=author, title="Designer UX")
    assert "Designer UX" in visit(client)[1]
    product.name = "Produit renommé"
    product.save()
    assert "Produit renommé" in visit(client)[1]
    services.post_close(post=post, by=author, status="pourvu")
    assert "Designer UX" not in visit(client)[1]


def test_a_member_never_gets_the_anonymous_page(client):
    product, author = product_team()
    make_post(by=author, product=product, title="Développeuse")  # in the community's window: members only
    assert "Développeuse" not in visit(client)[1]
    assert visit(client)[0] == 1
    client.force_login(UserFactory())
    assert "Développeuse" in visit(client)[1]
    client.logout()
    assert "Développeuse" not in visit(client)[1]


def test_a_post_s_page_follows_its_writes_and_its_dates(client):
    with freeze_time(START):
        product, author = product_team()
        post = make_post(by=author, product=product, title="Product owner", days_to_community=-30)
        url = f"/recrutement/{post.pk}/"
        assert "Product owner" in visit(client, url)[1]
        assert visit(client, url)[0] == 1
        services.post_update(post=post, by=author, title="Product owner senior")
        assert "Product owner senior" in visit(client, url)[1]
    with freeze_time(on(post.unpublish_on)):
        assert "Ce poste n'est plus ouvert" in visit(client, url)[1]
