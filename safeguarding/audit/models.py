"""The audit trail: append-only events, and the seals that chain them.

Neither table is ever updated or deleted from: the models refuse it, and database triggers refuse it again for
anyone who goes around the models. Events name people and records by UUID, never by foreign key, so that nothing
can cascade into them.
"""

from django.db import models
from django.utils import timezone

from safeguarding.audit.events import EventType, Outcome

EVENT_TYPE_LABELS = dict(EventType.choices)


class AppendOnlyError(Exception):
    """An attempt to change or delete a row of the append-only audit trail."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("The audit trail is append-only: rows are never updated.")

    def delete(self):
        raise AppendOnlyError("The audit trail is append-only: rows are never deleted.")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("The audit trail is append-only: rows are never updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("The audit trail is append-only: rows are never deleted.")


class AuditEvent(AppendOnlyModel):
    """One access or security event: when, who, from where, what, and the outcome.

    Never holds narrative text, a child's words, a name, a date of birth, a password, a code or a session key.
    """

    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    event_type = models.CharField(max_length=32, choices=EventType.choices)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.ALLOWED)
    # Who: the person, their role at the time, and the school they acted in.
    user_uuid = models.UUIDField(null=True, blank=True, db_index=True)
    role = models.CharField(max_length=20, blank=True)
    school_uuid = models.UUIDField(null=True, blank=True)
    # From where.
    ip = models.GenericIPAddressField(null=True, blank=True)
    session_hash = models.CharField(max_length=64, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    request_id = models.CharField(max_length=32, blank=True)
    method = models.CharField(max_length=10, blank=True)
    route = models.CharField(max_length=100, blank=True, help_text="The URL pattern's name, never the raw URL.")
    # What.
    object_type = models.CharField(max_length=40, blank=True)
    object_uuid = models.UUIDField(null=True, blank=True)
    child_uuid = models.UUIDField(null=True, blank=True)
    shown_ids = models.JSONField(default=list, blank=True, help_text="The UUIDs a list page showed.")
    row_count = models.PositiveIntegerField(null=True, blank=True)
    search_hash = models.CharField(max_length=64, blank=True, help_text="A keyed hash of a search term.")
    reason = models.CharField(max_length=200, blank=True)
    detail = models.JSONField(default=dict, blank=True, help_text="Structured facts only, never free text.")

    class Meta:
        ordering = ["id"]
        indexes = [
            # Also every look-up by school alone.
            models.Index(fields=["school_uuid", "occurred_at"], name="audit_event_school_time"),
            # Who viewed a child's records, in order and a page at a time, however long the whole trail.
            models.Index(fields=["child_uuid", "occurred_at", "id"], name="audit_event_child_time"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.event_type} {self.outcome} at {self.occurred_at:%Y-%m-%d %H:%M:%S}"

    @property
    def event_type_label(self) -> str:
        """As get_event_type_display(), from a dict made once: a page lists a hundred events."""
        return EVENT_TYPE_LABELS.get(self.event_type, self.event_type)


class AuditSeal(AppendOnlyModel):
    """The seal of one event: its place in the chain and HMAC(key, canonical(event) || previous hash)."""

    sequence = models.BigIntegerField(primary_key=True)
    event_id = models.BigIntegerField(unique=True)
    hash = models.CharField(max_length=64)
    sealed_at = models.DateTimeField()

    class Meta:
        ordering = ["sequence"]

    def __str__(self):
        return f"seal {self.sequence} of event {self.event_id}"


class AuditCheckpoint(AppendOnlyModel):
    """The chain at the cut of a retired month: the sequence, hash and time of the last seal removed with it.

    Verification starts after the newest checkpoint. It is signed like a seal (HMAC under the audit key), so a
    checkpoint cannot be made up or changed without the key, and removing it leaves a gap that verification names.
    """

    sequence = models.BigIntegerField(unique=True)
    hash = models.CharField(max_length=64)
    sealed_at = models.DateTimeField()
    month = models.CharField(max_length=7, unique=True, help_text="The month retired, as YYYY-MM.")
    events = models.PositiveBigIntegerField(help_text="How many events were retired with the month.")
    retired_at = models.DateTimeField(default=timezone.now)
    hmac = models.CharField(max_length=64)

    class Meta:
        ordering = ["sequence"]

    def __str__(self):
        return f"checkpoint of {self.month} at sequence {self.sequence}"


class AnonymousRequestTally(models.Model):
    """Requests by people not signed in, counted per address and minute rather than one event each."""

    ip = models.GenericIPAddressField()
    minute = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ip", "minute"], name="anonymous_tally_unique")]

    def __str__(self):
        return f"{self.ip} {self.minute:%Y-%m-%d %H:%M}: {self.count}"


class AuditAlert(models.Model):
    """Unusual access noticed in the trail: many children's records in a short time, or out of hours."""

    class Kind(models.TextChoices):
        MANY_RECORDS = "many_records", "Many different children's records in a short time"
        OUT_OF_HOURS = "out_of_hours", "Records opened out of hours"

    school_uuid = models.UUIDField()
    user_uuid = models.UUIDField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    window_start = models.DateTimeField()
    children = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-window_start"]
        constraints = [
            models.UniqueConstraint(fields=["school_uuid", "user_uuid", "kind", "window_start"], name="alert_unique")
        ]

    def __str__(self):
        return f"{self.get_kind_display()} at {self.window_start:%Y-%m-%d %H:%M}"
