"""One way to reach each record.

Each record is reached through one `access_*` function: it scopes the query by what the person may do (the
capability table in `safeguarding.accounts.permissions`), answers a record out of reach with the same 404 as one that
does not exist, and records the read once. A write that needs the record passes `record_read=False`: the write records
its own event, and is not a view.
"""

import uuid

from django.db.models import Q, QuerySet
from django.http import Http404

from referrals.models import (
    Attachment,
    Child,
    Concern,
    Notification,
    PatternAlert,
    Referral,
)
from safeguarding.accounts.access import school_get_for_user
from safeguarding.accounts.models import School, User
from safeguarding.accounts.permissions import Capability, schools_where
from safeguarding.audit.context import RequestContext
from safeguarding.audit.events import EventType
from safeguarding.audit.record import record


def roster_school_get(*, user: User, school_uuid: uuid.UUID) -> School:
    """The school whose roster `user` keeps: 404 for strangers, 403 for its members without the role."""
    return school_get_for_user(user=user, school_uuid=school_uuid, capability=Capability.MANAGE_ROSTER)


def _access(
    records: QuerySet, *, user: User, context: RequestContext, record_read: bool, object_type: str, missing: str
):
    """The one record of `records` (already scoped to the person), its read recorded unless `record_read` is false;
    404 with `missing` when there is none, whether it does not exist or is out of the person's reach."""
    found = records.first()
    if found is None:
        raise Http404(missing)
    if record_read:
        record_view(found, user=user, context=context, object_type=object_type)
    return found


def record_view(found, *, user: User, context: RequestContext, object_type: str) -> None:
    """Record that the person was shown `found`, a record reached with `record_read=False` and then shown after
    all (a form sent back with its errors beside the record's details)."""
    record(
        EventType.VIEW,
        user=user,
        context=context,
        school=found.school,
        object_type=object_type,
        object_uuid=found.uuid,
        child_uuid=_child_uuid(found),
    )


def _child_uuid(found) -> uuid.UUID | None:
    """The child a record is about, for the child's who-viewed list: the child itself, the record's child, or none."""
    if isinstance(found, Child):
        return found.uuid
    child = getattr(found, "child", None)
    return child.uuid if child is not None else None


def access_roster_child(
    *, user: User, context: RequestContext, school: School, child_uuid: uuid.UUID, record_read: bool = True
) -> Child:
    """A pupil of the roster of `school` (a school the person keeps the roster of, from `roster_school_get`)."""
    children = Child.objects.filter(school=school, uuid=child_uuid).select_related("school")
    return _access(
        children,
        user=user,
        context=context,
        record_read=record_read,
        object_type="child_roster",
        missing="No such pupil.",
    )


def access_child(*, user: User, context: RequestContext, child_uuid, record_read: bool = True) -> Child:
    """A child's file: for those who may read it at the child's school (the DSL, deputies, the trust lead)."""
    children = Child.objects.filter(
        uuid=child_uuid, school__in=schools_where(user, Capability.READ_CHILD_FILE)
    ).select_related("school")
    return _access(
        children,
        user=user,
        context=context,
        record_read=record_read,
        object_type="child_file",
        missing="No such child.",
    )


def access_alert(*, child: Child, alert_uuid) -> PatternAlert:
    """A pattern alert on the file of `child` (a child reached through `access_child`)."""
    alert = PatternAlert.objects.filter(uuid=alert_uuid, child=child).select_related("child__school").first()
    if alert is None:
        raise Http404("No such alert.")
    return alert


def access_concern(*, user: User, context: RequestContext, concern_uuid, record_read: bool = True) -> Concern:
    """A concern, as the safeguarding team reviews it: for those who may read the queue of its school. Acting on it
    needs more (see the services), which each service checks."""
    concerns = (
        Concern.objects.filter(uuid=concern_uuid, school__in=schools_where(user, Capability.READ_QUEUE))
        .select_related("child", "author", "school", "assigned_to", "acknowledged_by")
        .prefetch_related("indicators", "addenda", "decisions__outcomes", "closures", "information_requests")
    )
    return _access(
        concerns, user=user, context=context, record_read=record_read, object_type="concern", missing="No such concern."
    )


def access_referral(*, user: User, context: RequestContext, referral_uuid, record_read: bool = True) -> Referral:
    """A referral to an agency: for those who may read referrals at its school."""
    referrals = (
        Referral.objects.filter(uuid=referral_uuid, school__in=schools_where(user, Capability.READ_REFERRAL))
        .select_related("school", "child", "made_by", "decision")
        .prefetch_related("shared_concerns")
    )
    return _access(
        referrals,
        user=user,
        context=context,
        record_read=record_read,
        object_type="referral",
        missing="No such referral.",
    )


def access_own_concern(*, user: User, context: RequestContext, concern_uuid, record_read: bool = True) -> Concern:
    """The author's own concern, with what they wrote and its status, never the DSL's work; 404 for anyone else."""
    concerns = (
        Concern.objects.filter(
            uuid=concern_uuid, author=user, school__in=schools_where(user, Capability.READ_OWN_CONCERNS)
        )
        .select_related("child", "school", "incident")
        .prefetch_related("indicators", "addenda", "incident__attachments", "information_requests")
    )
    return _access(
        concerns, user=user, context=context, record_read=record_read, object_type="concern", missing="No such concern."
    )


def access_attachment(*, user: User, context: RequestContext, attachment_uuid) -> Attachment:
    """A file of one's own concern (or draft); 404 for anyone else. The download is recorded."""
    attachment = (
        Attachment.objects.filter(uuid=attachment_uuid, school__in=schools_where(user, Capability.READ_OWN_CONCERNS))
        .filter(Q(incident__author=user) | Q(draft__author=user))
        .select_related("school")
        .first()
    )
    if attachment is None:
        raise Http404("No such file.")
    child_uuids = (
        list(attachment.incident.concerns.exclude(child=None).values_list("child__uuid", flat=True))
        if attachment.incident_id
        else []
    )
    # One event per child the file concerns, so that each child's who-viewed list shows the download.
    for child_uuid in child_uuids or [None]:
        record(
            EventType.DOWNLOAD,
            user=user,
            context=context,
            school=attachment.school,
            object_type="attachment",
            object_uuid=attachment.uuid,
            child_uuid=child_uuid,
        )
    return attachment


def access_incident(*, user: User, context: RequestContext, incident_uuid) -> list[Concern]:
    """The concerns of one's own incident, for the receipt; 404 for anyone else. Each is recorded as viewed."""
    concerns = list(
        Concern.objects.filter(incident__uuid=incident_uuid, incident__author=user)
        .select_related("child", "school")
        .order_by("reference")
    )
    if not concerns:
        raise Http404("No such concern.")
    for concern in concerns:
        record(
            EventType.VIEW,
            user=user,
            context=context,
            school=concern.school,
            object_type="concern_receipt",
            object_uuid=concern.uuid,
            child_uuid=concern.child.uuid if concern.child else None,
        )
    return concerns


def access_notification(*, user: User, context: RequestContext, notification_uuid) -> Notification:
    """One of the person's own notifications, its opening recorded; anyone else's is 404, as if there were none."""
    notifications = Notification.objects.filter(uuid=notification_uuid, recipient=user).select_related(
        "school", "concern"
    )
    return _access(
        notifications,
        user=user,
        context=context,
        record_read=True,
        object_type="notification",
        missing="No such notification.",
    )
