"""Access-matrix rows (tests/access.py) for joining and validation (#14): proposing a member or a product, the
validation queue, a review, the welcome link, and their API.

The matrix's community member has no member fiche and is in no team: they may propose a product, open the member
form (an empty state: no product of theirs) and the queue (empty), never a review. The review here is a product's,
escalated (two working days without a decision), so Incubator staff may decide it too; what the incubator's teams
may do, and staff before escalation, is in test_joining*.py. The welcome page with an unknown secret is a 410.

The API answers 401 to anonymous callers; the matrix posts a form-encoded body, which the API does not read: 400 once
authenticated, before the scope is checked.
"""

from django.utils import timezone

from incubateur.registry.enums import ReviewState
from incubateur.registry.models import Review
from tests.access import ADMIN, ANON, LOGIN, MEMBER, STAFF, Row, everyone, logged_in
from tests.registry.factories import ProductFactory


def _review(world: dict) -> Review:
    if "joining_review" not in world:
        product = ProductFactory(ghid="produit-propose", name="Produit proposé", review_state=ReviewState.PENDING)
        world["joining_review"] = Review.objects.create(
            product=product,
            requested_at=timezone.now() - timezone.timedelta(days=7),
            escalated_at=timezone.now() - timezone.timedelta(days=3),
        )
    return world["joining_review"]


def _api(status: int) -> dict:
    return {ANON: 401, MEMBER: status, STAFF: status, ADMIN: status}


ROWS: list[Row] = [
    Row("registry:member_propose", logged_in(200)),
    Row("registry:product_propose", logged_in(200)),
    Row("registry:review_list", logged_in(200)),
    Row(
        "registry:review_detail",
        {ANON: LOGIN, MEMBER: 404, STAFF: 200, ADMIN: 200},
        url=lambda world: f"/validations/{_review(world).pk}/",
    ),
    Row("registry:welcome", everyone(410), url=lambda world: f"/bienvenue/{'x' * 43}/"),
    Row("api-v1:registry_member_propose", _api(400), method="post"),
    Row("api-v1:registry_startup_propose", _api(400), method="post"),
    Row(
        "api-v1:registry_member_validation",
        _api(400),
        method="post",
        url=lambda world: "/api/v1/members/quelqu.un/validation",
    ),
    Row(
        "api-v1:registry_startup_validation",
        _api(400),
        method="post",
        url=lambda world: f"/api/v1/startups/{_review(world).product.ghid}/validation",
    ),
]
