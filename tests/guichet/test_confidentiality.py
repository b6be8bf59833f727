"""The guichet's access matrix: every page and endpoint × the people around a request, for a normal and a
confidential request. A confidential request exists only for its requester and its chosen recipient: every
other person — the portfolio manager, other staff, the pole lead, an administrator, a teammate — gets a 404
on it and never meets its subject or body in a list, a count, a search, the journal, the admin, an e-mail or
Mattermost."""

import pytest
from django.test import Client

from incubateur.core.models import Notification
from incubateur.guichet import services
from tests.factories import person

SECRET_SUBJECT = "Sujet-SECRET-7f3a"
SECRET_BODY = "Corps-SECRET-91bc"

PEOPLE = ["anonymous", "requester", "other_member", "teammate", "assignee", "recipient", "other_staff", "pole_lead"]
PEOPLE += ["admin"]


@pytest.fixture
def world(cast, mattermost):
    mattermost.expect_request("/hooks/incubateur").respond_with_data("ok")
    recipient = person("gael.ivoire")
    normal = services.ticket_submit(
        requester=cast.requester, kind="doute-produit", subject="Question ordinaire", body="…", product=cast.product
    )
    secret = services.ticket_submit(
        requester=cast.requester,
        kind="mal-etre",
        subject=SECRET_SUBJECT,
        body=SECRET_BODY,
        recipient=recipient,
    )
    services.ticket_reply(ticket=secret, author=recipient, body=f"Réponse {SECRET_BODY}")
    services.ticket_reply(ticket=secret, author=recipient, body=f"Note {SECRET_BODY}", internal=True)
    people = {
        "anonymous": None,
        "requester": cast.requester,
        "other_member": cast.other_member,
        "teammate": cast.teammate,
        "assignee": cast.assignee,  # Pierre Boussole: the normal request's assignee (Justice portfolio)
        "recipient": recipient,  # the person the requester chose for the confidential one
        "other_staff": cast.other_staff,
        "pole_lead": cast.pole_lead,
        "admin": cast.admin,
    }
    return {"normal": normal, "secret": secret, "people": people}


def _client(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


# Who sees each request's page (and its API detail).
SEES = {
    # The recipient of the confidential one is Incubator staff: like all staff, they see every normal request.
    "normal": {"requester", "assignee", "recipient", "other_staff", "pole_lead", "admin"},
    "secret": {"requester", "recipient"},
}


@pytest.mark.parametrize("who", PEOPLE)
@pytest.mark.parametrize("which", ["normal", "secret"])
def test_the_request_page_and_its_api_detail(world, who, which):
    ticket = world[which]
    client = _client(world["people"][who])
    page = client.get(f"/guichet/demandes/{ticket.reference}/")
    api = client.get(f"/api/v1/requests/{ticket.reference}")
    if who == "anonymous":
        assert page.status_code == 302 and page["Location"].startswith("/connexion/")
        assert api.status_code == 401
    elif who in SEES[which]:
        assert page.status_code == 200
        assert api.status_code == 200
    else:
        assert page.status_code == 404, f"{who} on the {which} request's page"
        assert api.status_code == 404, f"{who} on the {which} request's API detail"


@pytest.mark.parametrize("who", PEOPLE)
@pytest.mark.parametrize("which", ["normal", "secret"])
def test_the_actions_on_a_request(world, who, which):
    """Posting a reply, a status or an assignment on a request one cannot see answers 404 too."""
    ticket = world[which]
    client = _client(world["people"][who])
    for url, data in [
        (f"/guichet/demandes/{ticket.reference}/repondre/", {"body": "intrus"}),
        (f"/guichet/demandes/{ticket.reference}/statut/", {"status": "resolu", "version": ticket.version}),
        (f"/guichet/demandes/{ticket.reference}/attribuer/", {"assignee": "", "version": ticket.version}),
    ]:
        response = client.post(url, data)
        if who == "anonymous":
            assert response.status_code == 302
        elif who not in SEES[which]:
            assert response.status_code == 404, f"{who} posting to {url}"
    for url in [f"/api/v1/requests/{ticket.reference}/messages", f"/api/v1/requests/{ticket.reference}/status"]:
        response = client.post(url, {"body": "intrus", "status": "resolu"}, content_type="application/json")
        if who == "anonymous":
            assert response.status_code == 401
        elif who not in SEES[which]:
            assert response.status_code == 404, f"{who} posting to {url}"


def _lists(world) -> list[str]:
    secret = world["secret"]
    return [
        "/guichet/demandes/",
        "/guichet/equipe/",
        "/guichet/equipe/?vue=toutes",
        "/guichet/equipe/?vue=non-attribuees",
        "/guichet/equipe/?vue=en-retard",
        f"/guichet/equipe/?vue=toutes&q={SECRET_SUBJECT}",
        f"/guichet/equipe/?vue=toutes&q={SECRET_BODY}",
        "/guichet/equipe/?vue=toutes&kind=mal-etre",
        "/equipe/journal/",
        "/admin/guichet/ticket/",
        f"/admin/guichet/ticket/?q={SECRET_SUBJECT}",
        f"/admin/guichet/ticket/?q={SECRET_BODY}",
        "/admin/guichet/message/",
        "/admin/core/journalentry/",
        "/admin/core/notification/",
        "/equipe/notifications/?etat=pending",
        "/api/v1/requests",
        "/api/v1/requests?kind=mal-etre",
        f"/admin/guichet/ticket/{secret.pk}/change/",
    ]


@pytest.mark.parametrize("who", [p for p in PEOPLE if p not in ("anonymous", "requester", "recipient")])
def test_no_list_count_search_or_journal_shows_the_confidential_request(world, who):
    client = _client(world["people"][who])
    secret = world["secret"]
    for url in _lists(world):
        response = client.get(url, follow=True)
        html = response.content.decode()
        # A search echoes its own words (in its field, its filter links): only the other secret may not appear.
        if SECRET_SUBJECT not in url:
            assert SECRET_SUBJECT not in html, f"{url} shows the subject to {who}"
        if SECRET_BODY not in url:
            assert SECRET_BODY not in html, f"{url} shows the body to {who}"
        assert f"/guichet/demandes/{secret.reference}/" not in html, f"{url} links to it for {who}"
    listing = client.get("/api/v1/requests?kind=mal-etre")
    if listing.status_code == 200:
        assert listing.json()["count"] == 0


def test_the_requester_and_the_recipient_find_it_in_their_lists(world):
    secret = world["secret"]
    mine = _client(world["people"]["requester"]).get("/guichet/demandes/").content.decode()
    assert f"/guichet/demandes/{secret.reference}/" in mine
    desk = _client(world["people"]["recipient"]).get("/guichet/equipe/?vue=toutes").content.decode()
    assert f"/guichet/demandes/{secret.reference}/" in desk
    assert _client(world["people"]["recipient"]).get("/api/v1/requests?kind=mal-etre").json()["count"] == 1


def test_no_notification_carries_the_confidential_subject_or_body(world):
    """The outbox rows (e-mails and Mattermost) of every request written above."""
    rows = list(Notification.objects.all())
    assert rows, "the requests were announced"
    for row in rows:
        assert SECRET_SUBJECT not in row.subject + row.body, row.kind
        assert SECRET_BODY not in row.subject + row.body, row.kind
    mattermost = [r for r in rows if r.channel == "mattermost"]
    assert len(mattermost) == 1  # the normal request only
    assert "Question ordinaire" not in mattermost[0].body and "…" not in mattermost[0].body


@pytest.mark.parametrize("who", ["other_staff", "pole_lead", "admin"])
def test_the_outbox_pages_do_not_say_who_was_written_to_about_it(world, who):
    """The confidential request's e-mails (to the recipient, to the requester) are not listed to the staff who
    retry deliveries, not even masked (#13: a masked row still tells that such a request exists), and absent from
    the admin: who wrote to whom is itself confidential."""
    client = _client(world["people"][who])
    recipient, requester = world["people"]["recipient"], world["people"]["requester"]
    for url in ["/equipe/notifications/?etat=pending", "/admin/core/notification/"]:
        html = client.get(url).content.decode()
        assert recipient.email not in html, url
        assert requester.email not in html, url
        assert "demande confidentielle" not in html.lower(), url
    assert "Notification confidentielle" not in client.get("/equipe/notifications/?etat=pending").content.decode()
