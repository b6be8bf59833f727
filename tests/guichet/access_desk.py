"""Access-matrix rows for the guichet's staff pages and the offers of help (tests/access.py collects them).

The desk, recording on someone's behalf, proposing help and the routing table are for Incubator staff (a community
member gets a 404). Offers of help: everyone logged in has a list (a member's shows the offers to their teams);
an offer is seen by staff and by its product's active team — the matrix's member is in no team, so 404 — and only
that team decides: staff and administrators included, a decision by anyone else is a 404. The decisions are
POST-only (a GET is a 405 once logged in).
"""

from tests.access import ADMIN, ANON, LOGIN, MEMBER, STAFF, Row, logged_in, staff_only


def _desk(world: dict) -> dict:
    """Objects added to the matrix's `world` on first use: an offer of help (pending) and a routing rule."""
    if "desk_offer" not in world:
        from incubateur.guichet.models import Offer, RoutingRule
        from tests.factories import UserFactory
        from tests.registry.factories import ProductFactory

        product = ProductFactory(ghid="produit-matrice-guichet", name="Produit de la matrice du guichet")
        world["desk_offer"] = Offer.objects.create(
            product=product, topic="Aide de la matrice", message="…", offered_by=UserFactory(staff=True)
        )
        world["desk_rule"], _ = RoutingRule.objects.get_or_create(
            kind="communaute", topic="", portfolio=None, defaults={"target": "pole", "pole": world["pole"]}
        )
    return world


def _offer(world, action: str = "") -> str:
    pk = _desk(world)["desk_offer"].pk
    return f"/guichet/offres/{pk}/" + (f"{action}/" if action else "")


def _rule(world, action: str = "") -> str:
    pk = _desk(world)["desk_rule"].pk
    return f"/guichet/equipe/routage/{pk}/" + (f"{action}/" if action else "")


NOBODY_ELSE = {ANON: LOGIN, MEMBER: 404, STAFF: 404, ADMIN: 404}
POST_ONLY = {ANON: LOGIN, MEMBER: 405, STAFF: 405, ADMIN: 405}

ROWS: list[Row] = [
    # Staff pages
    Row("guichet:desk", staff_only(200)),
    Row("guichet:new_on_behalf", staff_only(200)),
    Row("guichet:offer_new", staff_only(200)),
    Row("guichet:routing", staff_only(200)),
    Row("guichet:routing_new", staff_only(200)),
    Row("guichet:routing_edit", staff_only(200), url=lambda world: _rule(world)),
    Row("guichet:routing_delete", staff_only(200), url=lambda world: _rule(world, "supprimer")),
    # Offers of help
    Row("guichet:offers", logged_in(200)),
    Row("guichet:offer", staff_only(200), url=lambda world: _offer(world)),
    Row("guichet:offer_accept", NOBODY_ELSE, method="post", url=lambda world: _offer(world, "accepter")),
    Row("guichet:offer_accept", POST_ONLY, url=lambda world: _offer(world, "accepter")),
    Row("guichet:offer_decline", NOBODY_ELSE, method="post", url=lambda world: _offer(world, "refuser")),
    Row("guichet:offer_decline", POST_ONLY, url=lambda world: _offer(world, "refuser")),
    # Withdrawn only by the person who offered (the matrix's staff and administrator did not).
    Row("guichet:offer_withdraw", NOBODY_ELSE, method="post", url=lambda world: _offer(world, "retirer")),
    Row("guichet:offer_withdraw", POST_ONLY, url=lambda world: _offer(world, "retirer")),
]
