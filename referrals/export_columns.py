"""The columns of a referral export, said once. Each column names its source (an ORM expression, so that labels,
names and yes/no are made by the database on every path), its kind (how a value is written as text, as a
spreadsheet cell and, for PostgreSQL's COPY, in SQL) and its width. Every text goes through the one neutraliser.
The COPY query, the CSV rows written in Python and the XLSX rows all come from `COLUMNS`; a new column is one line.
"""

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db.models import Case, CharField, Exists, Expression, F, Func, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, Concat
from django.utils import timezone
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from referrals.models import Agency, AgencyDecision, ReferralEscalation, YearGroup

# The neutraliser, written once in the regular-expression dialect that Python's `re` and PostgreSQL read alike.
# Control characters a spreadsheet cannot hold are removed, and carriage returns with them (an XLSX reads them back as
# line feeds, and no exported field is more than one line); then a cell that a spreadsheet would read as a formula
# (= + - @, also behind spaces of any kind, or a tab or line break at the very start) gets a leading apostrophe.
_SPACES = r"[ \t\n\r\f\v\x85\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]"
CONTROL = r"[\x01-\x08\x0b-\x1f]"
FORMULA = rf"^(?={_SPACES}*[-=+@]|[\t\n])"
_CONTROL_RE = re.compile(CONTROL)
_FORMULA_RE = re.compile(FORMULA)


def neutralise(value) -> str:
    """A value as inert text: control characters removed, a would-be formula behind an apostrophe."""
    text = "" if value is None else str(value).replace("\x00", "")
    return _FORMULA_RE.sub("'", _CONTROL_RE.sub("", text), count=1)


def neutralised(expression) -> Func:
    """The same neutraliser in SQL (PostgreSQL), for COPY."""
    text = Func(expression, Value(CONTROL), Value(""), Value("g"), function="regexp_replace", output_field=CharField())
    return Func(text, Value(FORMULA), Value("'"), function="regexp_replace", output_field=CharField())


class Text:
    """Any text: written as it is, neutralised."""

    @staticmethod
    def as_text(value) -> str:
        return neutralise(value)

    @staticmethod
    def as_cell(sheet, value):
        return neutralise(value)

    @staticmethod
    def as_sql(expression):
        return neutralised(Coalesce(expression, Value(""), output_field=CharField()))


class DateTime:
    """A moment, in UK time: 29/11/2026 14:05 as text, a date cell showing the same in a spreadsheet."""

    python_format = "%d/%m/%Y %H:%M"
    sql_format = "DD/MM/YYYY HH24:MI"
    cell_format = "dd/mm/yyyy hh:mm"

    @classmethod
    def as_text(cls, value) -> str:
        return timezone.localtime(value).strftime(cls.python_format) if value else ""

    @classmethod
    def as_cell(cls, sheet, value):
        if value is None:
            return None
        cell = WriteOnlyCell(sheet, value=timezone.localtime(value).replace(tzinfo=None))
        cell.number_format = cls.cell_format
        return cell

    @classmethod
    def as_sql(cls, expression):
        local = Func(Value(timezone.get_current_timezone_name()), expression, function="timezone")
        text = Func(local, Value(cls.sql_format), function="to_char", output_field=CharField())
        return Coalesce(text, Value(""), output_field=CharField())


@dataclass(frozen=True)
class Column:
    header: str
    source: Expression
    kind: type = Text
    width: int = 20


def label(field: str, choices) -> Case:
    """A coded field as its label, made by the database; a code with no label (or none) stays as it is."""
    whens = [When(**{field: value}, then=Value(text)) for value, text in choices.choices]
    return Case(*whens, default=F(field), output_field=CharField())


def yes_no(condition: Q) -> Case:
    return Case(When(condition, then=Value("Yes")), default=Value("No"), output_field=CharField())


COLUMNS = (
    Column("School", F("school__name"), width=28),
    Column("Child", Concat("child__legal_first_name", Value(" "), "child__legal_last_name"), width=26),
    Column("UPN", F("child__upn"), width=15),
    Column("Year group", label("child__year_group", YearGroup), width=12),
    Column("Agency", label("agency", Agency), width=36),
    Column("Made on", F("made_at"), kind=DateTime, width=17),
    Column("Made by", F("made_by__full_name"), width=24),
    Column("Agency reference", F("agency_reference"), width=20),
    Column("Acknowledged on", F("acknowledged_at"), kind=DateTime, width=17),
    Column("Agency decision", label("agency_decision", AgencyDecision), width=40),
    Column("Parents told", yes_no(Q(parents_informed=True)), width=12),
    Column("Escalated", yes_no(Q(Exists(ReferralEscalation.objects.filter(referral=OuterRef("pk"))))), width=10),
)
HEADERS = tuple(column.header for column in COLUMNS)


def _selected(referrals: QuerySet, expressions: Iterable) -> QuerySet:
    names = [f"export_{index}" for index in range(len(COLUMNS))]
    return referrals.annotate(**dict(zip(names, expressions, strict=True))).values_list(*names)


def copy_sql(referrals: QuerySet, cursor) -> str:
    """A COPY statement that writes the export's CSV body in PostgreSQL: the ORM's own query of the referrals,
    selecting each column already formatted and neutralised. `cursor` is the driver's cursor, which quotes the
    query's parameters into it (COPY takes none)."""
    query = _selected(referrals, (column.kind.as_sql(column.source) for column in COLUMNS))
    select, params = query.query.sql_with_params()
    return f"COPY ({cursor.mogrify(select, params)}) TO STDOUT WITH (FORMAT csv)"


def _values(referrals: QuerySet) -> Iterator[tuple]:
    """The columns' sources, read as they are needed (a server-side cursor on PostgreSQL)."""
    return _selected(referrals, (column.source for column in COLUMNS)).iterator(chunk_size=2000)


def text_rows(referrals: QuerySet) -> Iterator[list[str]]:
    """The rows as text, as COPY writes them, for a database without COPY."""
    for values in _values(referrals):
        yield [column.kind.as_text(value) for column, value in zip(COLUMNS, values, strict=True)]


def sheet_prepare(sheet: WriteOnlyWorksheet) -> None:
    """Column widths, a bold header and the header frozen; called before any row is written."""
    for index, column in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    header = []
    for text in HEADERS:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)


def cell_rows(sheet: WriteOnlyWorksheet, referrals: QuerySet) -> Iterator[list]:
    """The rows as typed spreadsheet cells: dates as dates, text neutralised."""
    for values in _values(referrals):
        yield [column.kind.as_cell(sheet, value) for column, value in zip(COLUMNS, values, strict=True)]
