"""Exploitation screenings (REQUIREMENTS.md §8): the tools loaded, each version kept as it was; and each screening
of a child, with the tool and version it used, every item as the DSL confirmed it with its sources, the floors that
applied and the DSL's reasons for any band they chose. A screening is never changed: a later one supersedes it."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from referrals.models.children import Child
from referrals.models.concerns import Concern
from referrals.models.context import ContextEntity
from referrals.models.reviews import Action
from referrals.screening_tools import Tool
from safeguarding.accounts.models import School, User


class ScreeningTool(models.Model):
    """One version of a screening tool, from its file. Loading a new version adds a row; none is ever changed."""

    tool_id = models.CharField(max_length=60)
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    definition = models.JSONField(help_text="The checked tool, as referrals.screening_tools.Tool reads it.")
    source_text = models.TextField(help_text="The file as loaded.")
    sha256 = models.CharField(max_length=64)
    licence_required = models.BooleanField(default=False)
    licence_ref = models.CharField(
        "licence reference", max_length=200, blank=True, help_text="Needed before a licensed tool can be chosen."
    )
    loaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["tool_id", "-version"]
        constraints = [models.UniqueConstraint(fields=["tool_id", "version"], name="screening_tool_version_once")]

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        return f"{self.tool_id}@{self.version}"

    @property
    def usable(self) -> bool:
        return not self.licence_required or bool(self.licence_ref)

    def tool(self) -> Tool:
        return Tool.from_json(self.definition)


class EvidenceBasis(models.TextChoices):
    """Whether an item rests on what someone saw, heard or was told, or on a professional's unease (R8.4)."""

    EVIDENCE = "evidence", "Evidence: seen, heard or told"
    CONCERN = "professional_concern", "Professional concern (gut feeling)"


class Screening(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="screenings")
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+")
    tool = models.ForeignKey(ScreeningTool, on_delete=models.PROTECT, related_name="screenings")
    done_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    done_at = models.DateTimeField(default=timezone.now)
    # The child as the floors saw them on the day.
    child_age = models.PositiveSmallIntegerField()
    learning_disability = models.BooleanField()
    significant_harm = models.BooleanField("reasonable cause to suspect significant harm")
    narrative = models.TextField("what the DSL makes of it")
    score = models.PositiveIntegerField()
    band_by_score = models.CharField(max_length=60)
    floor_band = models.CharField(max_length=60, blank=True)
    band = models.CharField(max_length=60)
    band_label = models.CharField(max_length=200)
    floor_reasons = models.JSONField(default=list)
    referral_prompted = models.JSONField(default=list, help_text="The agencies a referral to was prompted.")
    overridden = models.BooleanField(default=False)
    override_rationale = models.TextField("why the band was moved", blank=True)
    pathway = models.TextField()
    # The review task raised when the screening is due again, once.
    review_action = models.OneToOneField(
        Action, on_delete=models.SET_NULL, null=True, blank=True, related_name="screening_reviewed"
    )

    class Meta:
        ordering = ["done_at", "pk"]
        indexes = [models.Index(fields=["child", "-done_at"], name="screening_child_latest")]
        constraints = [
            models.CheckConstraint(
                condition=Q(overridden=False) | ~Q(override_rationale=""), name="screening_override_has_a_reason"
            )
        ]

    def __str__(self):
        return f"screening of {self.done_at:%d/%m/%Y}"


class ScreeningAnswer(models.Model):
    """One item of the tool as the DSL left it: present or not and, when present, when and on what basis, with the
    concerns and linked entities it was filled from and anything the DSL added."""

    screening = models.ForeignKey(Screening, on_delete=models.PROTECT, related_name="answers")
    item_key = models.CharField(max_length=60)
    label_at_time = models.CharField(max_length=300)
    kind = models.CharField(max_length=20)
    points = models.PositiveSmallIntegerField()
    present = models.BooleanField()
    suggested = models.BooleanField(help_text="Filled from what staff recorded.")
    basis = models.CharField(max_length=20, choices=EvidenceBasis.choices, blank=True)
    when = models.CharField("when (a date or a period)", max_length=100, blank=True)
    source = models.CharField("how the DSL knows", max_length=300, blank=True)
    concerns = models.ManyToManyField(Concern, blank=True, related_name="screening_answers")
    entities = models.ManyToManyField(ContextEntity, blank=True, related_name="screening_answers")

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["screening", "item_key"], name="screening_item_once"),
            # R8.4: a present item says when and on what basis.
            models.CheckConstraint(
                condition=Q(present=False) | (~Q(basis="") & ~Q(when="")), name="screening_item_when_and_basis"
            ),
        ]

    def __str__(self):
        return f"{self.item_key} in {self.screening}"
