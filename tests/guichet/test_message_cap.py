"""A message of the guichet (a request, a reply or a note, an offer of help) is at most 10 000 characters: the form
says so beside the field and refuses more, the service refuses it too, so the API answers a 400 on the field."""

import re
from html import unescape

import pytest
from django.core.exceptions import ValidationError

from incubateur.guichet import services
from incubateur.guichet.models import MESSAGE_MAX, Message, Offer, Ticket
from tests.guichet.factories import propose, submit
from tests.guichet.test_pages import client_for, field_error, hidden, new_url, ticket_url
from tests.utils import Caller

LIMIT = "10\u202f000 caractères au plus"
TOO_LONG = "x" * (MESSAGE_MAX + 1)
REFUSAL = "Ce message fait 10\u202f001 caractères : 10\u202f000 au plus."


def plain(sentence: str) -> str:
    """As the page helpers read it: every space (the narrow no-break ones between thousands included) one space."""
    return " ".join(sentence.split())


def help_text(response, field: str) -> str:
    html = response.content.decode()
    match = re.search(rf'id="id_{re.escape(field)}_helptext"[^>]*>(.*?)</', html, re.S)
    assert match, f"no help text on {field}"
    return " ".join(unescape(match.group(1)).split())


# --- The pages ------------------------------------------------------------------------------------------------------


def test_the_request_form_says_the_limit_and_refuses_a_longer_message_beside_the_field(cast):
    client = client_for(cast.requester)
    form = client.get(new_url("autre"))
    assert help_text(form, "body").endswith(plain(f"({LIMIT})"))
    key = hidden(form, "idempotency_key")
    refused = client.post(new_url("autre"), {"subject": "Une question", "body": TOO_LONG, "idempotency_key": key})
    assert refused.status_code == 200
    assert field_error(refused, "body").startswith(plain(REFUSAL))
    assert not Ticket.objects.exists()


def test_a_message_of_exactly_the_limit_passes_a_line_break_counting_once(cast):
    # 5 000 lines sent by a browser (CR LF): 10 000 characters as typed, 14 999 in the request.
    body = "\r\n".join(["x"] * 5000) + "x"
    assert len(body) > MESSAGE_MAX
    client = client_for(cast.requester)
    key = hidden(client.get(new_url("autre")), "idempotency_key")
    response = client.post(new_url("autre"), {"subject": "Une liste", "body": body, "idempotency_key": key})
    assert response.status_code == 302
    assert Ticket.objects.get().body.count("\n") == 4999


def test_a_reply_over_the_limit_is_refused_beside_the_field(cast):
    ticket = submit(cast)
    client = client_for(cast.assignee)
    page = client.get(ticket_url(ticket))
    assert plain(LIMIT) in help_text(page, "reponse-body")
    refused = client.post(ticket_url(ticket, "repondre/"), {"reponse-body": TOO_LONG})
    assert refused.status_code == 200
    assert field_error(refused, "reponse-body").startswith(plain(REFUSAL))
    assert not Message.objects.exists()
    assert client.post(ticket_url(ticket, "repondre/"), {"reponse-body": "x" * MESSAGE_MAX}).status_code == 302
    assert Message.objects.get().body == "x" * MESSAGE_MAX


def test_the_offer_and_on_behalf_forms_cap_their_message_too(cast):
    client = client_for(cast.other_staff)
    form = client.get("/guichet/equipe/offres/nouvelle/")
    assert help_text(form, "message").endswith(plain(f"({LIMIT})"))
    refused = client.post(
        "/guichet/equipe/offres/nouvelle/", {"product": cast.product.ghid, "topic": "Atelier", "message": TOO_LONG}
    )
    assert field_error(refused, "message").startswith(plain(REFUSAL))
    assert not Offer.objects.exists()
    on_behalf = client.get("/guichet/equipe/pour-le-compte/")
    assert help_text(on_behalf, "body").endswith(plain(f"({LIMIT})"))


# --- The services ---------------------------------------------------------------------------------------------------


def test_the_services_refuse_a_longer_message_on_its_field(cast):
    with pytest.raises(ValidationError) as error:
        submit(cast, body=TOO_LONG)
    assert error.value.message_dict["body"][0].startswith(REFUSAL)
    ticket = submit(cast, body="x" * MESSAGE_MAX)
    with pytest.raises(ValidationError) as error:
        services.ticket_reply(ticket=ticket, author=cast.assignee, body=TOO_LONG, internal=True)
    assert error.value.message_dict["body"][0].startswith(REFUSAL)
    with pytest.raises(ValidationError) as error:
        propose(cast.other_staff, cast.product, message=TOO_LONG)
    assert error.value.message_dict["message"][0].startswith(REFUSAL)
    assert Ticket.objects.count() == 1 and not Message.objects.exists() and not Offer.objects.exists()
    # Spaces around the message are not counted: they are not kept.
    assert submit(cast, body=f"  {'y' * MESSAGE_MAX}\n\n").body == "y" * MESSAGE_MAX


# --- The API --------------------------------------------------------------------------------------------------------


def test_the_api_answers_400_on_the_field(cast):
    requester = Caller(cast.requester)
    response = requester.post("/requests", {"kind": "autre", "subject": "Long", "body": TOO_LONG})
    assert response.status_code == 400
    [detail] = response.json()["detail"]
    assert detail["loc"][-1] == "body" and detail["msg"].startswith(REFUSAL)
    assert not Ticket.objects.exists()

    ticket = submit(cast)
    response = Caller(cast.assignee).post(f"/requests/{ticket.reference}/messages", {"body": TOO_LONG})
    assert response.status_code == 400
    [detail] = response.json()["detail"]
    assert detail["loc"][-1] == "body" and detail["msg"].startswith(REFUSAL)
    assert not Message.objects.exists()

    response = Caller(cast.other_staff).post(
        "/offers", {"startup": cast.product.ghid, "topic": "Atelier", "message": TOO_LONG}
    )
    assert response.status_code == 400
    [detail] = response.json()["detail"]
    assert detail["loc"][-1] == "message" and detail["msg"].startswith(REFUSAL)
    assert not Offer.objects.exists()
