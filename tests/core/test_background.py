from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from safeguarding.core.heartbeats import SCHEDULER, WORKER
from safeguarding.core.models import Heartbeat
from safeguarding.core.tasks import worker_heartbeat


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--queue-name", "*", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_a_task_enqueued_is_run_by_the_worker():
    result = worker_heartbeat.enqueue()
    assert result.status == TaskResultStatus.READY
    assert not Heartbeat.objects.filter(name=WORKER).exists()

    run_worker()

    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert Heartbeat.objects.filter(name=WORKER).exists()


@pytest.mark.django_db(transaction=True)
def test_the_scheduler_enqueues_each_job_once_per_interval_and_leaves_a_heartbeat(settings):
    job_name = worker_heartbeat.module_path
    start = timezone.now()

    with time_machine.travel(start, tick=False):
        call_command("scheduler", "--once")
        call_command("scheduler", "--once")
    assert DBTaskResult.objects.filter(task_path=job_name).count() == 1
    assert Heartbeat.objects.get(name=SCHEDULER).beat_at == start

    with time_machine.travel(start + timedelta(seconds=settings.WORKER_HEARTBEAT_SECONDS + 1), tick=False):
        call_command("scheduler", "--once")
    assert DBTaskResult.objects.filter(task_path=job_name).count() == 2


@pytest.mark.django_db(transaction=True)
def test_scheduler_and_worker_together_make_healthz_ok(client):
    call_command("scheduler", "--once")
    run_worker()

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"
