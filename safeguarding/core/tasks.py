from datetime import timedelta

from django.conf import settings
from django.tasks import task

from safeguarding.core.heartbeats import WORKER, heartbeat_record
from safeguarding.core.scheduling import periodic


@periodic(every=timedelta(seconds=settings.WORKER_HEARTBEAT_SECONDS))
@task()
def worker_heartbeat() -> None:
    """Run by the worker like any task, so a fresh heartbeat shows the queue is being worked."""
    heartbeat_record(name=WORKER)
