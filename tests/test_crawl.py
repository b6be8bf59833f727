"""Every page reachable by a link works, for every role, on the real data.

With the beta.gouv.fr sample imported (and the real organisation, routing table and programmes, as `make run` loads
them), each role starts from the home page and follows every internal link of every page it reaches (the menus are
on every page): GET only, never the logout or a state-changing link, at most a few URLs per route pattern. Any 5xx,
and any 404 reached from a link, fails, naming the page that links it. Skips without the sample (`make sample`).
"""

from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from io import StringIO
from urllib.parse import urljoin, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.db.models import Q
from django.test import Client
from django.urls import Resolver404, resolve
from django.utils import timezone

from incubateur.organisation.models import Portfolio
from incubateur.registry.models import Member
from tests.factories import UserFactory
from tests.organisation.helpers import REAL_ORGANISATION_FILE, load_organisation
from tests.utils import SAMPLE, analyse

ROLES = ["anonymous", "member", "staff", "portfolio manager", "administrator"]
PER_ROUTE = 3  # URLs fetched per route pattern (the others are the same view with other ids)
PER_ADMIN_ROUTE = 1  # Django's admin: one of each page is enough to find our own admin's faults
# Not followed: they change state (a GET that did would be a bug of its own, but not one to trigger here) or
# consume a one-time link.
SKIPPED_VIEWS = {"accounts:logout", "accounts:login_confirm", "admin:logout"}
SKIPPED_ADMIN_PAGES = ("/delete/",)  # confirmation pages of deletions: they compute every related row
BOUND = 1500  # requests per role, in case a page generates endless distinct links


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def links_of(html: str) -> list[str]:
    parser = Links()
    parser.feed(html)
    return parser.hrefs


@dataclass
class Crawl:
    client: Client
    fetched: dict[str, int] = field(default_factory=dict)  # url → status
    linked_from: dict[str, str] = field(default_factory=dict)  # url → the first page that links it
    per_route: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def route_of(self, path: str) -> tuple[str, str | None]:
        """(the route pattern that dedupes this path, its view name); an unknown path is its own pattern."""
        try:
            match = resolve(path)
        except Resolver404:
            return f"unresolved:{path}", None
        return f"{match.view_name}:{match.route}", match.view_name

    def internal(self, base: str, href: str) -> str | None:
        parts = urlsplit(urljoin(base, href.strip()))
        if parts.scheme not in ("", "http", "https") or parts.netloc not in ("", "testserver"):
            return None
        if parts.path.startswith("/static/"):
            return None
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def run(self, start: str = "/") -> None:
        queue = deque([(start, "(start)")])
        while queue and len(self.fetched) < BOUND:
            url, referrer = queue.popleft()
            if url in self.fetched:
                continue
            path = urlsplit(url).path
            key, view = self.route_of(path)
            if view in SKIPPED_VIEWS or (path.startswith("/admin/") and any(p in path for p in SKIPPED_ADMIN_PAGES)):
                continue
            limit = PER_ADMIN_ROUTE if path.startswith("/admin/") else PER_ROUTE
            if self.per_route.get(key, 0) >= limit:
                continue
            self.per_route[key] = self.per_route.get(key, 0) + 1
            self.linked_from.setdefault(url, referrer)
            try:
                response = self.client.get(url)
            except Exception as error:  # the view raised (the test client re-raises): a 500 in production
                self.fetched[url] = 500
                message = str(error).splitlines()[0][:200] if str(error) else ""
                self.failures.append(f"{type(error).__name__}: {message} at {url} ({view}) ← linked from {referrer}")
                continue
            self.fetched[url] = response.status_code
            if response.status_code >= 500 or response.status_code == 404:
                self.failures.append(f"{response.status_code} {url} ({view or 'no route'}) ← linked from {referrer}")
                continue
            if response.status_code in (301, 302, 303, 307, 308):
                target = self.internal(url, response["Location"])
                if target is not None and target not in self.fetched:
                    queue.append((target, f"{referrer} → {url} (redirect)"))
                continue
            if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
                continue
            for href in links_of(response.content.decode()):
                target = self.internal(url, href)
                if target is not None and target not in self.fetched and target not in self.linked_from:
                    self.linked_from[target] = url
                    queue.append((target, url))


# --- The world: the sample and the real organisation, as `make run` would have them --------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        load_organisation(routing=True, path=REAL_ORGANISATION_FILE)
        call_command("load_programmes", stdout=StringIO())
        call_command("import_betagouv", str(SAMPLE), stdout=StringIO())
        analyse()
        yield users()
        transaction.set_rollback(True)


def users() -> dict:
    """One account per role: a member of the community working on a product today, Incubator staff who holds no
    portfolio, a portfolio manager, an administrator."""
    User = get_user_model()
    today = timezone.localdate()
    managers = Portfolio.objects.exclude(manager=None).values("manager")
    working = Member.objects.exclude(user=None).filter(missions__products__isnull=False).order_by("username")
    member = (
        working.filter(Q(missions__end=None) | Q(missions__end__gte=today), missions__start__lte=today).first()
        or working.first()
    )
    staff = (
        User.objects.filter(is_incubator_staff=True, is_active=True, is_superuser=False)
        .exclude(pk__in=managers)
        .order_by("username")
        .first()
    )
    manager = User.objects.filter(pk__in=managers).order_by("username").first()
    assert member and staff and manager, (member, staff, manager)
    return {
        "anonymous": None,
        "member": member.user,
        "staff": staff,
        "portfolio manager": manager,
        "administrator": UserFactory(admin=True, username="admin.crawl"),
    }


@pytest.mark.parametrize("role", ROLES)
def test_every_linked_page_answers(world, db, role):
    client = Client()
    if world[role] is not None:
        client.force_login(world[role])
    crawl = Crawl(client)
    crawl.run()
    statuses = sorted(set(crawl.fetched.values()))
    print(f"{role}: {len(crawl.fetched)} pages, {len(crawl.per_route)} route patterns, statuses {statuses}")
    assert len(crawl.per_route) > 10  # the menus were reached: not a crawl stopped at the door
    assert not crawl.failures, f"{role}: {len(crawl.failures)} broken link(s):\n" + "\n".join(crawl.failures)


def test_the_crawler_reports_a_broken_link_and_the_page_that_links_it(client):
    crawl = Crawl(client)
    crawl.run(start="/produits/ce-produit-n-existe-pas/")
    assert crawl.failures == ["404 /produits/ce-produit-n-existe-pas/ (registry:product_detail) ← linked from (start)"]
