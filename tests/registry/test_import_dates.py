"""The importer's dates (`frontmatter._timestamp`): a plain `YYYY-MM-DD` is built without PyYAML's constructor (the
fast path of #19, P3), and must read exactly as PyYAML reads it — the same date, or, for an impossible one, the text
kept as an `InvalidDate` for the caller to report; every other form of timestamp goes PyYAML's whole way."""

import datetime

import pytest
import yaml
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from yaml.constructor import SafeConstructor
from yaml.nodes import ScalarNode

from incubateur.registry.content.frontmatter import InvalidDate, _timestamp, parse

TIMESTAMP = "tag:yaml.org,2002:timestamp"


def pyyaml(text: str):
    """What PyYAML's own constructor builds of a timestamp scalar, an impossible date as the importer keeps it."""
    try:
        return SafeConstructor.construct_yaml_timestamp(SafeConstructor(), ScalarNode(TIMESTAMP, text))
    except ValueError:
        return InvalidDate(text)


def assert_same(value, expected):
    assert type(value) is type(expected) and value == expected


DATE_LIKE = st.one_of(
    st.dates().map(datetime.date.isoformat),
    st.from_regex(r"\A[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}\Z"),
    st.from_regex(r"\A[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(\.[0-9]{0,7})?\Z"),
    st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(Z|[+-][0-9]{1,2}(:[0-9]{2})?)\Z"),
)


@hypothesis_settings(max_examples=500, deadline=None, database=None)
@given(text=DATE_LIKE)
def test_a_timestamp_reads_as_pyyaml_reads_it(text):
    assert_same(_timestamp(SafeConstructor(), ScalarNode(TIMESTAMP, text)), pyyaml(text))


@hypothesis_settings(max_examples=300, deadline=None, database=None)
@given(text=DATE_LIKE.filter(lambda text: "\t" not in text))  # a tab is no YAML for either
def test_a_date_in_a_front_matter_reads_as_with_pyyaml(text):
    data = parse(f"---\nstart: {text}\nmissions:\n  - end: {text}\n---\n").data
    try:
        expected = yaml.safe_load(f"start: {text}")["start"]
    except ValueError:
        expected = InvalidDate(text)
    assert_same(data["start"], expected)
    assert_same(data["missions"][0]["end"], expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-15", datetime.date(2024, 1, 15)),
        ("2024-02-29", datetime.date(2024, 2, 29)),
        ("2023-02-29", InvalidDate("2023-02-29")),
        ("2024-13-01", InvalidDate("2024-13-01")),
        ("2024-00-10", InvalidDate("2024-00-10")),
        ("0000-01-01", InvalidDate("0000-01-01")),
        ("2024-1-5", datetime.date(2024, 1, 5)),
        ("2024-01-15T10:00:00", datetime.datetime.fromisoformat("2024-01-15T10:00:00")),  # naive, as PyYAML gives it
        ("2024-01-15 10:00:00Z", datetime.datetime(2024, 1, 15, 10, 0, tzinfo=datetime.UTC)),
    ],
)
def test_the_shapes_of_a_timestamp(text, expected):
    assert_same(_timestamp(SafeConstructor(), ScalarNode(TIMESTAMP, text)), expected)
    assert_same(pyyaml(text), expected)


def test_an_explicit_timestamp_tag_on_an_iso_week_date_is_no_date():
    """`date.fromisoformat` reads `2024-W01-1` (ten characters) since Python 3.11; PyYAML does not, nor the
    importer."""
    with pytest.raises(AttributeError):
        pyyaml("2024-W01-1")
    with pytest.raises(AttributeError):
        _timestamp(SafeConstructor(), ScalarNode(TIMESTAMP, "2024-W01-1"))
