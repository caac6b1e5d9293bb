"""Small-number suppression for the safeguarding reports, so that no child can be picked out from a count.

The rule, as the report states it:
- a count from 1 to 4 is shown as "fewer than 5" (a nought is shown: it points at no one);
- wherever a total is shown, a hidden count must not be the only unknown in its sum: another count of the same row
  or column (the smallest above nought), or else the total itself, is hidden too, and this is repeated until every
  row and column with a hidden count has at least two unknowns;
- a median or a slowest tenth is shown only for a group of 5 or more.

A table is a grid of counts with, optionally, a total for each row and for each column (and the grand total when it
has both). Every line of it (a row with its total, a column with its total, the row of totals with the grand total)
is a sum; a sum with exactly one unknown would give that unknown away, so no line is left with one.
"""

from dataclasses import dataclass, field

THRESHOLD = 5
FEWER = "fewer than 5"
HIDDEN = "hidden"
RULE = (
    "Counts from 1 to 4 are shown as \u201cfewer than 5\u201d. Where that count could be worked out from a total and "
    "the other counts beside it, another count (or the total) is hidden too, shown as \u201chidden\u201d. Medians and "
    "the slowest tenth are shown only for 5 or more."
)


@dataclass
class Shown:
    """One count as a reader sees it: the number, or why it is not there."""

    value: int
    hidden: str = ""  # FEWER for a small count, HIDDEN for one hidden to protect another

    @property
    def text(self) -> str:
        return self.hidden or f"{self.value:,}"

    @property
    def number(self) -> int | None:
        """The count for a chart or a spreadsheet cell; None when it is hidden."""
        return None if self.hidden else self.value

    def __str__(self):
        return self.text


@dataclass
class Table:
    """A grid of counts; `suppress()` fills `shown`, `row_totals_shown`, `column_totals_shown` and `grand_shown`."""

    title: str
    rows: list[str]
    columns: list[str]
    counts: list[list[int]]
    row_totals: bool = False
    column_totals: bool = False
    total_label: str = "Total"
    # The column totals when they are not the sums of the counts (a concern counted in two categories is one concern).
    column_sums: list[int] | None = None
    # Figures that are not counts (a median, the slowest tenth), one list per row: already decided by `timing_cell`.
    extra_columns: list[str] = field(default_factory=list)
    extra: list[list[str]] = field(default_factory=list)
    shown: list[list[Shown]] = field(default_factory=list)
    row_totals_shown: list[Shown] = field(default_factory=list)
    column_totals_shown: list[Shown] = field(default_factory=list)
    grand_shown: Shown | None = None
    note: str = ""

    def __post_init__(self):
        self.suppress()

    def reorder(self, order: list[int]) -> None:
        """Put the rows in `order` (a list of their indexes), keeping what suppression decided."""
        for name in ("rows", "counts", "shown", "row_totals_shown", "extra"):
            values = getattr(self, name)
            if values:
                setattr(self, name, [values[i] for i in order])

    @property
    def labelled_rows(self) -> list[tuple[str, dict]]:
        """Each row's label with its counts, its total (when shown) and its other figures, for a template."""
        return [
            (
                label,
                {
                    "counts": self.shown[i],
                    "total": self.row_totals_shown[i] if self.row_totals else None,
                    "extra": self.extra[i] if self.extra else [],
                },
            )
            for i, label in enumerate(self.rows)
        ]

    @property
    def any_hidden(self) -> bool:
        cells = [c for row in self.shown for c in row] + self.row_totals_shown + self.column_totals_shown
        return any(c.hidden for c in [*cells, *([self.grand_shown] if self.grand_shown else [])])

    def row_total(self, index: int) -> int:
        return sum(self.counts[index])

    def column_total(self, index: int) -> int:
        if self.column_sums is not None:
            return self.column_sums[index]
        return sum(row[index] for row in self.counts)

    def suppress(self) -> None:
        self.shown = [[count_shown(value) for value in row] for row in self.counts]
        self.row_totals_shown = [count_shown(sum(row)) for row in self.counts] if self.row_totals else []
        self.column_totals_shown = (
            [count_shown(self.column_total(j)) for j in range(len(self.columns))] if self.column_totals else []
        )
        both = self.row_totals and self.column_totals
        self.grand_shown = count_shown(sum(map(sum, self.counts))) if both else None
        self.protect()

    def protect(self) -> bool:
        """Hide more until no sum of the table has exactly one unknown; True when anything more was hidden."""
        changed = False
        while any(_protect(line) for line in self._lines()):
            changed = True
        return changed

    def _lines(self) -> list[list[Shown]]:
        """Every sum in the table, each as its counts followed by its total (the total last)."""
        lines = []
        if self.row_totals:
            lines += [[*row, total] for row, total in zip(self.shown, self.row_totals_shown, strict=True)]
        if self.column_totals:
            columns = [[row[j] for row in self.shown] for j in range(len(self.columns))]
            lines += [[*column, total] for column, total in zip(columns, self.column_totals_shown, strict=True)]
        if self.grand_shown is not None:
            lines.append([*self.column_totals_shown, self.grand_shown])
            lines.append([*self.row_totals_shown, self.grand_shown])
        return lines


def align_totals(*tables: Table) -> None:
    """Tables that share their row totals (the same concerns counted two ways) hide the same totals, or a total
    one hides another would show."""
    while True:
        hidden = {i for table in tables for i, total in enumerate(table.row_totals_shown) if total.hidden}
        grand = any(table.grand_shown is not None and table.grand_shown.hidden for table in tables)
        changed = False
        for table in tables:
            for i in hidden:
                if not table.row_totals_shown[i].hidden:
                    table.row_totals_shown[i].hidden, changed = HIDDEN, True
            if grand and table.grand_shown is not None and not table.grand_shown.hidden:
                table.grand_shown.hidden, changed = HIDDEN, True
            changed = table.protect() or changed
        if not changed:
            return


def count_shown(value: int) -> Shown:
    """One count standing alone: a number from 1 to 4 is "fewer than 5"."""
    return Shown(value, FEWER if 0 < value < THRESHOLD else "")


def _protect(line: list[Shown]) -> bool:
    """Hide one more entry of `line` when exactly one of it is hidden; True when something was hidden."""
    if sum(1 for entry in line if entry.hidden) != 1:
        return False
    *parts, total = line
    candidates = [entry for entry in parts if not entry.hidden and entry.value > 0]
    chosen = min(candidates, key=lambda entry: entry.value) if candidates else total
    if chosen.hidden:
        # The one hidden entry is the total and no count of the line is above nought: the total is nought too.
        return False
    chosen.hidden = HIDDEN
    return True


def timing_cell(seconds: float | None, *, group: int) -> str:
    """A median or a slowest tenth in words, or why it is not shown."""
    if group < THRESHOLD:
        return "not shown (fewer than 5)" if group else "none"
    if seconds is None:
        return "none"
    return duration_words(seconds)


def duration_words(seconds: float) -> str:
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours = seconds / 3600
    if hours < 48:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} days"
