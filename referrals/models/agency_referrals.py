"""Referrals to other agencies, made from a decision, with what was shared and what came back."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from referrals.models.children import Child
from referrals.models.concerns import Concern
from referrals.models.reviews import Decision
from safeguarding.accounts.models import School, User


class Agency(models.TextChoices):
    SOCIAL_CARE = "social_care", "Children's social care (front door / MASH)"
    POLICE = "police", "Police"
    LADO = "lado", "LADO"
    EARLY_HELP = "early_help", "Early help"
    PREVENT = "prevent", "Prevent / Channel"
    NRM = "nrm", "A referral to the NRM made through children's services or the police"
    HEALTH = "health", "Health"


class AgencyDecision(models.TextChoices):
    """What children's social care decided (REQUIREMENTS.md R4.3)."""

    IMMEDIATE_PROTECTION = "immediate_protection", "Immediate protection or urgent action"
    SERVICES_REQUIRED = "services_required", "Services required"
    CHILD_IN_NEED = "child_in_need", "Child in need: section 17 assessment"
    SECTION_47 = "section_47", "Section 47 enquiries: reasonable cause to suspect significant harm"
    SPECIALIST_ASSESSMENT = "specialist_assessment", "Further specialist assessment"
    NFA_SIGNPOST = "nfa_signpost", "No further action, or signposted"


# The decision outcomes that name an agency, and the agency each refers to.
OUTCOME_AGENCIES = {
    "social_care": Agency.SOCIAL_CARE,
    "police": Agency.POLICE,
    "fgm_police_report": Agency.POLICE,
    "lado": Agency.LADO,
    "early_help": Agency.EARLY_HELP,
    "prevent": Agency.PREVENT,
    "nrm": Agency.NRM,
    "health": Agency.HEALTH,
}


class YesNoUnsure(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"
    UNSURE = "unsure", "Not sure"


class LawfulBasis(models.TextChoices):
    """The lawful basis for sharing (UK GDPR Articles 6 and 9; Data Protection Act 2018, Schedule 1)."""

    PUBLIC_TASK = "public_task", "Public task, safeguarding (UK GDPR 6(1)(e), 9(2)(g); DPA 2018 Sch. 1 para 18)"
    LEGAL_OBLIGATION = "legal_obligation", "Legal obligation (UK GDPR 6(1)(c))"
    VITAL_INTERESTS = "vital_interests", "Vital interests: someone's life may be at risk (UK GDPR 6(1)(d))"
    CONSENT = "consent", "Consent of the parent or carer, or of the young person"


class Referral(models.Model):
    """A referral and its information-sharing record: what went to whom, when, why, and what came back."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="referrals")
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="referrals")
    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="referrals")
    agency = models.CharField(max_length=20, choices=Agency.choices)
    # When it happened, as the DSL gave it, beside when it was typed in.
    made_at = models.DateTimeField(default=timezone.now)
    recorded_at = models.DateTimeField(default=timezone.now)
    made_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    agency_reference = models.CharField(max_length=100, blank=True)
    agency_contact = models.CharField("contact at the agency", max_length=200, blank=True)
    # What was shared (the information-sharing record).
    shared_concerns = models.ManyToManyField(Concern, related_name="referrals")
    # What went to the agency, as the DSL chose it on the referral form: nothing is shared by default.
    shared_child_words = models.BooleanField("the child's own words", default=False)
    shared_chronology = models.BooleanField("the relevant chronology", default=False)
    shared_rationale = models.BooleanField("the DSL's rationale", default=False)
    shared_attachments = models.ManyToManyField("referrals.Attachment", related_name="referrals", blank=True)
    purpose = models.CharField("purpose of sharing", max_length=300)
    lawful_basis = models.CharField(max_length=30, choices=LawfulBasis.choices, blank=True)
    # What a front door asks first (R4.5).
    significant_harm = models.CharField(
        "is the child suffering, or likely to suffer, significant harm?",
        max_length=10,
        choices=YesNoUnsure.choices,
        blank=True,
    )
    immediate_protection = models.BooleanField("the child needs protecting today", default=False)
    child_knows = models.CharField(
        "does the child know about the referral?", max_length=10, choices=YesNoUnsure.choices, blank=True
    )
    parents_informed = models.BooleanField("parents or carers were told")
    parents_not_informed_reason = models.TextField(blank=True)
    # What came back.
    ack_due_at = models.DateTimeField("acknowledgement due", null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledgement_recorded_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by_name = models.CharField("acknowledged by (name and team)", max_length=200, blank=True)
    agency_decision = models.CharField(max_length=30, choices=AgencyDecision.choices, blank=True)
    follow_up_on = models.DateField(null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)
    follow_up_notified_at = models.DateTimeField(null=True, blank=True)
    # A review when nothing has come back (R4.4): due after the school's interval of school days.
    review_due_on = models.DateField("review due", null=True, blank=True)
    review_notified_at = models.DateTimeField(null=True, blank=True)
    threshold_level = models.CharField("level of need applied", max_length=200, blank=True)

    class Meta:
        ordering = ["-made_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(parents_informed=True) | ~Q(parents_not_informed_reason=""),
                name="referral_says_why_parents_not_told",
            ),
        ]
        indexes = [models.Index(fields=["school", "made_at"], name="referral_school_made")]

    def __str__(self):
        return f"{self.get_agency_display()} referral of {self.made_at:%d/%m/%Y}"

    @property
    def awaiting_acknowledgement(self) -> bool:
        return self.acknowledged_at is None


class AgencyDecisionEntry(models.Model):
    """What the agency decided, as the DSL recorded it, and when the agency decided it. Written once: a later
    decision is a new entry, and the earlier one stays in the chronology."""

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="decisions")
    decision = models.CharField(max_length=30, choices=AgencyDecision.choices)
    decided_on = models.DateField("the agency decided on")
    follow_up_on = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["recorded_at", "pk"]

    def __str__(self):
        return f"{self.get_decision_display()} on {self.referral}"


class ReferralEscalation(models.Model):
    """The school took the agency's response higher under the local escalation procedure (REQUIREMENTS.md R4.4):
    why, when and to whom, then what came of it. Each escalation is its own record; the outcome is added once."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="escalations")
    escalated_on = models.DateField("the day it was escalated")
    escalated_to = models.CharField("escalated to (name and role)", max_length=200, blank=True)
    reason = models.TextField()
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    outcome = models.TextField(blank=True)
    outcome_on = models.DateField("the day of the outcome", null=True, blank=True)
    outcome_recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    outcome_recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["escalated_on", "recorded_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="escalation_has_reason"),
            models.CheckConstraint(
                condition=Q(outcome="", outcome_on__isnull=True) | (~Q(outcome="") & Q(outcome_on__isnull=False)),
                name="escalation_outcome_with_its_day",
            ),
        ]

    def __str__(self):
        return f"escalation of {self.referral} on {self.escalated_on:%d/%m/%Y}"


class ReferralMeeting(models.Model):
    """A strategy discussion, conference or meeting about the referral, dated when it was held (entered) beside
    when it was recorded. Written once."""

    class Kind(models.TextChoices):
        STRATEGY = "strategy", "Strategy discussion"
        INITIAL_CONFERENCE = "initial_conference", "Initial child protection conference"
        REVIEW_CONFERENCE = "review_conference", "Review child protection conference"
        CORE_GROUP = "core_group", "Core group meeting"
        CHILD_IN_NEED = "child_in_need", "Child in need meeting"
        TEAM_AROUND = "team_around", "Team around the family meeting"
        OTHER = "other", "Other multi-agency meeting"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="meetings")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    held_at = models.DateTimeField("when it was held")
    school_attended = models.BooleanField("the school took part", default=True)
    note = models.TextField("what was agreed", blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["held_at", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()} on {self.held_at:%d/%m/%Y}"
