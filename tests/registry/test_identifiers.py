"""Registry identifiers in URLs: every route that names a product, member, incubator, organisation or team uses
that kind's converter (registry/converters.py), and works with the identifiers the real content tree has — a
dot, an underscore, capitals, an accent."""

from urllib.parse import unquote

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.converters import StringConverter

from incubateur.registry.converters import Identifier
from tests.factories import UserFactory, person
from tests.portfolios.factories import product

IDENTIFIERS = ["rdv.mjd", "atelier_meae", "FabNum-MI", "Préfecture", "latelier.numerique.du.ministere"]
REGISTRY_PARAMETERS = {"ghid", "username"}


def routes(patterns=None, namespace=""):
    """(name, route pattern) of every named route of the project."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from routes(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}", pattern.pattern


def fits(name: str, converter) -> bool:
    """A page names a registry object with its kind's converter; the JSON API (django-ninja's `{ghid}`) with the
    plain string converter, which matches the same (any segment)."""
    if name.startswith("api-v1:"):
        return isinstance(converter, StringConverter)
    return isinstance(converter, Identifier)


def identifier_routes():
    return [
        (name, route)
        for name, route in routes()
        if any(
            parameter in REGISTRY_PARAMETERS or isinstance(converter, Identifier)
            for parameter, converter in getattr(route, "converters", {}).items()
        )
    ]


def test_every_route_naming_a_registry_object_uses_its_converter():
    wrong = [
        f"{name}: <{type(converter).__name__} {parameter}>"
        for name, route in routes()
        for parameter, converter in getattr(route, "converters", {}).items()
        if parameter in REGISTRY_PARAMETERS and not fits(name, converter)
    ]
    assert wrong == []
    assert {name for name, _ in identifier_routes()} >= {
        "registry:product_detail",
        "registry:member_detail",
        "portfolios:committees",
        "portfolios:committee_new",
        "portfolios:board",
    }


@pytest.mark.parametrize("identifier", IDENTIFIERS)
def test_every_identifier_route_reverses_and_resolves(identifier):
    for name, route in identifier_routes():
        # Identifiers in every registry parameter; other parameters (a mission's `<int:pk>`) a value of their own.
        kwargs = {
            parameter: identifier if isinstance(converter, Identifier) else converter.to_python("7")
            for parameter, converter in route.converters.items()
        }
        url = reverse(name, kwargs=kwargs)
        match = resolve(unquote(url))  # as the request path reaches the resolver: decoded
        # The API's operations on one path (GET and POST `/members/{username}/missions`) share it under two names.
        assert (reverse(match.view_name, kwargs=match.kwargs), match.kwargs) == (url, kwargs), url


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("ghid", ["rdv.mjd", "atelier_meae", "Préfecture"])
def test_committees_of_a_product_with_an_odd_identifier(ghid):
    made = product(ghid)
    staff = client_for(UserFactory(staff=True))
    assert staff.get(reverse("portfolios:committees", args=[made.ghid])).status_code == 200
    assert staff.get(reverse("portfolios:committee_new", args=[made.ghid])).status_code == 200
    assert client_for(UserFactory()).get(reverse("registry:product_detail", args=[made.ghid])).status_code == 200


def test_a_board_with_a_dotted_product(organisation):
    """The Justice portfolio's manager opens their board: a dotted product is on it, with its committee links."""
    made = product("rdv.mjd", ministry="justice")
    response = client_for(person("pierre.boussole")).get(reverse("portfolios:board", args=["pierre.boussole"]))
    assert response.status_code == 200
    assert reverse("portfolios:committee_new", args=[made.ghid]) in response.content.decode()
