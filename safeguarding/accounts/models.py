import uuid
from datetime import time

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django_otp.models import Device, TimestampMixin

from safeguarding.accounts.addresses import PLAIN_EMAIL, EmailNotPlain, email_normalise
from safeguarding.accounts.roles import Role


class UserManager(BaseUserManager):
    use_in_migrations = True

    def with_email(self, address: str) -> models.QuerySet:
        """The account with this address however it was written; none for an address with no plain spelling."""
        try:
            return self.filter(email=email_normalise(address))
        except EmailNotPlain:
            return self.none()

    def get_by_natural_key(self, email):
        # An exact match on the one spelling the lock-out counts under, never a case-insensitive one.
        return self.with_email(email).get()

    def create_user(self, email, password=None, **fields):
        if not email:
            raise ValueError("A user needs an email address.")
        user = self.model(email=email_normalise(email), **fields)
        user.set_password(password) if password else user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **fields):
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in by email. What they may do comes from their memberships."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField("email address", max_length=254, unique=True)
    full_name = models.CharField(max_length=150)
    job_title = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    # Only platform operators (superusers) use the Django admin.
    is_staff = models.BooleanField("platform operator", default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(email=Lower("email")), name="user_email_lower_case"),
            models.CheckConstraint(condition=Q(email__regex=PLAIN_EMAIL), name="user_email_plain"),
        ]

    def __str__(self):
        return self.full_name or self.email

    def clean(self):
        super().clean()
        if not self.email:
            return
        try:
            self.email = email_normalise(self.email)
        except EmailNotPlain as error:
            raise ValidationError({"email": str(error)}) from None

    def get_full_name(self):
        return self.full_name

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email


class TransferDays(models.TextChoices):
    CALENDAR = "calendar", "Calendar days"
    SCHOOL = "school", "School days"


class RetainedCopy(models.TextChoices):
    KEEP = "keep", "Keep the sending school's copy, read only"
    REMOVE = "remove", "Put the copy up for removal after a period"


class HeadCasesTo(models.TextChoices):
    CHAIR = "chair", "The school's chair of governors"
    CHIEF_EXECUTIVE = "chief_executive", "The trust's chief executive"


class Trust(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200, unique=True)
    # Moving schools (REQUIREMENTS.md R7.1, R7.6): KCSIE's five days, and what becomes of the copy left behind.
    transfer_days = models.CharField(
        "count the five days to send a file in",
        max_length=10,
        choices=TransferDays.choices,
        default=TransferDays.CALENDAR,
        help_text="KCSIE does not say which; calendar days are the safer reading.",
    )
    transfer_copy = models.CharField(
        "after a transfer, the sending school's copy",
        max_length=10,
        choices=RetainedCopy.choices,
        default=RetainedCopy.KEEP,
    )
    transfer_copy_months = models.PositiveSmallIntegerField(
        "months before the copy is put up for removal",
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
    )
    # Retention (REQUIREMENTS.md R9.1, R9.5): a child's file is reviewed this many years after their birth (25, or
    # longer where the local authority asks); the audit trail is kept this many years.
    file_review_years = models.PositiveSmallIntegerField(
        "years from a child's date of birth to the review of their file",
        default=25,
        validators=[MinValueValidator(25), MaxValueValidator(100)],
    )
    audit_years = models.PositiveSmallIntegerField(
        "years the audit trail is kept", default=10, validators=[MinValueValidator(6), MaxValueValidator(100)]
    )
    # The people, vehicles, places and accounts around children: one linked to two or more children within this many
    # days of each other raises an alert.
    context_window_days = models.PositiveSmallIntegerField(
        "days within which one person, vehicle, place or account linked to two children raises an alert",
        default=90,
        validators=[MinValueValidator(7), MaxValueValidator(730)],
    )
    # Concerns about adults (REQUIREMENTS.md R6.2): who manages one about a school's headteacher.
    head_cases_to = models.CharField(
        "a concern about a headteacher goes to",
        max_length=20,
        choices=HeadCasesTo.choices,
        default=HeadCasesTo.CHAIR,
    )
    # Exploitation screening (REQUIREMENTS.md R8.7): the tool the trust's schools use unless a school chooses its own.
    screening_tool = models.CharField(
        "exploitation screening tool",
        max_length=60,
        default="safeguard-exploitation",
        help_text="The newest version loaded is used; earlier screenings keep the version they were done with.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def threshold_level_names(self) -> list[str]:
        return [line.strip() for line in self.threshold_levels.splitlines() if line.strip()]


class School(models.Model):
    """A school, with its hours, its clocks and the contacts its staff need."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    trust = models.ForeignKey(Trust, on_delete=models.PROTECT, related_name="schools")
    name = models.CharField(max_length=200)
    urn = models.CharField(
        "URN",
        max_length=7,
        unique=True,
        validators=[RegexValidator(r"^\d{6,7}$", "A URN is six or seven digits.")],
    )
    local_authority = models.CharField(max_length=120)

    day_starts = models.TimeField("school day starts", default=time(8, 30))
    day_ends = models.TimeField("school day ends", default=time(15, 30))

    # Review clocks (DESIGN.md §4). Each school may change them.
    sla_immediate_minutes = models.PositiveSmallIntegerField("immediate risk: acknowledge within (minutes)", default=15)
    sla_today_late_hours = models.PositiveSmallIntegerField(
        "today: working hours allowed when raised late in the day", default=2
    )
    sla_routine_working_days = models.PositiveSmallIntegerField("routine: acknowledge within (working days)", default=1)
    referral_ack_working_days = models.PositiveSmallIntegerField(
        "children's social care referral: acknowledgement due within (working days)", default=1
    )
    referral_review_school_days = models.PositiveSmallIntegerField(
        "review a referral with no outcome after (school days)",
        default=20,
        validators=[MinValueValidator(1), MaxValueValidator(200)],
    )
    # The local safeguarding partners' levels of need (REQUIREMENTS.md R4.6): the DSL records which applied.
    threshold_document_url = models.URLField(
        "local threshold document (link)",
        blank=True,
        help_text="The levels of need, or continuum of need, your local safeguarding partners publish.",
    )
    threshold_levels = models.TextField(
        "levels of need",
        blank=True,
        help_text="One level per line, in the words of your threshold document. Until you set them, four general "
        "levels are offered: universal, early help, child in need (section 17) and child protection (section 47).",
    )
    screening_tool = models.CharField(
        "exploitation screening tool",
        max_length=60,
        blank=True,
        help_text="The tool your local safeguarding partners ask for. Leave it blank to use the trust's choice.",
    )

    # Unusual access (DESIGN.md §6): flagged on the audit page and emailed to the DSL.
    unusual_access_children = models.PositiveSmallIntegerField(
        "flag more than this many different children's records opened by one person in ten minutes", default=20
    )
    access_hours_start = models.TimeField("records opened before this time are flagged", default=time(7, 0))
    access_hours_end = models.TimeField("records opened after this time are flagged", default=time(19, 0))

    # Pattern alerts (DESIGN.md §5): explainable rules, each with the school's own thresholds.
    pattern_exploitation_signs = models.PositiveSmallIntegerField("exploitation alert: distinct signs", default=3)
    pattern_exploitation_days = models.PositiveSmallIntegerField("exploitation alert: within (days)", default=90)
    pattern_exploitation_reporters = models.PositiveSmallIntegerField(
        "exploitation alert: from at least (staff)", default=2
    )
    pattern_frequency_concerns = models.PositiveSmallIntegerField("frequency alert: concerns", default=4)
    pattern_frequency_days = models.PositiveSmallIntegerField("frequency alert: within (days)", default=30)

    # Everyone signs in with a second factor (REQUIREMENTS.md R12.1); this is the school's recorded exception.
    staff_password_only = models.BooleanField(
        "staff may sign in with a password alone",
        default=False,
        help_text="Everyone with a role above staff always uses a second factor.",
    )
    # Set on the schools that existed when a second factor became the rule, until their DSL has read why.
    second_factor_notice = models.BooleanField(default=False)

    headteacher_name = models.CharField(max_length=150, blank=True)
    headteacher_email = models.EmailField(blank=True)
    headteacher_phone = models.CharField(max_length=30, blank=True)
    front_door_name = models.CharField(
        "children's social care front door", max_length=200, blank=True, help_text="For example the local MASH."
    )
    front_door_phone = models.CharField("front door phone", max_length=30, blank=True)
    front_door_out_of_hours_phone = models.CharField("out-of-hours phone", max_length=30, blank=True)
    front_door_email = models.EmailField("front door email", blank=True)
    # Children missing education (REQUIREMENTS.md R7.7): who at the local authority is told of a leaver whose
    # destination is unknown.
    missing_education_contact = models.CharField(
        "children missing education contact",
        max_length=200,
        blank=True,
        help_text="The local authority's children missing education officer or team.",
    )
    missing_education_phone = models.CharField("their phone", max_length=30, blank=True)
    missing_education_email = models.EmailField("their email", blank=True)
    # Concerns about adults (R6.6): a third low-level concern about one adult within this window prompts the case
    # manager to consider the LADO.
    low_level_window_months = models.PositiveSmallIntegerField(
        "months in which three low-level concerns about one adult prompt a LADO referral",
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(day_starts__lt=models.F("day_ends")), name="school_day_starts_first"),
        ]

    def __str__(self):
        return self.name

    @property
    def threshold_level_names(self) -> list[str]:
        """The school's own levels of need, one per line of its setting; empty until the DSL sets them."""
        return [line.strip() for line in self.threshold_levels.splitlines() if line.strip()]


class ClosureDay(models.Model):
    """A day the school is closed on top of weekends and bank holidays (INSET days, holidays)."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="closure_days")
    date = models.DateField()
    description = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["school", "date"], name="closure_day_unique")]

    def __str__(self):
        return f"{self.school}: {self.date:%d/%m/%Y}"


class HolidayCover(models.Model):
    """Who covers safeguarding for a week the school is closed: a named DSL or deputy, or the local authority's
    out-of-hours team and its number. Set by the DSL; a concern raised while the school is closed goes to them."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="holiday_cover")
    week_starting = models.DateField(help_text="The Monday of the week covered.")
    covered_by = models.ForeignKey(
        "Membership", on_delete=models.PROTECT, null=True, blank=True, related_name="holiday_cover"
    )
    team_name = models.CharField("out-of-hours team", max_length=200, blank=True)
    team_phone = models.CharField(max_length=40, blank=True)
    set_by = models.ForeignKey("User", on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["week_starting"]
        constraints = [
            models.UniqueConstraint(fields=["school", "week_starting"], name="one_cover_per_school_week"),
            models.CheckConstraint(
                condition=Q(covered_by__isnull=False) | ~Q(team_phone=""), name="cover_names_a_person_or_a_number"
            ),
        ]

    def __str__(self):
        return f"{self.school}: week of {self.week_starting:%d/%m/%Y}"

    @property
    def who(self) -> str:
        if self.covered_by_id:
            return f"{self.covered_by.user.full_name} ({self.covered_by.get_role_display()})"
        return f"{self.team_name or 'the out-of-hours team'} on {self.team_phone}"


class MembershipQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True, user__is_active=True)


class Membership(models.Model):
    """A person's role in one school, or across a whole trust (trust lead, auditor)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="memberships")
    school = models.ForeignKey(School, on_delete=models.PROTECT, null=True, blank=True, related_name="memberships")
    trust = models.ForeignKey(Trust, on_delete=models.PROTECT, null=True, blank=True, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.STAFF)
    is_active = models.BooleanField("active", default=True)
    can_export = models.BooleanField("may export referral records", default=False)
    # A DSL the school has designated to manage concerns about adults beside the headteacher (R6.2, R6.7).
    manages_adult_concerns = models.BooleanField("manages concerns about adults", default=False)
    dsl_trained_on = models.DateField("DSL training date", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["user__full_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school"], condition=Q(role=Role.DSL, is_active=True), name="one_active_dsl_per_school"
            ),
            models.UniqueConstraint(
                fields=["user", "school"], condition=Q(school__isnull=False), name="one_membership_per_school"
            ),
            models.UniqueConstraint(
                fields=["user", "trust"], condition=Q(trust__isnull=False), name="one_membership_per_trust"
            ),
            models.CheckConstraint(
                condition=(Q(school__isnull=False) & Q(trust__isnull=True))
                | (Q(school__isnull=True) & Q(trust__isnull=False)),
                name="membership_school_or_trust",
            ),
            models.CheckConstraint(
                condition=Q(trust__isnull=True)
                | Q(role__in=[Role.TRUST_LEAD, Role.AUDITOR, Role.CHIEF_EXECUTIVE, Role.DPO]),
                name="membership_trust_roles",
            ),
            models.CheckConstraint(
                condition=Q(school__isnull=True) | ~Q(role__in=[Role.TRUST_LEAD, Role.CHIEF_EXECUTIVE, Role.DPO]),
                name="membership_trust_lead_has_trust",
            ),
            models.CheckConstraint(
                condition=Q(can_export=False) | Q(role=Role.SCHOOL_ADMIN),
                name="membership_export_for_school_admins",
            ),
            models.CheckConstraint(
                condition=Q(manages_adult_concerns=False) | Q(role=Role.DSL),
                name="membership_adult_cases_for_dsls",
            ),
        ]

    def __str__(self):
        return f"{self.user}, {self.get_role_display()}, {self.school or self.trust}"

    @property
    def scope(self):
        return self.school or self.trust


class UserSession(models.Model):
    """The sessions a person has open, so deactivating them or resetting their factor ends every one."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="open_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    started_at = models.DateTimeField(default=timezone.now)
    # Shown to the person on their sessions page, so they can tell their own devices from someone else's.
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    def __str__(self):
        return f"{self.user} since {self.started_at:%d/%m/%Y %H:%M}"


class RecoveryCode(models.Model):
    """A one-time code that stands in for the second factor when the phone is lost. Shown once, when issued; only a
    keyed digest is kept, and a used code stays (marked) so that a second use is recognised and recorded."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"recovery code of {self.user}"


class Passkey(TimestampMixin, Device):
    """A passkey (a WebAuthn credential kept by the person's phone, computer or security key).

    Only the public key is kept. The credential is discoverable, so signing in with it needs no email address; the
    phone checks the person (fingerprint, face or PIN) before it signs, so a passkey alone counts as both factors.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    credential_id = models.CharField(max_length=1400, unique=True)  # base64url, as the browser sends it
    public_key = models.BinaryField()
    sign_count = models.PositiveBigIntegerField(default=0)
    transports = models.JSONField(default=list, blank=True)
    backed_up = models.BooleanField(default=False)

    class Meta:
        ordering = ["created_at"]

    def __str__(self):
        return f"passkey {self.name!r} of {self.user}"
