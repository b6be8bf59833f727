"""Access-matrix rows for the portfolio boards' API, /api/v1/portfolios/<username>/board (tests/access.py collects
them). As in tests/programmes/access_api.py: anonymous callers get a 401, and the matrix's STAFF is neither a
portfolio manager nor a pole lead."""

from tests.access import Row
from tests.factories import UserFactory
from tests.programmes.access_api import api


def _board(world) -> str:
    """The board of a portfolio manager who is none of the matrix's accounts."""
    portfolio = world["portfolio"]
    portfolio.manager = UserFactory(staff=True)
    portfolio.save()
    return f"/api/v1/portfolios/{portfolio.manager.username}/board"


ROWS: list[Row] = [
    # Another manager's board: that manager, pole leads, the direction and administrators only.
    Row("api-v1:portfolios_board", api(404, 404, admin=200), url=_board),
]
