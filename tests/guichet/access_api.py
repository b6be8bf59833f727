"""Access-matrix rows for the guichet's API, /api/v1/requests and /api/v1/offers (tests/access.py collects them).

The API answers 401 to anonymous callers (it is outside LoginRequiredMiddleware: no redirect to the login page) and
404 outside the caller's scope. The matrix's MEMBER is an account with no request and no product, STAFF a member of
the Incubator who is neither the requester nor the chosen recipient of a confidential request.

The matrix posts form-encoded bodies; the API reads JSON. So on the operations that read a body, a logged-in caller
who gets through authentication gets a 400 ("Cannot parse request body"): the rows check that anonymous callers are
stopped first, and that the staff-only `POST /offers` is a 404 for members before any body is read. What each person
of a product's team, the assignee, other staff and admins may do with JSON bodies, normal and confidential requests
alike, is tested in tests/guichet/test_api.py.
"""

from tests.access import ADMIN, ANON, MEMBER, STAFF, Row


def _ticket(*, confidential: bool):
    from incubateur.guichet import services
    from tests.factories import UserFactory

    if confidential:
        return services.ticket_submit(
            requester=UserFactory(),
            kind="mal-etre",
            subject="Confidentiel",
            body="…",
            recipient=UserFactory(staff=True),
        )
    return services.ticket_submit(requester=UserFactory(), kind="autre", subject="Question", body="…")


def _request(world) -> str:
    return f"/api/v1/requests/{_ticket(confidential=False).reference}"


def _confidential_request(world) -> str:
    return f"/api/v1/requests/{_ticket(confidential=True).reference}"


def _offer_pk() -> int:
    from incubateur.guichet import services
    from tests.factories import UserFactory
    from tests.registry.factories import ProductFactory

    offer = services.offer_propose(
        offered_by=UserFactory(staff=True), product=ProductFactory(), topic="Atelier", message="Un atelier ?"
    )
    return offer.pk


def api(member: int, staff: int, admin: int | None = None) -> dict:
    return {ANON: 401, MEMBER: member, STAFF: staff, ADMIN: staff if admin is None else admin}


ROWS: list[Row] = [
    Row("api-v1:guichet_requests", api(200, 200)),
    Row("api-v1:guichet_request_create", api(400, 400), method="post"),
    Row("api-v1:guichet_request", api(404, 200), url=_request),
    # A confidential request: nobody but its requester and recipient, administrators included.
    Row("api-v1:guichet_request", api(404, 404), url=_confidential_request),
    Row("api-v1:guichet_request_message", api(400, 400), method="post", url=lambda w: f"{_request(w)}/messages"),
    Row("api-v1:guichet_request_status", api(400, 400), method="post", url=lambda w: f"{_request(w)}/status"),
    Row("api-v1:guichet_offers", api(200, 200)),
    Row("api-v1:guichet_offer_create", api(404, 400), method="post"),
    Row("api-v1:guichet_offer", api(404, 200), url=lambda w: f"/api/v1/offers/{_offer_pk()}"),
    # The team decides: a member outside it does not see the offer, the Incubator sees it but cannot accept it.
    Row(
        "api-v1:guichet_offer_accept",
        api(404, 400),
        method="post",
        url=lambda w: f"/api/v1/offers/{_offer_pk()}/accept",
    ),
    Row(
        "api-v1:guichet_offer_decline",
        api(400, 400),
        method="post",
        url=lambda w: f"/api/v1/offers/{_offer_pk()}/decline",
    ),
]
