"""#13, findings 8 and 9, performed as the attacks they were.

8. A failed reply or status change showed a confidential request (its page again, with the form's errors) without
   recording the read: any response that shows its content records it now.
9. Sequential ids told that confidential requests exist (a gap between the numbers one sees; masked rows in
   /equipe/notifications/): a request is named by a random reference everywhere, an old address by id redirects
   only those who may see the request, and the outbox lists a confidential notification to its recipient only.
"""

import re

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.utils import timezone

from incubateur.core.models import Notification
from incubateur.guichet import services
from incubateur.guichet.converters import PATTERN
from incubateur.guichet.models import Read, Ticket
from tests.factories import person

SECRET_BODY = "Corps-SECRET-5d21"
REFERENCE = re.compile(rf"^{PATTERN}$")


@pytest.fixture
def recipient(organisation):
    return person("gael.ivoire")


@pytest.fixture
def secret(cast, recipient) -> Ticket:
    return services.ticket_submit(
        requester=cast.requester, kind="mal-etre", subject="Sujet", body=SECRET_BODY, recipient=recipient
    )


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _reads(ticket, user) -> int:
    return Read.objects.filter(ticket=ticket, user=user).count()


# --- 8. Every response that shows a confidential request records the read --------------------------------------


FAILED_ACTIONS = {
    "an empty reply": ("repondre/", {"reponse-body": "   "}),
    "a status left empty": ("statut/", {"statut-status": "", "statut-version": "1"}),
    "an unknown status": ("statut/", {"statut-status": "inconnu", "statut-version": "1"}),
    "nobody given access": ("acces/", {"acces-user": ""}),
}


@pytest.mark.parametrize("action", FAILED_ACTIONS)
def test_a_failed_action_that_shows_the_request_again_records_the_read(secret, recipient, cast, action):
    suffix, data = FAILED_ACTIONS[action]
    response = _client(recipient).post(f"/guichet/demandes/{secret.reference}/{suffix}", data)
    assert response.status_code == 200  # the page again, with the form's errors…
    assert SECRET_BODY in response.content.decode()  # …and the request's content
    assert _reads(secret, recipient) == 1
    # The requester is told: the read is on their page.
    page = _client(cast.requester).get(secret.get_absolute_url()).content.decode()
    assert f"{recipient.display_name} : 1 consultation, la dernière le" in page


def test_the_page_records_each_read_and_a_head_or_the_requester_records_none(secret, recipient, cast):
    client = _client(recipient)
    assert client.get(secret.get_absolute_url()).status_code == 200
    assert client.head(secret.get_absolute_url()).status_code == 200
    assert _reads(secret, recipient) == 1
    requester = _client(cast.requester)
    assert requester.post(f"/guichet/demandes/{secret.reference}/repondre/", {"reponse-body": ""}).status_code == 200
    assert requester.get(secret.get_absolute_url()).status_code == 200
    assert _reads(secret, cast.requester) == 0


def test_the_api_detail_records_the_read(secret, recipient):
    client = _client(recipient)
    response = client.get(f"/api/v1/requests/{secret.reference}")
    assert response.status_code == 200 and response.json()["body"] == SECRET_BODY
    assert _reads(secret, recipient) == 1


# --- 9. References, not sequential ids -------------------------------------------------------------------------


def test_a_request_is_named_by_a_random_reference_not_its_id(cast, secret):
    before = services.ticket_submit(requester=cast.teammate, kind="autre", subject="Avant", body="…")
    after = services.ticket_submit(requester=cast.teammate, kind="autre", subject="Après", body="…")
    references = [before.reference, secret.reference, after.reference]
    assert all(REFERENCE.match(r) for r in references), references
    assert len(set(references)) == 3
    assert str(secret) == f"Demande {secret.reference}"
    assert secret.get_absolute_url() == f"/guichet/demandes/{secret.reference}/"
    # A member of the staff who sees the requests made before and after the confidential one: nothing they are shown
    # numbers them (the desk, the pages, the API), so nothing tells that one was made in between.
    staff = _client(cast.other_staff)
    pages = [
        staff.get("/guichet/equipe/", {"vue": "toutes"}).content.decode(),
        staff.get(before.get_absolute_url()).content.decode(),
        staff.get(after.get_absolute_url()).content.decode(),
    ]
    for page in pages:
        for pk in (before.pk, after.pk):
            assert f"n°{pk}" not in page and f"/guichet/demandes/{pk}/" not in page
        for named in re.findall(r"/guichet/demandes/([^/\"]+)/", page):
            assert REFERENCE.match(named), named
    listed = staff.get("/api/v1/requests").json()["items"]
    assert [item["reference"] for item in listed] == [after.reference, before.reference]
    assert all("id" not in item for item in listed)


def test_e_mails_name_the_request_by_its_reference(cast, recipient, secret):
    normal = services.ticket_submit(
        requester=cast.requester, kind="doute-produit", subject="Doute", body="…", product=cast.product
    )
    for ticket in (normal, secret):
        rows = list(Notification.objects.filter(channel="email", body__contains=ticket.reference))
        assert rows, ticket
        for row in rows:
            assert f"/guichet/demandes/{ticket.reference}/" in row.body
            assert f"/guichet/demandes/{ticket.pk}/" not in row.body
            assert "n°" not in row.subject + row.body


def test_an_old_address_by_id_redirects_only_those_who_see_the_request(cast, recipient, secret):
    normal = services.ticket_submit(requester=cast.requester, kind="autre", subject="Question", body="…")
    for user in (cast.requester, recipient):
        response = _client(user).get(f"/guichet/demandes/{secret.pk}/")
        assert (response.status_code, response["Location"]) == (302, secret.get_absolute_url())
    for user in (cast.other_staff, cast.admin, cast.teammate):
        client = _client(user)
        assert client.get(f"/guichet/demandes/{secret.pk}/").status_code == 404
        # …exactly as an id that names nothing.
        assert client.get(f"/guichet/demandes/{secret.pk + 1000}/").status_code == 404
    assert _client(cast.other_staff).get(f"/guichet/demandes/{normal.pk}/")["Location"] == normal.get_absolute_url()
    # Not even its requester reaches a request by id through the API, nor through an action's address.
    requester = _client(cast.requester)
    assert requester.get(f"/api/v1/requests/{secret.pk}").status_code == 404
    assert requester.post(f"/guichet/demandes/{secret.pk}/repondre/", {"reponse-body": "Bonjour"}).status_code == 404


def test_a_reference_typed_in_lower_case_is_the_same_request(cast, secret):
    client = _client(cast.requester)
    assert client.get(f"/guichet/demandes/{secret.reference.lower()}/").status_code == 200
    assert client.get(f"/api/v1/requests/{secret.reference.lower()}").json()["reference"] == secret.reference
    assert client.get("/guichet/demandes/G-0000-0000/").status_code == 404  # not the alphabet: no route
    assert client.get("/api/v1/requests/G-2222-2222").status_code == 404


def test_the_outbox_lists_a_confidential_notification_to_its_recipient_only(cast, recipient, secret):
    mine = Notification.objects.get(confidential=True, recipient=recipient.email.lower())
    for user in (cast.other_staff, cast.pole_lead, cast.admin):
        client = _client(user)
        page = client.get("/equipe/notifications/", {"etat": "pending"}).content.decode()
        assert "Notification confidentielle" not in page and "masqué" not in page
        # Nor may they act on it by its number: as if it did not exist.
        assert client.post(f"/equipe/notifications/{mine.pk}/renvoyer/").status_code == 404
    client = _client(recipient)
    assert "Notification confidentielle" in client.get("/equipe/notifications/", {"etat": "pending"}).content.decode()
    assert client.post(f"/equipe/notifications/{mine.pk}/renvoyer/").status_code == 302


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_every_existing_request_its_own_reference(organisation):
    executor = MigrationExecutor(connection)
    executor.migrate([("guichet", "0004_h5_french_labels")])
    old = executor.loader.project_state([("guichet", "0004_h5_french_labels")]).apps
    user = old.get_model("accounts", "User").objects.create(email="ancienne@example.org", username="ancienne")
    Ticket_ = old.get_model("guichet", "Ticket")
    now = timezone.now()
    pks = [
        Ticket_.objects.create(
            kind="autre", subject=f"Ancienne {n}", body="…", requester=user, routing_reason="…", first_response_due=now
        ).pk
        for n in range(5)
    ]
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    references = list(Ticket.objects.filter(pk__in=pks).values_list("reference", flat=True))
    assert len(set(references)) == 5 and all(REFERENCE.match(r) for r in references), references
