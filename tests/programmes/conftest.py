"""Fixtures of the programmes' tests (beside tests/conftest.py's `organisation`: the fictional one and the routing
table): a product sponsored by the Justice ministry with its active team and the people around it, and a FAST-like
call (open now, four weighted criteria, envelope, cap, co-financing share)."""

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
