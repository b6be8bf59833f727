"""Small-number suppression for public tables of counts of people or requests (#17).

The API is one function: ``suppress(table, threshold) -> Published``.

``table`` is a list of rows of non-negative integer counts (all rows of the same length). The published table adds
the row totals (last column), the column totals (last row) and the grand total, so it has ``len(table) + 1`` rows of
``len(table[0]) + 1`` entries. Each entry of the published table is either its number or a marker:

- ``PRIMARY`` (shown « < 5 »): the entry counts fewer than ``threshold`` (zero included: "nobody" is a small number
  too, and suppressing it keeps zeros from being used as complements that a reader could pin down);
- ``COMPLEMENTARY`` (shown « s », masked): a larger entry hidden so that a small one cannot be recovered by
  difference from its row or its column.

The method is the standard cell suppression on the table with its margins: every row and every column of the
published table (totals included) is a linear relation "the cells add up to the total". A relation with exactly one
hidden entry gives it away, so, for each such relation, the next smallest visible entry of the relation is hidden too
(an inner cell rather than a total on a tie); this is repeated until no relation has exactly one hidden entry (a
fixed point: entries are only ever hidden, so it ends). A relation also gives its hidden entries away when what they
must add up to sits at an end of their possible range (two « < 5 » cells of 4 and 4 in a row whose other cells add
up to its total minus 8, with a threshold of 5): it is treated the same way. Then an audit propagates bounds through
all the relations together, as a reader would (a visible entry is exact, « < 5 » lies in [0, threshold − 1], a
masked entry is at least the threshold): while it can still pin a hidden entry, the next smallest visible entry of
that entry's row or column (else of the table) is hidden too, and the relations are checked again. Totals are
entries like the others: a total below the threshold is hidden, and a total is hidden when it is the only visible
entry that would protect a lone hidden cell (a one-column table's row totals, for instance).

What it guarantees (tests/transparency/test_suppression.py, with Hypothesis): every hidden entry has another hidden
entry in its row and in its column of the published table; and for small tables, a brute force over every table
consistent with what is published (published entries exact, « < 5 » entries between 0 and threshold − 1, masked
entries any non-negative number) finds at least two different values for every hidden entry. The audit also uses what a
sharper reader knows (a masked entry is at least the threshold), but when everything is already hidden it can do no
more (a 1 × 2 table of 1 and 1 with a threshold of 2: all « < 2 » and a masked total of at least 2 pin both ones).
It is not an optimal suppression (no integer programming) and computes no protection intervals: a reader may bound
a hidden value.
"""

from dataclasses import dataclass

PRIMARY = "<"
COMPLEMENTARY = "s"

Entry = int | str


@dataclass(frozen=True)
class Published:
    """A table with its margins, as published: ``rows[i][j]`` is a number or a marker (``PRIMARY``,
    ``COMPLEMENTARY``). The last row holds the column totals, the last column the row totals."""

    rows: list[list[Entry]]
    threshold: int

    @property
    def body(self) -> list[list[Entry]]:
        """The inner cells, without the totals."""
        return [row[:-1] for row in self.rows[:-1]]

    @property
    def row_totals(self) -> list[Entry]:
        return [row[-1] for row in self.rows[:-1]]

    @property
    def column_totals(self) -> list[Entry]:
        return self.rows[-1][:-1]

    @property
    def grand_total(self) -> Entry:
        return self.rows[-1][-1]

    @property
    def suppressed(self) -> bool:
        return any(is_hidden(entry) for row in self.rows for entry in row)


def is_hidden(entry: Entry) -> bool:
    return isinstance(entry, str)


def label(entry: Entry, threshold: int) -> str:
    """How an entry reads on a page or in a CSV: the number, « < 5 » or « s »."""
    if entry == PRIMARY:
        return f"< {threshold}"
    if entry == COMPLEMENTARY:
        return "s"
    return str(entry)


def with_margins(table: list[list[int]]) -> list[list[int]]:
    """The table with its row totals (last column) and column totals (last row)."""
    rows = [[*row, sum(row)] for row in table]
    width = len(rows[0]) if rows else 1
    rows.append([sum(row[j] for row in rows) for j in range(width)])
    return rows


def suppress(table: list[list[int]], threshold: int) -> Published:
    """The table as it may be published: small counts and their complements hidden (see the module's docstring).
    A threshold of 1 or less hides nothing."""
    if table and any(len(row) != len(table[0]) for row in table):
        raise ValueError("Every row of the table must have the same number of cells.")
    if any(not isinstance(value, int) or value < 0 for row in table for value in row):
        raise ValueError("A table of counts holds non-negative integers only.")
    full = with_margins(table) if table and table[0] else [[0]]
    if threshold <= 1:
        return Published(rows=[list(row) for row in full], threshold=threshold)
    height, width = len(full), len(full[0])
    hidden = [[full[i][j] < threshold for j in range(width)] for i in range(height)]
    primary = [list(row) for row in hidden]

    # Relations: each row and each column of the table with its margins (a one-entry relation — a 0×n table's
    # grand total row — says nothing).
    relations = [[(i, j) for j in range(width)] for i in range(height)]
    relations += [[(i, j) for i in range(height)] for j in range(width)]
    relations = [relation for relation in relations if len(relation) > 1]

    while True:
        _protect_relations(relations, full, hidden, primary, threshold, height, width)
        pinned = _pinned(relations, full, hidden, primary, threshold)
        if not pinned:
            break
        # A hidden entry a reader can still work out from the bounds: hide the next smallest visible entry of its
        # row or column, else of the whole table; stop when nothing is left to hide.
        i, j = pinned
        near = [cell for cell in relations_of(pinned, height, width) if not hidden[cell[0]][cell[1]]]
        anywhere = [(r, c) for r in range(height) for c in range(width) if not hidden[r][c]]
        candidates = near or anywhere
        if not candidates:
            break
        r, c = min(candidates, key=lambda cell: (full[cell[0]][cell[1]], _is_margin(cell, height, width), cell))
        hidden[r][c] = True

    rows: list[list[Entry]] = []
    for i in range(height):
        row: list[Entry] = []
        for j in range(width):
            if not hidden[i][j]:
                row.append(full[i][j])
            else:
                row.append(PRIMARY if primary[i][j] else COMPLEMENTARY)
        rows.append(row)
    return Published(rows=rows, threshold=threshold)


def relations_of(cell: tuple[int, int], height: int, width: int) -> list[tuple[int, int]]:
    """The entries of the cell's row and column."""
    i, j = cell
    return [(i, c) for c in range(width)] + [(r, j) for r in range(height)]


def _protect_relations(relations, full, hidden, primary, threshold, height, width) -> None:
    """Until no relation gives a hidden entry away by itself, hide the next smallest visible entry of each that
    does."""
    changed = True
    while changed:
        changed = False
        for relation in relations:
            if not _gives_away(relation, full, hidden, primary, threshold):
                continue
            visible = [cell for cell in relation if not hidden[cell[0]][cell[1]]]
            if not visible:
                continue
            # The next smallest; an inner cell before a total on a tie; then the first in reading order.
            i, j = min(visible, key=lambda cell: (full[cell[0]][cell[1]], _is_margin(cell, height, width), cell))
            hidden[i][j] = True
            changed = True


def _pinned(relations, full, hidden, primary, threshold) -> tuple[int, int] | None:
    """A hidden entry whose value a reader can deduce by propagating bounds through the relations (a visible entry
    is exact, « < 5 » is in [0, threshold − 1], a masked one at least the threshold), or None. Interval
    propagation, not integer programming: it finds what chains of row and column sums reveal."""
    inf = float("inf")
    bounds = {}
    for relation in relations:
        for i, j in relation:
            if not hidden[i][j]:
                bounds[(i, j)] = (full[i][j], full[i][j])
            elif primary[i][j]:
                bounds[(i, j)] = (0, threshold - 1)
            else:
                bounds[(i, j)] = (threshold, inf)
    for _ in range(50 * len(bounds)):
        changed = False
        for relation in relations:
            *cells, total = relation
            lo_t, hi_t = bounds[total]
            new_total = (
                max(lo_t, sum(bounds[cell][0] for cell in cells)),
                min(hi_t, sum(bounds[c][1] for c in cells)),
            )
            if new_total != bounds[total]:
                bounds[total], changed = new_total, True
            lo_t, hi_t = bounds[total]
            for cell in cells:
                others = [other for other in cells if other != cell]
                others_low = sum(bounds[other][0] for other in others)
                others_high = sum(bounds[other][1] for other in others)
                lo, hi = bounds[cell]
                new = (max(lo, lo_t - others_high), min(hi, hi_t - others_low))
                if new != bounds[cell]:
                    bounds[cell], changed = new, True
        if not changed:
            break
    for (i, j), (lo, hi) in sorted(bounds.items()):
        if hidden[i][j] and lo == hi:
            return (i, j)
    return None


def _gives_away(relation, full, hidden, primary, threshold) -> bool:
    """Whether this relation (its last entry is the total of the others) lets a reader determine a hidden entry:
    it hides exactly one, or what the hidden entries must add up to sits at an end of their possible range (a
    « < 5 » entry lies in [0, threshold − 1], a masked one is at least the threshold), which pins them all."""
    hidden_cells = [cell for cell in relation if hidden[cell[0]][cell[1]]]
    if not hidden_cells:
        return False
    if len(hidden_cells) == 1:
        return True
    total = relation[-1]
    # sum(hidden cells) - (hidden total) = remainder, what the visible entries leave.
    remainder = sum(full[i][j] if (i, j) == total else -full[i][j] for i, j in relation if not hidden[i][j])
    low: int | None = 0  # None: no bound
    high: int | None = 0
    for i, j in hidden_cells:
        lo, hi = (0, threshold - 1) if primary[i][j] else (threshold, None)
        if (i, j) == total:
            low = None if low is None or hi is None else low - hi
            high = None if high is None else high - lo
        else:
            low = None if low is None else low + lo
            high = None if high is None or hi is None else high + hi
    return remainder in (low, high)


def _is_margin(cell: tuple[int, int], height: int, width: int) -> bool:
    return cell[0] == height - 1 or cell[1] == width - 1
