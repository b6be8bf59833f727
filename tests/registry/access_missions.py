"""Access-matrix rows for a member's missions (#14): the pages and the API (tests/access.py collects them).

The matrix's community member has no member fiche and is in no product's team nor incubator team: every mission
page is a 404 for them (outside their scope). Incubator staff and administrators act on every mission; deleting
one that has started and was not added on the platform is for administrators only. The mission here was imported
(no journal row), started 100 days ago and ends in 100 days.

The API answers 401 to anonymous callers. The matrix posts a form-encoded body, which the API does not read (400
once authenticated, before the scope is checked); a PATCH with an empty body changes nothing (200 in scope, 404
outside). What the member themself, their products' teams and incubator teams may do is in test_missions*.py.
"""

from tests.access import ADMIN, ANON, LOGIN, MEMBER, STAFF, Row
from tests.registry.factories import MemberFactory, MissionFactory, ProductFactory


def _mission(world: dict):
    if "missions_mission" not in world:
        product = ProductFactory(ghid="produit-missions", name="Produit des missions")
        member = MemberFactory(username="membre.missions", fullname="Membre Missions")
        world["missions_mission"] = MissionFactory(member=member, products=[product])
    return world["missions_mission"]


def _page(action: str):
    def url(world) -> str:
        mission = _mission(world)
        return f"/membres/{mission.member.username}/missions/{mission.pk}/{action}/"

    return url


def _add(world) -> str:
    return f"/membres/{_mission(world).member.username}/missions/ajouter/"


def _api_member(world) -> str:
    return f"/api/v1/members/{_mission(world).member.username}/missions"


def _api_mission(world) -> str:
    return f"/api/v1/missions/{_mission(world).pk}"


IN_SCOPE = {ANON: LOGIN, MEMBER: 404, STAFF: 200, ADMIN: 200}


def api(member: int, staff: int, admin: int | None = None) -> dict:
    return {ANON: 401, MEMBER: member, STAFF: staff, ADMIN: staff if admin is None else admin}


ROWS: list[Row] = [
    Row("registry:mission_add", IN_SCOPE, url=_add),
    Row("registry:mission_edit", IN_SCOPE, url=_page("modifier")),
    Row("registry:mission_extend", IN_SCOPE, url=_page("prolonger")),
    Row("registry:mission_end", IN_SCOPE, url=_page("terminer")),
    Row("registry:mission_delete", {ANON: LOGIN, MEMBER: 404, STAFF: 404, ADMIN: 200}, url=_page("supprimer")),
    Row("api-v1:registry_member_missions", api(200, 200), url=_api_member),
    Row("api-v1:registry_member_mission_add", api(400, 400), method="post", url=_api_member),
    Row("api-v1:registry_mission_update", api(404, 200), method="patch", url=_api_mission),
    Row("api-v1:registry_mission_delete", api(404, 400, 204), method="delete", url=_api_mission),
]
