"""Writes of the roster: the details a school admin keeps. The safeguarding flags are not among them."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from referrals.models import Child
from safeguarding.accounts.models import School, User
from safeguarding.accounts.permissions import Capability, can
from safeguarding.audit.context import RequestContext
from safeguarding.audit.events import EventType
from safeguarding.audit.record import record

# The only fields the roster may write; looked_after and cp_plan belong to the DSL.
ROSTER_FIELDS = (
    "legal_first_name",
    "legal_last_name",
    "preferred_name",
    "date_of_birth",
    "upn",
    "year_group",
    "sex",
    "gender",
    "send",
    "roll_status",
    "left_on",
    "destination",
)
# What a pupil import sets; the rest (roll status, leaving details) stays as the roster has it.
IMPORT_FIELDS = (
    "upn",
    "legal_first_name",
    "legal_last_name",
    "preferred_name",
    "date_of_birth",
    "year_group",
    "sex",
    "send",
)


def _roster_values(values: dict) -> dict:
    unknown = set(values) - set(ROSTER_FIELDS)
    if unknown:
        raise ValueError(f"Not roster fields: {', '.join(sorted(unknown))}")
    return values


def _audit(event_type, *, actor, context, child: Child, fields, reason="") -> None:
    """Record a roster change: which fields changed, never their values."""
    record(
        event_type,
        user=actor,
        context=context,
        school=child.school,
        object_type="child_roster",
        object_uuid=child.uuid,
        child_uuid=child.uuid,
        reason=reason,
        detail={"fields": sorted(fields)},
    )


@transaction.atomic
def child_create(*, actor: User, context: RequestContext | None = None, school: School, values: dict) -> Child:
    if not can(actor, Capability.MANAGE_ROSTER, school):
        raise PermissionDenied
    child = Child(school=school, **_roster_values(values))
    child.full_clean()
    child.save()
    _audit(EventType.CREATE, actor=actor, context=context, child=child, fields=values)
    return child


@transaction.atomic
def child_update_roster(*, actor: User, context: RequestContext | None = None, child: Child, values: dict) -> Child:
    if not can(actor, Capability.MANAGE_ROSTER, child.school):
        raise PermissionDenied
    child = Child.objects.select_for_update().get(pk=child.pk)
    for field, value in _roster_values(values).items():
        setattr(child, field, value)
    child.full_clean()
    child.save(update_fields=[*values, "updated_at"])
    _audit(EventType.UPDATE, actor=actor, context=context, child=child, fields=values)
    return child


@dataclass
class ImportCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@transaction.atomic
def roster_import(*, school: School, rows: list[dict], progress=None) -> ImportCounts:
    """Create or update the school's pupils from checked rows, matching existing pupils by UPN.

    All in one transaction: a failure part-way leaves the roster as it was.
    """
    counts = ImportCounts()
    existing = {child.upn: child for child in Child.objects.select_for_update().filter(school=school).exclude(upn="")}
    to_create, to_update = [], []
    for number, row in enumerate(rows, start=1):
        child = existing.get(row["upn"])
        if child is None:
            to_create.append(Child(school=school, **_roster_values(row)))
            counts.created += 1
        elif any(getattr(child, name) != value for name, value in row.items()):
            for name, value in row.items():
                setattr(child, name, value)
            child.updated_at = timezone.now()
            to_update.append(child)
            counts.updated += 1
        else:
            counts.unchanged += 1
        if progress is not None:
            progress(number, len(rows))
    Child.objects.bulk_create(to_create, batch_size=500)
    if to_update:
        Child.objects.bulk_update(to_update, fields=[*IMPORT_FIELDS, "updated_at"], batch_size=500)
    for event_type, children in ((EventType.CREATE, to_create), (EventType.UPDATE, to_update)):
        for child in children:
            _audit(event_type, actor=None, context=None, child=child, fields=IMPORT_FIELDS, reason="import_pupils")
    return counts
