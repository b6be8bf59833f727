"""Access-matrix rows for the investment committees and the portfolio boards (tests/access.py collects them).

Committees are Incubator staff's. A board is for its portfolio manager, pole leads, the direction and
administrators: the matrix's staff person holds no position as lead nor in the direction, and manages no
portfolio, so every board (and the list of all of them) is a 404 for them; administrators see them all.
`tests/portfolios/test_boards.py` checks the boards with the people of the tests' organisation.
"""

from tests.access import ADMIN, ANON, LOGIN, MEMBER, STAFF, Row, staff_only
from tests.factories import UserFactory


def _product(world: dict):
    if "board_product" not in world:
        from tests.registry.factories import ProductFactory

        world["board_product"] = ProductFactory(
            ghid="produit-comites", name="Produit des comités", phase="construction"
        )
    return world["board_product"]


def _manager(world: dict):
    """The manager of the world's portfolio (made on first use)."""
    if "board_manager" not in world:
        manager = UserFactory(username="responsable.matrice", staff=True)
        portfolio = world["portfolio"]
        portfolio.manager = manager
        portfolio.save(update_fields=["manager"])
        world["board_manager"] = manager
    return world["board_manager"]


def _committees(suffix: str = ""):
    return lambda world: f"/equipe/produits/{_product(world).ghid}/comites/{suffix}"


def _board(suffix: str = ""):
    return lambda world: f"/equipe/portefeuilles/{_manager(world).username}/{suffix}"


BOARDS = {ANON: LOGIN, MEMBER: 404, STAFF: 404, ADMIN: 200}

ROWS: list[Row] = [
    Row("portfolios:committees", staff_only(200), url=_committees()),
    Row("portfolios:committee_new", staff_only(200), url=_committees("nouveau/")),
    # A committee held on 2 January 2025: recorded, then back to the product's committees.
    Row(
        "portfolios:committee_new",
        staff_only(302),
        method="post",
        url=_committees("nouveau/"),
        data={"date": "2025-01-02", "decision": "poursuite"},
    ),
    # Plain staff reach it from the staff menu: a page that says who sees the boards.
    Row("portfolios:boards", {**BOARDS, STAFF: 200}),
    Row("portfolios:boards_csv", BOARDS),
    Row("portfolios:board", BOARDS, url=_board()),
    Row("portfolios:board_csv", BOARDS, url=_board("export.csv")),
]
