"""Exports of referral records (CSV, XLSX) for the people who run schools: justified, re-authenticated,
streamed and audited. An export holds the minimum: no narrative, no child's words."""

import csv
import hashlib
import io
import tempfile
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from openpyxl import Workbook

from referrals.models import ExportRecord, Referral
from safeguarding.accounts.models import Membership, School, User
from safeguarding.accounts.roles import Role
from safeguarding.audit.context import RequestContext
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
    """A cell a spreadsheet could read as a formula is turned into plain text."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(DANGEROUS_FIRST) else text


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
    """The record and the "export started" event, written before the first byte leaves."""
    export = ExportRecord.objects.create(
        user=user,
        school=filters.schools[0] if len(filters.schools) == 1 else None,
        trust=filters.schools[0].trust if len(filters.schools) > 1 else None,
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
        reason=purpose[:200],
        detail={"filters": export.filters, "format": file_format},
    )
    return export


def _finish(export: ExportRecord, *, context, rows: int, digest: str, children: set[int]) -> None:
    with transaction.atomic():
        ExportRecord.objects.filter(pk=export.pk).update(finished_at=timezone.now(), row_count=rows, sha256=digest)
        export.children.through.objects.bulk_create(
            [export.children.through(exportrecord_id=export.pk, child_id=child) for child in children],
            batch_size=2000,
        )
        record(
            EventType.EXPORT_FINISHED,
            user=export.user,
            context=context,
            school=export.school,
            object_type="export",
            object_uuid=export.uuid,
            row_count=rows,
            detail={"sha256": digest},
        )


def csv_stream(*, export: ExportRecord, context, filters: ExportFilters):
    """Yield the CSV a chunk at a time; the export is finished (count, digest, children) after the last row."""
    digest = hashlib.sha256()
    children: set[int] = set()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    count = 0
    for row, child in _rows(referrals_for_export(filters)):
        writer.writerow(row)
        children.add(child)
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
    _finish(export, context=context, rows=count, digest=digest.hexdigest(), children=children)


def xlsx_file(*, export: ExportRecord, context, filters: ExportFilters):
    """Write the XLSX with openpyxl's write-only mode to a temporary file; returns the open file."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Referrals")
    sheet.append(list(COLUMNS))
    children: set[int] = set()
    count = 0
    for row, child in _rows(referrals_for_export(filters)):
        sheet.append(row)
        children.add(child)
        count += 1
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, which closes it
    workbook.save(handle)
    handle.seek(0)
    digest = hashlib.sha256(handle.read()).hexdigest()
    handle.seek(0)
    _finish(export, context=context, rows=count, digest=digest, children=children)
    return handle
