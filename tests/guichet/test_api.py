"""/api/v1/ of the guichet: requests, messages, status, offers of help; token or session; confidentiality."""

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.crypto import get_random_string
from django.utils.dateparse import parse_datetime

from incubateur.accounts.api_auth import CSRF_FAILED, api_token_issue, api_tokens_revoke_for
from incubateur.core.models import Notification
from incubateur.guichet import services, workdays
from incubateur.guichet.models import Message, Offer, Read, Ticket
from tests.factories import UserFactory, person
from tests.registry.factories import ProductFactory, team_member
from tests.utils import Caller

API = "/api/v1"
JUSTICE_REASON = "attribuée à Pierre Boussole : portefeuille Justice, ministère Justice, produit Justice pour tous"


def doubt(**fields) -> dict:
    return {"kind": "doute-produit", "subject": "Doute", "body": "Faut-il pivoter ?", **fields}


def ids(response) -> list[str]:
    """The references of the listed requests."""
    return [item["reference"] for item in response.json()["items"]]


def offer_ids(response) -> list[int]:
    return [item["id"] for item in response.json()["items"]]


@pytest.fixture
def recipient(organisation):
    return person("gael.ivoire")


@pytest.fixture
def confidential(cast, recipient) -> Ticket:
    """A `mal-etre` request from the requester to Gaël Ivoire."""
    return services.ticket_submit(
        requester=cast.requester, kind="mal-etre", subject="Difficile", body="Je n'en peux plus.", recipient=recipient
    )


@pytest.fixture
def normal(cast) -> Ticket:
    return services.ticket_submit(
        requester=cast.requester, kind="doute-produit", subject="Doute", body="Faut-il pivoter ?", product=cast.product
    )


# --- POST /requests ---------------------------------------------------------------------------------------


def test_a_justice_product_doubt_lands_with_its_portfolio_manager_with_the_reason(cast):
    response = Caller(cast.requester).post("/requests", doubt(startup="justice-pour-tous"))
    assert response.status_code == 201, response.content
    data = response.json()
    ticket = Ticket.objects.get()
    assert data["reference"] == ticket.reference
    assert data["assignee"] == {"username": "pierre.boussole", "fullname": "Pierre Boussole"}
    assert data["routing_reason"] == JUSTICE_REASON
    assert {k: data[k] for k in ("kind", "topic", "subject", "status", "confidential", "startup")} == {
        "kind": "doute-produit",
        "topic": "",
        "subject": "Doute",
        "status": "nouveau",
        "confidential": False,
        "startup": "justice-pour-tous",
    }
    assert data["requester"]["username"] == "camille.requerante"
    created = parse_datetime(data["created_at"])
    assert parse_datetime(data["first_response_due"]) == workdays.first_response_due(created)
    assert ticket.channel == "api"
    assert ticket.assignee == cast.assignee


def test_a_confidential_kind_goes_to_the_chosen_person(cast, recipient):
    response = Caller(cast.requester).post(
        "/requests", {"kind": "mal-etre", "subject": "Difficile", "body": "…", "recipient": "gael.ivoire"}
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["confidential"] is True
    assert data["assignee"] == {"username": "gael.ivoire", "fullname": "Gaël Ivoire"}
    assert data["routing_reason"] == "attribuée à Gaël Ivoire : personne choisie par l'auteur de la demande"


def test_any_kind_may_be_marked_confidential(cast):
    response = Caller(cast.requester).post("/requests", doubt(startup="justice-pour-tous", confidential=True))
    assert response.status_code == 201
    assert response.json()["confidential"] is True
    ticket = Ticket.objects.get()
    assert list(ticket.participants.values_list("user__username", flat=True)) == ["pierre.boussole"]


@pytest.mark.parametrize(
    "fields,field,message",
    [
        ({"kind": "inconnu"}, "kind", "Type de demande inconnu : « inconnu »."),
        (
            {"kind": "mal-etre"},
            "recipient",
            "Choisissez la personne de l'Incubateur à qui vous adressez cette demande.",
        ),
        ({"startup": "autre-produit"}, "startup", "Vous ne faites pas partie de l'équipe active de ce produit."),
        ({"startup": "produit-inconnu"}, "startup", "Produit inconnu : « produit-inconnu »."),
        (
            {"kind": "signalement", "recipient": "personne.inconnue"},
            "recipient",
            "Aucune personne de l'Incubateur n'a l'identifiant « personne.inconnue ».",
        ),
        (
            {"kind": "signalement", "recipient": "alex.autre"},  # an account, but not of the Incubator
            "recipient",
            "Aucune personne de l'Incubateur n'a l'identifiant « alex.autre ».",
        ),
        ({"recipient": "gael.ivoire"}, "recipient", "Ce type de demande est attribué automatiquement."),
        ({"kind": "soutien-dinum"}, "topic", "Précisez le sujet de votre demande."),
        ({"kind": "soutien-dinum", "topic": "cafe"}, "topic", "Sujet inconnu : « cafe »."),
        ({"topic": "gamma"}, "topic", "Ce type de demande n'a pas de sujet à préciser."),
        ({"subject": "   "}, "subject", "Donnez un objet à votre demande."),
        ({"subject": "x" * 201}, "subject", "L'objet fait 201 caractères : 200 au plus."),
        ({"body": ""}, "body", "Écrivez votre message."),
        ({"kind": "partenariat", "ministry": "lune"}, "ministry", "Ministère inconnu : « lune »."),
    ],
)
def test_bad_input_is_a_400_with_the_field_and_its_message(cast, fields, field, message):
    ProductFactory(ghid="autre-produit", name="Autre produit")
    response = Caller(cast.requester).post("/requests", doubt(**fields))
    assert response.status_code == 400, response.content
    assert response.json() == {"detail": [{"type": "value_error", "loc": ["body", "payload", field], "msg": message}]}
    assert not Ticket.objects.exists()


def test_several_bad_fields_are_reported_together(cast):
    response = Caller(cast.requester).post("/requests", {"kind": "soutien-dinum", "subject": "", "body": " "})
    assert response.status_code == 400
    assert {item["loc"][-1]: item["msg"] for item in response.json()["detail"]} == {
        "topic": "Précisez le sujet de votre demande.",
        "subject": "Donnez un objet à votre demande.",
        "body": "Écrivez votre message.",
    }


def test_a_missing_field_or_a_body_that_is_not_json_is_a_400(cast):
    caller = Caller(cast.requester)
    response = caller.post("/requests", {"kind": "autre", "subject": "Sans message"})
    assert response.status_code == 400
    [error] = response.json()["detail"]
    assert (error["type"], error["loc"]) == ("missing", ["body", "payload", "body"])
    response = caller.client.post(
        f"{API}/requests", "pas du JSON", content_type="application/json", headers=caller.headers
    )
    assert response.status_code == 400
    # The shape of every 400 (the schema declares it): not django-ninja's `{"detail": "Cannot parse request body"}`.
    [error] = response.json()["detail"]
    assert (error["type"], error["loc"]) == ("json_invalid", ["body"])
    assert not Ticket.objects.exists()


# --- Idempotency-Key ------------------------------------------------------------------------------------


def test_a_replay_with_the_same_key_returns_the_same_request_and_creates_nothing(cast):
    caller = Caller(cast.requester)
    first = caller.post("/requests", doubt(startup="justice-pour-tous"), **{"Idempotency-Key": "clé-1"})
    assert first.status_code == 201
    notifications = Notification.objects.count()
    assert notifications > 0
    replay = caller.post("/requests", doubt(startup="justice-pour-tous"), **{"Idempotency-Key": "clé-1"})
    assert replay.status_code == 200
    assert replay.json() == first.json()
    assert Ticket.objects.count() == 1
    assert Notification.objects.count() == notifications  # nobody is told twice
    # A replay answers with the first request whatever its body says now.
    again = caller.post("/requests", {"kind": "inconnu", "subject": "", "body": ""}, **{"Idempotency-Key": "clé-1"})
    assert (again.status_code, again.json()["reference"]) == (200, first.json()["reference"])

    other = caller.post("/requests", doubt(startup="justice-pour-tous"), **{"Idempotency-Key": "clé-2"})
    assert other.status_code == 201
    assert other.json()["reference"] != first.json()["reference"]
    no_key = caller.post("/requests", doubt(startup="justice-pour-tous"))
    assert no_key.status_code == 201
    assert Ticket.objects.count() == 3


def test_the_same_key_from_another_caller_is_another_request(cast):
    first = Caller(cast.requester).post("/requests", doubt(), **{"Idempotency-Key": "k"})
    second = Caller(cast.teammate).post("/requests", doubt(), **{"Idempotency-Key": "k"})
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["reference"] != second.json()["reference"]
    assert second.json()["requester"]["username"] == "dominique.coequipier"


def test_an_idempotency_key_too_long_is_a_400(cast):
    response = Caller(cast.requester).post("/requests", doubt(), **{"Idempotency-Key": "x" * 101})
    assert response.status_code == 400
    assert response.json()["detail"] == [
        {
            "type": "value_error",
            "loc": ["header", "Idempotency-Key"],
            "msg": "La clé fait 101 caractères : 100 au plus.",
        }
    ]
    assert not Ticket.objects.exists()


# --- Who sees what --------------------------------------------------------------------------------------

# For each person of the cast: does the normal request (a doute-produit of the requester) and the
# confidential one (mal-etre to Gaël Ivoire) appear to them?
SEES = {
    # person: (normal, confidential)
    "requester": (True, True),
    "teammate": (False, False),
    "other_member": (False, False),
    "assignee": (True, False),
    "other_staff": (True, False),
    "pole_lead": (True, False),
    "admin": (True, False),
    "recipient": (True, True),
}


@pytest.mark.parametrize("who", SEES)
def test_lists_counts_and_details_show_each_person_only_what_they_may_see(cast, recipient, normal, confidential, who):
    user = recipient if who == "recipient" else getattr(cast, who)
    sees_normal, sees_confidential = SEES[who]
    caller = Caller(user)
    listed = caller.get("/requests")
    assert listed.status_code == 200
    expected = [t.reference for t, seen in ((confidential, sees_confidential), (normal, sees_normal)) if seen]
    assert ids(listed) == expected
    assert listed.json()["count"] == len(expected)
    assert caller.get("/requests", {"kind": "mal-etre"}).json()["count"] == int(sees_confidential)
    for ticket, seen in ((normal, sees_normal), (confidential, sees_confidential)):
        detail = caller.get(f"/requests/{ticket.reference}")
        if seen:
            assert detail.status_code == 200
            assert detail.json()["subject"] == ticket.subject
        else:
            assert detail.status_code == 404
            assert detail.json() == {"detail": f"Demande introuvable : {ticket.reference}."}
            assert caller.post(f"/requests/{ticket.reference}/messages", {"body": "Bonjour"}).status_code == 404
            assert caller.post(f"/requests/{ticket.reference}/status", {"status": "resolu"}).status_code == 404
    assert not Message.objects.exists()
    assert Ticket.objects.filter(status="nouveau").count() == 2


def test_a_confidential_request_lists_its_people_and_logs_every_read(cast, recipient, confidential):
    data = Caller(recipient).get(f"/requests/{confidential.reference}").json()
    assert data["participants"] == ["gael.ivoire"]
    assert data["confidential"] is True
    assert list(Read.objects.values_list("user__username", flat=True)) == ["gael.ivoire"]
    mine = Caller(cast.requester).get(f"/requests/{confidential.reference}").json()
    assert Read.objects.count() == 1  # the requester's own reads are not logged
    assert [r["username"] for r in mine["reads"]] == ["gael.ivoire"]
    assert mine["participants"] == ["gael.ivoire"]


def test_a_normal_request_has_no_participants_nor_reads(cast, normal):
    data = Caller(cast.assignee).get(f"/requests/{normal.reference}").json()
    assert (data["participants"], data["reads"]) == (None, None)
    assert data["body"] == "Faut-il pivoter ?"
    assert data["allowed_statuses"] == ["pris-en-charge", "en-attente-demandeur", "resolu"]
    assert not Read.objects.exists()


def test_filters_and_pagination(cast, normal, confidential):
    caller = Caller(cast.requester)
    other = services.ticket_submit(requester=cast.teammate, kind="autre", subject="Autre", body="…")
    services.ticket_status_set(ticket=normal, actor=cast.requester, status="resolu")
    assert ids(caller.get("/requests", {"status": "resolu"})) == [normal.reference]
    assert ids(caller.get("/requests", {"status": "nouveau"})) == [confidential.reference]
    assert ids(caller.get("/requests", {"kind": "doute-produit"})) == [normal.reference]
    page = caller.get("/requests", {"limit": 1, "offset": 1}).json()
    assert (page["count"], [i["reference"] for i in page["items"]]) == (2, [normal.reference])
    staff = Caller(cast.other_staff)
    assert ids(staff.get("/requests")) == [other.reference, normal.reference]
    assert ids(staff.get("/requests", {"mine": "true"})) == []
    response = caller.get("/requests", {"status": "perdu"})
    assert response.status_code == 400
    assert response.json()["detail"][0]["loc"] == ["query", "status"]
    assert caller.get("/requests", {"limit": 0}).status_code == 400


# --- Messages -------------------------------------------------------------------------------------------


def test_internal_notes_never_reach_the_requester(cast, normal):
    handler, requester = Caller(cast.assignee), Caller(cast.requester)
    note = handler.post(f"/requests/{normal.reference}/messages", {"body": "À voir avec la DAJ.", "internal": True})
    assert note.status_code == 201, note.content
    assert note.json()["internal"] is True
    reply = handler.post(f"/requests/{normal.reference}/messages", {"body": "Parlons-en jeudi."})
    assert reply.status_code == 201
    assert reply.json()["author"] == {"username": "pierre.boussole", "fullname": "Pierre Boussole"}
    assert [m["body"] for m in requester.get(f"/requests/{normal.reference}").json()["messages"]] == [
        "Parlons-en jeudi."
    ]
    assert requester.get(f"/requests/{normal.reference}").json()["status"] == "pris-en-charge"
    assert [m["body"] for m in Caller(cast.other_staff).get(f"/requests/{normal.reference}").json()["messages"]] == [
        "À voir avec la DAJ.",
        "Parlons-en jeudi.",
    ]
    denied = requester.post(f"/requests/{normal.reference}/messages", {"body": "Psst", "internal": True})
    assert denied.status_code == 400
    assert denied.json()["detail"] == [
        {
            "type": "value_error",
            "loc": ["body", "payload", "internal"],
            "msg": "Seules les personnes qui traitent la demande écrivent des notes internes.",
        }
    ]
    answer = requester.post(f"/requests/{normal.reference}/messages", {"body": "Merci !"})
    assert answer.status_code == 201
    assert Message.objects.count() == 3


def test_an_empty_message_and_a_reply_to_a_closed_request_are_400(cast, normal):
    handler = Caller(cast.assignee)
    response = handler.post(f"/requests/{normal.reference}/messages", {"body": "  "})
    assert response.status_code == 400
    assert response.json()["detail"][0]["msg"] == "Écrivez votre message."
    services.ticket_status_set(ticket=normal, actor=cast.assignee, status="resolu")
    services.ticket_status_set(ticket=Ticket.objects.get(pk=normal.pk), actor=cast.assignee, status="clos")
    response = handler.post(f"/requests/{normal.reference}/messages", {"body": "Encore un mot"})
    assert response.status_code == 400
    assert response.json()["detail"] == [
        {"type": "value_error", "loc": [], "msg": "Vous ne pouvez pas répondre à cette demande."}
    ]


# --- Status ---------------------------------------------------------------------------------------------


def test_a_stale_version_is_a_409_and_changes_nothing(cast, normal):
    version = Caller(cast.assignee).get(f"/requests/{normal.reference}").json()["version"]
    first = Caller(cast.assignee).post(
        f"/requests/{normal.reference}/status", {"status": "pris-en-charge", "version": version}
    )
    assert first.status_code == 200
    assert (first.json()["status"], first.json()["version"]) == ("pris-en-charge", version + 1)
    second = Caller(cast.other_staff).post(
        f"/requests/{normal.reference}/status", {"status": "resolu", "version": version}
    )
    assert second.status_code == 409
    assert second.json() == {
        "detail": f"La demande a été modifiée depuis la version {version} que vous avez lue (version actuelle : "
        f"{version + 1}). Relisez-la, puis recommencez si le changement a encore lieu d'être.",
        "version": version + 1,
    }
    assert Ticket.objects.get(pk=normal.pk).status == "pris-en-charge"
    third = Caller(cast.other_staff).post(
        f"/requests/{normal.reference}/status", {"status": "resolu", "version": version + 1}
    )
    assert (third.status_code, third.json()["status"]) == (200, "resolu")


@pytest.mark.parametrize(
    "who,status,message",
    [
        (
            "requester",
            "en-attente-demandeur",
            "Une demande « nouvelle » ne peut pas passer à « en attente de votre réponse ».",
        ),
        ("assignee", "clos", "Une demande « nouvelle » ne peut pas passer à « close »."),
        ("assignee", "perdu", "Statut inconnu : « perdu »."),
    ],
)
def test_a_change_of_status_not_allowed_is_a_400(cast, normal, who, status, message):
    response = Caller(getattr(cast, who)).post(f"/requests/{normal.reference}/status", {"status": status})
    assert response.status_code == 400
    assert response.json()["detail"] == [{"type": "value_error", "loc": ["body", "payload", "status"], "msg": message}]
    assert Ticket.objects.get(pk=normal.pk).status == "nouveau"


def test_the_requester_settles_and_reopens(cast, normal):
    caller = Caller(cast.requester)
    assert caller.post(f"/requests/{normal.reference}/status", {"status": "resolu"}).json()["status"] == "resolu"
    assert caller.post(f"/requests/{normal.reference}/status", {"status": "pris-en-charge"}).json()["status"] == (
        "pris-en-charge"
    )


# --- Offers of help: consent ----------------------------------------------------------------------------


def offer_of(caller, **fields):
    return caller.post(
        "/offers",
        {
            "startup": "justice-pour-tous",
            "topic": "Atelier design",
            "message": "Un atelier avec vos usagers ?",
            **fields,
        },
    )


def test_an_offer_does_nothing_until_the_team_accepts(cast):
    staff = Caller(cast.other_staff)
    response = offer_of(staff)
    assert response.status_code == 201, response.content
    data = response.json()
    assert {k: data[k] for k in ("startup", "topic", "message", "status", "request", "decided_by")} == {
        "startup": "justice-pour-tous",
        "topic": "Atelier design",
        "message": "Un atelier avec vos usagers ?",
        "status": "proposee",
        "request": None,
        "decided_by": None,
    }
    assert data["offered_by"] == {"username": "antoine.rivage", "fullname": "Antoine Rivage"}
    assert not Ticket.objects.exists()
    offer_id = data["id"]

    member = Caller(cast.requester)
    assert offer_ids(member.get("/offers")) == [offer_id]
    assert member.get(f"/offers/{offer_id}").json() == data
    # Nobody else decides: the Incubator's staff see the offer but cannot accept it; outsiders do not see it.
    for who in ("other_staff", "assignee", "admin"):
        denied = Caller(getattr(cast, who)).post(f"/offers/{offer_id}/accept")
        assert denied.status_code == 400
        assert denied.json()["detail"] == [
            {
                "type": "value_error",
                "loc": [],
                "msg": "Seule l'équipe active du produit accepte ou refuse une offre d'aide.",
            }
        ]
    outsider = Caller(cast.other_member)
    assert outsider.get("/offers").json() == {"items": [], "count": 0}
    assert outsider.get(f"/offers/{offer_id}").status_code == 404
    assert outsider.post(f"/offers/{offer_id}/accept").status_code == 404
    assert outsider.post(f"/offers/{offer_id}/decline", {"reason": "Non"}).status_code == 404
    assert not Ticket.objects.exists()
    assert Offer.objects.get().status == "proposee"

    accepted = member.post(f"/offers/{offer_id}/accept")
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["status"] == "acceptee"
    assert accepted.json()["decided_by"]["username"] == "camille.requerante"
    ticket = Ticket.objects.get()
    assert accepted.json()["request"] == ticket.reference
    assert (ticket.team_owned, ticket.assignee, ticket.channel) == (True, cast.other_staff, "offre")
    # The request belongs to the team: the teammate follows it as theirs.
    assert ids(Caller(cast.teammate).get("/requests", {"mine": "true"})) == [ticket.reference]
    again = member.post(f"/offers/{offer_id}/accept")
    assert again.status_code == 400
    assert again.json()["detail"] == [
        {"type": "value_error", "loc": ["offer"], "msg": "Cette offre a déjà été acceptée."}
    ]
    assert Ticket.objects.count() == 1


def test_the_team_declines_with_or_without_a_reason(cast):
    staff = Caller(cast.assignee)
    first, second = offer_of(staff).json()["id"], offer_of(staff, topic="Autre").json()["id"]
    declined = Caller(cast.teammate).post(f"/offers/{first}/decline", {"reason": "Pas maintenant."})
    assert declined.status_code == 200
    assert (declined.json()["status"], declined.json()["decline_reason"]) == ("refusee", "Pas maintenant.")
    assert Caller(cast.requester).post(f"/offers/{first}/accept").status_code == 400
    plain = Caller(cast.requester).post(f"/offers/{second}/decline")  # no body at all
    assert plain.status_code == 200
    assert (plain.json()["status"], plain.json()["decline_reason"]) == ("refusee", "")
    assert not Ticket.objects.exists()
    assert offer_ids(Caller(cast.other_staff).get("/offers", {"status": "refusee"})) == [second, first]


def test_only_staff_offer_help(cast):
    for who in ("requester", "other_member"):
        response = offer_of(Caller(getattr(cast, who)))
        assert response.status_code == 404
        assert response.json() == {"detail": "Introuvable."}
        # Before the body is read: a bad body is a 404 alike.
        assert Caller(getattr(cast, who)).post("/offers", {}).status_code == 404
    assert not Offer.objects.exists()
    assert offer_of(Caller(cast.admin)).status_code == 201


@pytest.mark.parametrize(
    "fields,field,message",
    [
        ({"startup": "inconnu"}, "startup", "Produit inconnu : « inconnu »."),
        ({"topic": " "}, "topic", "Indiquez le sujet de l'aide proposée."),
        ({"message": ""}, "message", "Écrivez votre message à l'équipe."),
    ],
)
def test_a_bad_offer_is_a_400(cast, fields, field, message):
    response = offer_of(Caller(cast.other_staff), **fields)
    assert response.status_code == 400
    assert response.json()["detail"] == [{"type": "value_error", "loc": ["body", "payload", field], "msg": message}]
    assert not Offer.objects.exists()


# --- Authentication -------------------------------------------------------------------------------------


def test_the_session_works_and_needs_the_csrf_token_to_write(cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.requester)
    assert client.get(f"{API}/requests").status_code == 200  # reads need no CSRF token
    body = json.dumps(doubt(startup="justice-pour-tous"))
    refused = client.post(f"{API}/requests", body, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json() == {"detail": CSRF_FAILED}
    wrong = client.post(f"{API}/requests", body, content_type="application/json", headers={"X-CSRFToken": "x" * 32})
    assert wrong.status_code == 403
    assert not Ticket.objects.exists()
    token = get_random_string(32)
    client.cookies["csrftoken"] = token
    created = client.post(f"{API}/requests", body, content_type="application/json", headers={"X-CSRFToken": token})
    assert created.status_code == 201
    assert created.json()["assignee"]["username"] == "pierre.boussole"


def test_without_credentials_a_write_is_a_401_not_a_csrf_error(cast):
    client = Client(enforce_csrf_checks=True)
    response = client.post(f"{API}/requests", json.dumps(doubt()), content_type="application/json")
    assert response.status_code == 401


def test_bearer_tokens(cast):
    user = cast.requester
    _, secret = api_token_issue(user=user, name="script")
    client = Client()
    assert client.get(f"{API}/requests", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    for header, message in [
        ("Bearer inconnu", "Jeton d'API invalide ou révoqué."),
        ("Basic dXNlcjpwYXNz", "En-tête Authorization invalide : attendu « Bearer <jeton> »."),
    ]:
        response = client.get(f"{API}/requests", headers={"Authorization": header})
        assert (response.status_code, response.json()) == (401, {"detail": message})
    # A bad token is a 401 even with a valid session: never a silent fall back.
    client.force_login(user)
    assert client.get(f"{API}/requests", headers={"Authorization": "Bearer inconnu"}).status_code == 401
    client.logout()
    api_tokens_revoke_for(user=user)
    assert client.get(f"{API}/requests", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


@pytest.mark.parametrize(
    "method,path",
    [
        ("get", "/requests"),
        ("post", "/requests"),
        ("get", "/requests/{ticket}"),
        ("post", "/requests/{ticket}/messages"),
        ("post", "/requests/{ticket}/status"),
        ("get", "/offers"),
        ("post", "/offers"),
        ("get", "/offers/{offer}"),
        ("post", "/offers/{offer}/accept"),
        ("post", "/offers/{offer}/decline"),
    ],
)
def test_anonymous_is_a_401_everywhere(cast, normal, method, path):
    offer = services.offer_propose(offered_by=cast.assignee, product=cast.product, topic="Aide", message="…")
    url = path.format(ticket=normal.reference, offer=offer.pk)
    response = getattr(Caller(), method)(url, *([{"body": "x", "status": "resolu"}] if method == "post" else []))
    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}


def test_an_inactive_account_is_a_401(cast):
    user = UserFactory(inactive=True)
    client = Client()
    client.force_login(user)
    assert client.get(f"{API}/requests").status_code == 401


# --- Query counts ---------------------------------------------------------------------------------------


def _count_queries(caller, path) -> int:
    caller.get(path)  # the token's last use is written on the first call of the minute
    with CaptureQueriesContext(connection) as queries:
        assert caller.get(path).status_code == 200
    return len(queries)


def test_lists_cost_the_same_number_of_queries_whatever_their_length(cast, recipient):
    staff = Caller(cast.other_staff)

    def add_rows():
        product = ProductFactory()
        member = team_member(product, username=get_random_string(8).lower())
        services.ticket_submit(requester=member, kind="autre", subject="A", body="…", product=product)
        services.ticket_submit(requester=cast.requester, kind="doute-produit", subject="B", body="…")
        services.offer_propose(offered_by=cast.assignee, product=product, topic="Aide", message="…")

    add_rows()
    tickets, offers = _count_queries(staff, "/requests"), _count_queries(staff, "/offers")
    for _ in range(3):
        add_rows()
    assert staff.get("/requests").json()["count"] == 8
    assert _count_queries(staff, "/requests") == tickets
    assert _count_queries(staff, "/offers") == offers


# --- OpenAPI --------------------------------------------------------------------------------------------


def test_the_openapi_schema_lists_the_guichet(client):
    schema = client.get(f"{API}/openapi.json").json()
    paths = schema["paths"]
    assert set(paths["/api/v1/requests"]) == {"get", "post"}
    assert set(paths["/api/v1/offers"]) == {"get", "post"}
    for path in (
        "/api/v1/requests/{request_id}",
        "/api/v1/requests/{request_id}/messages",
        "/api/v1/requests/{request_id}/status",
        "/api/v1/offers/{offer_id}",
        "/api/v1/offers/{offer_id}/accept",
        "/api/v1/offers/{offer_id}/decline",
    ):
        assert path in paths
    create = paths["/api/v1/requests"]["post"]
    assert [p["name"] for p in create["parameters"]] == ["Idempotency-Key"]
    assert {"200", "201", "400", "401"} <= set(create["responses"])
    assert "409" in paths["/api/v1/requests/{request_id}/status"]["post"]["responses"]
    assert create["security"] == [{"TokenAuth": []}, {"SessionAuth": []}]
    assert schema["components"]["securitySchemes"]["TokenAuth"] == {"type": "http", "scheme": "bearer"}
