"""A child moving school (KCSIE Annex C; REQUIREMENTS.md §7): the task of sending the child protection file to the
next school, its checklist, how it went and the confirmation of receipt; and, when nobody knows where the child
went, the children missing education task and the hold that keeps the file from ever being disposed of."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from referrals.models.children import Child
from safeguarding.accounts.models import School, User


class TransferKind(models.TextChoices):
    SEND_FILE = "send_file", "Send the child protection file"
    MISSING_EDUCATION = "missing_education", "Children missing education: destination unknown"


class TransferStatus(models.TextChoices):
    TO_SEND = "to_send", "To send"
    SENT = "sent", "Sent: waiting for confirmation of receipt"
    RECEIVED = "received", "Receipt confirmed"
    NO_FILE = "no_file", "No child protection file to send"
    DONE = "done", "Local authority told"
    CANCELLED = "cancelled", "Cancelled"


OPEN_TRANSFER_STATUSES = (TransferStatus.TO_SEND, TransferStatus.SENT)


class TransferRoute(models.TextChoices):
    SAFEGUARD = "safeguard", "To the new school's DSL on Safeguard"
    LINK = "link", "By a secure link, opened with a code given by phone"
    PAPER = "paper", "By hand, on paper"


class AdvanceSharing(models.TextChoices):
    NOT_NEEDED = "not_needed", "Nothing needs sharing before the file arrives"
    SHARED = "shared", "Shared with the new school before the move"


class Transfer(models.Model):
    """One leaver's task at the school they left: sending the file (or recording that there is none), or, when the
    destination is unknown, telling the local authority. A sent file is complete only once receipt is confirmed."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="transfers_out")
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="transfers")
    kind = models.CharField(max_length=20, choices=TransferKind.choices)
    status = models.CharField(max_length=20, choices=TransferStatus.choices, default=TransferStatus.TO_SEND)
    left_on = models.DateField("left on")
    due_on = models.DateField("due on")
    destination = models.CharField("new school", max_length=200, blank=True)
    destination_urn = models.CharField("new school's URN", max_length=7, blank=True)
    to_school = models.ForeignKey(
        School, on_delete=models.PROTECT, null=True, blank=True, related_name="transfers_in", help_text="On Safeguard."
    )
    created_at = models.DateTimeField(default=timezone.now)

    # The checklist before sending (R7.5).
    advance_sharing = models.CharField(max_length=20, choices=AdvanceSharing.choices, blank=True)
    advance_note = models.TextField("what was shared in advance, with whom and when", blank=True)
    receiving_dsl_name = models.CharField("the new school's DSL", max_length=150, blank=True)
    receiving_dsl_email = models.EmailField("their email address", blank=True)
    receiving_dsl_phone = models.CharField("their phone number", max_length=30, blank=True)

    # Sending (R7.2): what went, when, by whom and how.
    route = models.CharField(max_length=20, choices=TransferRoute.choices, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    package_name = models.CharField(max_length=64, blank=True, help_text="The stored package, by its random name.")
    package_sha256 = models.CharField(max_length=64, blank=True)
    manifest_sha256 = models.CharField(max_length=64, blank=True)
    item_count = models.PositiveIntegerField(null=True, blank=True)

    # A secure link: only digests are kept; the code is given by phone.
    link_digest = models.CharField(max_length=64, blank=True, db_index=True)
    code_digest = models.CharField(max_length=64, blank=True)
    link_expires_at = models.DateTimeField(null=True, blank=True)
    link_opened_at = models.DateTimeField(null=True, blank=True)
    downloaded_at = models.DateTimeField(null=True, blank=True)
    wrong_codes = models.PositiveSmallIntegerField(default=0)

    # Receipt (R7.2, R12.9): who received it and when; on Safeguard, the record it became at the new school.
    received_at = models.DateTimeField(null=True, blank=True)
    received_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    received_by_name = models.CharField("received by", max_length=150, blank=True)
    received_child = models.ForeignKey(
        Child, on_delete=models.PROTECT, null=True, blank=True, related_name="received_transfers"
    )
    # The sending school's copy once receipt is confirmed (R7.6): the trust's policy, as it stood then.
    copy_policy = models.CharField(max_length=20, blank=True)
    copy_review_on = models.DateField(null=True, blank=True)

    # Reminders, each sent once: a follow-up when receipt is unconfirmed at the due date, escalation when unsent.
    follow_up_raised_at = models.DateTimeField(null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)

    # Closing the task another way: nothing to send, the local authority told, or cancelled.
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    close_note = models.TextField(blank=True)

    class Meta:
        ordering = ["due_on", "pk"]
        indexes = [
            models.Index(fields=["school", "status", "due_on"], name="transfer_school_open"),
            models.Index(fields=["to_school", "status"], name="transfer_incoming"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["child", "kind"],
                condition=Q(status__in=["to_send", "sent"]),
                name="one_open_transfer_task_per_kind",
            ),
            models.CheckConstraint(
                condition=~Q(status="received") | (Q(received_at__isnull=False) & ~Q(received_by_name="")),
                name="transfer_received_names_who_and_when",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} due {self.due_on:%d/%m/%Y}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_TRANSFER_STATUSES

    def overdue_on(self, today) -> bool:
        return self.is_open and self.due_on < today


class HoldReason(models.TextChoices):
    DESTINATION_UNKNOWN = "destination_unknown", "Destination unknown"
    LEGAL = "legal", "Legal hold (court, police or inquiry)"


class FileHold(models.Model):
    """A hold on a child's file: while it stands, nothing of the file may be disposed of (R7.7, R9)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="holds")
    reason = models.CharField(max_length=30, choices=HoldReason.choices)
    note = models.TextField(blank=True)
    placed_at = models.DateTimeField(default=timezone.now)
    placed_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    lift_note = models.TextField(blank=True)

    class Meta:
        ordering = ["placed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["child", "reason"], condition=Q(lifted_at__isnull=True), name="one_standing_hold_per_reason"
            )
        ]

    def __str__(self):
        return f"{self.get_reason_display()} hold"

    @property
    def standing(self) -> bool:
        return self.lifted_at is None
