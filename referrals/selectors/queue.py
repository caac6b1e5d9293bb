"""The review queue of the safeguarding team, most urgent first, and the referrals still to chase."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils import timezone

from referrals.models import (
    Concern,
    ConcernIndicator,
    ConcernStatus,
    Escalation,
    PatternAlert,
    Referral,
)
from referrals.models.concerns import URGENCY_RANK
from safeguarding.accounts.models import School, User
from safeguarding.accounts.permissions import Capability, schools_where
from safeguarding.audit.context import RequestContext
from safeguarding.audit.record import record_shown


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
    record_shown(
        page,
        user=user,
        context=context,
        school=schools[0] if len(schools) == 1 else None,
        object_type="concern",
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
        record_shown(
            referrals,
            user=user,
            context=context,
            school=schools[0] if len(schools) == 1 else None,
            object_type="referral",
            detail={"children": sorted({str(referral.child.uuid) for referral in referrals})},
        )
    return referrals
