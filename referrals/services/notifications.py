"""Marking notifications read: only ever by a deliberate act of the person they are for (the "Mark all as read"
button, or opening one), never as a side effect of a page a link from another site could open."""

from django.db import transaction
from django.utils import timezone

from referrals.models import Notification
from safeguarding.accounts.models import User
from safeguarding.audit.context import RequestContext
from safeguarding.audit.events import EventType
from safeguarding.audit.record import record


@transaction.atomic
def notifications_mark_read(
    *, user: User, context: RequestContext | None, notification: Notification | None = None
) -> int:
    """Mark the person's unread notifications read (all of them, or the one given); returns how many changed. The
    change is recorded with that count."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification is not None:
        unread = unread.filter(pk=notification.pk)
    count = unread.update(read_at=timezone.now())
    record(
        EventType.UPDATE,
        user=user,
        context=context,
        school=notification.school if notification is not None else None,
        object_type="notification",
        object_uuid=notification.uuid if notification is not None else None,
        row_count=count,
        detail={"action": "marked_read"},
    )
    return count
