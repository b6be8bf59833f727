"""Access-matrix rows (tests/access.py) for this part of the project.

ProConnect (#15): the matrix runs without it configured, when its three routes answer 404 to everyone (no button,
nothing to start or come back to). Configured, they are open to anyone (a login): tests/accounts/test_proconnect.py.
"""

from tests.access import Row, everyone

ROWS: list[Row] = [
    Row("accounts:proconnect_login", everyone(404), method="post"),
    Row("accounts:proconnect_callback", everyone(404)),
    Row("accounts:proconnect_logout_callback", everyone(404)),
]
