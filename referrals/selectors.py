"""Reads of children's records, always scoped by the person asking.

Each record is reached through one `access_*` function: it scopes the query by what the person may do (the
capability table in `safeguarding.accounts.permissions`), answers a record out of reach with the same 404 as one that
does not exist, and records the read once. A write that needs the record passes `record_read=False`: the write records
its own event, and is not a view.
"""

import uuid
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from referrals.models import (
    Attachment,
    Child,
    Concern,
    ConcernIndicator,
    ConcernMove,
    ConcernStatus,
    Escalation,
    Indicator,
    IndicatorCategory,
    Notification,
    PatternAlert,
    Referral,
    RollStatus,
)
from referrals.models.concerns import URGENCY_RANK
from referrals.upn import normalise_upn
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


def roster_search(*, school: School, text: str = "", year_group: str = "") -> QuerySet[Child]:
    """The school's children matching a name, a UPN and a year group; every part is optional."""
    children = Child.objects.filter(school=school)
    for word in text.replace("\x00", "").split():
        upn = normalise_upn(word)
        children = children.filter(
            Q(legal_first_name__icontains=word)
            | Q(legal_last_name__icontains=word)
            | Q(preferred_name__icontains=word)
            | Q(upn=upn)
        )
    if year_group:
        children = children.filter(year_group=year_group)
    return children.order_by("legal_last_name", "legal_first_name", "pk")


def roster_page(
    *,
    user: User,
    context: RequestContext,
    school: School,
    text: str = "",
    year_group: str = "",
    page_number=1,
    per_page: int,
) -> Page:
    """One page of the roster, recorded as a list (or a search) with the pupils it shows."""
    page = Paginator(roster_search(school=school, text=text, year_group=year_group), per_page).get_page(page_number)
    searched = bool(text.strip() or year_group)
    record(
        EventType.SEARCH if searched else EventType.LIST,
        user=user,
        context=context,
        school=school,
        object_type="child",
        shown_ids=[child.uuid for child in page],
        row_count=page.paginator.count,
        search_term=text if text.strip() else None,
        detail={"year_group": year_group} if year_group else None,
    )
    return page


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


def concern_referrals(*, concern: Concern) -> QuerySet[Referral]:
    """The referrals made from the decisions on a concern (reached through `access_concern`)."""
    return Referral.objects.filter(decision__concern=concern)


def school_child_by_upn(*, school: School, upn: str) -> Child | None:
    """The child of `school` with this UPN (already normalised), or None."""
    return Child.objects.filter(school=school, upn=upn).first() if upn else None


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


TYPEAHEAD_LIMIT = 10


def concern_schools(*, user: User) -> list[School]:
    return list(schools_where(user, Capability.LOG_CONCERN).order_by("name"))


def concern_school_get(*, user: User, school_uuid=None) -> School:
    """The school a concern is being written for: the one asked for, or the person's first; 403 if none."""
    schools = concern_schools(user=user)
    if not schools:
        raise PermissionDenied
    if school_uuid is None:
        return schools[0]
    for school in schools:
        if str(school.uuid) == str(school_uuid):
            return school
    raise Http404("No such school.")


def children_typeahead(*, user: User, context: RequestContext, school: School, text: str) -> list[Child]:
    """Children on the school's roll matching a name, for picking who a concern is about. Only names and year
    groups are shown; the search is recorded as its count and a keyed hash of the term."""
    text = text.replace("\x00", "").strip()[:100]
    if len(text) < 2:
        return []
    children = list(
        roster_search(school=school, text=text)
        .filter(roll_status=RollStatus.ON_ROLL)
        .only("uuid", "legal_first_name", "legal_last_name", "preferred_name", "year_group")[:TYPEAHEAD_LIMIT]
    )
    record(
        EventType.SEARCH,
        user=user,
        context=context,
        school=school,
        object_type="child_typeahead",
        shown_ids=[child.uuid for child in children],
        row_count=len(children),
        search_term=text,
    )
    return children


def children_selected(*, school: School, uuids: list[str]) -> list[Child]:
    """The chosen children, kept to the school: a UUID from anywhere else is simply not found."""
    valid = []
    for value in uuids:
        try:
            valid.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    children = Child.objects.filter(school=school, uuid__in=valid, roll_status=RollStatus.ON_ROLL)
    return list(children.order_by("legal_last_name", "legal_first_name"))


def children_on_form(*, user: User, context: RequestContext, school: School, uuids: list[str]) -> list[Child]:
    """The children chosen in the person's draft, as the concern form shows them; showing them is recorded as a
    list of their UUIDs (nothing is recorded when none is chosen)."""
    children = children_selected(school=school, uuids=uuids)
    if children:
        record(
            EventType.LIST,
            user=user,
            context=context,
            school=school,
            object_type="concern_draft_children",
            shown_ids=[child.uuid for child in children],
            row_count=len(children),
        )
    return children


def indicator_categories() -> list[IndicatorCategory]:
    """The current taxonomy, categories with their current indicators, in two queries."""
    current = Indicator.objects.current().order_by("order")
    return list(
        IndicatorCategory.objects.filter(valid_to__isnull=True).prefetch_related(
            Prefetch("indicators", queryset=current, to_attr="current_indicators")
        )
    )


def concerns_mine_page(*, user: User, context: RequestContext, page_number, per_page: int = 25) -> Page:
    """One's own concerns; 403 for someone who may not log concerns and never has (the auditor)."""
    concerns = Concern.objects.filter(author=user)
    if not concerns.exists() and not concern_schools(user=user):
        raise PermissionDenied
    concerns = concerns.select_related("child", "school").order_by("-recorded_at", "-id")
    page = Paginator(concerns, per_page).get_page(page_number)
    record(
        EventType.LIST,
        user=user,
        context=context,
        object_type="concern",
        shown_ids=[concern.uuid for concern in page],
        row_count=page.paginator.count,
    )
    return page


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


def records_moved_into(*, child: Child) -> tuple[set[uuid.UUID], set[uuid.UUID]]:
    """For who-viewed: the UUIDs of the records moved into `child` from another child (the concerns and their
    files), and the UUIDs of every child they were recorded against on the way, whose events name them."""
    moved = list(ConcernMove.objects.filter(concern__in=ConcernMove.objects.filter(to_child=child).values("concern")))
    if not moved:
        return set(), set()
    concerns = Concern.objects.filter(pk__in={move.concern_id for move in moved})
    records = set(concerns.values_list("uuid", flat=True))
    records |= set(Attachment.objects.filter(incident__concerns__in=concerns).values_list("uuid", flat=True))
    on_the_way = {m.from_child_id for m in moved if m.from_child_id} | {m.to_child_id for m in moved}
    children = set(Child.objects.filter(pk__in=on_the_way).values_list("uuid", flat=True))
    return records, children


def notifications_page(*, user: User, context: RequestContext, limit: int = 50) -> list[Notification]:
    items = list(Notification.objects.filter(recipient=user).select_related("school", "concern")[:limit])
    record(
        EventType.LIST,
        user=user,
        context=context,
        object_type="notification",
        shown_ids=[item.uuid for item in items],
        row_count=len(items),
    )
    return items


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


@dataclass
class QueueFilters:
    status: str = ""
    urgency: str = ""
    category: str = ""
    mine: bool = False


def queue_schools(*, user: User) -> list[School]:
    schools = list(schools_where(user, Capability.READ_QUEUE))
    if not schools:
        raise PermissionDenied
    return schools


def queue_page(
    *,
    user: User,
    context: RequestContext,
    filters: QueueFilters,
    page_number,
    per_page: int = 25,
    schools: list[School] | None = None,
):
    """The concerns not yet closed of the person's schools (`schools`, when the caller has them already): most
    urgent first, then the oldest. The page's concerns are recorded as listed."""
    schools = schools if schools is not None else queue_schools(user=user)
    concerns = Concern.objects.filter(school__in=schools).exclude(status=ConcernStatus.CLOSED)
    if filters.status:
        concerns = concerns.filter(status=filters.status)
    if filters.urgency:
        concerns = concerns.filter(urgency=filters.urgency)
    if filters.category:
        concerns = concerns.filter(indicators__indicator__category__code=filters.category).distinct()
    if filters.mine:
        concerns = concerns.filter(assigned_to=user)
    concerns = (
        concerns.annotate(rank=URGENCY_RANK, escalated=Exists(Escalation.objects.filter(concern=OuterRef("pk"))))
        .select_related("child", "school", "author", "assigned_to")
        .prefetch_related(
            Prefetch(
                "indicators",
                queryset=ConcernIndicator.objects.select_related("indicator__category"),
            ),
            Prefetch(
                "child__pattern_alerts",
                queryset=PatternAlert.objects.filter(acknowledged_at__isnull=True),
                to_attr="open_alerts",
            ),
        )
        .order_by("rank", "recorded_at", "pk")
    )
    page = Paginator(concerns, per_page).get_page(page_number)
    record(
        EventType.LIST,
        user=user,
        context=context,
        school=schools[0] if len(schools) == 1 else None,
        object_type="concern",
        shown_ids=[concern.uuid for concern in page],
        row_count=page.paginator.count,
        detail={key: value for key, value in vars(filters).items() if value},
    )
    return page


def referrals_awaiting(
    *, user: User, context: RequestContext, limit: int = 20, schools: list[School] | None = None
) -> list[Referral]:
    """Referrals of the person's schools (`schools`, when the caller has them already) still waiting for the
    agency's acknowledgement or past their follow-up date, the longest overdue first. Shown on the queue; only
    agency, dates and the child's name. The list is recorded with the referrals and the children it names."""
    today = timezone.localdate()
    schools = schools if schools is not None else queue_schools(user=user)
    referrals = list(
        Referral.objects.filter(school__in=schools)
        .filter(Q(acknowledged_at__isnull=True, ack_due_at__isnull=False) | Q(follow_up_on__lte=today))
        .select_related("child")
        .order_by("ack_due_at", "follow_up_on")[:limit]
    )
    if referrals:
        record(
            EventType.LIST,
            user=user,
            context=context,
            school=schools[0] if len(schools) == 1 else None,
            object_type="referral",
            shown_ids=[referral.uuid for referral in referrals],
            row_count=len(referrals),
            detail={"children": sorted({str(referral.child.uuid) for referral in referrals})},
        )
    return referrals
