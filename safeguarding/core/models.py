from django.db import models


class Heartbeat(models.Model):
    """The last sign of life of a background process (the worker, the scheduler)."""

    name = models.CharField(primary_key=True, max_length=50)
    beat_at = models.DateTimeField()

    def __str__(self):
        return f"{self.name} at {self.beat_at:%Y-%m-%d %H:%M:%S}"


class PeriodicJobRun(models.Model):
    """When the scheduler last enqueued a periodic job, kept so a restart does not enqueue it early."""

    name = models.CharField(primary_key=True, max_length=200)
    enqueued_at = models.DateTimeField()

    def __str__(self):
        return f"{self.name} enqueued at {self.enqueued_at:%Y-%m-%d %H:%M:%S}"


class RateLimitWindow(models.Model):
    """How often one person (or one sign-in attempt) used one limited action in the current window."""

    key = models.CharField(primary_key=True, max_length=200)
    window_number = models.BigIntegerField()
    hits = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.key}: {self.hits}"
