"""Small-number suppression (incubateur/transparency/suppression.py): hand-made tables and Hypothesis properties.

The properties: nothing below the threshold is shown; every hidden entry has another hidden entry in its row and in
its column of the published table (totals included), so no row or column relation gives it away; and, on tiny tables,
a brute force over every original consistent with the published table finds two different values for every hidden
entry.
"""

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incubateur.transparency.suppression import COMPLEMENTARY, PRIMARY, is_hidden, label, suppress, with_margins

S, P = COMPLEMENTARY, PRIMARY


def test_nothing_small_nothing_hidden():
    published = suppress([[5, 6], [7, 8]], 5)
    assert published.rows == [[5, 6, 11], [7, 8, 15], [12, 14, 26]]
    assert not published.suppressed


def test_a_small_cell_and_its_complements():
    published = suppress([[2, 10, 20], [8, 9, 30], [40, 50, 60]], 5)
    # 2 is hidden; its row hides the next smallest (10), its column the next smallest (8); then the row and the
    # column of those (9 is the smallest left in both) close the cycle.
    assert published.body == [[P, S, 20], [S, S, 30], [40, 50, 60]]
    assert published.row_totals == [32, 47, 150]
    assert published.column_totals == [50, 69, 110]
    assert published.grand_total == 229


def test_a_one_column_table_hides_the_totals_that_would_give_a_small_cell_away():
    published = suppress([[3], [12], [20]], 5)
    # Each row is "cell = total": the row total of 3 is below the threshold as well; the column needs a second
    # hidden entry: the next smallest, 12, whose row total is then hidden too; 20 and the total stay.
    assert published.rows == [[P, P], [S, S], [20, 20], [35, 35]]


def test_zero_counts_are_small_numbers_too():
    # 0 hidden; 7 (its row) and 9 (its column); then 7's column needs the other 9.
    assert suppress([[0, 7], [9, 9]], 5).rows == [[P, S, 7], [S, S, 18], [9, 16, 25]]


def test_the_audit_hides_what_chains_of_bounds_would_reveal():
    # Every cell and every total but the grand total hidden: with « < 3 » meaning at most 2, a grand total of 6
    # forces 0, 2, 2, 2. The audit finds it and hides the grand total as well.
    published = suppress([[0, 2], [2, 2]], 3)
    assert published.grand_total == S
    assert all(entry in (P, S) for row in published.rows for entry in row)


def test_threshold_one_hides_nothing():
    assert suppress([[0, 1]], 1).rows == [[0, 1, 1], [0, 1, 1]]


def test_empty_table():
    assert suppress([], 5).rows == [[P]]


def test_bad_tables_are_refused():
    with pytest.raises(ValueError):
        suppress([[1, 2], [3]], 5)
    with pytest.raises(ValueError):
        suppress([[-1]], 5)


def test_labels():
    assert [label(entry, 5) for entry in (P, S, 0, 12)] == ["< 5", "s", "0", "12"]


tables = st.integers(min_value=1, max_value=5).flatmap(
    lambda width: st.lists(
        st.lists(st.integers(min_value=0, max_value=30), min_size=width, max_size=width), min_size=1, max_size=6
    )
)


@settings(max_examples=300, deadline=None)
@given(table=tables, threshold=st.integers(min_value=2, max_value=10))
def test_no_small_number_is_shown_and_every_hidden_entry_is_protected(table, threshold):
    published = suppress(table, threshold)
    full = with_margins(table)
    height, width = len(full), len(full[0])
    for i in range(height):
        for j in range(width):
            entry = published.rows[i][j]
            if not is_hidden(entry):
                assert entry == full[i][j]
                assert entry >= threshold
            else:
                assert (entry == PRIMARY) == (full[i][j] < threshold)
                in_row = sum(is_hidden(published.rows[i][k]) for k in range(width))
                in_column = sum(is_hidden(published.rows[k][j]) for k in range(height))
                # A one-entry relation does not exist (there is always a total beside a cell).
                assert in_row >= 2
                assert in_column >= 2


def _consistent_values(published, threshold, bound):
    """Every value each hidden entry takes over the originals consistent with the published table: published
    entries exact, « < t » entries in [0, t-1], masked entries any non-negative number (bounded by the largest
    published total or, when every total is hidden, a generous bound)."""
    rows = published.rows
    height, width = len(rows) - 1, len(rows[0]) - 1
    hidden_cells = [(i, j) for i in range(height) for j in range(width) if is_hidden(rows[i][j])]
    ranges = [range(threshold) if rows[i][j] == PRIMARY else range(bound + 1) for i, j in hidden_cells]
    values: dict[tuple[int, int], set[int]] = {}
    for guess in itertools.product(*ranges):
        table = [[0 if is_hidden(entry) else entry for entry in row[:-1]] for row in rows[:-1]]
        for (i, j), value in zip(hidden_cells, guess, strict=True):
            table[i][j] = value
        full = with_margins(table)
        if not all(
            (full[i][j] < threshold if rows[i][j] == PRIMARY else True)
            if is_hidden(rows[i][j])
            else full[i][j] == rows[i][j]
            for i in range(height + 1)
            for j in range(width + 1)
        ):
            continue
        for i in range(height + 1):
            for j in range(width + 1):
                if is_hidden(rows[i][j]):
                    values.setdefault((i, j), set()).add(full[i][j])
    return values


tiny_tables = st.tuples(st.integers(1, 2), st.integers(1, 2)).flatmap(
    lambda shape: st.lists(
        st.lists(st.integers(min_value=0, max_value=8), min_size=shape[1], max_size=shape[1]),
        min_size=shape[0],
        max_size=shape[0],
    )
)


@settings(max_examples=150, deadline=None)
@given(table=tiny_tables, threshold=st.integers(min_value=2, max_value=4))
def test_no_hidden_value_can_be_derived_from_what_is_published(table, threshold):
    published = suppress(table, threshold)
    full = with_margins(table)
    values = _consistent_values(published, threshold, full[-1][-1] + threshold)
    for i, row in enumerate(published.rows):
        for j, entry in enumerate(row):
            if is_hidden(entry):
                assert full[i][j] in values[(i, j)]  # the original is one of them
                assert len(values[(i, j)]) >= 2, (table, published.rows, (i, j))
