"""Fixtures of the portfolios' tests: for now, those of the programmes' tests (the real organisation, a product of
the Justice ministry with its team, a FAST-like call)."""

from tests.programmes.conftest import call, organisation, team

__all__ = ["call", "organisation", "team"]
