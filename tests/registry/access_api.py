"""Access-matrix rows for the registry's APIs, /api/v2.7/ and /api/v1/ (tests/access.py collects them)."""

from tests.access import Row  # noqa: F401

ROWS: list = []
