import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.access import ADMIN, ANON, EXEMPT_NAMESPACES, LOGIN, MEMBER, ROWS, STAFF, Row
from tests.factories import UserFactory


def _route_names(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace or ""
            if ns in EXEMPT_NAMESPACES:
                continue
            yield from _route_names(pattern.url_patterns, f"{namespace}{ns}:" if ns else namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}"


def test_every_route_has_a_row_in_the_access_matrix():
    routes = set(_route_names(get_resolver().url_patterns))
    covered = {row.name for row in ROWS}
    assert routes - covered == set(), "Routes without a row in tests/access.py"
    assert covered - routes == set(), "Rows for routes that do not exist"


@pytest.fixture
def world():
    from incubateur.core.models import Notification
    from incubateur.organisation.models import Pole, Portfolio, Position

    notification = Notification.objects.create(
        kind="test", channel="email", recipient="x@example.org", subject="Test", body="…", status="failed"
    )
    pole = Pole.objects.create(slug="animation", name="Le Pôle Animation et Expertises")
    position = Position.objects.create(pole=pole, person=UserFactory(staff=True), title="Animatrice")
    portfolio = Portfolio.objects.create(slug="justice", label="Justice", ministries=["justice"])
    return {"notification": notification, "pole": pole, "position": position, "portfolio": portfolio}


def _client_for(role) -> Client:
    client = Client()
    if role == MEMBER:
        client.force_login(UserFactory())
    elif role == STAFF:
        client.force_login(UserFactory(staff=True))
    elif role == ADMIN:
        client.force_login(UserFactory(admin=True))
    return client


@pytest.mark.parametrize("role", [ANON, MEMBER, STAFF, ADMIN], ids=lambda r: r.name.lower())
@pytest.mark.parametrize("row", ROWS, ids=lambda row: f"{row.method}:{row.name}")
def test_access_matrix(row: Row, role, world):
    url = row.url(world) if row.url else reverse(row.name)
    response = getattr(_client_for(role), row.method)(url, row.data)
    expected = row.expected[role]
    if expected == LOGIN:
        assert response.status_code == 302, f"{url} as {role.name}"
        assert response["Location"].startswith(reverse("accounts:login") + "?next="), response["Location"]
    else:
        assert response.status_code == expected, f"{url} as {role.name}: {response.status_code} != {expected}"
