from django.db import models
from django.utils import timezone


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


class StoredFile(models.Model):
    """A file kept in the database (safeguarding/core/files.py): its name, size and when it was stored.

    Its bytes are in StoredFileChunk rows, so no query ever carries a whole large file."""

    name = models.CharField(max_length=200, unique=True)
    size = models.BigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.name} ({self.size} bytes)"


class StoredFileChunk(models.Model):
    """One piece of a stored file, in order."""

    file = models.ForeignKey(StoredFile, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["file", "index"], name="stored_file_chunk_unique")]

    def __str__(self):
        return f"{self.file_id} #{self.index}"
