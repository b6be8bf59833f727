"""Access-matrix rows (tests/access.py) for this part of the project: the checklists (« Mon parcours »).

The matrix's roles hold no member fiche and no position in the Pôle Animation: a member sees only their own
checklist (here: the page without a fiche) and not someone else's (404); Incubator staff follow everyone's progress
read-only (ticking is refused: 404, as every NotAllowed); administrators may do everything."""

from tests.access import ADMIN, ANON, LOGIN, MEMBER, STAFF, Row, logged_in
from tests.registry.factories import MemberFactory


def _member_url(world) -> str:
    member = world.get("community_member") or MemberFactory(username="claude.arrivee", domaine="Design")
    world["community_member"] = member
    return f"/parcours/{member.username}/"


TICK = {"parcours": "arrivee", "etape": "charte", "fait": "1"}

ROWS: list[Row] = [
    Row("community:my_checklist", logged_in(200)),
    # Without a member fiche there is nothing to tick.
    Row("community:my_checklist", logged_in(404), method="post", data=TICK),
    Row("community:overview", {ANON: LOGIN, MEMBER: 404, STAFF: 200, ADMIN: 200}),
    Row("community:member_checklist", {ANON: LOGIN, MEMBER: 404, STAFF: 200, ADMIN: 200}, url=_member_url),
    Row(
        "community:member_checklist",
        {ANON: LOGIN, MEMBER: 404, STAFF: 404, ADMIN: 302},
        method="post",
        url=_member_url,
        data=TICK,
    ),
]
