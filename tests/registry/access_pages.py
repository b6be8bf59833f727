"""Access-matrix rows for the registry's pages (tests/access.py collects them)."""

from tests.access import Row  # noqa: F401

ROWS: list = []
