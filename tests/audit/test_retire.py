"""Retiring a month of the audit trail after the audit period: its partition and seals go, a signed checkpoint of the
chain at the cut stays, and verification starts from it."""

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from safeguarding.audit.chain import seal
from safeguarding.audit.events import EventType
from safeguarding.audit.models import AuditCheckpoint, AuditEvent, AuditSeal
from safeguarding.audit.partitions import month_add, month_bounds, month_of, month_partitions
from safeguarding.audit.record import record
from tests.audit.test_chain import tamper, verify


def events_in(month, count: int) -> list:
    """`count` events in the middle of `month`, in a partition of its own, sealed then by the sealer."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT audit_partition_make(%s)", [month])
    start, _ = month_bounds(month)
    with time_machine.travel(start.replace(day=15), tick=False):
        events = [record(EventType.VIEW, object_type="page") for _ in range(count)]
        seal()
    return events


@pytest.fixture
def two_years_ago():
    return month_add(month_of(timezone.now()), -24)


@pytest.fixture
def old_month(db, settings, two_years_ago):
    """Five events two years ago, then three this month, all sealed; the audit period is one year."""
    settings.AUDIT_RETENTION_YEARS = 1
    events_in(two_years_ago, 5)
    for _ in range(3):
        record(EventType.VIEW, object_type="page")
    seal()
    return two_years_ago


def retire(month) -> str:
    from io import StringIO

    out = StringIO()
    call_command("retire_audit_month", f"{month:%Y-%m}", stdout=out)
    return out.getvalue()


def test_a_retired_month_leaves_a_signed_checkpoint_and_the_chain_still_verifies(old_month, jobs):
    output = retire(old_month)

    assert "5 events and their seals removed; the chain now starts after the checkpoint at sequence 5" in output
    checkpoint = AuditCheckpoint.objects.get()
    assert (checkpoint.sequence, checkpoint.month, checkpoint.events) == (5, f"{old_month:%Y-%m}", 5)
    assert old_month not in month_partitions()
    assert sorted(AuditSeal.objects.values_list("sequence", flat=True)) == [6, 7, 8]
    retired = AuditEvent.objects.get(object_type="audit_month")
    assert (retired.event_type, retired.detail) == (
        "delete",
        {"month": f"{old_month:%Y-%m}", "events": 5, "checkpoint_sequence": 5},
    )
    assert seal()[0] == 1
    assert "Audit trail intact: 4 events checked, 0 too recent" in verify(jobs=jobs)


def test_a_trail_whose_checkpoint_was_removed_fails_naming_the_gap(old_month, jobs):
    retire(old_month)
    tamper("DELETE FROM audit_auditcheckpoint")

    with pytest.raises(CommandError, match="removed: the seals of sequence 1 to 5 are missing, and no checkpoint"):
        verify(jobs=jobs)


@pytest.mark.parametrize(
    "forgery",
    ["UPDATE audit_auditcheckpoint SET hash = repeat('f', 64)", "UPDATE audit_auditcheckpoint SET sequence = 6"],
)
def test_a_forged_checkpoint_fails(old_month, forgery, jobs):
    retire(old_month)
    tamper(forgery)

    with pytest.raises(CommandError, match=f"forged: the checkpoint of the retired month {old_month:%Y-%m}"):
        verify(jobs=jobs)


def test_a_month_inside_the_audit_period_is_refused(old_month, settings):
    settings.AUDIT_RETENTION_YEARS = 10

    with pytest.raises(CommandError, match=f"Not retired: {old_month:%Y-%m} is inside the audit period .10 years"):
        retire(old_month)

    assert old_month in month_partitions()
    assert AuditSeal.objects.count() == 8 and not AuditCheckpoint.objects.exists()


def test_months_are_retired_oldest_first(db, settings, two_years_ago):
    settings.AUDIT_RETENTION_YEARS = 1
    later = month_add(two_years_ago, 1)
    events_in(two_years_ago, 5)
    events_in(later, 2)

    with pytest.raises(
        CommandError,
        match=f"The seals of {later:%Y-%m}'s events are not the start of the chain: the chain starts at sequence 1, "
        "and this month's 2 seals run from sequence 6 to 7. Retire the months before it first",
    ):
        retire(later)
    retire(two_years_ago)
    assert "2 events and their seals removed; the chain now starts after the checkpoint at sequence 7" in retire(later)
    assert list(AuditCheckpoint.objects.values_list("sequence", flat=True)) == [5, 7]
    seal()
    assert "Audit trail intact: 2 events checked" in verify("--skip-anchor")


def test_a_month_with_no_partition_of_its_own_is_refused(old_month):
    with pytest.raises(CommandError, match="has no partition of its own"):
        retire(month_add(old_month, -1))
    with pytest.raises(CommandError, match="is not a month written as YYYY-MM"):
        call_command("retire_audit_month", "2024-13")


def test_seals_are_deleted_only_by_retiring_a_month(old_month):
    """The seals' trigger lets a DELETE through only with `safeguard.retiring` set, and only seals a checkpoint
    covers: setting it is not enough to remove the newest seals."""
    retire(old_month)
    for statement in ("DELETE FROM audit_auditseal WHERE sequence = 6", "UPDATE audit_auditseal SET hash = 'x'"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL safeguard.retiring = 'anything'")
            cursor.execute(statement)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditcheckpoint")

    assert AuditSeal.objects.count() == 3 and AuditCheckpoint.objects.count() == 1
