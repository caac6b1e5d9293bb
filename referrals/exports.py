"""Exports of referral records (CSV, XLSX) for the people who run schools: justified, re-authenticated,
streamed and audited. An export holds the minimum: no narrative, no child's words."""

import csv
import hashlib
import io
import tempfile
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from referrals.models import Child, ExportRecord, Referral
from safeguarding.accounts.models import Membership, School, User
from safeguarding.accounts.roles import Role
from safeguarding.audit.context import RequestContext, keyed_hash
from safeguarding.audit.events import EventType
from safeguarding.audit.record import record

COLUMNS = (
    "School",
    "Child",
    "UPN",
    "Year group",
    "Agency",
    "Made on",
    "Made by",
    "Agency reference",
    "Acknowledged on",
    "Agency decision",
    "Parents told",
    "Escalated",
)
DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value) -> str:
    """A cell a spreadsheet could read as a formula is turned into plain text, even behind leading spaces or a
    line break; control characters a spreadsheet cannot hold are removed."""
    text = ILLEGAL_CHARACTERS_RE.sub("", "" if value is None else str(value))
    if text.startswith(DANGEROUS_FIRST) or text.startswith("\n") or text.lstrip().startswith(DANGEROUS_FIRST):
        return "'" + text
    return text


def export_schools(*, user: User) -> list[School]:
    """The DSL exports their school, a school admin with the export permission theirs, the trust lead the trust."""
    memberships = Membership.objects.active().filter(user=user)
    direct = memberships.filter(Q(role=Role.DSL) | Q(role=Role.SCHOOL_ADMIN, can_export=True)).values("school")
    trusts = memberships.filter(role=Role.TRUST_LEAD).values("trust")
    schools = list(School.objects.filter(Q(pk__in=direct) | Q(trust__in=trusts)).order_by("name"))
    if not schools:
        raise PermissionDenied
    return schools


@dataclass
class ExportFilters:
    schools: list[School]
    date_from: date | None = None
    date_to: date | None = None
    agency: str = ""
    status: str = ""

    def as_dict(self) -> dict:
        values = {
            "schools": [str(school.uuid) for school in self.schools],
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
            "agency": self.agency,
            "status": self.status,
        }
        return {key: value for key, value in values.items() if value}


def referrals_for_export(filters: ExportFilters):
    referrals = Referral.objects.filter(school__in=filters.schools)
    if filters.date_from:
        referrals = referrals.filter(made_at__date__gte=filters.date_from)
    if filters.date_to:
        referrals = referrals.filter(made_at__date__lte=filters.date_to)
    if filters.agency:
        referrals = referrals.filter(agency=filters.agency)
    if filters.status == "awaiting":
        referrals = referrals.filter(acknowledged_at__isnull=True)
    elif filters.status == "acknowledged":
        referrals = referrals.filter(acknowledged_at__isnull=False)
    return referrals.order_by("made_at", "pk")


def _rows(referrals):
    """Rows read from the database as they are needed (a server-side cursor on PostgreSQL)."""
    values = referrals.values_list(
        "school__name",
        "child__legal_first_name",
        "child__legal_last_name",
        "child__upn",
        "child__year_group",
        "agency",
        "made_at",
        "made_by__full_name",
        "agency_reference",
        "acknowledged_at",
        "agency_decision",
        "parents_informed",
        "escalated_at",
        "child_id",
    )
    for (
        school,
        first,
        last,
        upn,
        year,
        agency,
        made,
        by,
        ref,
        acked,
        decision,
        told,
        escalated,
        child,
    ) in values.iterator(chunk_size=2000):
        row = (
            school,
            f"{first} {last}",
            upn,
            year,
            agency,
            timezone.localtime(made).strftime("%d/%m/%Y %H:%M"),
            by,
            ref,
            timezone.localtime(acked).strftime("%d/%m/%Y %H:%M") if acked else "",
            decision,
            "Yes" if told else "No",
            "Yes" if escalated else "No",
        )
        yield [neutralise(cell) for cell in row], child


@transaction.atomic
def export_begin(*, user: User, context: RequestContext, filters: ExportFilters, purpose: str, file_format: str):
    """The record, the children it covers and the "export started" event, written before the first byte leaves,
    so that an export cut short still shows in each child's who-viewed list."""
    trusts = {school.trust_id for school in filters.schools}
    export = ExportRecord.objects.create(
        user=user,
        school=filters.schools[0] if len(filters.schools) == 1 else None,
        trust=filters.schools[0].trust if len(filters.schools) > 1 and len(trusts) == 1 else None,
        purpose=purpose,
        filters=filters.as_dict(),
        format=file_format,
    )
    record(
        EventType.EXPORT_STARTED,
        user=user,
        context=context,
        school=export.school,
        object_type="export",
        object_uuid=export.uuid,
        # The purpose is free text and may name a child: the record keeps it, the trail only a keyed hash that
        # matches it (and shows if it is later changed) and its length.
        detail={
            "filters": export.filters,
            "format": file_format,
            "purpose_hash": keyed_hash(purpose),
            "purpose_length": len(purpose),
        },
    )
    _children_record(export, filters)
    return export


def _children_record(export: ExportRecord, filters: ExportFilters) -> None:
    children = referrals_for_export(filters).order_by().values("child_id").distinct()
    select, params = children.query.sql_with_params()
    through = export.children.through._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {through} (exportrecord_id, child_id) SELECT %s, child_id FROM ({select}) AS chosen",  # noqa: S608
            [export.pk, *params],
        )


def export_children_uuids(export: ExportRecord) -> list[str]:
    """The UUIDs of the children an export covered, in a fixed order."""
    children = Child.objects.filter(exports=export).order_by("uuid").values_list("uuid", flat=True)
    return [str(value) for value in children]


def _finish(export: ExportRecord, *, context, rows: int, digest: str, filters: ExportFilters) -> None:
    """The record's count and digest, and "export finished", which names every child the export covered so that
    the seal covers the list as well as the record's own copy of it."""
    with transaction.atomic():
        ExportRecord.objects.filter(pk=export.pk).update(finished_at=timezone.now(), row_count=rows, sha256=digest)
        children = export_children_uuids(export)
        record(
            EventType.EXPORT_FINISHED,
            user=export.user,
            context=context,
            school=export.school,
            object_type="export",
            object_uuid=export.uuid,
            shown_ids=children,
            row_count=rows,
            detail={"sha256": digest, "children": len(children)},
        )


def _neutralised(column: str) -> str:
    """In SQL: a value a spreadsheet could read as a formula, even behind spaces, gets a leading apostrophe."""
    pattern = "'^[[:space:]' || chr(160) || ']*[-=+@]|^[\\t\\r\\n]'"
    return f"CASE WHEN {column} ~ ({pattern}) THEN '''' || {column} ELSE {column} END"


def _label(column: str, choices) -> str:
    cases = " ".join("WHEN '{}' THEN '{}'".format(value, label.replace("'", "''")) for value, label in choices)
    return f"CASE {column} {cases} ELSE {column} END"


def _copy_sql(filters: ExportFilters, cursor) -> str:
    """One SELECT doing the formatting and the neutralising in PostgreSQL, for COPY to stream straight out."""
    from referrals.models import Agency, AgencyDecision

    where = ["r.school_id = ANY(%s)"]
    params: list = [[school.pk for school in filters.schools]]
    if filters.date_from:
        where.append("(r.made_at AT TIME ZONE 'Europe/London')::date >= %s")
        params.append(filters.date_from)
    if filters.date_to:
        where.append("(r.made_at AT TIME ZONE 'Europe/London')::date <= %s")
        params.append(filters.date_to)
    if filters.agency:
        where.append("r.agency = %s")
        params.append(filters.agency)
    if filters.status == "awaiting":
        where.append("r.acknowledged_at IS NULL")
    elif filters.status == "acknowledged":
        where.append("r.acknowledged_at IS NOT NULL")
    london = "'Europe/London'"
    select = ", ".join(
        [
            _neutralised("s.name"),
            _neutralised("c.legal_first_name || ' ' || c.legal_last_name"),
            _neutralised("c.upn"),
            "c.year_group",
            _label("r.agency", Agency.choices),
            f"to_char(r.made_at AT TIME ZONE {london}, 'DD/MM/YYYY HH24:MI')",
            _neutralised("u.full_name"),
            _neutralised("r.agency_reference"),
            f"coalesce(to_char(r.acknowledged_at AT TIME ZONE {london}, 'DD/MM/YYYY HH24:MI'), '')",
            _label("r.agency_decision", AgencyDecision.choices),
            "CASE WHEN r.parents_informed THEN 'Yes' ELSE 'No' END",
            "CASE WHEN r.escalated_at IS NULL THEN 'No' ELSE 'Yes' END",
        ]
    )
    query = (
        f"SELECT {select} FROM referrals_referral r JOIN referrals_child c ON c.id = r.child_id "  # noqa: S608
        "JOIN accounts_school s ON s.id = r.school_id JOIN accounts_user u ON u.id = r.made_by_id "
        f"WHERE {' AND '.join(where)} ORDER BY r.made_at, r.id"
    )
    return f"COPY ({cursor.mogrify(query, params)}) TO STDOUT WITH (FORMAT csv)"


def _csv_stream_copy(*, export: ExportRecord, context, filters: ExportFilters):
    """PostgreSQL: COPY streams the rows out as they are read; Python only passes the blocks on."""
    digest = hashlib.sha256()
    header = (",".join(COLUMNS) + "\r\n").encode()
    digest.update(header)
    yield header
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(_copy_sql(filters, raw)) as copy:
            for block in copy:
                chunk = bytes(block)
                digest.update(chunk)
                yield chunk
        count = raw.rowcount
    _finish(export, context=context, rows=count, digest=digest.hexdigest(), filters=filters)


def csv_stream(*, export: ExportRecord, context, filters: ExportFilters):
    """Yield the CSV a chunk at a time; the export is finished (count, digest, children) after the last row."""
    if connection.vendor == "postgresql":
        yield from _csv_stream_copy(export=export, context=context, filters=filters)
        return
    digest = hashlib.sha256()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    count = 0
    for row, _child in _rows(referrals_for_export(filters)):
        writer.writerow(row)
        count += 1
        if buffer.tell() > 64 * 1024:
            chunk = buffer.getvalue().encode()
            digest.update(chunk)
            yield chunk
            buffer.seek(0)
            buffer.truncate()
    chunk = buffer.getvalue().encode()
    digest.update(chunk)
    yield chunk
    _finish(export, context=context, rows=count, digest=digest.hexdigest(), filters=filters)


def xlsx_file(*, export: ExportRecord, context, filters: ExportFilters):
    """Write the XLSX with openpyxl's write-only mode to a temporary file; returns the open file."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Referrals")
    sheet.append(list(COLUMNS))
    count = 0
    for row, _child in _rows(referrals_for_export(filters)):
        sheet.append(row)
        count += 1
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, which closes it
    workbook.save(handle)
    handle.seek(0)
    digest = hashlib.sha256(handle.read()).hexdigest()
    handle.seek(0)
    _finish(export, context=context, rows=count, digest=digest, filters=filters)
    return handle


def export_file_path(name: str) -> Path:
    return Path(settings.EXPORT_ROOT) / name


def export_build(*, export_id: int) -> ExportRecord:
    """Build a large export into a file (run by the worker), counting its progress; it expires after a while."""
    export = ExportRecord.objects.select_related("user").get(pk=export_id)
    filters = ExportFilters(
        schools=list(School.objects.filter(uuid__in=export.filters.get("schools", []))),
        date_from=date.fromisoformat(export.filters["date_from"]) if export.filters.get("date_from") else None,
        date_to=date.fromisoformat(export.filters["date_to"]) if export.filters.get("date_to") else None,
        agency=export.filters.get("agency", ""),
        status=export.filters.get("status", ""),
    )
    Path(settings.EXPORT_ROOT).mkdir(parents=True, exist_ok=True)
    name = uuid.uuid4().hex
    # Named on the record before anything is written, so a build that fails leaves no file nobody can find.
    ExportRecord.objects.filter(pk=export.pk).update(file_name=name)
    context = RequestContext(user=export.user)
    if export.format == ExportRecord.Format.XLSX:
        with xlsx_file(export=export, context=context, filters=filters) as handle:
            export_file_path(name).write_bytes(handle.read())
    else:
        done = 0
        with open(export_file_path(name), "wb") as handle:
            for chunk in csv_stream(export=export, context=context, filters=filters):
                handle.write(chunk)
                done += chunk.count(b"\n")
                if done - export.progress >= 5000:
                    export.progress = done
                    ExportRecord.objects.filter(pk=export.pk).update(progress=done)
    expires_at = timezone.now() + timedelta(hours=settings.EXPORT_FILE_HOURS)
    ExportRecord.objects.filter(pk=export.pk).update(expires_at=expires_at)
    export.refresh_from_db()
    ExportRecord.objects.filter(pk=export.pk).update(progress=export.row_count or 0)
    return export


def exports_expire(*, now=None) -> int:
    """Delete the files of expired exports; the records stay."""
    now = now or timezone.now()
    removed = 0
    expired = ExportRecord.objects.filter(expires_at__lte=now) | ExportRecord.objects.filter(failed=True)
    for export in expired.exclude(file_name=""):
        export_file_path(export.file_name).unlink(missing_ok=True)
        ExportRecord.objects.filter(pk=export.pk).update(file_name="")
        removed += 1
    return removed
