"""The beta.gouv.fr sample in the tests (tests/conftest.py): which tests need it, how they skip without it, and why
CI never skips them."""

import types
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests import conftest
from tests.utils import SAMPLE


def reads_the_sample_directly():
    return sorted((SAMPLE / "_startups").glob("*.md"))


def reads_it_in_a_comprehension():
    return [path.name for path in (Path("x"), Path("y")) if (SAMPLE / path).exists()]


def startups():
    return reads_the_sample_directly()


def reads_it_through_a_helper():
    return startups()


def reads_nothing():
    return sorted(Path("elsewhere").glob("*.md"))


class Item(SimpleNamespace):
    """What the conftest reads of a collected test: its function, its fixtures, its markers."""

    def __init__(self, function, *fixtures, markers=()):
        definitions = {fixture.__name__: [SimpleNamespace(func=fixture)] for fixture in fixtures}
        super().__init__(
            function=function,
            _fixtureinfo=SimpleNamespace(name2fixturedefs=definitions),
            keywords={},
            markers=set(markers),
        )

    def get_closest_marker(self, name):
        return name if name in self.markers else None

    def add_marker(self, mark):
        self.markers.add(mark.name)


item = Item


@pytest.mark.parametrize(
    "function",
    [reads_the_sample_directly, reads_it_in_a_comprehension, reads_it_through_a_helper],
)
def test_a_test_that_names_the_sample_needs_it(function):
    assert conftest.sample_needed(item(function))


def test_a_test_whose_fixture_names_the_sample_needs_it():
    assert conftest.sample_needed(item(reads_nothing, reads_it_through_a_helper))


def test_a_test_that_does_not_name_it_does_not_need_it():
    assert not conftest.sample_needed(item(reads_nothing, reads_nothing))


def test_a_name_sample_that_is_not_the_sample_does_not_count():
    # The same code, in a module of its own whose SAMPLE is another path.
    elsewhere = {"__name__": "tests.elsewhere", "SAMPLE": Path("/somewhere/else")}
    function = types.FunctionType(reads_the_sample_directly.__code__, elsewhere)
    assert not conftest.sample_needed(item(function))


def marked(marker: str) -> Item:
    return Item(reads_nothing, markers=[marker])


def test_without_the_sample_a_test_that_needs_it_skips_with_one_line(monkeypatch, tmp_path):
    monkeypatch.setattr(conftest, "SAMPLE", tmp_path / "absent")
    with pytest.raises(pytest.skip.Exception, match="beta.gouv.fr sample missing: run `make sample`"):
        conftest.pytest_runtest_setup(marked("sample"))
    conftest.pytest_runtest_setup(marked("browser"))  # the others run


def test_on_the_fetched_tree_the_shared_samples_figures_skip(monkeypatch, tmp_path):
    monkeypatch.setattr(conftest, "SAMPLE", tmp_path)
    conftest.pytest_runtest_setup(marked("sample"))
    with pytest.raises(pytest.skip.Exception, match="exact figures"):
        conftest.pytest_runtest_setup(marked("shared_sample"))


def test_in_ci_a_missing_sample_fails_the_run_instead_of_skipping(monkeypatch, tmp_path):
    monkeypatch.setattr(conftest, "SAMPLE", tmp_path / "absent")
    needing = Item(reads_the_sample_directly)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.UsageError, match="beta.gouv.fr sample missing"):
        conftest.pytest_collection_modifyitems(None, [needing])
    assert needing.markers == {"django_db", "sample"}
    monkeypatch.setenv("CI", "false")
    conftest.pytest_collection_modifyitems(None, [Item(reads_the_sample_directly)])  # each skips when it runs
