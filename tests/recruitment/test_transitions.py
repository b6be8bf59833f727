"""A post's life on a frozen clock, run by the worker's housekeeping hook: community window → public → unpublished;
the author told a week before, « prolonger » once; each announcement delivered exactly once per channel through
real HTTP peers (the Mattermost webhook, a Matrix homeserver that checks the transaction id)."""

import datetime
import json

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from freezegun import freeze_time

from incubateur.core.management.commands.db_worker import housekeeping
from incubateur.core.models import JournalEntry, Notification, NotificationChannel, NotificationStatus, Visibility
from incubateur.recruitment import services
from incubateur.recruitment.models import JobPost, Status
from tests.core.test_matrix import TOKEN, MatrixPeer
from tests.recruitment.helpers import make_post, product_team
from tests.utils import run_tasks

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)  # a Monday
ROOM = "!recrutement:tchap.example"


def day(n: int) -> datetime.date:
    return START.date() + datetime.timedelta(days=n)


@pytest.fixture
def peers(settings, httpserver):
    settings.MATTERMOST_WEBHOOK_URL = httpserver.url_for("/hooks/incubateur")
    settings.MATRIX_HOMESERVER_URL = httpserver.url_for("/")
    settings.MATRIX_ACCESS_TOKEN = TOKEN
    settings.MATRIX_RECRUTEMENT_ROOM = ROOM
    settings.MATTERMOST_RECRUTEMENT_CHANNEL = "incubateur-recrutement"
    httpserver.expect_request("/hooks/incubateur", method="POST").respond_with_data("ok")
    matrix = MatrixPeer(httpserver)
    return httpserver, matrix


def mattermost_posts(server) -> list[dict]:
    return [json.loads(request.data) for request, _ in server.log if request.path == "/hooks/incubateur"]


def tick_and_deliver(when: datetime.datetime) -> dict:
    with freeze_time(when, tz_offset=0):
        done = services.tick()
        run_tasks()
        return done


def listed(client=None) -> list[str]:
    client = client or Client()
    return [post.title for post in client.get("/recrutement/").context["page_obj"]]


@pytest.fixture
def post():
    with freeze_time(START):
        product, author = product_team()
        return make_post(
            by=author,
            product=product,
            title="Mission design",
            kind="mission",
            contract="",
            contracting_body="Groupement Design & Co",
            days_to_community=1,
        )


def test_the_post_s_dates_default_to_a_week_then_two_months(post):
    assert (post.community_from, post.public_from, post.unpublish_on) == (day(1), day(8), datetime.date(2026, 5, 10))
    assert post.status == Status.COMMUNAUTE


def test_community_then_public_then_unpublished(post, peers):
    server, matrix = peers
    member = Client()
    member.force_login(post.author)
    # Before community_from: nobody sees it, nothing announced.
    assert tick_and_deliver(START) == {"announced": 0, "published": 0, "reminded": 0, "expired": 0}
    with freeze_time(START):
        assert listed(member) == [] and listed() == []

    # community_from: members see it, announced once on each channel.
    community = datetime.datetime.combine(day(1), datetime.time(8, tzinfo=datetime.UTC))
    assert tick_and_deliver(community)["announced"] == 1
    assert tick_and_deliver(community)["announced"] == 0  # idempotent: a second beat does nothing
    with freeze_time(community):
        assert listed(member) == ["Mission design"]
        assert listed() == []  # not public yet
        assert Client().get(f"/recrutement/{post.pk}/").status_code == 404
    [hook] = mattermost_posts(server)
    assert hook["channel"] == "incubateur-recrutement"
    assert "Mission design" in hook["text"] and f"/recrutement/{post.pk}/" in hook["text"]
    assert matrix.messages == [hook["text"]]
    assert [txn for _room, txn in matrix.requests] == [
        f"incubateur-notification-{Notification.objects.get(channel=NotificationChannel.MATRIX).pk}"
    ]

    # public_from: public to everyone, a public journal row.
    public = datetime.datetime.combine(day(8), datetime.time(8, tzinfo=datetime.UTC))
    assert tick_and_deliver(public)["published"] == 1
    with freeze_time(public):
        assert listed() == ["Mission design"]
        assert Client().get(f"/recrutement/{post.pk}/").status_code == 200
    post.refresh_from_db()
    assert post.status == Status.PUBLIC
    published = JournalEntry.objects.get(action="recruitment.published")
    assert published.visibility == Visibility.PUBLIC and post.author.email not in published.message

    # a week before unpublish_on: the author is told once, with « prolonger ».
    reminder = datetime.datetime.combine(
        post.unpublish_on - datetime.timedelta(days=7), datetime.time(8, tzinfo=datetime.UTC)
    )
    assert tick_and_deliver(reminder)["reminded"] == 1
    assert tick_and_deliver(reminder)["reminded"] == 0
    [told] = Notification.objects.filter(kind="recruitment.reminder")
    assert told.recipient == post.author.email and "Prolonger" in told.body

    # unpublish_on: gone from every list and feed, its page says so.
    gone = datetime.datetime.combine(post.unpublish_on, datetime.time(8, tzinfo=datetime.UTC))
    with freeze_time(gone):
        assert listed() == [] and listed(member) == []  # even before the worker runs
    assert tick_and_deliver(gone)["expired"] == 1
    with freeze_time(gone):
        page = Client().get(f"/recrutement/{post.pk}/")
        assert "Ce poste n'est plus ouvert" in page.content.decode()
        assert Client().get(f"/api/v1/jobs/{post.pk}").status_code == 410
        assert Client().get("/api/v2.6/jobs.json").json() == []
    post.refresh_from_db()
    assert post.status == Status.FERME
    closed = JournalEntry.objects.get(action="recruitment.closed")
    assert closed.visibility == Visibility.PUBLIC
    # Exactly one announcement per channel over the whole life.
    assert len(mattermost_posts(server)) == 1 and len(matrix.messages) == 1
    assert Notification.objects.filter(kind="recruitment.announced", status=NotificationStatus.SENT).count() == 2


def test_prolonger_once_adds_two_months(post):
    with freeze_time(datetime.datetime.combine(day(50), datetime.time(8, tzinfo=datetime.UTC))):
        services.tick()
        post = services.post_prolong(post=post, by=post.author)
        assert post.unpublish_on == datetime.date(2026, 7, 10)
        with pytest.raises(ValidationError):
            services.post_prolong(post=post, by=post.author)
    with freeze_time(datetime.datetime.combine(datetime.date(2026, 7, 3), datetime.time(8, tzinfo=datetime.UTC))):
        services.tick()
        [told] = Notification.objects.filter(kind="recruitment.reminder")
        assert "déjà été prolongée" in told.body  # told again, without « prolonger »


def test_a_draft_is_never_announced_nor_listed(peers):
    server, matrix = peers
    with freeze_time(START):
        product, author = product_team()
        draft = make_post(by=author, product=product, draft=True)
    tick_and_deliver(datetime.datetime.combine(day(10), datetime.time(8, tzinfo=datetime.UTC)))
    assert mattermost_posts(server) == [] and matrix.messages == []
    draft.refresh_from_db()
    assert draft.status == Status.BROUILLON and draft.announced_at is None


def test_a_closed_post_leaves_the_lists_at_once_and_is_not_announced_later(post, peers):
    with freeze_time(START):
        services.post_close(post=post, by=post.author, status="pourvu")
    tick_and_deliver(datetime.datetime.combine(day(1), datetime.time(8, tzinfo=datetime.UTC)))
    assert Notification.objects.filter(kind="recruitment.announced").count() == 0
    assert JournalEntry.objects.get(action="recruitment.closed").visibility == Visibility.INTERNAL  # never shown


def test_the_worker_runs_the_hook():
    assert "incubateur.recruitment.services.tick" in settings.WORKER_HOUSEKEEPING_HOOKS
    housekeeping("worker-recrutement")  # runs every hook, ours included, without error


def test_two_workers_announce_once(post, peers):
    server, matrix = peers
    community = datetime.datetime.combine(day(1), datetime.time(8, tzinfo=datetime.UTC))
    with freeze_time(community):
        stale = JobPost.objects.get(pk=post.pk)
        now = timezone.now()
        assert services._announce(stale, now) is True
        assert services._announce(stale, now) is False  # the second worker's conditional UPDATE finds none
        run_tasks()
    assert len(mattermost_posts(server)) == 1 and len(matrix.messages) == 1
