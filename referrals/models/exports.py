import uuid

from django.db import models
from django.utils import timezone

from referrals.models.agency_referrals import LawfulBasis
from referrals.models.children import Child
from safeguarding.accounts.models import School, Trust, User


class ExportRecord(models.Model):
    """One export of referral records: who, when, why, with which filters, how many rows, the file's digest and
    the children it covered, so that each child's who-viewed list shows it."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel (XLSX)"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    school = models.ForeignKey(School, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    trust = models.ForeignKey(Trust, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    purpose = models.CharField(max_length=300)
    # An export that leaves the school is a disclosure, with its sharing record (REQUIREMENTS.md R10.8).
    leaves_school = models.BooleanField("the file goes outside the school", default=False)
    shared_with = models.CharField("shared with (organisation and person)", max_length=300, blank=True)
    lawful_basis = models.CharField(max_length=30, choices=LawfulBasis.choices, blank=True)
    filters = models.JSONField(default=dict)
    format = models.CharField(max_length=5, choices=Format.choices)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    row_count = models.PositiveIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    children = models.ManyToManyField(Child, related_name="exports")
    # Large exports are built by the worker into a file that can be downloaded until it expires.
    in_background = models.BooleanField(default=False)
    progress = models.PositiveIntegerField(default=0)
    expected_rows = models.PositiveIntegerField(null=True, blank=True)
    file_name = models.CharField(max_length=80, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    failed = models.BooleanField(default=False)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self):
        return f"export by {self.user} at {self.started_at:%d/%m/%Y %H:%M}"

    @property
    def ready(self) -> bool:
        return bool(self.file_name) and self.finished_at is not None and not self.failed

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()
