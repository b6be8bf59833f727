"""Fixtures of the portfolios' tests, as the programmes' (beside tests/conftest.py's `organisation`): a product of
the Justice ministry with its team and the people around it, a FAST-like call."""

import pytest

from incubateur.programmes.models import Call
from tests.programmes.factories import fast_call
from tests.programmes.helpers import Team, make_team


@pytest.fixture
def team(organisation) -> Team:
    return make_team()


@pytest.fixture
def call(db) -> Call:
    return fast_call()
