"""The audit events' monthly partitions on PostgreSQL (docs/audit.md, "Partitions").

Each month's events live in a partition of their own, so that a month past the audit period can be retired whole
(safeguarding/audit/retire.py). A DEFAULT partition takes any event whose month has no partition, so an audit write
never fails for want of one; the scheduled job makes each month's partition a few months ahead, so in normal running
the default partition stays empty. The partitions are made through `audit_partition_make`, a database function that
runs with the table owner's rights (migration 0006), because the application's role does not own the table.

On SQLite (the demo) the events' table is a plain table, and all of this does nothing.
"""

import logging
from datetime import date, datetime

from django.db import connection
from django.utils import timezone

logger = logging.getLogger("safeguarding.audit")

PARENT = "audit_auditevent"
DEFAULT = "audit_auditevent_default"
AHEAD_MONTHS = 3


def month_add(month: date, count: int) -> date:
    year, index = divmod(month.year * 12 + month.month - 1 + count, 12)
    return date(year, index + 1, 1)


def month_of(moment: datetime) -> date:
    """The first day of the UTC month `moment` falls in: partitions are cut at UTC midnight."""
    return moment.astimezone(timezone.UTC).date().replace(day=1)


def month_bounds(month: date) -> tuple[datetime, datetime]:
    start = datetime(month.year, month.month, 1, tzinfo=timezone.UTC)
    end = month_add(month, 1)
    return start, datetime(end.year, end.month, 1, tzinfo=timezone.UTC)


def partition_name(month: date) -> str:
    return f"{PARENT}_p{month:%Y%m}"


def is_partitioned() -> bool:
    """Whether the events' table is partitioned: on PostgreSQL once migration 0006 has run."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind = 'p' FROM pg_class WHERE oid = to_regclass(%s)", [PARENT])
        row = cursor.fetchone()
    return bool(row and row[0])


def month_partitions() -> dict[date, str]:
    """The months that have a partition of their own, oldest first."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass AND c.relname <> %s ORDER BY c.relname",
            [PARENT, DEFAULT],
        )
        names = [row[0] for row in cursor.fetchall()]
    return {date(int(name[-6:-2]), int(name[-2:]), 1): name for name in names}


def _default_holds(month: date) -> int:
    start, end = month_bounds(month)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM {DEFAULT} WHERE occurred_at >= %s AND occurred_at < %s",  # noqa: S608
            [start, end],
        )
        return cursor.fetchone()[0]


def audit_partitions_make(*, since: date | None = None, now=None, ahead: int = AHEAD_MONTHS) -> list[str]:
    """Make the partitions of the months from `since` (this month by default) to `ahead` months after this one, and
    give every partition its parent's grants again; returns the names of the partitions made.

    A month whose events already went to the default partition is skipped, and logged: its partition cannot be made
    around them (they stay in the default partition, where they are kept and sealed like any other)."""
    if not is_partitioned():
        return []
    this_month = month_of(now or timezone.now())
    month, last = since or this_month, month_add(this_month, ahead)
    existing, made = month_partitions(), []
    with connection.cursor() as cursor:
        while month <= last:
            if month not in existing:
                if held := _default_holds(month):
                    logger.warning(
                        "Audit partitions: the month %s has no partition of its own and %s events of it are in the "
                        "default partition, so it is not made; those events stay there",
                        f"{month:%Y-%m}",
                        held,
                    )
                else:
                    cursor.execute("SELECT audit_partition_make(%s)", [month])
                    made.append(cursor.fetchone()[0])
            month = month_add(month, 1)
        # Grants given to the parent since (a deployment re-running its grants) reach every partition.
        cursor.execute(
            "SELECT audit_partition_align(inhrelid::regclass) FROM pg_inherits WHERE inhparent = %s::regclass", [PARENT]
        )
    if made:
        logger.info("Audit partitions made: %s", ", ".join(made))
    return made
