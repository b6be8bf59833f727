"""Access-matrix rows (tests/access.py) for this part of the project."""

from tests.access import Row

ROWS: list[Row] = []
