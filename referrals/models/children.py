import uuid

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from referrals.upn import upn_problem
from safeguarding.accounts.models import School


class YearGroup(models.TextChoices):
    NURSERY = "N", "Nursery"
    RECEPTION = "R", "Reception"
    Y1 = "1", "Year 1"
    Y2 = "2", "Year 2"
    Y3 = "3", "Year 3"
    Y4 = "4", "Year 4"
    Y5 = "5", "Year 5"
    Y6 = "6", "Year 6"
    Y7 = "7", "Year 7"
    Y8 = "8", "Year 8"
    Y9 = "9", "Year 9"
    Y10 = "10", "Year 10"
    Y11 = "11", "Year 11"
    Y12 = "12", "Year 12"
    Y13 = "13", "Year 13"

    @classmethod
    def age_reached_in_school_year(cls, value: str) -> int:
        """The age a child of this year group reaches during the school year (Reception: 5, Year 1: 6)."""
        return {"N": 4, "R": 5}.get(value) or int(value) + 5


class Sex(models.TextChoices):
    FEMALE = "F", "Female"
    MALE = "M", "Male"
    UNKNOWN = "U", "Not known"


class SendStatus(models.TextChoices):
    NONE = "none", "No special educational needs"
    SEN_SUPPORT = "sen_support", "SEN support"
    EHC_PLAN = "ehc_plan", "Education, health and care plan"


class RollStatus(models.TextChoices):
    ON_ROLL = "on_roll", "On roll"
    NOT_ON_ROLL = "not_on_roll", "Not on roll"
    LEFT = "left", "Left"


def validate_upn(value: str) -> None:
    problem = upn_problem(value)
    if problem:
        raise ValidationError(f"This UPN {problem}.")


def validate_past_date(value) -> None:
    if value > timezone.localdate():
        raise ValidationError("A date of birth cannot be in the future.")


class Child(models.Model):
    """A child of a school, on its roll or not (a sibling, a child of another school named in a concern).

    The roster details are kept by the school admins; the safeguarding flags (looked after, child
    protection plan) only by the DSL, from the child's file.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="children")
    legal_first_name = models.CharField(max_length=100)
    legal_last_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True, help_text="Only if different from the legal name.")
    date_of_birth = models.DateField(validators=[validate_past_date])
    upn = models.CharField("UPN", max_length=13, blank=True, validators=[validate_upn])
    year_group = models.CharField(max_length=2, choices=YearGroup.choices, blank=True)
    sex = models.CharField(max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    gender = models.CharField("gender, if different", max_length=50, blank=True)
    send = models.CharField("SEND", max_length=20, choices=SendStatus.choices, default=SendStatus.NONE)
    learning_disability = models.BooleanField(
        "has a learning disability",
        default=False,
        help_text="A diagnosed learning disability, as the school's records hold it: not special needs in general.",
    )
    roll_status = models.CharField(max_length=20, choices=RollStatus.choices, default=RollStatus.ON_ROLL)
    left_on = models.DateField(null=True, blank=True)
    destination = models.CharField(
        "new school",
        max_length=200,
        blank=True,
        help_text="Where the child went when they left. Leave it blank if nobody knows: the DSL is then asked to "
        "start the children missing education procedure.",
    )
    destination_urn = models.CharField(
        "new school's URN",
        max_length=7,
        blank=True,
        validators=[RegexValidator(r"^\d{6,7}$", "A URN is six or seven digits.")],
        help_text="If you know it: a school on Safeguard then receives the file directly.",
    )
    # What a multi-agency referral form asks and the school's MIS holds (REQUIREMENTS.md R4.5).
    address = models.TextField("home address", blank=True)
    previous_address = models.TextField("previous address", blank=True, help_text="If the family moved recently.")
    home_language = models.CharField("first language", max_length=60, blank=True)
    interpreter_needed = models.BooleanField("the family needs an interpreter", default=False)
    communication_needs = models.CharField(
        "communication needs", max_length=200, blank=True, help_text="For the child or the family, if any."
    )
    ethnicity = models.CharField(max_length=80, blank=True)
    religion = models.CharField("religion (optional)", max_length=80, blank=True)
    household = models.TextField(
        "other people in the household",
        blank=True,
        help_text="Names, relationship to the child and ages of the children, one per line.",
    )
    gp = models.CharField("GP (name and practice)", max_length=200, blank=True)
    other_agencies = models.TextField(
        "other agencies involved",
        blank=True,
        help_text="For example a social worker, early help worker, CAMHS or a youth offending team, with contacts.",
    )
    siblings = models.ManyToManyField("self", blank=True, help_text="Brothers and sisters at the trust's schools.")
    # Safeguarding flags: set by the DSL on the child's file, never from the roster.
    looked_after = models.BooleanField("looked-after child", default=False)
    cp_plan = models.BooleanField("child protection plan", default=False)
    # Set when the new school confirmed receipt of the file (REQUIREMENTS.md R7.6): from then on it is read only.
    transferred_at = models.DateTimeField(null=True, blank=True)
    # After a review that kept the file: when it is next reviewed (else its date of birth + the trust's years, R9.1).
    review_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["legal_last_name", "legal_first_name"]
        verbose_name_plural = "children"
        constraints = [
            models.UniqueConstraint(fields=["school", "upn"], condition=~Q(upn=""), name="child_upn_unique_in_school"),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(roll_status=RollStatus.LEFT), name="child_left_on_only_if_left"
            ),
        ]
        indexes = [
            models.Index(fields=["school", "legal_last_name", "legal_first_name"], name="child_school_name"),
            models.Index(fields=["school", "year_group"], name="child_school_year"),
        ]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        first = self.preferred_name or self.legal_first_name
        return f"{first} {self.legal_last_name}"

    @property
    def is_transferred(self) -> bool:
        return self.transferred_at is not None

    @property
    def age(self) -> int:
        today = timezone.localdate()
        born = self.date_of_birth
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


class Carer(models.Model):
    """A parent or carer of a child: who holds parental responsibility, and how to reach them."""

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="carers")
    name = models.CharField(max_length=150)
    relationship = models.CharField("relationship to the child", max_length=60, help_text="For example mother.")
    parental_responsibility = models.BooleanField("has parental responsibility", default=False)
    lives_with_child = models.BooleanField("lives with the child", default=True)
    phone = models.CharField(max_length=30, blank=True)
    email = models.EmailField(blank=True)
    address = models.TextField("address, if not the child's", blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self):
        return f"{self.name} ({self.relationship})"
