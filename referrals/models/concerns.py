import uuid

from django.db import models
from django.db.models import Case, IntegerField, Q, Value, When
from django.utils import timezone

from referrals.body_map import MarkKind, Side, region_label
from referrals.models.children import Child
from referrals.models.indicators import Indicator
from safeguarding.accounts.models import School, User


class Urgency(models.TextChoices):
    IMMEDIATE = "immediate", "Immediate risk"
    TODAY = "today", "Today"
    ROUTINE = "routine", "Routine"


class ConcernStatus(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    IN_REVIEW = "in_review", "In review"
    DECIDED = "decided", "Decided"
    CLOSED = "closed", "Closed"


# The queue's order, most urgent first; the open concerns' index is built on the same expression.
URGENCY_RANK = Case(
    When(urgency=Urgency.IMMEDIATE, then=Value(0)),
    When(urgency=Urgency.TODAY, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


class Basis(models.TextChoices):
    SEEN = "seen", "I saw it"
    TOLD = "told", "I was told"
    PROFESSIONAL = "professional", "Professional concern"


# What the author is shown of where their concern has got to: nothing of the DSL's work.
AUTHOR_STATUS = {
    ConcernStatus.SUBMITTED: "Received",
    ConcernStatus.IN_REVIEW: "Acknowledged",
    ConcernStatus.DECIDED: "Acted on",
    ConcernStatus.CLOSED: "Acted on",
}


class Incident(models.Model):
    """Concerns raised together, one per child, from one submission of the form."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="incidents")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="incidents")
    # The form's one-time key: the same submission sent twice (a double tap, a retry) creates one incident.
    submission_key = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"incident {self.uuid}"


class Concern(models.Model):
    """What a member of staff saw or heard about one child. Never edited once submitted: corrections are addenda."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(max_length=20, unique=True)
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="concerns")
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="concerns")
    child = models.ForeignKey(Child, on_delete=models.PROTECT, null=True, blank=True, related_name="concerns")
    # A child not on the school's roll: what the author knows; the DSL links or creates the record later.
    unlisted_child_name = models.CharField(max_length=200, blank=True)
    unlisted_child_details = models.TextField(blank=True)
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="concerns")
    author_role = models.CharField(max_length=20)
    status = models.CharField(max_length=20, choices=ConcernStatus.choices, default=ConcernStatus.SUBMITTED)
    urgency = models.CharField(max_length=20, choices=Urgency.choices)
    observed_at = models.DateTimeField()
    recorded_at = models.DateTimeField(default=timezone.now)
    location = models.CharField(max_length=200, blank=True)
    account = models.TextField("what was seen or heard")
    child_words = models.TextField("the child's own words", blank=True)
    people_present = models.CharField(max_length=500, blank=True)
    action_taken = models.TextField(blank=True)
    dsl_told_in_person = models.BooleanField(default=False)
    # FGM: a known case (she said it was done, or signs of it were seen) is the teacher's own duty to report to the
    # police; a risk that it may be done is a safeguarding referral like any other (REQUIREMENTS.md R5.4).
    fgm_known_case = models.BooleanField("FGM appears to have been carried out", null=True, blank=True)
    fgm_police_reported = models.BooleanField("reported to the police (FGM duty)", null=True, blank=True)
    fgm_police_reference = models.CharField(max_length=100, blank=True)
    # The review (DESIGN.md §3): the clock, who acknowledged it, who has it. `version` goes up with every change,
    # so two people acting at once are told rather than overwriting each other.
    ack_due_at = models.DateTimeField("acknowledgement due", null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    assigned_to = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-recorded_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(child__isnull=False) | ~Q(unlisted_child_name=""), name="concern_names_a_child"
            ),
        ]
        indexes = [
            models.Index(fields=["school", "status", "urgency"], name="concern_school_status"),
            # The reports count a school's concerns over a period, by month, urgency and category.
            models.Index(fields=["school", "recorded_at"], name="concern_school_recorded"),
            # The queue reads a school's open concerns in its own order, a page at a time: a scan of this index
            # rather than a sort of every open concern, and untouched by however many are closed.
            models.Index(
                "school",
                URGENCY_RANK,
                "recorded_at",
                "id",
                condition=~Q(status=ConcernStatus.CLOSED),
                name="concern_open_queue",
            ),
        ]

    def __str__(self):
        return self.reference

    @property
    def author_status(self) -> str:
        return AUTHOR_STATUS[ConcernStatus(self.status)]

    @property
    def child_display_name(self) -> str:
        return self.child.display_name if self.child else self.unlisted_child_name


class ConcernIndicator(models.Model):
    concern = models.ForeignKey(Concern, on_delete=models.PROTECT, related_name="indicators")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    basis = models.CharField(max_length=20, choices=Basis.choices)
    # The label as it read when the concern was written: labels may change in later taxonomy versions.
    label_at_time = models.CharField(max_length=160)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["concern", "indicator"], name="concern_indicator_once")]

    def __str__(self):
        return f"{self.label_at_time} ({self.get_basis_display()})"


class Addendum(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    concern = models.ForeignKey(Concern, on_delete=models.PROTECT, related_name="addenda")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    author_role = models.CharField(max_length=20)
    reason = models.CharField(max_length=300)
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]
        verbose_name_plural = "addenda"

    def __str__(self):
        return f"addendum to {self.concern}"


class BodyMark(models.Model):
    """A mark or injury placed on the body map of a concern: written once, with the concern, and never changed.

    x and y are in the outline's own units (referrals/body_map.py); `region` names the part of the body."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    concern = models.ForeignKey(Concern, on_delete=models.PROTECT, related_name="body_marks")
    number = models.PositiveSmallIntegerField()
    side = models.CharField(max_length=5, choices=Side.choices)
    region = models.CharField(max_length=20)
    x = models.PositiveSmallIntegerField()
    y = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=10, choices=MarkKind.choices)
    size = models.CharField(max_length=60, blank=True)
    colour = models.CharField(max_length=60, blank=True)
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["concern", "number"], name="one_number_per_mark")]

    def __str__(self):
        return f"mark {self.number} on {self.concern}"

    @property
    def region_label(self) -> str:
        return region_label(self.side, self.region)


class ConcernDraft(models.Model):
    """What a member of staff has typed so far, saved on the server as they type, so nothing is lost."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    author = models.ForeignKey(User, on_delete=models.CASCADE, related_name="concern_drafts")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    data = models.JSONField(default=dict)
    submission_key = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # Nothing typed waits unseen: its author is reminded at the end of the school day, the DSL a working day later.
    author_reminded_at = models.DateTimeField(null=True, blank=True)
    dsl_told_at = models.DateTimeField(null=True, blank=True)
    # A draft untouched for 30 days is deleted only a week after its author and the DSL were told it would be.
    deletion_notice_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["author", "school"], name="one_draft_per_author_school")]

    def __str__(self):
        return f"draft by {self.author} at {self.updated_at:%d/%m/%Y %H:%M}"


class Attachment(models.Model):
    """A file added to a concern, checked by content and stored outside the web root under a random name.

    While the concern is being written it hangs on the draft; on submission it moves to the incident."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+")
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    # Set when the concern is submitted: the file belongs to every concern of the incident.
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, null=True, blank=True, related_name="attachments")
    draft = models.ForeignKey(
        ConcernDraft, on_delete=models.SET_NULL, null=True, blank=True, related_name="attachments"
    )
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    stored_name = models.CharField(max_length=80, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    @property
    def kind_label(self) -> str:
        """The file's type in words a reader knows."""
        if self.is_image:
            return "Picture"
        if self.content_type == "application/pdf":
            return "PDF document"
        if "wordprocessingml" in self.content_type:
            return "Word document"
        return "Document"


class Escalation(models.Model):
    """A concern past its acknowledgement time: level 1 is a second, marked notice to the DSL and deputies,
    level 2 goes to the headteacher contact as well. Each level is sent once."""

    class Level(models.IntegerChoices):
        TEAM = 1, "Second notice to the DSL and deputies"
        HEADTEACHER = 2, "Notice to the headteacher"

    concern = models.ForeignKey(Concern, on_delete=models.PROTECT, related_name="escalations")
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]
        constraints = [models.UniqueConstraint(fields=["concern", "level"], name="escalation_once_per_level")]

    def __str__(self):
        return f"{self.get_level_display()} for {self.concern}"


class Notification(models.Model):
    """An in-app notice: the bell in the header. It links to what it is about (a concern, a child's file, a
    referral or an action), and the page names the child; an email never does."""

    class Kind(models.TextChoices):
        NEW_CONCERN = "new_concern", "New concern"
        ESCALATION = "escalation", "Not yet acknowledged: overdue"
        PATTERN = "pattern", "Pattern alert"
        INFORMATION_REQUEST = "information_request", "Question about your concern"
        REFERRAL_OVERDUE = "referral_overdue", "Referral not yet acknowledged by the agency"
        REFERRAL_FOLLOW_UP = "referral_follow_up", "Referral follow-up due"
        REFERRAL_REVIEW = "referral_review", "Referral with no outcome: time to review"
        ACTION = "action", "An action for you"
        TRANSFER_TASK = "transfer_task", "A leaver's child protection file to send"
        TRANSFER_IN = "transfer_in", "A child protection file sent to your school"
        TRANSFER_OVERDUE = "transfer_overdue", "A child protection file not yet sent: overdue"
        TRANSFER_FOLLOW_UP = "transfer_follow_up", "A sent file not yet confirmed received"
        MISSING_EDUCATION = "missing_education", "A leaver whose destination is unknown"
        ADULT_NEW = "adult_new", "A concern about an adult, for you as case manager"
        ADULT_LADO_DUE = "adult_lado_due", "The LADO is still to be told of an allegation"
        ADULT_LADO_OVERDUE = "adult_lado_overdue", "The LADO not told of an allegation in one working day: overdue"
        ADULT_PATTERN = "adult_pattern", "Low-level concerns about one adult: consider the LADO"
        ACCESS_DUE = "access_due", "A subject access request due soon"
        ACCESS_OVERDUE = "access_overdue", "A subject access request past its due date"
        ACCESS_SIGN_OFF = "access_sign_off", "Redactions of a subject access request to sign off"
        CONTEXT_ALERT = "context_alert", "One person, vehicle, place or account linked to several children"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    concern = models.ForeignKey(Concern, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    child = models.ForeignKey(Child, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    action = models.ForeignKey("referrals.Action", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    transfer = models.ForeignKey(
        "referrals.Transfer", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    adult_record = models.ForeignKey(
        "referrals.AdultRecord", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    access_request = models.ForeignKey(
        "referrals.AccessRequest", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    context_alert = models.ForeignKey(
        "referrals.ContextAlert", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    urgency = models.CharField(max_length=20, choices=Urgency.choices, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.recipient}"
