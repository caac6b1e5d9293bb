"""One way to reach each record.

Each record is reached through one `access_*` function: it scopes the query by what the person may do (the
capability table in `safeguarding.accounts.permissions`), answers a record out of reach with the same 404 as one that
does not exist, and records the read once. A write that needs the record passes `record_read=False`: the write records
its own event, and is not a view.
"""

import uuid
from typing import NamedTuple

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from referrals.models import (
    Action,
    Attachment,
    Child,
    Concern,
    ConcernIndicator,
    Notification,
    PatternAlert,
    Referral,
    Screening,
    Transfer,
    TransferRoute,
)
from safeguarding.accounts.access import school_get_for_user
from safeguarding.accounts.models import School, User
from safeguarding.accounts.permissions import Capability, schools_where
from safeguarding.audit.context import RequestContext
from safeguarding.audit.events import EventType
from safeguarding.audit.record import record
from safeguarding.core.memberships import memberships_of


def roster_school_get(*, user: User, school_uuid: uuid.UUID) -> School:
    """The school whose roster `user` keeps: 404 for strangers, 403 for its members without the role."""
    return school_get_for_user(user=user, school_uuid=school_uuid, capability=Capability.MANAGE_ROSTER)


class Kind(NamedTuple):
    """What a reached record is called in the audit trail, and the 404 when it is out of reach."""

    object_type: str
    missing: str


ROSTER_CHILD = Kind("child_roster", "No such pupil.")
CHILD_FILE = Kind("child_file", "No such child.")
CONCERN = Kind("concern", "No such concern.")
CONCERN_RECEIPT = Kind("concern_receipt", "No such concern.")
REFERRAL = Kind("referral", "No such referral.")
ATTACHMENT = Kind("attachment", "No such file.")
NOTIFICATION = Kind("notification", "No such notification.")
ACTION = Kind("action", "No such action.")
TRANSFER = Kind("transfer", "No such transfer.")
SCREENING = Kind("screening", "No such screening.")


def _access(records: QuerySet, kind: Kind, *, user: User, context: RequestContext, record_read: bool = True):
    """The one record of `records` (already scoped to the person), its read recorded unless `record_read` is false;
    404 when there is none, whether it does not exist or is out of the person's reach."""
    found = records.first()
    if found is None:
        raise Http404(kind.missing)
    if record_read:
        record_view(found, kind, user=user, context=context)
    return found


def _access_each(records: QuerySet, kind: Kind, *, user: User, context: RequestContext) -> list:
    """Every record of `records` (already scoped to the person), each read recorded; 404 when there is none."""
    found = list(records)
    if not found:
        raise Http404(kind.missing)
    for each in found:
        record_view(each, kind, user=user, context=context)
    return found


def record_view(
    found, kind: Kind, *, user: User, context: RequestContext, event_type=EventType.VIEW, child_uuids=()
) -> None:
    """Record that the person was shown `found` (also used for a record reached with `record_read=False` and then
    shown after all, as when a form is sent back with its errors beside the record's details): one event for each
    of `child_uuids` when the record concerns several children, so that each child's who-viewed list shows it."""
    for child_uuid in child_uuids or [_child_uuid(found)]:
        record(
            event_type,
            user=user,
            context=context,
            school=found.school,
            object_type=kind.object_type,
            object_uuid=found.uuid,
            child_uuid=child_uuid,
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
    return _access(children, ROSTER_CHILD, user=user, context=context, record_read=record_read)


def access_child(*, user: User, context: RequestContext, child_uuid, record_read: bool = True) -> Child:
    """A child's file: for those who may read it at the child's school (the DSL, deputies, the trust lead)."""
    children = Child.objects.filter(
        uuid=child_uuid, school__in=schools_where(user, Capability.READ_CHILD_FILE)
    ).select_related("school")
    return _access(children, CHILD_FILE, user=user, context=context, record_read=record_read)


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
        # A concern moved to the procedure for adults is out of the children's side altogether (R6.7).
        .filter(moved_to_adults__isnull=True)
        .select_related("child", "author", "school", "assigned_to", "acknowledged_by", "incident")
        .prefetch_related(
            Prefetch("indicators", queryset=ConcernIndicator.objects.select_related("indicator")),
            "body_marks",
            "addenda",
            "decisions__outcomes",
            "closures",
            "information_requests",
            "incident__attachments__uploaded_by",
        )
    )
    return _access(concerns, CONCERN, user=user, context=context, record_read=record_read)


def access_referral(*, user: User, context: RequestContext, referral_uuid, record_read: bool = True) -> Referral:
    """A referral to an agency: for those who may read referrals at its school."""
    referrals = (
        Referral.objects.filter(uuid=referral_uuid, school__in=schools_where(user, Capability.READ_REFERRAL))
        .select_related("school", "child", "made_by", "decision")
        .prefetch_related("shared_concerns")
    )
    return _access(referrals, REFERRAL, user=user, context=context, record_read=record_read)


def access_own_concern(*, user: User, context: RequestContext, concern_uuid, record_read: bool = True) -> Concern:
    """The author's own concern, with what they wrote and its status, never the DSL's work; 404 for anyone else."""
    concerns = (
        Concern.objects.filter(
            uuid=concern_uuid, author=user, school__in=schools_where(user, Capability.READ_OWN_CONCERNS)
        )
        .select_related("child", "school", "incident")
        .prefetch_related("indicators", "body_marks", "addenda", "incident__attachments", "information_requests")
    )
    return _access(concerns, CONCERN, user=user, context=context, record_read=record_read)


def access_attachment(*, user: User, context: RequestContext, attachment_uuid) -> Attachment:
    """A file attached to a concern: for its author (and their draft's files), and for those who may read the
    queue of a school the concern is at (the DSL, deputies and the trust lead); 404 for anyone else. The download
    is recorded against each child the file concerns."""
    own = Q(incident__author=user, school__in=schools_where(user, Capability.READ_OWN_CONCERNS)) | Q(draft__author=user)
    team = Exists(
        Concern.objects.filter(incident=OuterRef("incident"), school__in=schools_where(user, Capability.READ_QUEUE))
    )
    attachments = Attachment.objects.filter(Q(uuid=attachment_uuid) & (own | team)).select_related("school")
    attachment = _access(attachments, ATTACHMENT, user=user, context=context, record_read=False)
    child_uuids = (
        list(attachment.incident.concerns.exclude(child=None).values_list("child__uuid", flat=True))
        if attachment.incident_id
        else []
    )
    record_view(
        attachment, ATTACHMENT, user=user, context=context, event_type=EventType.DOWNLOAD, child_uuids=child_uuids
    )
    return attachment


def access_incident(*, user: User, context: RequestContext, incident_uuid) -> list[Concern]:
    """The concerns of one's own incident, for the receipt; 404 for anyone else. Each is recorded as viewed."""
    concerns = (
        Concern.objects.filter(incident__uuid=incident_uuid, incident__author=user)
        .select_related("child", "school")
        .order_by("reference")
    )
    return _access_each(concerns, CONCERN_RECEIPT, user=user, context=context)


def access_notification(*, user: User, context: RequestContext, notification_uuid) -> Notification:
    """One of the person's own notifications, its opening recorded; anyone else's is 404, as if there were none."""
    notifications = Notification.objects.filter(uuid=notification_uuid, recipient=user).select_related(
        "school", "concern", "child", "referral", "action", "transfer", "adult_record"
    )
    return _access(notifications, NOTIFICATION, user=user, context=context)


def access_action(*, user: User, context: RequestContext, action_uuid, record_read: bool = True) -> Action:
    """An action: for its owner while they still work at its school, and for those who may read the child's file
    at its school (the DSL, deputies, the trust lead); 404 for anyone else."""
    actions = (
        Action.objects.filter(uuid=action_uuid)
        .filter(
            Q(owner=user, school__in=[m.school_id for m in memberships_of(user) if m.school_id])
            | Q(school__in=schools_where(user, Capability.READ_CHILD_FILE))
        )
        .select_related("school", "child", "owner", "assigned_by", "completed_by", "concern")
    )
    return _access(actions, ACTION, user=user, context=context, record_read=record_read)


def access_transfer(*, user: User, context: RequestContext, transfer_uuid, record_read: bool = True) -> Transfer:
    """A leaver's task: for those who read child files at the school the child left (the DSL, deputies, the trust
    lead), and, once the file is sent to a school on Safeguard, for those who receive files there. The read is
    recorded in the trail of the reader's side, against the child whose file it is."""
    receiving = schools_where(user, Capability.TRANSFER_FILE)
    transfers = (
        Transfer.objects.filter(uuid=transfer_uuid)
        .filter(
            Q(school__in=schools_where(user, Capability.READ_CHILD_FILE))
            | Q(to_school__in=receiving, route=TransferRoute.SAFEGUARD, sent_at__isnull=False)
        )
        .select_related("school__trust", "child", "to_school", "sent_by", "received_child__school", "closed_by")
    )
    transfer = _access(transfers, TRANSFER, user=user, context=context, record_read=False)
    transfer.incoming = (
        transfer.to_school_id is not None
        and transfer.route == TransferRoute.SAFEGUARD
        and transfer.sent_at is not None
        and receiving.filter(pk=transfer.to_school_id).exists()
    )
    if record_read:
        record(
            EventType.VIEW,
            user=user,
            context=context,
            school=transfer.to_school if transfer.incoming else transfer.school,
            object_type=TRANSFER.object_type,
            object_uuid=transfer.uuid,
            child_uuid=transfer.child.uuid,
        )
    return transfer


def access_received(*, user: User, context: RequestContext, child: Child, transfer_uuid) -> Transfer:
    """A file received from another school, on the file of `child` (a child reached through `access_child`)."""
    transfer = (
        Transfer.objects.filter(uuid=transfer_uuid, received_child=child)
        .exclude(package_name="")
        .select_related("school", "received_child__school")
        .first()
    )
    if transfer is None:
        raise Http404("No such file.")
    return transfer


def access_screening(*, user: User, context: RequestContext, screening_uuid, record_read: bool = True) -> Screening:
    """An exploitation screening: for those who may read the child's file at the school it was done at."""
    screenings = Screening.objects.filter(
        uuid=screening_uuid, school__in=schools_where(user, Capability.READ_CHILD_FILE)
    ).select_related("school", "child__school", "tool", "done_by", "review_action")
    return _access(screenings, SCREENING, user=user, context=context, record_read=record_read)
