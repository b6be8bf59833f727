"""Public files published like files (core/published.py): served ahead of the middleware stack without a query when
fresh, never stale after a commit that changed their data (in the writing thread and in another one), and usable
again after a rolled-back write. Real commits (transactional_db): the guarantee hangs on on_commit hooks."""

import datetime
import gzip
import json
import subprocess
import threading

import feedparser
import pytest
from django.core.cache import cache
from django.db import close_old_connections, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.http import http_date
from freezegun import freeze_time

from incubateur.accounts import personal_data
from incubateur.core import journal, published
from incubateur.core.models import Visibility
from incubateur.registry import cache as registry_cache
from incubateur.registry.api import v27 as api_v27
from incubateur.registry.models import Member, Organisation
from tests.factories import UserFactory
from tests.recruitment.helpers import make_post, product_team
from tests.registry.factories import MemberFactory, OrganisationFactory, ProductFactory

pytestmark = pytest.mark.django_db(transaction=True)

AUTHORS = "/api/v2.7/authors.json"
ORGANISATIONS = "/api/v2.7/organisations.json"


@pytest.fixture(autouse=True)
def root(settings, tmp_path):
    settings.PUBLISHED_ROOT = tmp_path / "published"
    published._memo.clear()
    api_v27._memo.clear()
    api_v27._v3_members.clear()
    yield settings.PUBLISHED_ROOT
    cache.clear()  # the database cache's table is not flushed between transactional tests: leave it empty
    published._memo.clear()
    api_v27._memo.clear()
    api_v27._v3_members.clear()


def hit(client, path, **headers):
    """A request answered by the middleware: it must run no query."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, **headers)
    assert ctx.captured_queries == [], path
    return response


def served_by_view(client, path, **headers):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, **headers)
    assert ctx.captured_queries, path
    return response


def test_a_file_is_served_without_a_query_once_built(client):
    OrganisationFactory(ghid="anct", name="ANCT")
    first = served_by_view(client, ORGANISATIONS)
    assert json.loads(first.content)[0]["id"] == "anct"
    again = hit(client, ORGANISATIONS)
    assert again.content == first.content
    assert again["Content-Type"] == "application/json; charset=utf-8"
    assert again["Content-Length"] == str(len(first.content))
    assert again["ETag"] == first["ETag"]
    assert again["Last-Modified"] == first["Last-Modified"]
    assert again["Cache-Control"] == "public, max-age=60"
    assert again["Vary"] == "Accept-Encoding"
    assert again["Access-Control-Allow-Origin"] == "*"
    assert again["X-Content-Type-Options"] == "nosniff"  # SecurityMiddleware runs before
    assert "Set-Cookie" not in again
    zipped = hit(client, ORGANISATIONS, HTTP_ACCEPT_ENCODING="gzip, br")
    assert zipped["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.content) == first.content
    assert zipped["Content-Length"] == str(len(zipped.content))
    head = hit(client, ORGANISATIONS, REQUEST_METHOD="HEAD")
    assert head.status_code == 200
    assert head.content == b""
    assert head["Content-Length"] == str(len(first.content))
    assert hit(client, ORGANISATIONS, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    not_modified = hit(client, ORGANISATIONS, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert not_modified.status_code == 304
    assert not_modified["ETag"] == first["ETag"]
    assert hit(client, ORGANISATIONS, HTTP_IF_MODIFIED_SINCE=http_date(0)).status_code == 200
    assert client.post(ORGANISATIONS).status_code == 405  # not a file: the view answers


def test_every_registered_file_is_served_without_a_query(client):
    OrganisationFactory(ghid="anct")
    ProductFactory(ghid="rdv.mjd", name="RDV")
    paths = [*registry_cache.FILES.values(), "/api/v2.7/startups.csv", "/api/v3/startups/rdv.mjd.json"]
    paths += ["/recrutement/flux.atom", "/api/v2.6/jobs.json", "/journal/flux.atom"]
    for path in paths:
        first = served_by_view(client, path)
        assert first.status_code == 200, path
        again = hit(client, path)
        assert again.content == first.content, path
        assert again["Content-Type"] == first["Content-Type"], path
    assert client.get("/api/v3/startups/inconnu.json").status_code == 404


def test_a_commit_is_seen_at_once_in_the_writing_thread(client):
    OrganisationFactory(ghid="anct", name="ANCT")
    client.get(ORGANISATIONS)
    etag = hit(client, ORGANISATIONS)["ETag"]
    Organisation.objects.filter(ghid="anct").update(name="ANCT renommée")  # no signal: a bulk write bumps itself
    registry_cache.bump()
    response = served_by_view(client, ORGANISATIONS)
    assert json.loads(response.content)[0]["name"] == "ANCT renommée"
    assert response["ETag"] != etag
    assert hit(client, ORGANISATIONS).content == response.content
    with transaction.atomic():
        OrganisationFactory(ghid="dinum")
        entry = published.entry_for(ORGANISATIONS)
        assert published.fresh(ORGANISATIONS, entry) is None  # marked before the commit: the view answers
    assert [o["id"] for o in json.loads(served_by_view(client, ORGANISATIONS).content)] == ["anct", "dinum"]


def test_a_commit_in_another_thread_is_seen_here(client):
    member = MemberFactory(username="camille.martin", role="Dev")
    client.get(AUTHORS)
    assert json.loads(hit(client, AUTHORS).content)[0]["role"] == "Dev"

    def write():
        try:
            Member.objects.filter(pk=member.pk).update(role="Coach")
            with transaction.atomic():
                Member.objects.get(pk=member.pk).save()  # the signal's bump, in the same transaction
        finally:
            close_old_connections()
            connection.close()

    thread = threading.Thread(target=write)
    thread.start()
    thread.join()
    assert json.loads(served_by_view(client, AUTHORS).content)[0]["role"] == "Coach"
    assert json.loads(hit(client, AUTHORS).content)[0]["role"] == "Coach"


def test_another_thread_never_reads_a_stale_file_after_a_commit(client):
    OrganisationFactory(ghid="anct", name="ANCT")
    client.get(ORGANISATIONS)
    hit(client, ORGANISATIONS)
    OrganisationFactory(ghid="dinum")  # committed here (autocommit)
    seen = []

    def read():
        try:
            seen.append(json.loads(Client().get(ORGANISATIONS).content))
        finally:
            connection.close()

    thread = threading.Thread(target=read)
    thread.start()
    thread.join()
    assert [o["id"] for o in seen[0]] == ["anct", "dinum"]


def test_a_rolled_back_write_leaves_the_files_usable(client, root):
    OrganisationFactory(ghid="anct", name="ANCT")
    before = client.get(ORGANISATIONS).content
    with pytest.raises(RuntimeError), transaction.atomic():
        OrganisationFactory(ghid="fantome")
        raise RuntimeError
    assert list((published.root() / "stamps" / "registry").glob("dirty-*"))  # still marked: its thread has not ended
    published.settle_own()  # what the end of the request (request_finished) and the next bump do
    assert not list((published.root() / "stamps" / "registry").glob("dirty-*"))
    assert hit(client, ORGANISATIONS).content == before  # the version did not move: the file is fresh again


def test_a_rolled_back_write_is_cleared_by_the_end_of_its_request(client, root):
    OrganisationFactory(ghid="anct")
    before = client.get(ORGANISATIONS).content
    with pytest.raises(RuntimeError), transaction.atomic():
        OrganisationFactory(ghid="fantome")
        raise RuntimeError
    client.get("/healthz")  # any request of this thread ends with request_finished
    assert not list((published.root() / "stamps" / "registry").glob("dirty-*"))
    assert hit(client, ORGANISATIONS).content == before


def test_a_mark_left_by_a_dead_process_is_cleared(client, root):
    OrganisationFactory(ghid="anct")
    before = client.get(ORGANISATIONS).content
    dead = subprocess.Popen(["true"])
    dead.wait()
    (published.root() / "stamps" / "registry" / f"dirty-{'0' * 32}-{dead.pid}").touch()
    assert served_by_view(client, ORGANISATIONS).content == before  # marked: the view answers, and clears it
    assert hit(client, ORGANISATIONS).content == before


def test_a_mark_of_a_live_process_keeps_the_view_answering(client, root):
    OrganisationFactory(ghid="anct")
    client.get(ORGANISATIONS)
    live = (
        published.root() / "stamps" / "registry" / f"dirty-{'0' * 32}-1"
    )  # pid 1 is alive: an open transaction elsewhere
    live.touch()
    served_by_view(client, ORGANISATIONS)
    served_by_view(client, ORGANISATIONS)
    live.unlink()
    hit(client, ORGANISATIONS)


def test_hooks_in_any_order_publish_the_last_committed_version(client, root):
    OrganisationFactory(ghid="anct")
    client.get(ORGANISATIONS)
    directory = published.root() / "stamps" / "registry"
    current = registry_cache.version()
    # A late hook of an older transaction: it reads the version back from the database, it does not write its own.
    published._settle(published.root(), registry_cache.stamp)
    assert [p.name for p in directory.glob("version-*")] == [f"version-{current}"]


def test_a_new_process_reads_the_database_once_before_trusting_the_disk(client):
    OrganisationFactory(ghid="anct", name="ANCT")
    client.get(ORGANISATIONS)
    hit(client, ORGANISATIONS)
    # The database replaced while the server was stopped (a restore, a reseed): its stamp is new, no bump ran.
    Organisation.objects.filter(ghid="anct").update(name="Restaurée")
    cache.delete(registry_cache.stamp.version_key)
    published._memo.clear()
    published._checked.clear()  # a new process
    api_v27._memo.clear()
    response = served_by_view(client, ORGANISATIONS)
    assert json.loads(response.content)[0]["name"] == "Restaurée"
    assert hit(client, ORGANISATIONS).content == response.content


def test_a_write_that_does_not_change_a_file_keeps_its_etag_across_processes(client):
    OrganisationFactory(ghid="anct")
    first = client.get(ORGANISATIONS)
    registry_cache.bump()
    published._memo.clear()
    api_v27._memo.clear()  # another process: only the disk and the shared cache know the file
    again = client.get(ORGANISATIONS, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again["Last-Modified"] == first["Last-Modified"]


def test_a_daily_file_is_rebuilt_the_next_day(client):
    with freeze_time("2026-03-02 10:00"):
        client.get("/compteur_smiirl.json")
        hit(client, "/compteur_smiirl.json")
    with freeze_time("2026-03-03 10:00"):
        served_by_view(client, "/compteur_smiirl.json")
        hit(client, "/compteur_smiirl.json")


def test_the_recruitment_feed_and_jobs_json_follow_the_posts(client):
    product, author = product_team(ghid="mon-produit", name="Mon Produit")
    post = make_post(by=author, product=product, title="Publique", days_to_community=-10)
    feed = feedparser.parse(client.get("/recrutement/flux.atom").content)
    assert [e.title for e in feed.entries] == ["Publique (Mon Produit)"]
    jobs = json.loads(client.get("/api/v2.6/jobs.json").content)
    assert [row["title"] for row in jobs] == ["Publique"]
    hit(client, "/recrutement/flux.atom")
    hit(client, "/api/v2.6/jobs.json")
    post.title = "Renommée"
    post.save()
    assert [row["title"] for row in json.loads(client.get("/api/v2.6/jobs.json").content)] == ["Renommée"]
    product.name = "Produit renommé"
    product.save()  # the registry's stamp: the post's owner name
    feed = feedparser.parse(client.get("/recrutement/flux.atom").content)
    assert [e.title for e in feed.entries] == ["Renommée (Produit renommé)"]


def test_the_journal_feed_follows_the_journal(client):
    empty = feedparser.parse(client.get("/journal/flux.atom").content)
    assert empty.entries == []
    hit(client, "/journal/flux.atom")
    with transaction.atomic():
        journal.record(
            actor=UserFactory(),
            action="transparency.commitments_published",
            message="Engagements publiés",
            visibility=Visibility.PUBLIC,
        )
    feed = feedparser.parse(client.get("/journal/flux.atom").content)
    assert [e.title for e in feed.entries] == ["Engagements publiés"]
    hit(client, "/journal/flux.atom")


def test_off_without_a_root(client, settings):
    settings.PUBLISHED_ROOT = None
    OrganisationFactory(ghid="anct")
    client.get(ORGANISATIONS)
    served_by_view(client, ORGANISATIONS)


def test_an_anonymisation_reaches_the_journal_feed(client):
    # The rows are rewritten with .update() (no signal); the purge's own journal row bumps the journal's stamp.
    UserFactory(first_name="Paul", last_name="Burgun", last_login=timezone.now() - datetime.timedelta(days=3650))
    with transaction.atomic():
        journal.record(
            actor=None,
            action="transparency.commitments_published",
            message="Engagements publiés par Paul Burgun",
            visibility=Visibility.PUBLIC,
        )
    assert b"Paul Burgun" in client.get("/journal/flux.atom").content
    assert b"Paul Burgun" in hit(client, "/journal/flux.atom").content
    assert personal_data.purge(now=timezone.now())["comptes"] == 1
    assert b"Paul Burgun" not in client.get("/journal/flux.atom").content
