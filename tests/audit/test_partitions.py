"""The events' table partitioned by month on PostgreSQL: each event in its month's partition, a default partition
for a month with none, partitions made ahead by a daily job, and every partition as append-only as the table."""

import logging
from datetime import timedelta

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from safeguarding.audit.events import EventType
from safeguarding.audit.partitions import DEFAULT, month_add, month_of, month_partitions, partition_name
from safeguarding.audit.record import record
from safeguarding.audit.tasks import audit_partitions_ahead


def partition_of(event) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM audit_auditevent WHERE id = %s", [event.pk])
        return cursor.fetchone()[0]


def test_an_event_lands_in_its_months_partition_and_one_years_ahead_in_the_default(db):
    this_month = partition_name(month_of(timezone.now()))

    assert partition_of(record(EventType.VIEW, object_type="page")) == this_month
    with time_machine.travel(timezone.now() + timedelta(days=5 * 365), tick=False):
        assert partition_of(record(EventType.VIEW, object_type="page")) == DEFAULT


@pytest.mark.parametrize("partition", ["this month's", "the default"])
@pytest.mark.parametrize(
    "statement",
    ["UPDATE {} SET reason = 'changed'", "DELETE FROM {}", "TRUNCATE {}"],
    ids=["update", "delete", "truncate"],
)
def test_a_partition_named_directly_refuses_changes_too(db, partition, statement):
    event = record(EventType.VIEW, object_type="page", reason="test")
    if partition == "the default":
        with time_machine.travel(timezone.now() + timedelta(days=5 * 365), tick=False):
            event = record(EventType.VIEW, object_type="page", reason="test")
    table = partition_of(event)

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement.format(table))

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT reason FROM {table} WHERE id = %s", [event.pk])  # noqa: S608
        assert cursor.fetchone() == ("test",)


def test_the_application_role_may_not_change_a_partition_named_directly(db):
    """The deployment's grants (all tables, then the audit tables' UPDATE and DELETE taken back) reach every
    partition, including one made later, even with the triggers switched off."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE ROLE safeguard_app_test NOLOGIN")
        cursor.execute("GRANT USAGE ON SCHEMA public TO safeguard_app_test")
        cursor.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO safeguard_app_test")
        cursor.execute("REVOKE UPDATE, DELETE, TRUNCATE ON audit_auditevent FROM safeguard_app_test")
    audit_partitions_ahead.call()
    later = month_add(month_of(timezone.now()), 6)
    with time_machine.travel(timezone.now() + timedelta(days=6 * 31), tick=False):
        audit_partitions_ahead.call()
    record(EventType.VIEW, object_type="page")
    partitions = [month_partitions()[month_of(timezone.now())], month_partitions()[later], DEFAULT]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")  # triggers off: only the grants decide
        cursor.execute("SET LOCAL ROLE safeguard_app_test")
        for table in partitions:
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
            for statement in (f"UPDATE {table} SET reason = 'x'", f"DELETE FROM {table}"):  # noqa: S608
                with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
                    cursor.execute(statement)
        cursor.execute("RESET ROLE")


def test_the_daily_job_makes_the_coming_months_partitions_ahead(db):
    later = timezone.now() + timedelta(days=8 * 31)
    coming = [month_add(month_of(later), count) for count in range(4)]
    assert not set(coming) & set(month_partitions())

    with time_machine.travel(later, tick=False):
        made = audit_partitions_ahead.call()
        assert partition_of(record(EventType.VIEW, object_type="page")) == partition_name(coming[0])

    assert made == [partition_name(month) for month in coming]
    assert set(coming) <= set(month_partitions())
    assert audit_partitions_ahead.call() == []


def test_a_month_whose_events_went_to_the_default_partition_is_left_there_and_logged(db, caplog):
    later = timezone.now() + timedelta(days=9 * 31)
    with time_machine.travel(later, tick=False):
        event = record(EventType.VIEW, object_type="page")
        with caplog.at_level(logging.WARNING, logger="safeguarding.audit"):
            made = audit_partitions_ahead.call()

    month = month_of(later)
    assert partition_name(month) not in made and len(made) == 3
    assert partition_of(event) == DEFAULT
    assert f"the month {month:%Y-%m} has no partition of its own and 1 events of it are in the default" in caplog.text


def test_making_partitions_ahead_is_a_daily_job():
    from safeguarding.core.scheduling import periodic_jobs

    jobs = {job.name: job.every for job in periodic_jobs()}

    assert jobs["safeguarding.audit.tasks.audit_partitions_ahead"] == timedelta(days=1)
