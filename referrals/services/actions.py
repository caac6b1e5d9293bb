"""Actions: the DSL or a deputy gives a named member of staff something to do about a child, by a date; the owner
(or the team) completes it with a short note. Each change is recorded; the owner's email names no child."""

from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from referrals.models import Action, Child, Concern, Notification
from referrals.services.transfers import file_must_be_open
from safeguarding.accounts.models import Membership, User
from safeguarding.accounts.permissions import Capability, can
from safeguarding.audit.context import RequestContext
from safeguarding.audit.events import EventType
from safeguarding.audit.record import record
from safeguarding.core.emails import email_enqueue


class ActionConflict(Exception):
    """The action was completed by someone else in the meantime."""


def action_owners(*, school) -> list[User]:
    """Who may be given an action at `school`: its active staff, of any role."""
    return list(
        User.objects.filter(
            pk__in=Membership.objects.active().filter(school=school).values("user"), is_active=True
        ).order_by("full_name")
    )


@transaction.atomic
def action_assign(
    *,
    actor: User,
    context: RequestContext | None,
    child: Child,
    what: str,
    owner: User,
    due_on: date,
    concern: Concern | None = None,
) -> Action:
    if not can(actor, Capability.ASSIGN_ACTION, child.school):
        raise PermissionDenied
    file_must_be_open(child)
    if owner not in action_owners(school=child.school):
        raise ValueError("Choose a member of this school's staff.")
    if concern is not None and concern.child_id != child.pk:
        raise ValueError("That concern is not about this child.")
    what = what.strip()
    if not what:
        raise ValueError("Say what is to be done.")
    if due_on < timezone.localdate():
        raise ValueError("The due date has passed: choose today or a later day.")
    action = Action.objects.create(
        school=child.school, child=child, concern=concern, what=what, owner=owner, due_on=due_on, assigned_by=actor
    )
    record(
        EventType.CREATE,
        user=actor,
        context=context,
        school=child.school,
        object_type="action",
        object_uuid=action.uuid,
        child_uuid=child.uuid,
        detail={"owner": str(owner.uuid), "due_on": due_on.isoformat()},
    )
    Notification.objects.create(
        recipient=owner, school=child.school, kind=Notification.Kind.ACTION, action=action, child=child
    )
    email_enqueue(
        to=[owner.email],
        subject="Safeguard: an action for you",
        body=(
            f"{actor.full_name} has given you an action in Safeguard, due on {due_on:%A %d %B %Y}.\n\n"
            "Sign in to Safeguard to see what it is; it is on your home page.\n"
        ),
    )
    return action


@transaction.atomic
def action_complete(*, actor: User, context: RequestContext | None, action: Action, note: str) -> Action:
    """Mark `action` done with what was done, by its owner or by someone who may give actions at its school."""
    action = Action.objects.select_for_update().select_related("school", "child").get(pk=action.pk)
    if actor.pk != action.owner_id and not can(actor, Capability.ASSIGN_ACTION, action.school):
        raise PermissionDenied
    if action.completed_at is not None:
        raise ActionConflict("This action has already been marked done.")
    note = note.strip()
    if not note:
        raise ValueError("Say in a line what was done.")
    action.completed_at = timezone.now()
    action.completed_by = actor
    action.completion_note = note
    action.save(update_fields=["completed_at", "completed_by", "completion_note"])
    record(
        EventType.UPDATE,
        user=actor,
        context=context,
        school=action.school,
        object_type="action",
        object_uuid=action.uuid,
        child_uuid=action.child.uuid,
        detail={"action": "completed"},
    )
    return action
