"""Small-number suppression on any table: no count from 1 to 4 is shown, and no shown total has exactly one hidden
count beside it, so subtracting can never give a small count away."""

from hypothesis import given, settings
from hypothesis import strategies as st

from referrals.suppression import FEWER, HIDDEN, Table, count_shown, timing_cell

counts = st.integers(min_value=0, max_value=30)


@st.composite
def tables(draw):
    rows, columns = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    grid = [[draw(counts) for _ in range(columns)] for _ in range(rows)]
    return Table(
        "t",
        [f"r{i}" for i in range(rows)],
        [f"c{j}" for j in range(columns)],
        grid,
        row_totals=draw(st.booleans()),
        column_totals=draw(st.booleans()),
    )


def _sums(table):
    lines = []
    if table.row_totals:
        lines += [[*row, total] for row, total in zip(table.shown, table.row_totals_shown, strict=True)]
    if table.column_totals:
        lines += [[*(row[j] for row in table.shown), total] for j, total in enumerate(table.column_totals_shown)]
    if table.grand_shown is not None:
        lines += [[*table.column_totals_shown, table.grand_shown], [*table.row_totals_shown, table.grand_shown]]
    return lines


@settings(max_examples=300, deadline=None)
@given(tables())
def test_no_small_count_is_shown_and_none_can_be_subtracted_out(table):
    every = [c for row in table.shown for c in row] + table.row_totals_shown + table.column_totals_shown
    for cell in every:
        assert (0 < cell.value < 5) <= (cell.hidden == FEWER)
        assert cell.hidden or cell.text == f"{cell.value:,}"
    for line in _sums(table):
        hidden = [entry for entry in line if entry.hidden]
        assert len(hidden) != 1, line


def test_a_small_count_alone_in_its_column_takes_its_smallest_neighbour_with_it():
    table = Table("t", ["a", "b", "c"], ["n"], [[3], [12], [7]], column_totals=True)

    assert [row[0].text for row in table.shown] == [FEWER, "12", HIDDEN]
    assert table.column_totals_shown[0].text == "22"


def test_noughts_are_shown_and_a_small_total_is_hidden():
    table = Table("t", ["a", "b"], ["n"], [[0], [2]], column_totals=True)

    assert [row[0].text for row in table.shown] == ["0", FEWER]
    assert table.column_totals_shown[0].text == FEWER
    assert count_shown(4).text == FEWER and count_shown(5).text == "5" and count_shown(0).text == "0"


def test_a_median_of_fewer_than_5_is_not_shown():
    assert timing_cell(3600.0, group=4) == "not shown (fewer than 5)"
    assert timing_cell(3600.0, group=5) == "1.0 h"
    assert timing_cell(600.0, group=9) == "10 min"
    assert timing_cell(None, group=0) == "none"
