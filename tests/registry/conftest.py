import pytest

from incubateur.registry.api import v27 as api_v27


@pytest.fixture(autouse=True)
def _fresh_dropin_memo():
    """The drop-in files' per-process bytes are keyed by the registry version, new in each test; start clean anyway."""
    api_v27._memo.clear()
    api_v27._v3_members.clear()
    yield
    api_v27._memo.clear()
    api_v27._v3_members.clear()
