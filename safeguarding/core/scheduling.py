"""Periodic jobs: tasks that `manage.py scheduler` enqueues at a fixed interval.

An app declares one in its `tasks` module:

    @periodic(every=timedelta(minutes=1))
    @task()
    def audit_seal(): ...

The scheduler enqueues each job when its interval has passed since the last enqueue, recorded in the
database so that a restarted scheduler neither skips nor repeats a job early.
"""

from dataclasses import dataclass
from datetime import timedelta

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

    The check and the enqueue share a transaction and a row lock, so two schedulers running by
    mistake still enqueue a job once per interval.
    """
    now = now or timezone.now()
    enqueued = []
    for job in periodic_jobs():
        with transaction.atomic():
            run = PeriodicJobRun.objects.select_for_update().filter(name=job.name).first()
            if run is not None and run.enqueued_at + job.every > now:
                continue
            job.task.enqueue()
            PeriodicJobRun.objects.update_or_create(name=job.name, defaults={"enqueued_at": now})
        enqueued.append(job.name)
    return enqueued
