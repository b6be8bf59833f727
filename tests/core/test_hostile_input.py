"""Hostile input is refused at the edge with the house 400 (#13, finding 5), on SQLite and PostgreSQL alike.

A lone surrogate (`"a\\ud800b"` in JSON: no database, template nor e-mail can encode it, a 500 before) or a NUL
character (refused by PostgreSQL, a 500 there before; stored as is on SQLite) in a JSON body, form data or a query
string, and a body over `DATA_UPLOAD_MAX_MEMORY_SIZE`, are answered by `core.middleware.HostileInputMiddleware`:
the API's 400 in the shape of its validation errors, the DSFR 400 page for pages. Nothing is written.
"""

import json

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from config.api import api
from incubateur.guichet.models import Message, Ticket
from tests.factories import person
from tests.organisation.helpers import justice_product
from tests.registry.factories import team_member
from tests.utils import Caller

LONE_SURROGATES = ["a\ud800b", "\udfff", "fin\udbff"]
NUL = ["a\x00b", "\x00"]
HOSTILE = LONE_SURROGATES + NUL


@pytest.fixture
def requester(organisation):
    return team_member(justice_product(), username="camille.requerante")


def post_json(caller: Caller, path: str, document) -> object:
    # json.dumps escapes a lone surrogate as `\ud800`, as any client would send it (it cannot be UTF-8).
    body = document if isinstance(document, str) else json.dumps(document)
    return caller.client.post(f"/api/v1{path}", body, content_type="application/json", headers=caller.headers)


def doubt(**fields) -> dict:
    return {"kind": "doute-produit", "subject": "Doute", "body": "Faut-il pivoter ?", **fields}


def assert_api_refusal(response, *, loc: list, type_: str = "string_unicode") -> None:
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json; charset=utf-8"  # as django-ninja's own answers
    [item] = response.json()["detail"]
    assert item["type"] == type_
    assert item["loc"] == loc
    assert item["msg"]


def assert_page_refusal(response, reason: str) -> None:
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "Requête invalide" in page and "Erreur 400" in page
    assert reason in page
    assert "fr-header" in page  # the DSFR layout, not a bare error


# --- JSON ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", HOSTILE, ids=repr)
@pytest.mark.parametrize(
    ("document", "loc"),
    [
        (lambda v: doubt(subject=v), ["body", "subject"]),
        (lambda v: doubt(body=v), ["body", "body"]),
        (lambda v: doubt(ministry=v), ["body", "ministry"]),
        (lambda v: {**doubt(), "extra": {"deep": [1, {"deeper": v}]}}, ["body", "extra", "deep", 1, "deeper"]),
        (lambda v: {**doubt(), v: "a field named by it"}, ["body"]),
    ],
    ids=["subject", "body", "ministry", "nested", "key"],
)
def test_a_lone_surrogate_or_a_nul_in_any_json_field_is_a_400_and_writes_nothing(requester, value, document, loc):
    response = post_json(Caller(requester), "/requests", document(value))
    assert_api_refusal(response, loc=loc)
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("value", HOSTILE, ids=repr)
def test_a_reply_with_a_hostile_character_is_a_400(requester, value):
    caller = Caller(requester)
    created = post_json(caller, "/requests", doubt())
    assert created.status_code == 201, created.content
    key = created.json().get("reference") or created.json()["id"]  # its public reference (finding 9), or its id
    response = post_json(caller, f"/requests/{key}/messages", {"body": f"Merci {value}"})
    assert_api_refusal(response, loc=["body", "body"])
    assert not Message.objects.filter(body__startswith="Merci").exists()
    assert post_json(caller, f"/requests/{key}/messages", {"body": "Merci"}).status_code == 201


def test_text_that_merely_looks_hostile_is_accepted(requester):
    """The escape written out (`\\u0000` as six characters), accents, an emoji and a full surrogate pair pass."""
    caller = Caller(requester)
    subject = "Un \\u0000 écrit, \\ud800 aussi — 🚀 𝕏"
    response = post_json(caller, "/requests", doubt(subject=subject))
    assert response.status_code == 201, response.content
    assert Ticket.objects.get().subject == subject


def test_a_body_that_is_not_json_or_too_deep_is_still_the_house_400(requester):
    caller = Caller(requester)
    for body in ["{", "[" * 100_000, '{"subject": "\x00"}']:  # the last: a raw control character, invalid JSON
        assert_api_refusal(post_json(caller, "/requests", body), loc=["body"], type_="json_invalid")
    assert not Ticket.objects.exists()


# --- Query strings and paths ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "loc"),
    [
        ("/api/v1/startups?incubator=a%00b", ["query", "incubator"]),
        ("/api/v1/members?domaine=%00", ["query", "domaine"]),
        ("/api/v1/organisation/search?q=x%00", ["query", "q"]),
        ("/api/v1/organisation/contact?ministry=%00", ["query", "ministry"]),
        ("/api/v1/startups?%00=1", ["query"]),
    ],
)
def test_a_nul_in_the_query_string_of_the_api_is_a_400(organisation, path, loc):
    assert_api_refusal(Client().get(path), loc=loc)


def test_every_operation_that_reads_input_documents_the_400():
    """The middleware may answer any operation with a query string or a body: its 400 is in the schema (schemathesis
    checks the answers against it)."""
    schema = api.get_openapi_schema()
    bad_request = {"$ref": "#/components/schemas/BadRequestOut"}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if "requestBody" in operation or any(p["in"] == "query" for p in operation.get("parameters", [])):
                documented = operation["responses"].get(400)
                assert documented is not None, (method, path)
                described = documented["content"]["application/json"]["schema"]
                assert described == bad_request or bad_request in described["anyOf"], (method, path, described)


def test_a_nul_in_a_path_is_not_found(organisation):
    response = Client().get("/api/v1/startups/a%00b")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}
    response = Client().get("/connexion/lien/a%00b/")
    assert response.status_code == 404
    assert "fr-header" in response.content.decode()


# --- Forms and pages -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", NUL, ids=repr)
def test_a_nul_in_a_form_is_the_dsfr_400_page_and_sends_nothing(organisation, value):
    response = Client().post("/connexion/", {"email": f"camille{value}@beta.gouv.fr"})
    assert_page_refusal(response, "caractère nul")
    assert mail.outbox == []


def test_a_nul_in_a_pages_query_string_is_the_400_page_of_the_person_logged_in(organisation):
    client = Client()
    client.force_login(person("pierre.boussole"))
    response = client.get("/guichet/equipe/?q=a%00b")
    assert_page_refusal(response, "caractère nul")
    assert "Se déconnecter" in response.content.decode()


def test_a_form_field_named_with_a_nul_is_refused(organisation):
    response = Client().post("/connexion/", "email=a%40beta.gouv.fr&x%00y=1", content_type=FORM)
    assert_page_refusal(response, "caractère nul")


# --- Size ----------------------------------------------------------------------------------------------------------

FORM = "application/x-www-form-urlencoded"
OVER = settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1


def test_the_limit_is_written_down():
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 2_621_440  # Django's default, now a setting of the platform


def test_a_json_body_over_the_limit_is_a_400(requester):
    document = json.dumps(doubt(body="a" * OVER))
    response = post_json(Caller(requester), "/requests", document)
    assert_api_refusal(response, loc=["body"], type_="body_too_large")
    assert "2,6 Mo" in response.json()["detail"][0]["msg"]
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("content_type", [FORM, "multipart"])
def test_a_form_over_the_limit_is_the_400_page(organisation, content_type):
    client = Client()
    if content_type == FORM:
        response = client.post("/connexion/", f"email=a%40beta.gouv.fr&pad={'a' * OVER}", content_type=FORM)
    else:  # the platform takes no upload: a file counts as the rest of the body
        response = client.post("/connexion/", {"email": "a@beta.gouv.fr", "pad": ("a" * OVER).encode()})
    assert_page_refusal(response, "dépasse la taille maximale acceptée (2,6 Mo)")
    assert mail.outbox == []


def test_too_many_fields_is_a_400(organisation):
    fields = "&".join(f"f{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    assert_page_refusal(Client().post("/connexion/", fields, content_type=FORM), "trop de champs")
    assert_api_refusal(Client().get(f"/api/v1/startups?{fields}"), loc=[], type_="too_many_fields")


def test_a_body_just_under_the_limit_goes_through(organisation):
    pad = "a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE - 200)
    response = Client().post("/connexion/", f"email=camille%40beta.gouv.fr&pad={pad}", content_type=FORM)
    assert response.status_code == 302
