"""Access-matrix rows for the programmes (tests/access.py collects them). To be filled in."""

from tests.access import Row

ROWS: list[Row] = []
