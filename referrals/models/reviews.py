"""The safeguarding team's record of a concern: decisions with reasons, closures, notes and pattern alerts."""

import uuid

from django.db import models
from django.utils import timezone

from referrals.models.children import Child
from referrals.models.concerns import Concern
from safeguarding.accounts.models import School, User


class Outcome(models.TextChoices):
    NO_FURTHER_ACTION = "nfa", "No further action"
    MONITOR = "monitor", "Monitor in school"
    EARLY_HELP = "early_help", "Early help"
    SOCIAL_CARE = "social_care", "Refer to children's social care"
    POLICE = "police", "Police"
    LADO = "lado", "LADO"
    PREVENT = "prevent", "Prevent / Channel"
    HEALTH = "health", "Health (school nurse, CAMHS, GP)"
    SEEK_ADVICE = "seek_advice", "Seek advice"
    FGM_POLICE_REPORT = "fgm_police_report", "FGM police report"
    NRM = "nrm", "National Referral Mechanism, through children's services or the police"


class Threshold(models.TextChoices):
    """The levels of need offered until a school sets its local partners' own (REQUIREMENTS.md R4.6)."""

    UNIVERSAL = "universal", "Universal: needs met in school"
    EARLY_HELP = "early_help", "Early help"
    CHILD_IN_NEED = "child_in_need", "Child in need (section 17)"
    CHILD_PROTECTION = "child_protection", "Child protection (section 47)"


class Decision(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    concern = models.ForeignKey(Concern, on_delete=models.PROTECT, related_name="decisions")
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)
    rationale = models.TextField()
    # One of the school's levels of need as it stood when decided, or a key of Threshold before it set them.
    threshold = models.CharField(max_length=200, blank=True)
    next_review = models.DateField(null=True, blank=True)
    # The child's earlier concerns the rationale weighs: a referral that shares the rationale lists them.
    relies_on = models.ManyToManyField(Concern, blank=True, related_name="relied_on_by")

    class Meta:
        ordering = ["decided_at"]
        constraints = [models.CheckConstraint(condition=~models.Q(rationale=""), name="decision_has_rationale")]
        indexes = [
            # A concern's first decision (the reports' time to decide), and the decisions of a period.
            models.Index(fields=["concern", "decided_at"], name="decision_concern_decided"),
            models.Index(fields=["decided_at"], name="decision_decided_at"),
        ]

    def __str__(self):
        return f"decision on {self.concern}"

    @property
    def threshold_label(self) -> str:
        return Threshold(self.threshold).label if self.threshold in Threshold.values else self.threshold


class DecisionOutcome(models.Model):
    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="outcomes")
    outcome = models.CharField(max_length=20, choices=Outcome.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["decision", "outcome"], name="decision_outcome_once")]

    def __str__(self):
        return self.get_outcome_display()


class Closure(models.Model):
    """What KCSIE asks of a closed record: the summary, how it was followed up and resolved, and the outcome."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    concern = models.ForeignKey(Concern, on_delete=models.PROTECT, related_name="closures")
    closed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(default=timezone.now)
    summary = models.TextField()
    follow_up = models.TextField()
    outcome = models.TextField()
    reopened_at = models.DateTimeField(null=True, blank=True)
    reopened_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reopen_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["closed_at"]

    def __str__(self):
        return f"closure of {self.concern}"


class CaseNote(models.Model):
    """A call, a meeting or a task the DSL records on a child's file."""

    class Kind(models.TextChoices):
        NOTE = "note", "Note"
        CALL = "call", "Call"
        MEETING = "meeting", "Meeting"
        ACTION = "action", "Action"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="case_notes")
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.NOTE)
    text = models.TextField()
    happened_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["happened_at"]

    def __str__(self):
        return f"{self.get_kind_display()} on {self.happened_at:%d/%m/%Y}"


class PatternAlert(models.Model):
    """A pattern rule that fired for a child, naming the concerns that fired it. Never closes or downgrades."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="pattern_alerts")
    rule = models.CharField(max_length=40)
    explanation = models.CharField(max_length=300)
    concerns = models.ManyToManyField(Concern, related_name="pattern_alerts")
    fingerprint = models.CharField(max_length=64, help_text="The rule and the concerns that fired it.")
    created_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    acknowledgement_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["child", "fingerprint"], name="pattern_alert_once")]

    def __str__(self):
        return f"{self.rule} for {self.child}"


class InformationRequest(models.Model):
    """The DSL asks the author for more; the author answers with an addendum."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    concern = models.ForeignKey(Concern, on_delete=models.PROTECT, related_name="information_requests")
    asked_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    question = models.TextField()
    asked_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["asked_at"]

    def __str__(self):
        return f"question on {self.concern}"


class ConcernMove(models.Model):
    """A concern logged against the wrong child, moved by the DSL with a reason; both chronologies show it."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    concern = models.ForeignKey(Concern, on_delete=models.PROTECT, related_name="moves")
    from_child = models.ForeignKey(Child, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    to_child = models.ForeignKey(Child, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    moved_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    moved_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["moved_at"]

    def __str__(self):
        return f"move of {self.concern}"


class Action(models.Model):
    """A task the DSL or a deputy gives a named member of the school's staff, about a child (and, when it arose
    from one, a concern), with a date it is due. Its owner completes it with a short note."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+")
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="actions")
    concern = models.ForeignKey(Concern, on_delete=models.PROTECT, null=True, blank=True, related_name="actions")
    what = models.CharField("what to do", max_length=300)
    owner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="actions")
    due_on = models.DateField("due on")
    assigned_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    completion_note = models.TextField(blank=True)

    class Meta:
        ordering = ["due_on", "pk"]
        indexes = [
            models.Index(fields=["owner", "completed_at", "due_on"], name="action_owner_open"),
            models.Index(fields=["school", "completed_at", "due_on"], name="action_school_open"),
        ]

    def __str__(self):
        return f"Action due {self.due_on:%d/%m/%Y}"

    @property
    def is_open(self) -> bool:
        return self.completed_at is None

    def overdue_on(self, today) -> bool:
        return self.completed_at is None and self.due_on < today


class RiskNeedsAssessment(models.Model):
    """After a report of sexual violence between children, the DSL's immediate risk and needs assessment (KCSIE Part
    five; REQUIREMENTS.md R3.7): required before the concern can close. After sexual harassment the DSL is prompted
    to consider one: the prompt stays in the concern's history, and closing is not held up."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    concern = models.OneToOneField(Concern, on_delete=models.PROTECT, related_name="risk_assessment")
    required = models.BooleanField(help_text="Sexual violence: required. Sexual harassment: to consider.")
    prompted_at = models.DateTimeField(default=timezone.now)
    recorded_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    not_needed_reason = models.TextField("why no assessment is needed", blank=True)
    risks = models.TextField(
        "risks", blank=True, help_text="To the child who reported, to the child reported, and to other children."
    )
    needs_and_arrangements = models.TextField(
        "support and arrangements",
        blank=True,
        help_text="Support for each child, and what keeps them safe at school: separation, supervision, timetable.",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(required=False) | models.Q(not_needed_reason=""),
                name="assessment_required_cannot_be_waived",
            )
        ]

    def __str__(self):
        return f"risk and needs assessment for {self.concern}"

    @property
    def done(self) -> bool:
        return self.recorded_at is not None
