"""The review queue of the safeguarding team, most urgent first, and the referrals still to chase."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    Exists,
    F,
    IntegerChoices,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.formats import date_format

from referrals.models import (
    OPEN_TRANSFER_STATUSES,
    Action,
    Concern,
    ConcernIndicator,
    ConcernStatus,
    Decision,
    Escalation,
    InformationRequest,
    PatternAlert,
    Referral,
    Transfer,
    TransferRoute,
    TransferStatus,
    Urgency,
)
from referrals.models.concerns import URGENCY_RANK
from safeguarding.accounts.models import School, User
from safeguarding.accounts.permissions import Capability, schools_where
from safeguarding.audit.context import RequestContext
from safeguarding.audit.record import record_shown
from safeguarding.core.templatetags.safeguard import clock


@dataclass
class QueueFilters:
    status: str = ""
    urgency: str = ""
    category: str = ""
    school: str = ""
    due: str = ""  # "overdue" or "alert": what the home page's counts link to
    mine: bool = False


DUE_FILTERS = ("overdue", "alert")


class Step(IntegerChoices):
    """What a concern waits for, in the order the queue puts them: the first due first."""

    OVERDUE = 0, "Overdue"
    ACKNOWLEDGE_SOON = 1, "Acknowledge"
    PATTERN = 2, "Pattern alert to review"
    ACKNOWLEDGE = 3, "Acknowledge"
    STEP_DUE = 4, "Next step due"
    DECIDE = 5, "Decide"
    REVIEW_LATER = 6, "Review"


# A question to the author unanswered this long is a next step that has come: chase the author.
QUESTION_CHASE_AFTER = timezone.timedelta(days=2)


def _steps(concerns: QuerySet, *, now) -> QuerySet:
    """`concerns` with what each waits for (`step`, a `Step`) and when (`due_at`), in the queue's order:
    unacknowledged concerns past their clock, escalated ones and reviews past their date first; then those still
    to acknowledge on a same-day clock; then the children with an open pattern alert; then the routine ones to
    acknowledge; then those whose review date or chase of the author has come; then those waiting for a decision;
    last, the decided ones waiting for a review date still to come."""
    today = timezone.localdate(now)
    latest_review = Subquery(
        Decision.objects.filter(concern=OuterRef("pk")).order_by("-decided_at").values("next_review")[:1]
    )
    oldest_question = Subquery(
        InformationRequest.objects.filter(concern=OuterRef("pk"), answered_at__isnull=True)
        .order_by("asked_at")
        .values("asked_at")[:1]
    )
    submitted = Q(status=ConcernStatus.SUBMITTED)
    decided = Q(status=ConcernStatus.DECIDED)
    return concerns.annotate(
        rank=URGENCY_RANK,
        escalated=Exists(Escalation.objects.filter(concern=OuterRef("pk"))),
        open_alert=Exists(PatternAlert.objects.filter(child=OuterRef("child"), acknowledged_at__isnull=True)),
        next_review=latest_review,
        question_asked_at=oldest_question,
    ).annotate(
        step=Case(
            When(Q(escalated=True) | (submitted & Q(ack_due_at__lt=now)), then=Value(Step.OVERDUE)),
            When(decided & Q(next_review__lt=today), then=Value(Step.OVERDUE)),
            When(submitted & ~Q(urgency=Urgency.ROUTINE), then=Value(Step.ACKNOWLEDGE_SOON)),
            When(open_alert=True, then=Value(Step.PATTERN)),
            When(submitted, then=Value(Step.ACKNOWLEDGE)),
            When(decided & Q(next_review__lte=today), then=Value(Step.STEP_DUE)),
            When(question_asked_at__lt=now - QUESTION_CHASE_AFTER, then=Value(Step.STEP_DUE)),
            When(decided & Q(next_review__gt=today), then=Value(Step.REVIEW_LATER)),
            default=Value(Step.DECIDE),
            output_field=IntegerField(),
        ),
        due_at=Case(
            When(submitted, then=F("ack_due_at")),
            When(decided & Q(next_review__isnull=False), then=Cast("next_review", DateTimeField())),
            When(question_asked_at__isnull=False, then=F("question_asked_at") + QUESTION_CHASE_AFTER),
            default=None,
            output_field=DateTimeField(),
        ),
    )


@dataclass(frozen=True)
class NextStep:
    """What a row of the queue says is due next: what, when, and whether it is late."""

    what: str
    when: str = ""
    late: bool = False


def next_step(concern: Concern, *, now) -> NextStep:
    """The next thing due on `concern` (annotated by `_steps`), in words."""
    today = timezone.localdate(now)
    if concern.status == ConcernStatus.SUBMITTED:
        late = concern.ack_due_at is not None and concern.ack_due_at < now
        return NextStep("Acknowledge", clock(concern.ack_due_at, now), late)
    if concern.question_asked_at is not None:
        asked = f"asked {date_format(timezone.localtime(concern.question_asked_at), 'D j M')}"
        if concern.question_asked_at < now - QUESTION_CHASE_AFTER:
            return NextStep("Chase the author's answer", asked, late=False)
        return NextStep("Wait for the author's answer", asked)
    if concern.status == ConcernStatus.DECIDED and concern.next_review is not None:
        on = date_format(concern.next_review, "D j M")
        if concern.next_review < today:
            return NextStep("Review", f"was due {on}", late=True)
        return NextStep("Review", "today" if concern.next_review == today else on)
    if concern.status == ConcernStatus.DECIDED:
        return NextStep("Close, or set a review date")
    if concern.acknowledged_at is None:
        return NextStep("Decide")
    return NextStep("Decide", f"acknowledged {date_format(timezone.localtime(concern.acknowledged_at), 'D j M')}")


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
    """The concerns not yet closed of the person's schools (`schools`, when the caller has them already), what
    needs action first (see `_steps`), then the most urgent, then the oldest. The page's concerns are recorded as
    listed."""
    schools = schools if schools is not None else queue_schools(user=user)
    if filters.school:
        schools = [school for school in schools if str(school.uuid) == filters.school]
    concerns = Concern.objects.filter(school__in=schools).exclude(status=ConcernStatus.CLOSED)
    if filters.status:
        concerns = concerns.filter(status=filters.status)
    if filters.urgency:
        concerns = concerns.filter(urgency=filters.urgency)
    if filters.category:
        concerns = concerns.filter(
            Exists(ConcernIndicator.objects.filter(concern=OuterRef("pk"), indicator__category__code=filters.category))
        )
    if filters.mine:
        concerns = concerns.filter(assigned_to=user)
    now = timezone.now()
    concerns = _steps(concerns, now=now)
    if filters.due == "overdue":
        concerns = concerns.filter(step=Step.OVERDUE)
    elif filters.due == "alert":
        concerns = concerns.filter(open_alert=True)
    concerns = (
        # The page's children are read by their ids in a query of their own: joined, the sort would build a hash
        # of every child of the school first, which grows with the roll.
        concerns.select_related("school", "author", "assigned_to")
        .prefetch_related(
            "child",
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
        .order_by("step", F("due_at").asc(nulls_last=True), "rank", "recorded_at", "pk")
    )
    page = Paginator(concerns, per_page).get_page(page_number)
    for concern in page:
        concern.next_step = next_step(concern, now=now)
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
        _awaiting(Referral.objects.filter(school__in=schools), today=today)
        .select_related("child")
        .order_by("ack_due_at", "follow_up_on")[:limit]
    )
    _record_with_children(referrals, user=user, context=context, schools=schools, object_type="referral")
    return referrals


def actions_overdue(*, user: User, context: RequestContext, schools: list[School], limit: int = 20) -> list[Action]:
    """Open actions past their due date at the person's schools, the longest overdue first; shown on the queue and
    recorded with the children they name."""
    today = timezone.localdate()
    actions = list(
        Action.objects.filter(school__in=schools, completed_at__isnull=True, due_on__lt=today)
        .select_related("child", "owner")
        .order_by("due_on", "pk")[:limit]
    )
    _record_with_children(actions, user=user, context=context, schools=schools, object_type="action")
    return actions


@dataclass
class DeskCounts:
    """What waits at one school (or all of a person's), as the home pages count it; each count is what one filter of
    the queue shows."""

    school: School | None = None
    new: int = 0
    overdue: int = 0
    immediate: int = 0
    alerts: int = 0
    referrals: int = 0
    actions: int = 0
    transfers: int = 0
    transfers_late: int = 0

    @property
    def attention(self) -> tuple:
        """The order of the trust lead's schools: the most overdue first, then the most waiting."""
        return (
            -self.overdue,
            -self.transfers_late,
            -self.immediate,
            -self.alerts,
            -self.new,
            -self.referrals,
            -self.actions,
            -self.transfers,
        )


def desk_counts(*, schools: list[School]) -> dict[int, DeskCounts]:
    """The counts of each of `schools`, by school id: four queries, however many schools and concerns."""
    now = timezone.now()
    today = timezone.localdate(now)
    counts = {school.pk: DeskCounts(school=school) for school in schools}
    open_concerns = _steps(Concern.objects.filter(school__in=schools).exclude(status=ConcernStatus.CLOSED), now=now)
    for row in (
        open_concerns.order_by()
        .values("school_id")
        .annotate(
            new=Count("pk", filter=Q(status=ConcernStatus.SUBMITTED)),
            overdue=Count("pk", filter=Q(step=Step.OVERDUE)),
            immediate=Count("pk", filter=Q(urgency=Urgency.IMMEDIATE)),
            alerts=Count("pk", filter=Q(open_alert=True)),
        )
    ):
        school = counts[row.pop("school_id")]
        for key, value in row.items():
            setattr(school, key, value)
    for school_id, number in (
        _awaiting(Referral.objects.filter(school__in=schools), today=today)
        .order_by()
        .values_list("school_id")
        .annotate(number=Count("pk"))
    ):
        counts[school_id].referrals = number
    for school_id, number in (
        Action.objects.filter(school__in=schools, completed_at__isnull=True, due_on__lte=today)
        .order_by()
        .values_list("school_id")
        .annotate(number=Count("pk"))
    ):
        counts[school_id].actions = number
    for transfer in transfers_waiting_rows(schools=schools, today=today):
        school_id = transfer.to_school_id if transfer.incoming else transfer.school_id
        counts[school_id].transfers += 1
        counts[school_id].transfers_late += transfer.late
    return counts


def desk_total(counts: dict[int, DeskCounts]) -> DeskCounts:
    total = DeskCounts()
    for school in counts.values():
        for key in ("new", "overdue", "immediate", "alerts", "referrals", "actions", "transfers", "transfers_late"):
            setattr(total, key, getattr(total, key) + getattr(school, key))
    return total


def transfers_waiting_rows(*, schools: list[School], today) -> list[Transfer]:
    """The moving-school work of `schools`: each leaver's task not yet done, each file sent and waiting for receipt,
    and each file sent to one of them on Safeguard waiting to be accepted. Each row is marked `incoming` and `late`
    (an incoming file is never late for its receiver: it is the sender's clock), most urgent first."""
    school_ids = {school.pk for school in schools}
    rows = list(
        Transfer.objects.filter(
            Q(school__in=school_ids, status__in=OPEN_TRANSFER_STATUSES)
            | Q(to_school__in=school_ids, status=TransferStatus.SENT, route=TransferRoute.SAFEGUARD)
        )
        .select_related("child", "school", "to_school")
        .order_by("due_on", "pk")
    )
    for row in rows:
        row.incoming = row.to_school_id in school_ids and row.school_id not in school_ids
        row.late = not row.incoming and row.due_on < today
    return sorted(rows, key=lambda row: (not row.late, not row.incoming, row.due_on))


def transfers_waiting(
    *, user: User, context: RequestContext, schools: list[School], record_read: bool = True
) -> list[Transfer]:
    """The moving-school rows of the person's schools (see `transfers_waiting_rows`), for those who send and
    receive files there; recorded with the children they name, unless the caller records its page itself."""
    senders = set(schools_where(user, Capability.TRANSFER_FILE).values_list("pk", flat=True))
    schools = [school for school in schools if school.pk in senders]
    rows = transfers_waiting_rows(schools=schools, today=timezone.localdate()) if schools else []
    if record_read:
        _record_with_children(rows, user=user, context=context, schools=schools, object_type="transfer")
    return rows


def _awaiting(referrals: QuerySet, *, today) -> QuerySet:
    """Referrals still waiting for the agency's acknowledgement, or with a follow-up date that has come; not those of
    a child whose file has gone to another school, which the new school follows up."""
    return referrals.filter(
        Q(acknowledged_at__isnull=True, ack_due_at__isnull=False) | Q(follow_up_on__lte=today),
        child__transferred_at__isnull=True,
    )


def _record_with_children(rows: list, *, user: User, context: RequestContext, schools, object_type: str) -> None:
    """Record a side list of the queue (rows that name a child) with the children it named; nothing when empty."""
    if rows:
        record_shown(
            rows,
            user=user,
            context=context,
            school=schools[0] if len(schools) == 1 else None,
            object_type=object_type,
            detail={"children": sorted({str(row.child.uuid) for row in rows})},
        )
