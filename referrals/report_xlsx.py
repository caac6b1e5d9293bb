"""The safeguarding report as a spreadsheet: a first sheet saying what it is and the suppression rule, then one sheet
per table, with numbers as numbers, hidden counts as words, and every text neutralised (no formulas)."""

import io
import re

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font

from referrals.export_columns import neutralise
from referrals.suppression import RULE, Table

BOLD = Font(bold=True)


def _sheet_name(title: str, used: set[str]) -> str:
    name = re.sub(r"[\[\]:*?/\\]", " ", title)[:28].strip()
    base, n = name, 2
    while name in used:
        name = f"{base[:25]} {n}"
        n += 1
    used.add(name)
    return name


def _cell(shown):
    return shown.number if shown.number is not None else shown.text


def _table_sheet(book: Workbook, table: Table, used: set[str]) -> None:
    sheet = book.create_sheet(_sheet_name(table.title, used))
    header = ["", *table.columns]
    if table.row_totals:
        header.append(table.total_label)
    header += table.extra_columns
    sheet.append([neutralise(h) for h in header])
    for cell in sheet[1]:
        cell.font = BOLD
    for index, label in enumerate(table.rows):
        row = [neutralise(label), *(_cell(c) for c in table.shown[index])]
        if table.row_totals:
            row.append(_cell(table.row_totals_shown[index]))
        row += [neutralise(text) for text in (table.extra[index] if table.extra else [])]
        sheet.append(row)
    if table.column_totals:
        totals = [neutralise(table.total_label), *(_cell(c) for c in table.column_totals_shown)]
        if table.grand_shown is not None:
            totals.append(_cell(table.grand_shown))
        sheet.append(totals)
        for cell in sheet[sheet.max_row]:
            cell.font = BOLD
    if table.note:
        sheet.append([])
        sheet.append([neutralise(table.note)])
    sheet.column_dimensions["A"].width = 46
    for letter in "BCDEFGHIJ":
        sheet.column_dimensions[letter].width = 22


def report_xlsx(*, report) -> bytes:
    book = Workbook()
    about = book.active
    about.title = "About"
    about.append(["Safeguarding report", neutralise(report.name)])
    about.append(["Period", neutralise(f"{report.period.label}: {report.period.dates}")])
    about.append(["Compared with", neutralise(report.before.dates)])
    about.append(["Produced by", neutralise(report.produced_by.full_name)])
    about.append(["Produced on", timezone.localtime(report.produced_at).replace(tzinfo=None)])
    about["B5"].number_format = "dd/mm/yyyy hh:mm"
    about.append(["Small numbers", RULE])
    for key, label in (
        ("concerns", "Concerns recorded"),
        ("children", "Children they were about"),
        ("before", "Concerns a year earlier"),
        ("referrals", "Referrals made"),
    ):
        about.append([label, _cell(report.headline[key])])
    for row in about.iter_rows(max_col=1):
        row[0].font = BOLD
    about.column_dimensions["A"].width = 28
    about.column_dimensions["B"].width = 90
    used = {"About"}
    for table in report.tables:
        _table_sheet(book, table, used)
    training = book.create_sheet(_sheet_name("DSL and deputy training", used))
    training.append(["School", "Name", "Role", "Trained on", "Due again by", "Status"])
    for cell in training[1]:
        cell.font = BOLD
    for row in report.training:
        member = row.membership
        training.append(
            [
                neutralise(member.school.name),
                neutralise(member.user.full_name),
                member.get_role_display(),
                member.dsl_trained_on,
                row.due_on,
                row.status,
            ]
        )
        for cell in training[training.max_row][3:5]:
            cell.number_format = "dd/mm/yyyy"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
