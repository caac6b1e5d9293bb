"""Reviews of a child's file at the end of its keeping period, and the certificate a disposal leaves (REQUIREMENTS.md
R9.1, R9.6)."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from referrals.models.children import Child
from safeguarding.accounts.models import School, User


class ReviewStatus(models.TextChoices):
    DUE = "due", "Due for review"
    RETAINED = "retained", "Kept, with a new review date"
    PROPOSED = "proposed", "Disposal proposed, waiting for a second person"
    DISPOSED = "disposed", "Disposed of"


class DisposalCertificate(models.Model):
    """What a disposal removed, when, why and on whose authority: ids and counts, never content. The audit events
    that named the child keep its id, and the trail shows them as "a disposed file (certificate N)"."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+")
    child_uuid = models.UUIDField(unique=True)
    counts = models.JSONField(default=dict)
    files_removed = models.PositiveIntegerField(default=0)
    rationale = models.TextField()
    proposed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    confirmed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    disposed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["disposed_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(proposed_by=models.F("confirmed_by")), name="disposal_by_two_people")
        ]

    def __str__(self):
        return f"disposal certificate {self.number}"

    @property
    def number(self) -> str:
        return f"D-{self.pk:05d}"


class RetentionReview(models.Model):
    """A child's file that reached its review date: kept with a new date and reason, or disposed of with a rationale
    by one person and confirmed by a second."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+")
    child = models.ForeignKey(Child, on_delete=models.SET_NULL, null=True, blank=True, related_name="reviews")
    child_uuid = models.UUIDField()
    due_on = models.DateField()
    queued_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=20, choices=ReviewStatus.choices, default=ReviewStatus.DUE)
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    retain_until = models.DateField(null=True, blank=True)
    reason = models.TextField(blank=True)
    proposed_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    proposed_at = models.DateTimeField(null=True, blank=True)
    rationale = models.TextField(blank=True)
    certificate = models.OneToOneField(
        DisposalCertificate, on_delete=models.PROTECT, null=True, blank=True, related_name="review"
    )

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["child_uuid"],
                condition=Q(status__in=["due", "proposed"]),
                name="one_open_review_per_file",
            )
        ]

    def __str__(self):
        return f"review due {self.due_on}"

    @property
    def is_open(self) -> bool:
        return self.status in (ReviewStatus.DUE, ReviewStatus.PROPOSED)


class DisposalUnderway(models.Model):
    """A row exists only inside the transaction of a disposal: the append-only tables of a child's file (body map
    marks, agency decisions, referral meetings) let their rows be deleted then, and at no other time. Another
    transaction never sees the row."""

    started_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"disposal underway since {self.started_at}"
