"""Concerns as their authors and the safeguarding team list them: the schools one may log for, one's own concerns,
the indicators to tick, a concern's referrals, one's notifications."""

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone

from referrals.models import (
    Action,
    Concern,
    ConcernDraft,
    Incident,
    Indicator,
    IndicatorCategory,
    Notification,
    Referral,
    SeedSign,
)
from safeguarding.accounts.models import School, User
from safeguarding.accounts.permissions import Capability, schools_where
from safeguarding.audit.context import RequestContext
from safeguarding.audit.record import record_shown
from safeguarding.core.memberships import memberships_of


def concern_referrals(*, concern: Concern) -> QuerySet[Referral]:
    """The referrals made from the decisions on a concern (reached through `access_concern`)."""
    return Referral.objects.filter(decision__concern=concern)


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


def indicator_categories() -> list[IndicatorCategory]:
    """The current taxonomy, categories with their current indicators and the seed signs each records, in three
    queries."""
    current = Indicator.objects.current().order_by("order").prefetch_related("seed_signs")
    return list(
        IndicatorCategory.objects.filter(valid_to__isnull=True).prefetch_related(
            Prefetch("indicators", queryset=current, to_attr="current_indicators")
        )
    )


def seed_lists() -> list[tuple[str, list[SeedSign]]]:
    """The two published lists of exploitation signs Safeguard's signs draw on, each with its source, every sign as
    the list words it and the sign it is recorded under."""
    signs = SeedSign.objects.select_related("indicator").order_by("pk")
    return [(label, [sign for sign in signs if sign.source_list == value]) for value, label in SeedSign.List.choices]


def concerns_mine_page(*, user: User, context: RequestContext, page_number, per_page: int = 25) -> Page:
    """One's own concerns; 403 for someone who may not log concerns and never has (the auditor)."""
    concerns = Concern.objects.filter(author=user)
    if not concerns.exists() and not concern_schools(user=user):
        raise PermissionDenied
    concerns = concerns.select_related("child", "school").order_by("-recorded_at", "-id")
    page = Paginator(concerns, per_page).get_page(page_number)
    record_shown(
        page,
        user=user,
        context=context,
        object_type="concern",
    )
    return page


def notifications_page(*, user: User, context: RequestContext, limit: int = 50) -> list[Notification]:
    """The person's latest notifications, each naming its child by first name (the page is recorded with the
    children it names)."""
    items = list(
        Notification.objects.filter(recipient=user)
        .exclude(adult_record__subject_user=user)
        .select_related("school", "concern", "child", "referral", "adult_record", "access_request")[:limit]
    )
    record_shown(
        items,
        user=user,
        context=context,
        object_type="notification",
        detail={"children": sorted({str(item.child.uuid) for item in items if item.child})},
    )
    return items


def actions_mine(*, user: User, context: RequestContext) -> list[Action]:
    """The person's open actions, soonest due first: what to do and for which child, none of the child's history.
    Recorded as listed when there are any."""
    actions = list(
        Action.objects.filter(owner=user, completed_at__isnull=True)
        .filter(school__in=[m.school_id for m in memberships_of(user) if m.school_id])
        .select_related("child", "school", "assigned_by")
        .order_by("due_on", "pk")
    )
    today = timezone.localdate()
    for action in actions:
        action.overdue = action.due_on < today
    if actions:
        record_shown(actions, user=user, context=context, object_type="action")
    return actions


def drafts_unsent(*, user: User) -> list[ConcernDraft]:
    """The person's drafts with something typed in them and not yet sent, by school; one's own words, so reading
    them is not recorded."""
    drafts = ConcernDraft.objects.filter(author=user).exclude(data={}).select_related("school").order_by("-updated_at")
    sent = set(
        Incident.objects.filter(submission_key__in=[d.submission_key for d in drafts]).values_list(
            "submission_key", flat=True
        )
    )
    return [draft for draft in drafts if draft.submission_key not in sent and any(draft.data.values())]


def police_reports_due(*, user: User, context: RequestContext) -> list[Concern]:
    """The person's own known FGM cases whose police reference is not yet recorded: their personal duty, kept in
    front of them until it is."""
    concerns = list(
        Concern.objects.filter(author=user, fgm_known_case=True, fgm_police_reference="")
        .select_related("child")
        .order_by("recorded_at")
    )
    if concerns:
        record_shown(concerns, user=user, context=context, object_type="concern")
    return concerns


def concerns_recent_mine(*, user: User, context: RequestContext, limit: int = 5) -> list[Concern]:
    """The person's latest concerns with the status they may see, recorded as listed when there are any."""
    concerns = list(Concern.objects.filter(author=user).select_related("child").order_by("-recorded_at", "-pk")[:limit])
    if concerns:
        record_shown(concerns, user=user, context=context, object_type="concern")
    return concerns
