"""Access-matrix rows for recruitment (#16): /recrutement/…, /api/v2.6/jobs.json and /api/v1/jobs.

The list, a public post, the Atom feed and jobs.json are public. « Mes annonces » needs an account. Creating needs
someone who may post: the matrix's MEMBER is in no product's team (404), STAFF posts for the Incubator's poles. A post
of a product's team (not the matrix's accounts) is edited, closed and prolonged by staff and admins; a member gets a
404. The API answers 401 to anonymous writers; its POSTs read a JSON body, so a logged-in caller posting the matrix's
form-encoded body gets the 400 of an unreadable body; its PATCH (an empty JSON object) is a 404 outside the editors
(the rules are in tests/recruitment/test_api.py).
"""

from incubateur.recruitment import services
from tests.access import ADMIN, ANON, MEMBER, STAFF, Row, everyone, logged_in, staff_only
from tests.recruitment.helpers import make_post, product_team


def _post(world: dict):
    """A public post of a product's team (added to the matrix's `world` on first use)."""
    if "job_post" not in world:
        product, author = product_team(username="auteur.matrice", ghid="produit-matrice")
        world["job_post"] = make_post(by=author, product=product, days_to_community=-10)
        services.tick()
    return world["job_post"]


def _url(suffix: str = ""):
    return lambda world: f"/recrutement/{_post(world).pk}/{suffix}"


ROWS: list[Row] = [
    Row("recruitment:list", everyone(200)),
    Row("recruitment:feed", everyone(200)),
    Row("recruitment:jobs_json", everyone(200)),
    Row("recruitment:mine", logged_in(200)),
    Row("recruitment:create", staff_only(200)),
    Row("recruitment:detail", everyone(200), url=_url()),
    Row("recruitment:edit", staff_only(200), url=_url("modifier/")),
    Row("recruitment:close", staff_only(200), url=_url("fermer/")),
    Row("recruitment:prolong", staff_only(302), method="post", url=_url("prolonger/")),
    Row("api-v1:recruitment_jobs", everyone(200)),
    Row("api-v1:recruitment_job", everyone(200), url=lambda world: f"/api/v1/jobs/{_post(world).pk}"),
    Row("api-v1:recruitment_job_create", {ANON: 401, MEMBER: 400, STAFF: 400, ADMIN: 400}, method="post"),
    Row(
        "api-v1:recruitment_job_update",
        {ANON: 401, MEMBER: 404, STAFF: 200, ADMIN: 200},  # the test client's PATCH body "{}" changes nothing
        method="patch",
        url=lambda world: f"/api/v1/jobs/{_post(world).pk}",
    ),
    Row(
        "api-v1:recruitment_job_close",
        {ANON: 401, MEMBER: 400, STAFF: 400, ADMIN: 400},
        method="post",
        url=lambda world: f"/api/v1/jobs/{_post(world).pk}/close",
    ),
]
