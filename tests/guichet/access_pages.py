"""Access-matrix rows for the guichet's requester pages and request page (tests/access.py collects them).

The matrix's roles are generic accounts: its community member asked nothing, so a request someone else made is a 404
for them; Incubator staff and administrators see (and handle) any request that is not confidential. A confidential
request is a 404 for all of them: only its requester and its participants see it (tests/guichet/test_pages.py
checks every route with the people of a real request: requester, teammate, assignee, other staff, pole lead, admin).
The action routes are POST only (GET answers 405, to anyone logged in, whatever the request).
"""

from tests.access import ADMIN, ANON, LOGIN, MEMBER, STAFF, Row, logged_in
from tests.factories import UserFactory


def _ticket(world: dict, *, confidential: bool = False):
    """A request of another member, made on first use (confidential: addressed to the world's staff person)."""
    key = "guichet_confidential_ticket" if confidential else "guichet_ticket"
    if key not in world:
        from incubateur.guichet import services

        requester = UserFactory(username=f"demandeur.{'confidentiel' if confidential else 'matrice'}")
        if confidential:
            world[key] = services.ticket_submit(
                requester=requester,
                kind="mal-etre",
                subject="Sujet confidentiel",
                body="…",
                recipient=world["position"].person,
            )
        else:
            world[key] = services.ticket_submit(requester=requester, kind="autre", subject="Une question", body="…")
    return world[key]


def _url(suffix: str = "", *, confidential: bool = False):
    return lambda world: f"/guichet/demandes/{_ticket(world, confidential=confidential).reference}/{suffix}"


SEEN_BY_STAFF = {ANON: LOGIN, MEMBER: 404, STAFF: 200, ADMIN: 200}
CONFIDENTIAL = {ANON: LOGIN, MEMBER: 404, STAFF: 404, ADMIN: 404}
POST_ONLY = {ANON: LOGIN, MEMBER: 405, STAFF: 405, ADMIN: 405}

ROWS: list[Row] = [
    Row("guichet:home", logged_in(200)),
    Row("guichet:new", logged_in(200), url=lambda world: "/guichet/nouvelle/autre/"),
    Row("guichet:mine", logged_in(200)),
    Row("guichet:ticket", SEEN_BY_STAFF, url=_url()),
    # An old address by id (#13): a redirect to the reference's address for those who see the request, else a 404.
    Row(
        "guichet:ticket_by_id",
        {ANON: LOGIN, MEMBER: 404, STAFF: 302, ADMIN: 302},
        url=lambda world: f"/guichet/demandes/{_ticket(world).pk}/",
    ),
    Row(
        "guichet:ticket_by_id",
        CONFIDENTIAL,
        url=lambda world: f"/guichet/demandes/{_ticket(world, confidential=True).pk}/",
    ),
    # Replies: staff answer (302 back to the request); the member is outside the request.
    Row(
        "guichet:reply",
        {ANON: LOGIN, MEMBER: 404, STAFF: 302, ADMIN: 302},
        method="post",
        url=_url("repondre/"),
        data={"reponse-body": "Bonjour, voici notre réponse."},
    ),
    Row("guichet:reply", POST_ONLY, url=_url("repondre/")),
    Row(
        "guichet:status",
        {ANON: LOGIN, MEMBER: 404, STAFF: 302, ADMIN: 302},
        method="post",
        url=_url("statut/"),
        data={"statut-status": "pris-en-charge", "statut-version": "1"},
    ),
    Row("guichet:status", POST_ONLY, url=_url("statut/")),
    # No person or pole chosen: the page again, with the error next to the field.
    Row(
        "guichet:assign",
        SEEN_BY_STAFF,
        method="post",
        url=_url("attribuer/"),
        data={"attribution-version": "1"},
    ),
    Row("guichet:assign", POST_ONLY, url=_url("attribuer/")),
    # Access is given to a confidential request by its participants only: nobody of the matrix is one.
    Row("guichet:add_participant", CONFIDENTIAL, method="post", url=_url("acces/", confidential=True)),
    Row("guichet:add_participant", POST_ONLY, url=_url("acces/", confidential=True)),
]
