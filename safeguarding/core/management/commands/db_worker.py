"""`manage.py db_worker`: django-tasks-db's worker, made to wait out a database outage instead of exiting.

The library's worker stops at the first database error that is not a lock. A database restart would then stop
the emails until someone restarted the worker, and leave the task it was running marked as running for ever.
This one waits until the database answers again, puts the task it was running back on the queue, and carries on.
That task runs again from the start, so an email caught by the outage may be sent twice, but is never lost.
"""

import logging
import time

from django.db import InterfaceError, OperationalError, connections
from django.tasks import TaskResultStatus
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger("safeguarding.worker")

DATABASE_ERRORS = (OperationalError, InterfaceError)
WAIT_SECONDS = 1


class Command(db_worker.Command):
    help = "Run the background tasks (django-tasks-db's worker), waiting out a database outage instead of exiting."

    def handle(self, **options):
        while True:
            try:
                return super().handle(**options)
            except DATABASE_ERRORS as error:
                if options["batch"]:
                    raise
                logger.warning("The database went away (%s): the worker waits for it", type(error).__name__)
                requeued = recover(worker_id=options["worker_id"])
                logger.warning("The database is back: the worker carries on; %s interrupted task(s) requeued", requeued)


def recover(*, worker_id: str) -> int:
    """Wait for the database, then requeue what was interrupted; returns how many tasks were requeued."""
    while True:
        database_wait()
        try:
            return tasks_requeue_interrupted(worker_id=worker_id)
        except DATABASE_ERRORS:
            continue  # gone again at once: wait again


def database_wait() -> None:
    """Return once the database accepts a connection again, trying every WAIT_SECONDS."""
    while True:
        connections.close_all()
        try:
            connections["default"].ensure_connection()
            return
        except DATABASE_ERRORS:
            time.sleep(WAIT_SECONDS)


def tasks_requeue_interrupted(*, worker_id: str) -> int:
    """Put back on the queue the tasks this worker had claimed and not finished when the database went away."""
    interrupted = [
        result.pk
        for result in DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).only("pk", "worker_ids")
        if result.worker_ids and result.worker_ids[-1] == worker_id
    ]
    return DBTaskResult.objects.filter(pk__in=interrupted, status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.READY, started_at=None
    )
