"""Exports of referral records (CSV, XLSX) for the people who run schools: justified, re-authenticated,
streamed and audited. An export holds the minimum: no narrative, no child's words. What each column holds is in
`referrals.export_columns`; who may export and what the filters choose, in `referrals.selectors.exports`."""

import csv
import hashlib
import io
import tempfile
import uuid
from collections.abc import Generator, Iterator
from datetime import timedelta

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone
from openpyxl import Workbook

from referrals.export_columns import HEADERS, cell_rows, copy_sql, sheet_prepare, text_rows
from referrals.models import ExportRecord, LawfulBasis
from referrals.selectors.exports import EXPORTS, ExportFilters, export_children_uuids, referrals_for_export
from safeguarding.accounts.models import User
from safeguarding.audit.context import RequestContext, keyed_hash
from safeguarding.audit.events import EventType, Outcome
from safeguarding.audit.record import record
from safeguarding.core.files import file_delete, file_save


@transaction.atomic
def export_begin(
    *,
    user: User,
    context: RequestContext,
    filters: ExportFilters,
    purpose: str,
    file_format: str,
    shared_with: str = "",
    lawful_basis: str = "",
):
    """The record, the children it covers and the "export started" event, written before the first byte leaves,
    so that an export cut short still shows in each child's who-viewed list. An export that goes outside the school
    names who receives it and the lawful basis: its record is the sharing record (R10.8)."""
    shared_with = shared_with.strip()
    if shared_with and lawful_basis not in LawfulBasis.values:
        raise ValueError("Choose the lawful basis for sharing the file outside the school.")
    trusts = {school.trust_id for school in filters.schools}
    export = ExportRecord.objects.create(
        user=user,
        school=filters.schools[0] if len(filters.schools) == 1 else None,
        trust=filters.schools[0].trust if len(filters.schools) > 1 and len(trusts) == 1 else None,
        purpose=purpose,
        filters=filters.as_dict(),
        format=file_format,
        leaves_school=bool(shared_with),
        shared_with=shared_with[:300],
        lawful_basis=lawful_basis if shared_with else "",
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
            "leaves_school": export.leaves_school,
            **({"lawful_basis": export.lawful_basis} if export.leaves_school else {}),
        },
    )
    _children_record(export, filters)
    return export


def export_start(
    *,
    user: User,
    context: RequestContext,
    filters: ExportFilters,
    purpose: str,
    file_format: str,
    shared_with: str = "",
    lawful_basis: str = "",
) -> ExportRecord:
    """Begin an export (`export_begin`); one of more than EXPORT_BACKGROUND_ROWS rows is handed to the worker,
    and comes back marked `in_background`. Any other is sent by the caller with `csv_stream` or `xlsx_file`."""
    from referrals.tasks import export_build_task

    export = export_begin(
        user=user,
        context=context,
        filters=filters,
        purpose=purpose,
        file_format=file_format,
        shared_with=shared_with,
        lawful_basis=lawful_basis,
    )
    rows = referrals_for_export(filters).count()
    if rows > settings.EXPORT_BACKGROUND_ROWS:
        ExportRecord.objects.filter(pk=export.pk).update(in_background=True, expected_rows=rows)
        export.in_background, export.expected_rows = True, rows
        export_build_task.enqueue(export_id=export.pk)
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


def _copy_available() -> bool:
    return connection.vendor == "postgresql"


def _csv_copy_blocks(filters: ExportFilters, *, own_connection: bool = False) -> Generator[bytes, None, int]:
    """PostgreSQL: COPY streams the rows out as they are read; Python only passes the blocks on. Returns the
    number of rows.

    While a COPY runs its connection takes no other query, so a caller that writes as the blocks come (the
    background build stores each chunk and its progress) has the COPY run on a connection of its own."""
    copying = connections.create_connection(DEFAULT_DB_ALIAS) if own_connection else connection
    try:
        with copying.cursor() as cursor:
            raw = cursor.cursor
            # The server sends a row at a time: passed on in blocks of about 64 KB, not a generator step a row.
            buffer = bytearray()
            with raw.copy(copy_sql(referrals_for_export(filters), raw)) as copy:
                for block in copy:
                    buffer += block
                    if len(buffer) >= 64 * 1024:
                        yield bytes(buffer)
                        buffer.clear()
            if buffer:
                yield bytes(buffer)
            return raw.rowcount
    finally:
        if own_connection:
            copying.close()


def _csv_python_blocks(filters: ExportFilters) -> Generator[bytes, None, int]:
    """Any other database: the same rows written by Python's csv module, in blocks of about 64 KB. Returns the
    number of rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    count = 0
    for row in text_rows(referrals_for_export(filters)):
        writer.writerow(row)
        count += 1
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()
    return count


def _hashed(blocks: Generator[bytes, None, int], digest) -> Generator[bytes, None, int]:
    """The blocks passed on and added to the digest; returns what the blocks returned."""
    while True:
        try:
            block = next(blocks)
        except StopIteration as done:
            return done.value
        digest.update(block)
        yield block


def csv_stream(*, export: ExportRecord, context, filters: ExportFilters, own_connection=False) -> Iterator[bytes]:
    """Yield the CSV a chunk at a time, starting with a byte-order mark so that spreadsheet programs read it as
    UTF-8; the export is finished (count, digest, children) after the last row."""
    digest = hashlib.sha256()
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(HEADERS)
    header = ("\ufeff" + buffer.getvalue()).encode()
    digest.update(header)
    yield header
    if _copy_available():
        blocks = _csv_copy_blocks(filters, own_connection=own_connection)
    else:
        blocks = _csv_python_blocks(filters)
    count = yield from _hashed(blocks, digest)
    _finish(export, context=context, rows=count, digest=digest.hexdigest(), filters=filters)


def xlsx_file(*, export: ExportRecord, context, filters: ExportFilters):
    """Write the XLSX with openpyxl's write-only mode to a temporary file; returns the open file."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Referrals")
    sheet_prepare(sheet)
    count = 0
    for row in cell_rows(sheet, referrals_for_export(filters)):
        sheet.append(row)
        count += 1
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, which closes it
    workbook.save(handle)
    handle.seek(0)
    digest = hashlib.sha256(handle.read()).hexdigest()
    handle.seek(0)
    _finish(export, context=context, rows=count, digest=digest, filters=filters)
    return handle


def export_build(*, export_id: int) -> ExportRecord:
    """Build a large export into a file (run by the worker), counting its progress; it expires after a while."""
    export = ExportRecord.objects.select_related("user").get(pk=export_id)
    filters = ExportFilters.from_dict(export.filters)
    name = uuid.uuid4().hex
    # Named on the record before anything is written, so a build that fails leaves no file nobody can find.
    ExportRecord.objects.filter(pk=export.pk).update(file_name=name)
    context = RequestContext(user=export.user)
    if export.format == ExportRecord.Format.XLSX:
        with xlsx_file(export=export, context=context, filters=filters) as handle:
            file_save(EXPORTS, name, handle)
    else:
        # Stored a chunk at a time as the rows come, never whole in memory; the progress is counted on the way.
        inside = connection.in_atomic_block
        rows = csv_stream(export=export, context=context, filters=filters, own_connection=not inside)
        if inside:
            # A connection of its own would not see this transaction's rows, so the COPY runs on this one, which
            # takes no other query until it ends: the CSV is spooled (to a temporary file past 8 MB) first.
            spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - closed below
            for chunk in rows:
                spool.write(chunk)
            spool.seek(0)
            rows = iter(lambda: spool.read(64 * 1024), b"")
        try:
            file_save(EXPORTS, name, _counted(export, rows))
        finally:
            if inside:
                spool.close()
    expires_at = timezone.now() + timedelta(hours=settings.EXPORT_FILE_HOURS)
    ExportRecord.objects.filter(pk=export.pk).update(expires_at=expires_at)
    export.refresh_from_db()
    ExportRecord.objects.filter(pk=export.pk).update(progress=export.row_count or 0)
    return export


def _counted(export: ExportRecord, chunks: Iterator[bytes]) -> Iterator[bytes]:
    done = 0
    for chunk in chunks:
        done += chunk.count(b"\n")
        if done - export.progress >= 5000:
            export.progress = done
            ExportRecord.objects.filter(pk=export.pk).update(progress=done)
        yield chunk


def export_fail(*, export_id: int) -> None:
    """A background export that could not be built: marked failed, its own file (whole or in part) deleted, and
    "export finished" recorded with the outcome failed. No error text is kept anywhere: it may hold a child's
    details. Other exports' files are left alone."""
    export = ExportRecord.objects.select_related("user", "school").get(pk=export_id)
    with transaction.atomic():
        if export.file_name:
            file_delete(EXPORTS, export.file_name)
        ExportRecord.objects.filter(pk=export.pk).update(failed=True, file_name="")
        record(
            EventType.EXPORT_FINISHED,
            user=export.user,
            context=RequestContext(user=export.user),
            school=export.school,
            outcome=Outcome.FAILED,
            object_type="export",
            object_uuid=export.uuid,
        )


def exports_expire(*, now=None) -> int:
    """Delete the files of expired exports; the records stay."""
    now = now or timezone.now()
    removed = 0
    expired = ExportRecord.objects.filter(expires_at__lte=now) | ExportRecord.objects.filter(failed=True)
    for export in expired.exclude(file_name=""):
        with transaction.atomic():
            file_delete(EXPORTS, export.file_name)
            ExportRecord.objects.filter(pk=export.pk).update(file_name="")
        removed += 1
    return removed
