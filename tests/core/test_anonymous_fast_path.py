"""Anonymous pages and API reads skip what they don't need (#19): on a warm cache, one query (the stamps'
versions, which keep every write visible at once), no cookie, no session, no CSRF token, no CSP nonce; the API's
fast path still gives what its schema says, and a revoked token is refused on the very next request."""

import json
import re

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from incubateur.accounts.api_auth import api_token_issue, api_token_revoke_secret
from incubateur.organisation.api import IncubatorOrganisationOut
from incubateur.organisation.models import Pole, Position
from incubateur.registry.api.schemas import StartupList
from tests.factories import UserFactory
from tests.registry.factories import ProductFactory

pytestmark = pytest.mark.usefixtures("public_page_cache")


def _get(client, url, **headers):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **headers)
    return response, [query["sql"] for query in ctx.captured_queries]


def _public_pages() -> list[str]:
    product = ProductFactory(name="Mon Service")
    person = Position.objects.select_related("person").first().person
    return ["/qui-fait-quoi/", "/produits/", f"/produits/{product.ghid}/", f"/qui-fait-quoi/{person.username}/"]


def test_a_warm_public_page_reads_only_its_stamps_and_keeps_nothing_of_the_visitor(client, organisation):
    for url in _public_pages():
        first, _ = _get(client, url)
        assert first.status_code == 200, url
        response, queries = _get(client, url)
        assert response.content == first.content, url
        # One query, whatever the number of stamps (the person page has two): no session, no user, no view.
        assert len(queries) == 1, (url, queries)
        assert "django_cache" in queries[0]
        assert not response.cookies, url  # no session cookie, no CSRF cookie
        page = response.content.decode()
        assert "csrfmiddlewaretoken" not in page, url
        assert "nonce" not in response["Content-Security-Policy"] and "nonce=" not in page, url


def test_a_write_moves_every_page_at_once(client, organisation):
    client.get("/qui-fait-quoi/")
    pole = Pole.objects.first()
    pole.name = "Pôle renommé pour le test"
    pole.save()
    assert "Pôle renommé pour le test" in client.get("/qui-fait-quoi/").content.decode()


def test_the_cached_api_lists_read_one_query_and_follow_writes(client):
    product = ProductFactory(name="Premier nom")
    for url in ("/api/v1/startups", "/api/v1/organisation"):
        client.get(url)
        response, queries = _get(client, url)
        assert response.status_code == 200
        assert len(queries) == 1, (url, queries)  # the stamp: the body is kept in the process next to its tag
    product.name = "Nouveau nom"
    product.save()
    names = [item["name"] for item in client.get("/api/v1/startups").json()["items"]]
    assert names == ["Nouveau nom"]


_TYPES = {"string": str, "integer": int, "boolean": bool, "number": (int, float), "null": type(None)}


def _conforms(value, node: dict, defs: dict) -> bool:
    """Whether `value` matches this node of a JSON Schema as pydantic writes them (objects, arrays, scalars, anyOf,
    $ref, formats as strings): no missing required key, no unknown key, the right type at every depth."""
    if "$ref" in node:
        return _conforms(value, defs[node["$ref"].rsplit("/", 1)[-1]], defs)
    if "anyOf" in node:
        return any(_conforms(value, option, defs) for option in node["anyOf"])
    kind = node.get("type")
    if kind == "object":
        properties = node.get("properties", {})
        return (
            isinstance(value, dict)
            and set(node.get("required", ())) <= set(value)
            and set(value) <= set(properties)
            and all(_conforms(item, properties[key], defs) for key, item in value.items())
        )
    if kind == "array":
        return isinstance(value, list) and all(_conforms(item, node.get("items", {}), defs) for item in value)
    if kind in _TYPES:
        return isinstance(value, _TYPES[kind]) and not (kind == "integer" and isinstance(value, bool))
    return True  # no constraint


def test_the_fast_api_output_still_matches_its_schema(client, organisation):
    ProductFactory(name="Mon Service", thematiques=["santé"])
    for url, schema in (("/api/v1/startups", StartupList), ("/api/v1/organisation", IncubatorOrganisationOut)):
        client.get(url)
        data = json.loads(client.get(url).content)  # served from the process's copy
        assert data and (url.endswith("organisation") or data["items"]), url
        json_schema = schema.model_json_schema(mode="serialization", by_alias=True)
        assert _conforms(data, json_schema, json_schema.get("$defs", {})), url
        broken = json.loads(json.dumps(data))
        broken["unexpected"] = 1
        assert not _conforms(broken, json_schema, json_schema.get("$defs", {}))  # the check can fail


def test_a_revoked_token_is_refused_on_the_next_request(client):
    ProductFactory()
    _, secret = api_token_issue(user=UserFactory(is_staff=True), name="tests")
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    assert client.get("/api/v1/startups", **bearer).status_code == 200
    assert client.get("/api/v1/startups", **bearer).status_code == 200  # warm: the page's copy is in the process
    assert api_token_revoke_secret(secret=secret) == 1
    response = client.get("/api/v1/startups", **bearer)
    assert response.status_code == 401
    assert response.json() == {"detail": "Jeton d'API invalide ou révoqué."}


def _without_tokens(page: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)


def test_the_login_page_is_rendered_once_and_gets_each_visitor_s_own_token(organisation):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    pages = [client.get("/connexion/") for client in (first, second, first)]
    tokens = [re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()) for page in pages]
    assert all(len(found) == 1 and "sentinel" not in found[0] for found in tokens)
    assert len({found[0] for found in tokens}) == 3  # masked: a new string each time
    assert pages[0].cookies[settings.CSRF_COOKIE_NAME].value  # the CSRF cookie, as the form needs
    # The same page as a full render (a flash message cookie takes the ordinary path), but for the token.
    rendered = Client()
    rendered.cookies["messages"] = ""
    assert _without_tokens(rendered.get("/connexion/").content.decode()) == _without_tokens(pages[1].content.decode())
    # The token is the visitor's: the form posts.
    response = first.post("/connexion/", {"email": "personne@example.org", "csrfmiddlewaretoken": tokens[0][0]})
    assert response.status_code == 302
    assert second.post("/connexion/", {"email": "personne@example.org"}).status_code == 403
