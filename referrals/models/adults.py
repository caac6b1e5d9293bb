"""Concerns about adults who work with children (KCSIE Part four; REQUIREMENTS.md §6).

A worry about an adult never travels through the children's queue: it is an `AdultRecord`, routed to a case manager
(the headteacher; the chair of governors or the trust's chief executive when it is about the headteacher), read by the
school's HR person, and never reached by the adult it is about (`referrals.selectors.adults.adult_records_for`).
"""

import uuid
from datetime import date

from django.db import models
from django.db.models import Q
from django.utils import timezone

from referrals.models.children import Child
from referrals.models.concerns import Concern
from safeguarding.accounts.models import School, User


class AdultRecordKind(models.TextChoices):
    ALLEGATION = "allegation", "Allegation"
    LOW_LEVEL = "low_level", "Low-level concern"


class AdultRelation(models.TextChoices):
    STAFF = "staff", "A member of staff"
    VOLUNTEER = "volunteer", "A volunteer"
    CONTRACTOR = "contractor", "A contractor"
    SUPPLY = "supply", "Supply or agency staff"
    OTHER = "other", "Someone else who works with children here"


class ManagedBy(models.TextChoices):
    """The role a record is routed to (R6.2), fixed when it is raised."""

    HEADTEACHER = "headteacher", "The headteacher"
    CHAIR = "chair", "The chair of governors"
    CHIEF_EXECUTIVE = "chief_executive", "The trust's chief executive"


class AllegationOutcome(models.TextChoices):
    """KCSIE Part four's outcomes of an allegation (R6.3)."""

    SUBSTANTIATED = "substantiated", "Substantiated: there is enough evidence to prove the allegation"
    MALICIOUS = "malicious", "Malicious: there is clear evidence of a deliberate act to deceive"
    FALSE = "false", "False: there is enough evidence to disprove the allegation"
    UNSUBSTANTIATED = "unsubstantiated", "Unsubstantiated: not enough evidence to prove or disprove it"
    UNFOUNDED = "unfounded", "Unfounded: no evidence or proper basis to support it"


# The four questions of the harm threshold (R6.1), in KCSIE's order: a "yes" to any makes the concern an allegation.
HARM_QUESTIONS = (
    ("harmed", "behaved in a way that has harmed a child, or may have harmed a child?"),
    ("offence", "possibly committed a criminal offence against or related to a child?"),
    ("risk", "behaved towards a child or children in a way that indicates they may pose a risk of harm to children?"),
    (
        "unsuitable",
        "behaved, or may have behaved, in a way that indicates they may not be suitable to work with children?",
    ),
)

NORMAL_RETIREMENT_AGE = 67
ALLEGATION_YEARS = 10


class AdultRecord(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="adult_records")
    kind = models.CharField(max_length=20, choices=AdultRecordKind.choices)
    managed_by = models.CharField(max_length=20, choices=ManagedBy.choices)

    # Who raised it, and whether it is about themselves.
    raised_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField(default=timezone.now)
    self_referral = models.BooleanField(default=False)

    # Who it is about: a person of the school's staff, or someone named.
    subject_user = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    subject_name = models.CharField(max_length=200)
    subject_relation = models.CharField(max_length=20, choices=AdultRelation.choices)
    subject_job_title = models.CharField(max_length=200, blank=True)
    about_headteacher = models.BooleanField(default=False)

    # What happened, and the answers to the harm threshold's four questions.
    harmed = models.BooleanField()
    offence = models.BooleanField()
    risk = models.BooleanField()
    unsuitable = models.BooleanField()
    happened_on = models.DateField()
    account = models.TextField()
    context = models.TextField(blank=True)
    action_taken = models.TextField(blank=True)
    children = models.ManyToManyField(Child, blank=True, related_name="+")
    # Children named by the person raising it whom the school's roll did not match, as they were given.
    children_named = models.TextField(blank=True)
    moved_from = models.OneToOneField(
        Concern, on_delete=models.PROTECT, null=True, blank=True, related_name="moved_to_adults"
    )

    # The LADO (allegations): one working day to discuss it with the designated officer.
    lado_due_at = models.DateTimeField(null=True, blank=True)
    lado_reminded_at = models.DateTimeField(null=True, blank=True)
    lado_escalated_at = models.DateTimeField(null=True, blank=True)
    lado_discussed_at = models.DateTimeField(null=True, blank=True)
    lado_name = models.CharField(max_length=200, blank=True)
    lado_advice = models.TextField(blank=True)
    # A third low-level concern about the same adult in the school's window prompts the case manager (R6.6).
    pattern_prompted_at = models.DateTimeField(null=True, blank=True)

    # The close (R6.3, R6.4).
    outcome = models.CharField(max_length=20, choices=AllegationOutcome.choices, blank=True)
    summary = models.TextField(blank=True)
    follow_up = models.TextField(blank=True)
    actions_and_decisions = models.TextField(blank=True)
    copy_given_on = models.DateField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    # Retention (R9.3, R9.4): what the dates are worked out from, and the date that feeds the review queue.
    subject_birth_date = models.DateField(null=True, blank=True)
    retirement_age = models.PositiveSmallIntegerField(default=NORMAL_RETIREMENT_AGE)
    employment_ended_on = models.DateField(null=True, blank=True)
    retain_until = models.DateField(null=True, blank=True)

    # A malicious allegation removed from personnel records (R9.3): what remains proves the removal.
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    removal_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-raised_at"]
        indexes = [models.Index(fields=["school", "closed_at"], name="adult_record_open")]
        constraints = [
            models.CheckConstraint(condition=~Q(account=""), name="adult_record_has_account"),
            models.CheckConstraint(
                condition=Q(kind="allegation") | Q(lado_due_at__isnull=True), name="adult_lado_clock_for_allegations"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.reference}"

    @property
    def reference(self) -> str:
        return f"{'A' if self.kind == AdultRecordKind.ALLEGATION else 'L'}-{str(self.uuid)[:8].upper()}"

    @property
    def outcome_short(self) -> str:
        return self.get_outcome_display().split(":")[0] if self.outcome else ""

    @property
    def is_allegation(self) -> bool:
        return self.kind == AdultRecordKind.ALLEGATION

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def lado_overdue(self) -> bool:
        return (
            self.lado_due_at is not None
            and self.lado_discussed_at is None
            and self.closed_at is None
            and timezone.now() > self.lado_due_at
        )

    def status_for_raiser(self) -> str:
        """What the person who raised it is told: received, being looked at, or dealt with; nothing of the case."""
        if self.closed_at is not None:
            return "Dealt with"
        # A list of submissions annotates `has_entries` (one query for all); one record asks its own.
        has_entries = getattr(self, "has_entries", None)
        if has_entries is None:
            has_entries = self.entries.exists()
        if self.lado_discussed_at is not None or has_entries:
            return "Being looked into"
        return "Received"

    def retention_date(self) -> date | None:
        """Allegations: until normal retirement age or ten years from the allegation, whichever is longer (R9.3).
        Low-level concerns: at least until employment ends (R9.4); none while the person still works here."""
        raised = timezone.localdate(self.raised_at)
        if self.is_allegation:
            ten_years = _years_after(raised, ALLEGATION_YEARS)
            if self.subject_birth_date is None:
                return ten_years
            return max(ten_years, _years_after(self.subject_birth_date, self.retirement_age))
        return self.employment_ended_on


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


class AdultEntry(models.Model):
    """A dated step of a case: the LADO's advice, a strategy meeting, a suspension decision, an action, a DBS or
    Teaching Regulation Agency referral (R5.5), a note. Dated as it happened, written when it was written."""

    class Kind(models.TextChoices):
        STRATEGY = "strategy", "Strategy discussion or meeting"
        SUSPENSION = "suspension", "Suspension decision"
        ACTION = "action", "Action taken"
        DECISION = "decision", "Decision"
        DBS_REFERRAL = "dbs_referral", "Referral to the DBS"
        TRA_REFERRAL = "tra_referral", "Referral to the Teaching Regulation Agency"
        NOTE = "note", "Note"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    record = models.ForeignKey(AdultRecord, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    happened_on = models.DateField()
    text = models.TextField()
    reference = models.CharField(max_length=100, blank=True)
    # For a DBS or TRA referral: the person had resigned or left before it was made.
    person_left = models.BooleanField(default=False)
    written_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["happened_on", "written_at"]
        constraints = [models.CheckConstraint(condition=~Q(text=""), name="adult_entry_has_text")]

    def __str__(self):
        return f"{self.get_kind_display()} on {self.happened_on}"

    @property
    def is_regulatory(self) -> bool:
        return self.kind in (self.Kind.DBS_REFERRAL, self.Kind.TRA_REFERRAL)
