import csv
import io
import re
from html.parser import HTMLParser

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction
from django.db.models import CharField, Value
from django.utils import timezone
from openpyxl import load_workbook

from referrals.export_columns import neutralise, neutralised
from referrals.models import Child, ExportRecord, Referral, ReferralEscalation
from safeguarding.audit.context import keyed_hash
from safeguarding.audit.events import EventType, Outcome
from safeguarding.audit.models import AuditEvent
from safeguarding.core.files import file_names
from tests.concerns import referral_for
from tests.factories import ChildFactory, ExportRecordFactory
from tests.personas import current_code, signed_in_client
from tests.stored import export_file


@pytest.fixture
def referral(world):
    child = ChildFactory(
        school=world.northfield, legal_first_name="Jade", legal_last_name="Turner", date_of_birth="2012-03-14"
    )
    referral = referral_for(world, child)
    referral.agency_reference = '=HYPERLINK("http://x","y")'
    referral.save()
    return referral


def export(client, user, **overrides):
    data = {"purpose": "Termly report to governors", "format": "csv", "code": current_code(user), **overrides}
    return client.post("/exports/", data)


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def csv_rows(content: bytes) -> list[list[str]]:
    """The CSV as a spreadsheet program reads it: UTF-8 after the byte-order mark."""
    assert content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def sheet_rows(content: bytes) -> list[list[str]]:
    """The XLSX's cells as the spreadsheet shows them: a date cell in its dd/mm/yyyy hh:mm format."""
    sheet = load_workbook(io.BytesIO(content)).active
    rows = []
    for row in sheet.iter_rows():
        cells = []
        for cell in row:
            if cell.is_date:
                assert cell.number_format == "dd/mm/yyyy hh:mm"
                cells.append(cell.value.strftime("%d/%m/%Y %H:%M"))
            else:
                cells.append("" if cell.value is None else cell.value)
        rows.append(cells)
    return rows


def both_formats(client, user) -> tuple[list[list[str]], list[list[str]]]:
    """The same export as CSV and as XLSX, read back; the second half a minute later, for a fresh code."""
    csv_export = csv_rows(body(export(client, user)))
    with time_machine.travel(timezone.now() + timezone.timedelta(seconds=31), tick=False):
        xlsx_export = sheet_rows(body(export(client, user, format="xlsx")))
    return csv_export, xlsx_export


@pytest.fixture(params=["copy", "python"])
def path(request, monkeypatch):
    """Each CSV export test on PostgreSQL's COPY and on the Python path other databases take."""
    if request.param == "python":
        monkeypatch.setattr("referrals.services.exports._copy_available", lambda: False)
    return request.param


@pytest.mark.parametrize(
    ("person", "status"),
    [("dsl", 200), ("admin", 200), ("trustlead", 200), ("teacher", 403), ("deputy", 403), ("office", 403)],
)
def test_who_may_export(world, person, status):
    assert signed_in_client(world.people[person]).get("/exports/").status_code == status


def test_an_export_without_a_purpose_or_a_fresh_code_is_refused(world, referral):
    client = signed_in_client(world.admin)

    no_purpose = export(client, world.admin, purpose="")
    wrong_code = client.post("/exports/", {"purpose": "Termly report", "format": "csv", "code": "000000"})

    assert no_purpose.status_code == 400 and "Say what the export is for" in no_purpose.content.decode()
    assert wrong_code.status_code == 400 and "Enter the current code" in wrong_code.content.decode()
    assert not ExportRecord.objects.exists()


class FormReader(HTMLParser):
    """What a form shows after a re-render: each field's value (the selected option, the checked radio) and the
    error written beside each field (crispy's `error_<n>_id_<field>`)."""

    def __init__(self, content: bytes):
        super().__init__()
        self.values, self.errors, self.select, self.error_of = {}, {}, None, None
        self.feed(content.decode())

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and (attrs.get("type") != "radio" or "checked" in attrs):
            self.values[attrs.get("name")] = attrs.get("value")
        elif tag == "select":
            self.select = attrs["name"]
        elif tag == "option" and "selected" in attrs:
            self.values[self.select] = attrs["value"]
        elif match := re.fullmatch(r"error_\d+_id_(\w+)", attrs.get("id", "")):
            self.error_of = match.group(1)

    def handle_data(self, data):
        if self.error_of and data.strip():
            self.errors[self.error_of] = data.strip()
            self.error_of = None


def test_a_trust_lead_whose_export_is_refused_sees_the_error_by_the_field_and_what_they_typed(world, referral):
    typed = {
        "purpose": "Board report",
        "school": str(world.northfield.uuid),
        "date_from": "2026-01-05",
        "date_to": "2026-03-31",
        "agency": "police",
        "status": "acknowledged",
        "format": "xlsx",
    }

    response = signed_in_client(world.people["trustlead"]).post("/exports/", {**typed, "code": "000000"})

    assert response.status_code == 400 and not ExportRecord.objects.exists()
    form = FormReader(response.content)
    assert {name: form.values.get(name) for name in typed} == typed
    assert form.values["code"] is None  # a used code is not offered again
    assert form.errors == {"code": "Enter the current code from your authenticator app: each export needs a fresh one."}
    assert 'href="#id_code"' in response.content.decode()  # the summary at the top links to the field


def test_an_export_with_a_date_it_cannot_read_shows_the_error_beside_that_date(world, referral):
    response = export(signed_in_client(world.dsl), world.dsl, date_to="2026-02-30", agency="social_care")

    assert response.status_code == 400 and not ExportRecord.objects.exists()
    form = FormReader(response.content)
    assert list(form.errors) == ["date_to"] and "not understood" in form.errors["date_to"]
    assert (form.values["agency"], form.values["purpose"]) == ("social_care", "Termly report to governors")
    assert (form.values["date_to"], form.values["format"]) == ("2026-02-30", "csv")


def test_a_csv_export_streams_records_and_leaves_its_record_and_events(world, referral):
    client = signed_in_client(world.admin)

    response = export(client, world.admin)

    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    rows = csv_rows(body(response))
    assert rows[0][0] == "School" and len(rows) == 2
    assert rows[1][1] == "Jade Turner"
    assert rows[1][7] == '\'=HYPERLINK("http://x","y")'  # inert: read as text, not a formula
    export_record = ExportRecord.objects.get()
    assert (export_record.row_count, export_record.purpose) == (1, "Termly report to governors")
    assert len(export_record.sha256) == 64
    assert list(export_record.children.all()) == [referral.child]
    started = AuditEvent.objects.get(event_type=EventType.EXPORT_STARTED)
    finished = AuditEvent.objects.get(event_type=EventType.EXPORT_FINISHED)
    assert started.id < finished.id and finished.row_count == 1
    assert started.detail["purpose_length"] == len("Termly report to governors")


def test_the_same_export_as_csv_and_xlsx_holds_the_same_cells(world, referral, path):
    made = timezone.make_aware(timezone.datetime(2026, 7, 3, 9, 5))  # 08:05 UTC: summer time shows 09:05
    Child.objects.filter(pk=referral.child_id).update(upn="A123456789012", year_group="7")
    Referral.objects.filter(pk=referral.pk).update(
        made_at=made, acknowledged_at=made + timezone.timedelta(days=1, hours=2), agency_decision="section_47"
    )

    csv_export, xlsx_export = both_formats(signed_in_client(world.dsl), world.dsl)

    assert csv_export == xlsx_export
    row = dict(zip(csv_export[0], csv_export[1], strict=True))
    assert row["Made on"] == "03/07/2026 09:05" and row["Acknowledged on"] == "04/07/2026 11:05"
    assert row["Year group"] == "Year 7" and row["UPN"] == "A123456789012"


def test_labels_not_codes_in_csv_and_xlsx(world, referral, path):
    Referral.objects.filter(pk=referral.pk).update(agency_decision="nfa_signpost", parents_informed=True)
    ReferralEscalation.objects.create(
        referral=referral, escalated_on=timezone.localdate(), reason="We disagree", recorded_by=world.dsl
    )

    csv_export, xlsx_export = both_formats(signed_in_client(world.dsl), world.dsl)

    for rows in (csv_export, xlsx_export):
        row = dict(zip(rows[0], rows[1], strict=True))
        assert row["Agency"] == "Children's social care (front door / MASH)"
        assert row["Agency decision"] == "No further action, or signposted"
        assert (row["Parents told"], row["Escalated"]) == ("Yes", "Yes")


def test_an_export_not_yet_acknowledged_has_empty_cells_not_codes(world, referral, path):
    Referral.objects.filter(pk=referral.pk).update(acknowledged_at=None, agency_decision="")

    csv_export, xlsx_export = both_formats(signed_in_client(world.dsl), world.dsl)

    assert csv_export == xlsx_export
    row = dict(zip(csv_export[0], csv_export[1], strict=True))
    assert (row["Acknowledged on"], row["Agency decision"], row["Escalated"]) == ("", "", "No")


def test_the_csv_starts_with_a_byte_order_mark_and_keeps_accents(world, referral):
    Child.objects.filter(pk=referral.child_id).update(legal_first_name="Zoë", legal_last_name="Brontë-Ó")

    content = body(export(signed_in_client(world.dsl), world.dsl))

    assert content.startswith(b"\xef\xbb\xbfSchool,Child,")
    assert csv_rows(content)[1][1] == "Zoë Brontë-Ó"


def test_the_xlsx_has_a_bold_frozen_header_column_widths_and_date_cells(world, referral):
    sheet = load_workbook(io.BytesIO(body(export(signed_in_client(world.dsl), world.dsl, format="xlsx")))).active

    assert sheet.freeze_panes == "A2"
    assert all(cell.font.b for cell in sheet[1])
    assert sheet.column_dimensions["A"].width > 10 and sheet.column_dimensions["J"].width > 30
    made_on = sheet.cell(row=2, column=6)
    assert made_on.is_date and made_on.number_format == "dd/mm/yyyy hh:mm"


def test_an_xlsx_export_keeps_a_formula_as_text(world, referral):
    client = signed_in_client(world.dsl)

    response = export(client, world.dsl, format="xlsx")

    sheet = load_workbook(io.BytesIO(body(response))).active
    cell = sheet.cell(row=2, column=8)
    assert cell.value == '\'=HYPERLINK("http://x","y")'
    assert cell.data_type == "s"


def test_the_admin_who_exports_still_cannot_open_the_childs_file(world, referral):
    client = signed_in_client(world.admin)
    body(export(client, world.admin))

    assert client.get(f"/children/{referral.child.uuid}/").status_code == 404


def test_who_viewed_lists_the_exports_that_included_the_child(world, referral):
    body(export(signed_in_client(world.admin), world.admin))

    page = signed_in_client(world.dsl).get(f"/children/{referral.child.uuid}/access/").content.decode()

    assert "Exports that included this child" in page and "Termly report to governors" in page


def test_each_export_needs_its_own_code(world, referral):
    client = signed_in_client(world.admin)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        code = current_code(world.admin)
        first = client.post("/exports/", {"purpose": "Report", "format": "csv", "code": code})
        body(first)
        again = client.post("/exports/", {"purpose": "Report", "format": "csv", "code": code})

    assert first.status_code == 200 and again.status_code == 400


def test_a_large_export_is_built_in_the_background_and_its_link_expires(world, referral, settings, run_tasks, tmp_path):
    from datetime import timedelta

    settings.EXPORT_BACKGROUND_ROWS = 0
    client = signed_in_client(world.admin)

    response = export(client, world.admin)

    assert response.status_code == 302
    status_url = response["Location"]
    assert "rows" in client.get(status_url).content.decode()
    run_tasks()
    page = client.get(status_url).content.decode()
    assert "Download (1 rows)" in page
    download = client.get(status_url + "download/")
    assert download.status_code == 200 and "no-store" in download["Cache-Control"]
    rows = csv_rows(b"".join(download.streaming_content))
    assert rows[1][7].startswith("'=")
    assert AuditEvent.objects.filter(event_type=EventType.DOWNLOAD, object_type="export").count() == 1
    assert signed_in_client(world.dsl).get(status_url + "download/").status_code == 404
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        assert signed_in_client(world.admin).get(status_url + "download/").status_code == 404
        from referrals.services.exports import exports_expire

        assert exports_expire() == 1
    assert file_names("exports") == []


def test_a_failed_background_export_is_recorded_and_deletes_only_its_own_file(
    world, referral, settings, run_tasks, tmp_path, monkeypatch
):
    settings.EXPORT_BACKGROUND_ROWS = 0
    client = signed_in_client(world.admin)
    earlier = []
    for hours in (1, -1):  # one file still to be downloaded, one past its time that the hourly task will delete
        export_file(f"earlier{hours}").write_bytes(b"kept")
        earlier.append(
            ExportRecordFactory(
                user=world.admin,
                school=world.northfield,
                purpose="Earlier",
                file_name=f"earlier{hours}",
                expires_at=timezone.now() + timezone.timedelta(hours=hours),
            )
        )

    def breaks_halfway(filters, **_):
        yield b"Northfield Academy,Jade Turner\n"
        raise RuntimeError("Jade Turner's row could not be read")

    monkeypatch.setattr("referrals.services.exports._csv_copy_blocks", breaks_halfway)
    status_url = export(client, world.admin)["Location"]
    run_tasks()

    failed = ExportRecord.objects.get(purpose="Termly report to governors")
    assert failed.failed and failed.file_name == "" and "The export failed" in client.get(status_url).content.decode()
    assert sorted(file_names("exports")) == ["earlier-1", "earlier1"]
    event = AuditEvent.objects.get(event_type=EventType.EXPORT_FINISHED)
    assert (event.outcome, event.object_uuid, event.reason) == (Outcome.FAILED, failed.uuid, "")
    assert "Jade" not in str(event.detail) and "Turner" not in str(event.detail)


@pytest.mark.parametrize(
    "value",
    [
        " =1+1",
        '  =HYPERLINK("http://x","y")',
        "\n=1+1",
        "\u00a0=1+1",
        "\u2003+1",
        "\t=x",
        "\t=",
        "@SUM(A1)",
        "-2+3",
        "\ttext after a tab",
    ],
)
def test_formulas_behind_spaces_or_breaks_are_inert_in_csv_and_xlsx(world, referral, path, value):
    Referral.objects.filter(pk=referral.pk).update(agency_reference=value)

    csv_export, xlsx_export = both_formats(signed_in_client(world.dsl), world.dsl)

    assert csv_export[1][7] == xlsx_export[1][7] == "'" + value


@pytest.mark.parametrize("value", ["Ref 12-3", "A+B", "smith@example.org", "O'Neill"])
def test_ordinary_text_is_left_as_it_is(world, referral, path, value):
    Referral.objects.filter(pk=referral.pk).update(agency_reference=value)

    csv_export, xlsx_export = both_formats(signed_in_client(world.dsl), world.dsl)

    assert csv_export[1][7] == xlsx_export[1][7] == value


@pytest.mark.parametrize(
    ("value", "written"),
    [("Smith\x0b =HYPERLINK", "Smith =HYPERLINK"), ("\x01=1+1", "'=1+1"), ("\r@SUM(A1)", "'@SUM(A1)")],
)
def test_control_characters_are_removed_before_the_formula_check_in_csv_and_xlsx(world, referral, path, value, written):
    Referral.objects.filter(pk=referral.pk).update(agency_reference=value)

    csv_export, xlsx_export = both_formats(signed_in_client(world.dsl), world.dsl)

    assert csv_export[1][7] == xlsx_export[1][7] == written


def test_children_are_recorded_when_the_export_starts(world, referral):
    response = export(signed_in_client(world.admin), world.admin)

    assert list(ExportRecord.objects.get().children.all()) == [referral.child]  # before a byte is read
    body(response)


def test_a_child_named_in_an_export_purpose_is_never_written_into_the_audit_trail(world, referral):
    purpose = "Jade Turner's case, for the governors"

    body(export(signed_in_client(world.admin), world.admin, purpose=purpose))

    assert ExportRecord.objects.get().purpose == purpose
    trail = [str(row) for row in AuditEvent.objects.values_list("reason", "detail", "shown_ids")]
    assert not [row for row in trail if "Jade" in row or "Turner" in row]
    started = AuditEvent.objects.get(event_type=EventType.EXPORT_STARTED)
    assert started.detail["purpose_hash"] == keyed_hash(purpose)  # matches the record, and shows if it changes
    assert started.detail["purpose_length"] == len(purpose) and started.reason == ""


def test_a_child_whose_record_was_exported_is_named_in_the_sealed_export_finished_event(world, referral):
    from safeguarding.audit.chain import seal
    from safeguarding.audit.models import AuditSeal

    body(export(signed_in_client(world.admin), world.admin))
    seal()

    finished = AuditEvent.objects.get(event_type=EventType.EXPORT_FINISHED)
    assert finished.shown_ids == [str(referral.child.uuid)] and finished.detail["children"] == 1
    assert AuditSeal.objects.filter(event_id=finished.pk).exists()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE referrals_exportrecord_children SET child_id = child_id",
        "DELETE FROM referrals_exportrecord_children",
        "TRUNCATE referrals_exportrecord_children",
    ],
)
def test_a_child_cannot_quietly_be_taken_off_the_exports_that_covered_them(world, referral, statement):
    body(export(signed_in_client(world.admin), world.admin))
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # as if committed: no checks left pending to block TRUNCATE

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)

    assert list(ExportRecord.objects.get().children.all()) == [referral.child]


def test_sqlite_keeps_the_children_an_export_covered(run_python, tmp_path):
    code = """
import django
django.setup()
from django.core.management import call_command
from django.db import connection, DatabaseError
call_command("migrate", verbosity=0)
with connection.cursor() as cursor:
    cursor.execute("PRAGMA foreign_keys = OFF")
    cursor.execute("INSERT INTO referrals_exportrecord_children (exportrecord_id, child_id) VALUES (1, 1)")
    for statement in ("UPDATE referrals_exportrecord_children SET child_id = 2",
                      "DELETE FROM referrals_exportrecord_children"):
        try:
            cursor.execute(statement)
            print("allowed:", statement)
        except DatabaseError as error:
            print("refused:", error)
    cursor.execute("SELECT count(*), max(child_id) FROM referrals_exportrecord_children")
    print("rows:", cursor.fetchone())
"""
    env = {
        "DJANGO_ENV": "development",
        "DATABASE_URL": f"sqlite:///{tmp_path}/exports.sqlite3",
        "PGHOST": None,
        "PGDATABASE": None,
    }
    result = run_python(code, env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.count("refused: the children an export covered are append-only") == 2
    assert "rows: (1, 1)" in result.stdout


def test_the_copy_neutraliser_writes_what_the_python_one_writes_for_every_space_and_control_character(db):
    """The COPY path's SQL neutraliser (PostgreSQL's regular expressions) and the Python one (`re`) agree, for
    each space and control character in front of a formula sign, doubled, alone and in the middle of text."""
    controls = [chr(code) for code in (*range(0x01, 0x09), *range(0x0B, 0x20))]
    spaces = [" ", "\t", "\n", "\x85", "\u00a0", "\u1680", *map(chr, range(0x2000, 0x200C)), "\u2028", "\u2029"]
    odd = sorted({*controls, *spaces, "\u202f", "\u205f", "\u3000", "\ufeff"})
    values = ["", "plain", "=1", "'=1", "a=b", "-", "@", "+x", "\u200c=1", "x\x1f=1", "\x01\t=1", " \x0b\n@"]
    values += [f"{char}{sign}1" for char in odd for sign in "=+-@a"]
    values += [f"{char}{char} =1" for char in odd] + [f"a{char}b" for char in odd] + odd
    child = ChildFactory()
    for start in range(0, len(values), 50):
        chunk = values[start : start + 50]
        columns = {f"v{index}": neutralised(Value(value, CharField())) for index, value in enumerate(chunk)}
        written = Child.objects.filter(pk=child.pk).annotate(**columns).values_list(*columns).get()
        assert list(written) == [neutralise(value) for value in chunk]
