"""schemathesis against the live /api/v1/openapi.json, for anonymous, a community member, staff and an admin.

Every operation of the schema gets generated requests, valid and invalid ones (schemathesis' coverage phase:
boundaries, wrong types, missing fields, an unexpected method; then its fuzzing phase), sent through Django's WSGI
handler in the test's transaction with the caller's bearer token. Every answer must be: no 5xx; a status code
the operation documents; the content type and body schema it documents; a 4xx for invalid input; no 2xx without
credentials where the schema requires them.

The data: the tests' organisation and the routing table, a few registry rows, a request, an offer of help, an open call
with an application and a past one with its results. A path parameter is the generated value or, for about half
of the values, one that exists: the 200s are exercised, not only the 404s.

Hostile characters too: in about one generated body in four, a string (a value or a key, at any depth) gets a NUL
character or a lone surrogate, and in one query string in four a value gets a NUL (a lone surrogate cannot be put in a
URL): the edge (core.middleware.HostileInputMiddleware) must answer the documented 400, never a 500.

Bounded and deterministic: a fixed seed, derandomized generation, 10 fuzzed examples per operation and role.
One test per operation and role, e.g. `test_api_conforms_to_its_schema[GET /api/v1/startups][staff]`
(`-k "startups and staff"` selects it and the one of `/startups/{ghid}`).
"""

import datetime
import zlib
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from ninja import Schema

from incubateur.accounts.api_auth import api_token_issue
from incubateur.guichet import services as guichet
from incubateur.programmes import services as programmes
from incubateur.programmes.models import Application, ApplicationStatus, Call, Programme
from incubateur.registry.models import Phase
from tests.factories import UserFactory, person
from tests.organisation.helpers import justice_product, load_organisation
from tests.programmes.factories import fast_call
from tests.registry.factories import IncubatorFactory, MemberFactory, MissionFactory, OrganisationFactory, team_member

SCHEMA_URL = "/api/v1/openapi.json"
ROLES = ["anonymous", "member", "staff", "admin"]

CONFIG = {
    "seed": 20240601,
    "generation": {
        "mode": "all",  # valid and invalid inputs: invalid ones must be a documented 4xx, never a 500
        "max-examples": 10,
        "deterministic": True,
        "database": "none",
        "with-security-parameters": False,  # the caller's token is ours, not a generated one
    },
    "phases": {
        "examples": {"enabled": True},
        "coverage": {"enabled": True, "unexpected-methods": ["DELETE"]},
        "fuzzing": {"enabled": True},
        "stateful": {"enabled": False},
    },
    "checks": {
        "enabled": False,
        "not_a_server_error": {"enabled": True},
        "status_code_conformance": {"enabled": True},
        "content_type_conformance": {"enabled": True},
        "response_schema_conformance": {"enabled": True},
        "response_headers_conformance": {"enabled": True},
        "negative_data_rejection": {"enabled": True},
        "ignored_auth": {"enabled": True},
        "missing_required_header": {"enabled": True},
        "unsupported_method": {"enabled": True},
    },
}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The data the operations read, the callers' tokens, and the values of the path parameters that exist: made
    once for the module in a transaction rolled back at its end (each test runs in a savepoint inside it)."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield _world()
        transaction.set_rollback(True)


def _world() -> dict:
    load_organisation(routing=True)
    product = justice_product(repository="https://github.com/betagouv/justice")
    member = team_member(product, username="camille.membre")
    staff = person("pierre.boussole")  # manager of the Justice portfolio
    admin = UserFactory(username="admin.site", admin=True)

    # Registry
    sponsor = OrganisationFactory(ghid="anct", name="ANCT", domaine_ministeriel="territoires", type="operateur")
    incubator = IncubatorFactory(ghid="fabrique", title="Fabrique numérique", owner=sponsor)
    product.productincubator_set.create(incubator=incubator, order=1)
    Phase.objects.create(product=product, name="investigation", start=datetime.date(2023, 1, 1))
    other = MemberFactory(username="dominique.durand", fullname="Dominique Durand", domaine="Design")
    MissionFactory(member=other, products=[product], end=None, employer="ACME SAS")

    # Guichet
    ticket = guichet.ticket_submit(
        requester=member,
        kind="soutien-dinum",
        topic="deblocage",
        subject="Une question",
        body="Le détail",
        product=product,
    )
    offer = guichet.offer_propose(offered_by=staff, product=product, topic="Design", message="Un coup de main ?")

    # Programmes
    call = fast_call()
    application = programmes.application_start(call=call, user=member, product=product)
    past = Call.objects.create(
        programme=Programme.objects.get(slug="fast"),
        title="FAST 1",
        number=1,
        historical=True,
        results_published_at=timezone.now() - datetime.timedelta(days=365),
    )
    Application.objects.create(call=past, product=product, status=ApplicationStatus.LAUREATE, amount_granted=100_000)

    headers = {"anonymous": {}}
    for role, user in {"member": member, "staff": staff, "admin": admin}.items():
        _, secret = api_token_issue(user=user, name="fuzz")
        headers[role] = {"Authorization": f"Bearer {secret}"}
    return {
        "headers": headers,
        "path": {
            "ghid": [product.ghid, incubator.ghid, sponsor.ghid, "dir-justice"],
            "username": [member.username, other.username, staff.username],
            "request_id": [ticket.reference],
            "offer_id": [offer.pk],
            "call_id": [call.pk, past.pk],
            "application_id": [application.pk],
        },
    }


@pytest.fixture
def in_test_transaction(world, db):
    """Django's WSGI handler, in the test's transaction: as Django's test client does, the signal that closes
    the connection at the start and end of a request is off (it would end the test's transaction)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


# The live schema, as the site serves it, loaded when the module is collected (no database is involved):
# `schema.parametrize()` makes one test per operation from it.
schema = schemathesis.openapi.from_wsgi(SCHEMA_URL, WSGIHandler(), config=schemathesis.Config.from_dict(CONFIG))


def _existing(name: str, value, known: list):
    """A path parameter that exists for some of the generated values (a pure function of the value: the same case
    always gets the same answer, as Hypothesis requires when it replays a failure)."""
    pick = zlib.crc32(repr((name, value)).encode()) % (len(known) + 1)
    return known[pick] if pick < len(known) else value


# --- Hostile characters -----------------------------------------------------------------------------------------

HOSTILE_IN_BODY = ["\x00", "\ud800", "\udfff", "\udbff"]
HOSTILE_IN_QUERY = ["\x00"]
TAINTED_ONE_IN = 4


def _strings(value: Any, path: tuple = ()):
    """The paths of the strings of a JSON document: ("value", path) for a value, ("key", path) for a key."""
    if isinstance(value, str):
        yield ("value", path)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield ("key", (*path, key))
            yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))


def _tainted(document: Any, where: tuple, character: str, at: int) -> Any:
    """A copy of the document with `character` inserted into the string at `where`."""
    kind, path = where

    def insert(text: str) -> str:
        position = min(at, len(text))
        return text[:position] + character + text[position:]

    if not path:
        return insert(document)
    head, rest = path[0], path[1:]
    if isinstance(document, dict):
        if kind == "key" and not rest:
            return {(insert(key) if key == head else key): item for key, item in document.items()}
        changed = _tainted(document[head], (kind, rest), character, at)
        return {key: (changed if key == head else item) for key, item in document.items()}
    copy = list(document)
    copy[head] = _tainted(copy[head], (kind, rest), character, at)
    return copy


def _sometimes_tainted(document: Any, characters: list[str]) -> st.SearchStrategy:
    places = list(_strings(document))
    if not places:
        return st.just(document)
    tainted = st.builds(
        lambda where, character, at: _tainted(document, where, character, at),
        st.sampled_from(places),
        st.sampled_from(characters),
        st.integers(min_value=0, max_value=8),
    )
    draw = st.integers(min_value=1, max_value=TAINTED_ONE_IN)
    return draw.flatmap(lambda n: tainted if n == 1 else st.just(document))


def flatmap_body(context, body):
    return _sometimes_tainted(body, HOSTILE_IN_BODY)


def flatmap_query(context, query):
    if not isinstance(query, dict):
        return st.just(query)
    # A value of any type is sent as text: a tainted one is a string.
    as_text = {key: value if isinstance(value, str | list) else str(value) for key, value in query.items()}
    return _sometimes_tainted(as_text, HOSTILE_IN_QUERY).map(lambda tainted: query if tainted == as_text else tainted)


@pytest.mark.parametrize("role", ROLES)
# The fixtures hold for every example of a test: its writes are rolled back at the end of the test only.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@schema.hooks.apply(flatmap_body)
@schema.hooks.apply(flatmap_query)
@schema.parametrize()
def test_api_conforms_to_its_schema(case, role, world, in_test_transaction):
    for name, value in (case.path_parameters or {}).items():
        if name in world["path"]:
            case.path_parameters[name] = _existing(name, value, world["path"][name])
    case.call_and_validate(headers=world["headers"][role])


def test_the_schemas_names_are_unique():
    """OpenAPI lists the schemas by class name (`components.schemas`): two classes of the same name would be a single
    entry, describing one of them only, and the other operation's answers would not match their schema."""

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    modules = {}
    for cls in subclasses(Schema):
        if cls.__module__.startswith("incubateur."):
            modules.setdefault(cls.__name__, set()).add(cls.__module__)
    assert {name: where for name, where in modules.items() if len(where) > 1} == {}
