"""Changes to a child's file by the safeguarding team: its flags, notes and actions, and acknowledging a pattern
alert. Each checks the capability, and records its event in the transaction of its change."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from referrals.models import (
    CaseNote,
    Child,
    PatternAlert,
)
from referrals.services.transfers import file_must_be_open
from safeguarding.accounts.models import User
from safeguarding.accounts.permissions import Capability, can
from safeguarding.audit.context import RequestContext
from safeguarding.audit.events import EventType
from safeguarding.audit.record import record


@transaction.atomic
def child_flags_set(*, actor: User, context: RequestContext | None, child: Child, cp_plan: bool, looked_after: bool):
    """The safeguarding flags, set by the DSL only."""
    if not can(actor, Capability.SET_FLAGS, child.school):
        raise PermissionDenied
    file_must_be_open(child)
    child = Child.objects.select_for_update().get(pk=child.pk)
    changed = [
        name for name, value in (("cp_plan", cp_plan), ("looked_after", looked_after)) if getattr(child, name) != value
    ]
    child.cp_plan, child.looked_after = cp_plan, looked_after
    child.save(update_fields=["cp_plan", "looked_after", "updated_at"])
    record(
        EventType.UPDATE,
        user=actor,
        context=context,
        school=child.school,
        object_type="child_flags",
        object_uuid=child.uuid,
        child_uuid=child.uuid,
        detail={"fields": changed},
    )
    return child


@transaction.atomic
def case_note_add(*, actor: User, context: RequestContext | None, child: Child, kind: str, text: str, happened_at):
    if not can(actor, Capability.WRITE_NOTE, child.school):
        raise PermissionDenied
    file_must_be_open(child)
    note = CaseNote.objects.create(
        child=child, school=child.school, author=actor, kind=CaseNote.Kind(kind), text=text, happened_at=happened_at
    )
    record(
        EventType.CREATE,
        user=actor,
        context=context,
        school=child.school,
        object_type="case_note",
        object_uuid=note.uuid,
        child_uuid=child.uuid,
    )
    return note


@transaction.atomic
def pattern_alert_acknowledge(*, actor: User, context: RequestContext | None, alert: PatternAlert, note: str):
    if not can(actor, Capability.ACKNOWLEDGE_ALERT, alert.child.school):
        raise PermissionDenied
    file_must_be_open(alert.child)
    if not note.strip():
        raise ValueError("Write a note on what you are doing about the alert.")
    updated = PatternAlert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=timezone.now(), acknowledged_by=actor, acknowledgement_note=note.strip()
    )
    if not updated:
        raise ValueError("Someone else acknowledged this alert first; their note is on the file.")
    record(
        EventType.UPDATE,
        user=actor,
        context=context,
        school=alert.child.school,
        object_type="pattern_alert",
        object_uuid=alert.uuid,
        child_uuid=alert.child.uuid,
        detail={"action": "acknowledged", "rule": alert.rule},
    )
