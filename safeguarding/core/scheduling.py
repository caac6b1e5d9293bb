"""Periodic jobs: tasks that `manage.py scheduler` enqueues at a fixed interval.

An app declares one in its `tasks` module:

    @periodic(every=timedelta(minutes=1))
    @task()
    def audit_seal(): ...

The scheduler enqueues each job when its interval has passed since the last enqueue, recorded in the
database so that a restarted scheduler neither skips nor repeats a job early.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.tasks import Task
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from safeguarding.core.models import PeriodicJobRun


@dataclass(frozen=True)
class PeriodicJob:
    task: Task
    every: timedelta

    @property
    def name(self) -> str:
        return self.task.module_path


_registry: dict[str, PeriodicJob] = {}
NEVER = datetime(2000, 1, 1, tzinfo=UTC)  # when a job that has no run yet was last enqueued


def periodic(*, every: timedelta):
    def register(task: Task) -> Task:
        job = PeriodicJob(task=task, every=every)
        _registry[job.name] = job
        return task

    return register


def periodic_jobs() -> list[PeriodicJob]:
    autodiscover_modules("tasks")
    return sorted(_registry.values(), key=lambda job: job.name)


def periodic_jobs_enqueue_due(*, now=None) -> list[str]:
    """Enqueue every job whose interval has passed; returns the names enqueued.

    The check and the enqueue share a transaction and a row lock, so two schedulers (one per host, or one
    started by mistake) still enqueue a job once per interval. A job's row is made first if it has none yet, with
    INSERT ... ON CONFLICT DO NOTHING, so that two schedulers starting together lock the same row instead of both
    finding none.
    """
    now = now or timezone.now()
    enqueued = []
    for job in periodic_jobs():
        with transaction.atomic():
            # The row made here is "never run": due at once, whoever locks it first.
            PeriodicJobRun.objects.bulk_create(
                [PeriodicJobRun(name=job.name, enqueued_at=NEVER)], ignore_conflicts=True
            )
            run = PeriodicJobRun.objects.select_for_update().get(name=job.name)
            if run.enqueued_at + job.every > now:
                continue
            job.task.enqueue()
            run.enqueued_at = now
            run.save(update_fields=["enqueued_at"])
        enqueued.append(job.name)
    return enqueued
