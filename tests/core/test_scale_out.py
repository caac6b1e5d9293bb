"""What running on several hosts relies on: one enqueue per interval with two schedulers, reads sent to a replica
only when that is safe, and /healthz reporting the replica's lag."""

import threading
import time
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from referrals.models import ExportRecord
from safeguarding.core import replica, scheduling
from safeguarding.core.models import PeriodicJobRun
from safeguarding.core.scheduling import PeriodicJob, periodic_jobs_enqueue_due
from safeguarding.core.tasks import worker_heartbeat


@dataclass(frozen=True)
class SlowTask:
    """The heartbeat task, slow to enqueue: a second scheduler has all the time it needs to slip in."""

    module_path: str = worker_heartbeat.module_path

    def enqueue(self):
        time.sleep(0.3)
        return worker_heartbeat.enqueue()


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_starting_together_enqueue_a_new_job_once(monkeypatch):
    job = PeriodicJob(task=SlowTask(), every=timedelta(minutes=1))
    monkeypatch.setattr(scheduling, "periodic_jobs", lambda: [job])
    assert not PeriodicJobRun.objects.exists()
    now = timezone.now()
    barrier = threading.Barrier(2)
    enqueued = []

    def scheduler():
        barrier.wait()
        try:
            enqueued.append(periodic_jobs_enqueue_due(now=now))
        finally:
            connection.close()

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(len(names) for names in enqueued) == [0, 1]
    assert DBTaskResult.objects.filter(task_path=job.name).count() == 1
    assert PeriodicJobRun.objects.get(name=job.name).enqueued_at == now


@pytest.mark.django_db(transaction=True)
def test_a_job_with_no_run_yet_is_due_at_once_and_then_waits_its_interval():
    now = timezone.now()
    first = periodic_jobs_enqueue_due(now=now)
    assert worker_heartbeat.module_path in first
    assert periodic_jobs_enqueue_due(now=now) == []


@pytest.fixture
def with_replica(monkeypatch):
    monkeypatch.setattr(replica, "replica_configured", lambda: True)


def test_without_a_replica_every_read_stays_on_the_primary():
    router = replica.ReplicaRouter()
    with replica.replica_reads():
        assert router.db_for_read(ExportRecord) is None


@pytest.mark.django_db
def test_reads_in_a_replica_block_go_to_the_replica_until_the_block_writes(with_replica):
    router = replica.ReplicaRouter()
    assert router.db_for_read(ExportRecord) is None  # outside a block
    with replica.replica_reads():
        # pytest-django's test transaction is open here; outside one the read would go to the replica.
        assert router.db_for_read(ExportRecord) is None
    connection.in_atomic_block, was = False, connection.in_atomic_block
    try:
        with replica.replica_reads():
            assert router.db_for_read(ExportRecord) == replica.REPLICA
            router.db_for_write(ExportRecord)
            assert router.db_for_read(ExportRecord) is None
        with replica.replica_reads():
            assert router.db_for_read(ExportRecord) == replica.REPLICA
    finally:
        connection.in_atomic_block = was


@pytest.mark.django_db(transaction=True)
def test_reads_inside_a_transaction_stay_on_the_primary(with_replica):
    router = replica.ReplicaRouter()
    with replica.replica_reads():
        assert router.db_for_read(ExportRecord) == replica.REPLICA
        with transaction.atomic():
            assert router.db_for_read(ExportRecord) is None


def test_a_row_read_from_the_replica_is_saved_on_the_primary():
    router = replica.ReplicaRouter()
    record = ExportRecord()
    record._state.db = replica.REPLICA
    assert router.db_for_write(ExportRecord, instance=record) == "default"
    assert router.allow_migrate(replica.REPLICA, "referrals") is False


@pytest.mark.django_db
def test_healthz_gives_the_replica_lag_and_nothing_else_new(client, monkeypatch):
    from safeguarding.core import views

    monkeypatch.setattr(views, "replica_configured", lambda: True)
    monkeypatch.setattr(views, "_replica_lag", lambda: ("ok", 0.25))

    body = client.get("/healthz").json()

    assert body["replica"] == "ok"
    assert body["replica_lag_seconds"] == 0.25
    assert set(body) <= {
        "status",
        "database",
        "worker",
        "scheduler",
        "sealer",
        "replica",
        "replica_lag_seconds",
        "down",
    }
