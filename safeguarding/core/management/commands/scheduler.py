import logging
import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections

from safeguarding.core.heartbeats import SCHEDULER, heartbeat_record
from safeguarding.core.scheduling import periodic_jobs, periodic_jobs_enqueue_due

logger = logging.getLogger("safeguarding.scheduler")


class Command(BaseCommand):
    help = "Enqueue the periodic jobs (sealing, escalation, reminders) at their intervals, with a heartbeat."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run one round, then exit.")
        parser.add_argument(
            "--interval",
            type=int,
            default=settings.SCHEDULER_INTERVAL_SECONDS,
            help="Seconds between rounds (default: %(default)s).",
        )

    def handle(self, *, once, interval, **options):
        self.running = True
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        names = ", ".join(job.name for job in periodic_jobs()) or "none"
        logger.info("Scheduler started: every %s s; jobs: %s", interval, names)
        while self.running:
            self.round()
            if once:
                break
            self.sleep(interval)
        logger.info("Scheduler stopped")

    def round(self):
        # A database that is away for a while must not end the scheduler: it keeps trying, and its
        # heartbeat going stale is what /healthz reports meanwhile.
        close_old_connections()
        try:
            for name in periodic_jobs_enqueue_due():
                logger.info("Enqueued %s", name)
            heartbeat_record(name=SCHEDULER)
        except DatabaseError as error:
            logger.error("Scheduler round failed, will retry: %s", type(error).__name__)

    def sleep(self, seconds):
        deadline = time.monotonic() + seconds
        while self.running and time.monotonic() < deadline:
            time.sleep(min(0.5, deadline - time.monotonic()))

    def stop(self, signum, frame):
        self.running = False
