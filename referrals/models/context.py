"""The people, vehicles, places and online accounts around children: what staff typed on a concern (a mention), the
thing itself once a DSL confirmed it (an entity, one per trust), and the DSL's confirmation that a mention is that
entity (a link), undone with a reason but never deleted while the file is kept."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from referrals.context_values import ContextKind
from referrals.models.children import Child
from referrals.models.concerns import Concern
from safeguarding.accounts.models import School, Trust, User


class ContextEntity(models.Model):
    """One person, vehicle, place or account known to a trust's DSLs, by its key (see referrals.context_values)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    trust = models.ForeignKey(Trust, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=ContextKind.choices)
    key = models.CharField(max_length=200)
    label = models.CharField(max_length=200)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["trust", "kind", "key"], name="context_entity_once_per_trust")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.label}"


class ContextMention(models.Model):
    """What one member of staff typed about something around the child of a concern. Never the child's own home."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+")
    concern = models.ForeignKey(Concern, on_delete=models.PROTECT, related_name="context_mentions")
    kind = models.CharField(max_length=10, choices=ContextKind.choices)
    # A person: name or nickname, rough age, description, how the child knows them. A vehicle: registration, make,
    # colour. A place: its name or address, and a postcode kept as its district. An account: platform and handle.
    name = models.CharField(max_length=200, blank=True)
    approximate_age = models.CharField(max_length=40, blank=True)
    description = models.CharField(max_length=500, blank=True)
    how_known = models.CharField("how the child knows them", max_length=200, blank=True)
    registration = models.CharField(max_length=20, blank=True)
    make = models.CharField(max_length=60, blank=True)
    colour = models.CharField(max_length=40, blank=True)
    postcode_district = models.CharField(max_length=8, blank=True)
    platform = models.CharField(max_length=60, blank=True)
    handle = models.CharField(max_length=100, blank=True)
    key = models.CharField(max_length=200, blank=True)
    typed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["kind", "key"], name="context_mention_key")]

    def __str__(self):
        return f"{self.get_kind_display()} on {self.concern}"


class ContextLink(models.Model):
    """A DSL's confirmation that a mention on a child's concern is an entity. A wrong link is undone with a reason;
    the link and its undoing both stay in the history."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    entity = models.ForeignKey(ContextEntity, on_delete=models.PROTECT, related_name="links")
    mention = models.ForeignKey(ContextMention, on_delete=models.PROTECT, related_name="links")
    linked_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    linked_at = models.DateTimeField(default=timezone.now)
    undone_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    undone_at = models.DateTimeField(null=True, blank=True)
    undo_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["linked_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["mention"], condition=Q(undone_at__isnull=True), name="context_mention_one_standing_link"
            ),
            models.CheckConstraint(
                condition=Q(undone_at__isnull=True) | ~Q(undo_reason=""), name="context_link_undone_with_a_reason"
            ),
        ]

    def __str__(self):
        return f"{self.mention} as {self.entity}"

    @property
    def standing(self) -> bool:
        return self.undone_at is None


class ContextAlert(models.Model):
    """One entity linked to two or more different children within the trust's window. The DSLs of the children's
    schools see it with their own children named; across schools it goes to the trust lead, who sees them all. It
    closes when an undone link leaves fewer than two children."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    trust = models.ForeignKey(Trust, on_delete=models.PROTECT, related_name="+")
    entity = models.ForeignKey(ContextEntity, on_delete=models.PROTECT, related_name="alerts")
    children = models.ManyToManyField(Child, related_name="context_alerts")
    concerns = models.ManyToManyField(Concern, related_name="context_alerts")
    schools = models.ManyToManyField(School, related_name="+")
    fired_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-fired_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["entity"], condition=Q(closed_at__isnull=True), name="context_alert_one_open_per_entity"
            )
        ]

    def __str__(self):
        return f"alert about {self.entity}"

    @property
    def across_schools(self) -> bool:
        return len({child.school_id for child in self.children.all()}) > 1
