"""Who reaches a concern about an adult (REQUIREMENTS.md R6.2, R6.7), in one place.

`adult_records_for` is the rule: a case manager reaches the records routed to their role at their school (the
headteacher, and a DSL the school designated, those about anyone but the headteacher; the chair of governors or the
trust's chief executive, as the trust decides, those about the headteacher; the chair also an allegation whose LADO
clock ran out and was escalated to them); HR reads the school's records; and nobody, whatever their role, reaches a
record about themselves. Every list, page, notification and count of these records starts from it.
"""

import uuid
from datetime import timedelta

from dateutil.relativedelta import relativedelta
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from referrals.models import AdultEntry, AdultRecord, AdultRecordKind, Child, ManagedBy
from referrals.selectors.access import Kind, record_view
from safeguarding.accounts.models import Membership, School, User
from safeguarding.accounts.permissions import Capability, holding, membership_capabilities
from safeguarding.accounts.roles import Role
from safeguarding.audit.context import RequestContext
from safeguarding.audit.events import EventType
from safeguarding.audit.record import record
from safeguarding.core.memberships import memberships_of

ADULT_RECORD = Kind("adult_record", "No such record.")
ADULT_SUBMISSION = Kind("adult_submission", "No such concern.")

# Which records each role manages, as case manager (a DSL only with the school's designation).
MANAGED_BY_ROLE = {
    Role.HEADTEACHER: ManagedBy.HEADTEACHER,
    Role.DSL: ManagedBy.HEADTEACHER,
    Role.CHAIR: ManagedBy.CHAIR,
    Role.CHIEF_EXECUTIVE: ManagedBy.CHIEF_EXECUTIVE,
}


def _schools_of(membership: Membership) -> Q:
    return Q(school=membership.school_id) if membership.school_id else Q(school__trust=membership.trust_id)


def adult_records_for(user: User, *, request=None) -> QuerySet[AdultRecord]:
    """Every record about an adult that `user` may reach, and none about `user` themselves (R6.7)."""
    reach = Q(pk__in=[])
    for membership in memberships_of(user, request=request):
        held = membership_capabilities(membership)
        if Capability.READ_ADULT_RECORDS in held:
            reach |= _schools_of(membership)
        if Capability.MANAGE_ADULT_CASES in held and membership.role in MANAGED_BY_ROLE:
            reach |= _schools_of(membership) & Q(managed_by=MANAGED_BY_ROLE[membership.role])
            if membership.role == Role.CHAIR:
                reach |= _schools_of(membership) & Q(lado_escalated_at__isnull=False)
    return (
        AdultRecord.objects.filter(reach).exclude(subject_user=user)
        if user.is_authenticated
        else AdultRecord.objects.none()
    )


def may_manage(user: User, record: AdultRecord) -> bool:
    """Whether `user` acts on `record` as its case manager (HR reads; the subject never reaches it at all)."""
    if record.subject_user_id == user.pk:
        return False
    for membership in memberships_of(user):
        if Capability.MANAGE_ADULT_CASES not in membership_capabilities(membership):
            continue
        here = membership.school_id == record.school_id or (
            membership.trust_id is not None and membership.trust_id == record.school.trust_id
        )
        if not here:
            continue
        if MANAGED_BY_ROLE.get(membership.role) == record.managed_by:
            return True
        if membership.role == Role.CHAIR and record.lado_escalated_at is not None:
            return True
    return False


def case_managers(record: AdultRecord, *, escalation: bool = False) -> list[User]:
    """The people a record is routed to, never its subject: on escalation of the LADO clock, the chair of governors
    (or, when the chair already manages it, the case managers again)."""
    roles = [role for role, managed in MANAGED_BY_ROLE.items() if managed == record.managed_by]
    if escalation and record.managed_by == ManagedBy.HEADTEACHER:
        roles = [Role.CHAIR]
    members = (
        Membership.objects.active()
        .filter(holding(Capability.MANAGE_ADULT_CASES), role__in=roles)
        .filter(Q(school=record.school_id) | Q(trust=record.school.trust_id, school__isnull=True))
        .exclude(user=record.subject_user_id)
        .select_related("user")
    )
    people = {member.user_id: member.user for member in members}
    return list(people.values())


def adult_cases(
    *, user: User, context: RequestContext, request=None, show: str = "open", limit: int | None = None
) -> list[AdultRecord]:
    """The records the person reaches, open ones first with the LADO's clock soonest (the first `limit` of them);
    the list is recorded with the records it shows."""
    records = adult_records_for(user, request=request).select_related("school", "raised_by", "subject_user")
    if show == "open":
        records = records.filter(closed_at__isnull=True)
    elif show == "closed":
        records = records.filter(closed_at__isnull=False)
    found = sorted(
        records,
        key=lambda r: (
            r.closed_at is not None,
            r.lado_due_at is None or r.lado_discussed_at is not None,
            r.lado_due_at or r.raised_at,
            -r.raised_at.timestamp(),
        ),
    )[:limit]
    for school_id in {r.school_id for r in found} or [None]:
        school = next((r.school for r in found if r.school_id == school_id), None)
        record(
            EventType.LIST,
            user=user,
            context=context,
            school=school,
            object_type=ADULT_RECORD.object_type,
            shown_ids=[r.uuid for r in found if r.school_id == school_id],
            row_count=sum(1 for r in found if r.school_id == school_id),
        )
    return found


def access_adult_record(
    *, user: User, context: RequestContext, record_uuid: uuid.UUID, record_read: bool = True
) -> AdultRecord:
    """One record about an adult, through the rule above: 404 for anyone it does not reach, its subject included,
    as if there were none. The read is recorded against the record, never a child."""
    found = (
        adult_records_for(user)
        .filter(uuid=record_uuid)
        .select_related("school__trust", "raised_by", "subject_user", "closed_by", "removed_by", "moved_from")
        .prefetch_related(
            Prefetch("entries", queryset=AdultEntry.objects.select_related("written_by")),
            Prefetch("children", queryset=Child.objects.select_related("school")),
        )
        .first()
    )
    if found is None:
        raise Http404(ADULT_RECORD.missing)
    if record_read:
        _record_read(found, user=user, context=context)
    return found


def _record_read(found: AdultRecord, *, user: User, context: RequestContext) -> None:
    record(
        EventType.VIEW,
        user=user,
        context=context,
        school=found.school,
        object_type=ADULT_RECORD.object_type,
        object_uuid=found.uuid,
    )


def access_own_adult_submission(*, user: User, context: RequestContext, record_uuid: uuid.UUID) -> AdultRecord:
    """What the person raised about an adult (themselves included), and its status; nothing of the case."""
    found = (
        AdultRecord.objects.filter(uuid=record_uuid, raised_by=user)
        .select_related("school", "subject_user")
        .prefetch_related("children")
        .first()
    )
    if found is None:
        raise Http404(ADULT_SUBMISSION.missing)
    record_view(found, ADULT_SUBMISSION, user=user, context=context)
    return found


def adult_submissions_mine(*, user: User) -> list[AdultRecord]:
    """What the person has raised about adults, newest first (their own submissions: no event for each read)."""
    entries = AdultEntry.objects.filter(record=OuterRef("pk"))
    return list(
        AdultRecord.objects.filter(raised_by=user).select_related("school").annotate(has_entries=Exists(entries))[:50]
    )


def same_adult(record: AdultRecord) -> Q:
    """The records about the adult `record` is about, at its school: by account, else by the name given."""
    if record.subject_user_id:
        return Q(school=record.school_id, subject_user=record.subject_user_id)
    return Q(school=record.school_id, subject_user__isnull=True, subject_name__iexact=record.subject_name.strip())


def low_level_in_window(record: AdultRecord) -> int:
    """How many low-level concerns about the same adult were raised in the school's window up to `record`."""
    since = record.raised_at - relativedelta(months=record.school.low_level_window_months)
    return AdultRecord.objects.filter(
        same_adult(record), kind=AdultRecordKind.LOW_LEVEL, raised_at__gt=since, raised_at__lte=record.raised_at
    ).count()


def records_about_same_adult(*, user: User, record: AdultRecord) -> list[AdultRecord]:
    """For the per-adult review (R6.6): the person's other reachable records about the same adult."""
    return list(adult_records_for(user).filter(same_adult(record)).exclude(pk=record.pk).order_by("-raised_at")[:100])


def school_staff_choices(school: School, *, exclude: User | None = None) -> list[tuple[str, str]]:
    """The school's people, for naming the adult a concern is about: their name and job title."""
    members = (
        Membership.objects.active()
        .filter(Q(school=school) | Q(trust=school.trust_id, school__isnull=True))
        .select_related("user")
        .order_by("user__full_name")
    )
    seen = {}
    for member in members:
        if member.user_id not in seen:
            title = f", {member.user.job_title}" if member.user.job_title else ""
            seen[member.user_id] = (str(member.user.uuid), f"{member.user.full_name}{title}")
    return list(seen.values())


def adult_counts(*, user: User, request=None) -> dict:
    """For the case manager's home page: open records, and allegations whose LADO clock runs or has run out."""
    now = timezone.now()
    open_records = adult_records_for(user, request=request).filter(closed_at__isnull=True)
    waiting = open_records.filter(lado_due_at__isnull=False, lado_discussed_at__isnull=True)
    return {
        "open": open_records.count(),
        "lado_waiting": waiting.count(),
        "lado_overdue": waiting.filter(lado_due_at__lt=now).count(),
        "lado_soon": waiting.filter(lado_due_at__gte=now, lado_due_at__lt=now + timedelta(hours=4)).count(),
    }
