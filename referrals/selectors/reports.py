"""The safeguarding report for governors, the trust board and inspectors: a school's (or a whole trust's) figures
for a period, each counted by the database in one aggregate query, then suppressed so that no child can be picked
out (`referrals.suppression`). Building a report records who built it, for which school or trust, which period and
in which form, before any figure leaves.

The number of queries is fixed: it does not grow with the number of concerns, and a trust's report adds one query
(its schools side by side), not one per school.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.utils import timezone

from referrals.access_clock import request_clock
from referrals.aggregates import Percentile, Seconds
from referrals.models import (
    AccessRequest,
    Action,
    AdultRecord,
    Concern,
    ConcernIndicator,
    Decision,
    DecisionOutcome,
    Escalation,
    IndicatorCategory,
    PatternAlert,
    Referral,
    ReferralEscalation,
    Transfer,
)
from referrals.models.access_requests import RequestStatus
from referrals.models.adults import AdultRecordKind
from referrals.models.agency_referrals import Agency, AgencyDecision
from referrals.models.concerns import Urgency
from referrals.models.reviews import Outcome
from referrals.models.transfers import TransferKind, TransferRoute, TransferStatus
from referrals.report_charts import bar_chart_svg, hbar_chart_svg, sparkline_svg
from referrals.report_periods import LONDON, Period, term_of
from referrals.selectors.queue import desk_counts
from referrals.suppression import Shown, Table, align_totals, count_shown, timing_cell
from safeguarding.accounts.models import Membership, School, Trust, User
from safeguarding.accounts.permissions import Capability, membership_capabilities, schools_where
from safeguarding.accounts.roles import Role
from safeguarding.audit.context import RequestContext
from safeguarding.audit.events import EventType
from safeguarding.audit.record import record

# A DSL's or deputy's training is renewed at least every two years (KCSIE Annex C; REQUIREMENTS.md R3.4).
TRAINING_YEARS = 2
TRAINING_SOON_DAYS = 90
# Who sees the counts of concerns about adults in a school's report: the case managers (KCSIE Part four).
ADULT_COUNT_ROLES = frozenset({Role.HEADTEACHER, Role.CHAIR})
FORMATS = {"page": EventType.VIEW, "pdf": EventType.DOWNLOAD, "xlsx": EventType.DOWNLOAD}


def ack_targets(schools: list[School]) -> dict[str, str]:
    """The acknowledgement target of each urgency in words: the school's own, or "each school's own" when the
    schools of a trust set different ones."""
    minutes = {s.sla_immediate_minutes for s in schools}
    days = {s.sla_routine_working_days for s in schools}
    return {
        Urgency.IMMEDIATE: f"within {minutes.pop()} minutes" if len(minutes) == 1 else "each school's own",
        Urgency.TODAY: "by the end of the school day",
        Urgency.ROUTINE: (
            "by the end of the next working day"
            if days == {1}
            else f"within {next(iter(days))} working days"
            if len(days) == 1
            else "each school's own"
        ),
    }


AGENCY_DECISION_SHORT = {
    AgencyDecision.IMMEDIATE_PROTECTION: "Immediate protection",
    AgencyDecision.SERVICES_REQUIRED: "Services required",
    AgencyDecision.CHILD_IN_NEED: "Child in need (s17)",
    AgencyDecision.SECTION_47: "Section 47 enquiries",
    AgencyDecision.SPECIALIST_ASSESSMENT: "Specialist assessment",
    AgencyDecision.NFA_SIGNPOST: "No further action or signposted",
}
AGENCY_SHORT = {
    Agency.SOCIAL_CARE: "Children's social care",
    Agency.NRM: "NRM (through children's services or police)",
}


@dataclass
class Section:
    key: str
    heading: str
    words: str
    tables: list[Table]
    # A chart of the section's first table: its labels and, for each series, its name and counts (None if hidden).
    chart_labels: list[str] = field(default_factory=list)
    chart_series: list[tuple[str, list[int | None]]] = field(default_factory=list)

    @property
    def svg(self):
        """The chart drawn as SVG, for the PDF: months across, long names down."""
        draw = bar_chart_svg if self.key == "by_month" else hbar_chart_svg
        return draw(title=self.heading, labels=self.chart_labels, series=self.chart_series)

    @property
    def has_chart(self) -> bool:
        """Whether there is a bar to draw: a chart of nothing but hidden counts is left out."""
        return bool(self.chart_labels) and any(value for _, values in self.chart_series for value in values)

    @property
    def chart(self) -> dict | None:
        if not self.has_chart:
            return None
        series = [{"name": name, "values": values} for name, values in self.chart_series]
        # Months read across; categories, outcomes and agencies (long names) read down.
        across = self.key == "by_month"
        return {"key": self.key, "labels": self.chart_labels, "series": series, "horizontal": not across}


@dataclass
class TrainingRow:
    membership: Membership
    due_on: date | None
    status: str

    @property
    def overdue(self) -> bool:
        return self.status == "Overdue"


@dataclass
class Report:
    scope: str  # "school" or "trust"
    name: str
    uuid: object
    schools: list[School]
    period: Period
    before: Period
    produced_by: User
    produced_at: object
    headline: dict[str, Shown]
    sections: list[Section]
    training: list[TrainingRow]
    adults_shown: bool

    @property
    def charts(self) -> list[dict]:
        return [section.chart for section in self.sections if section.chart]

    @property
    def training_overdue(self) -> int:
        return sum(1 for row in self.training if row.overdue)

    @property
    def tables(self) -> list[Table]:
        return [table for section in self.sections for table in section.tables]


# Who may read which report ------------------------------------------------------------------------------------


def report_schools(*, user: User) -> list[School]:
    return list(schools_where(user, Capability.READ_REPORTS).order_by("name"))


def report_trusts(*, user: User, memberships) -> list[Trust]:
    """The trusts whose whole report the person may read: those they hold the report capability over as a whole."""
    return [m.trust for m in memberships if m.trust_id and Capability.READ_REPORTS in membership_capabilities(m)]


def report_school_get(*, user: User, uuid) -> School:
    """The school whose report `user` may read; the same 404 whether it is missing or someone else's."""
    school = schools_where(user, Capability.READ_REPORTS).filter(uuid=uuid).first()
    if school is None:
        raise Http404
    return school


def report_trust_get(*, user: User, memberships, uuid) -> Trust:
    trust = next((t for t in report_trusts(user=user, memberships=memberships) if t.uuid == uuid), None)
    if trust is None:
        raise Http404
    return trust


def adults_shown_to(*, memberships, school: School) -> bool:
    """Whether the person reads the counts of concerns about adults at `school`: its headteacher or chair."""
    return any(m.school_id == school.pk and m.role in ADULT_COUNT_ROLES for m in memberships)


# The report --------------------------------------------------------------------------------------------------


def report_build(
    *,
    user: User,
    context: RequestContext,
    schools: list[School],
    period: Period,
    scope: str,
    name: str,
    uuid,
    output: str = "page",
    adults_shown: bool = False,
) -> Report:
    """Count every figure of the report for `schools` over `period` (as far as it has gone), record that the person
    built it, and return it suppressed. `scope` is "school" (one school) or "trust" (every school of a trust)."""
    today = timezone.localdate()
    period = period.counted_to(today)
    before = period.year_before()
    school = schools[0] if scope == "school" else None
    record(
        FORMATS[output],
        user=user,
        context=context,
        school=school,
        object_type="safeguarding_report",
        object_uuid=uuid,
        detail={"scope": scope, "first": period.first.isoformat(), "last": period.last.isoformat(), "format": output},
    )
    ids = [s.pk for s in schools]
    headline = _headline(ids, period, before)
    sections = [
        _by_month(ids, period, before),
        _by_category(ids, period, before),
        *([_by_school(schools, period, before)] if scope == "trust" else []),
        _waiting(schools, period),
        _outcomes(ids, period),
        _referrals(ids, period),
        _escalations(ids, period),
        _alerts(ids, period),
        _actions(ids, period, today),
        _transfers(ids, period, today),
        _access_requests(ids, period, today),
    ]
    if adults_shown:
        sections.append(_adults(ids, period))
    return Report(
        scope=scope,
        name=name,
        uuid=uuid,
        schools=schools,
        period=period,
        before=before,
        produced_by=user,
        produced_at=timezone.now(),
        headline=headline,
        sections=sections,
        training=training_rows(ids, today=today),
        adults_shown=adults_shown,
    )


def _in(period: Period, field_name: str) -> Q:
    return Q(**{f"{field_name}__gte": period.starts_at, f"{field_name}__lt": period.ends_at})


def _on(period: Period, field_name: str) -> Q:
    return Q(**{f"{field_name}__gte": period.first, f"{field_name}__lte": period.last})


def _in_time() -> Q:
    """Acknowledged by its due time (or with none set): for concerns and for referrals alike."""
    return Q(acknowledged_at__isnull=False) & (Q(ack_due_at__isnull=True) | Q(acknowledged_at__lte=F("ack_due_at")))


def training_due(trained: date | None) -> date | None:
    """When training done on `trained` is due again (R3.4)."""
    return trained + relativedelta(years=TRAINING_YEARS) if trained else None


def _both(period: Period, before: Period) -> Q:
    return _in(period, "recorded_at") | _in(before, "recorded_at")


def _headline(ids, period: Period, before: Period) -> dict[str, Shown]:
    figures = (
        Concern.objects.filter(school__in=ids)
        .filter(_both(period, before))
        .aggregate(
            concerns=Count("pk", filter=_in(period, "recorded_at")),
            before=Count("pk", filter=_in(before, "recorded_at")),
            children=Count("child", distinct=True, filter=_in(period, "recorded_at")),
        )
    )
    referrals = Referral.objects.filter(school__in=ids).filter(_in(period, "made_at")).count()
    return {key: count_shown(value) for key, value in {**figures, "referrals": referrals}.items()}


def _by_month(ids, period: Period, before: Period) -> Section:
    months = period.months()
    counts = {}
    rows = (
        Concern.objects.filter(school__in=ids)
        .filter(_both(period, before))
        .annotate(month=TruncMonth("recorded_at", tzinfo=LONDON))
        .values("month")
        .annotate(number=Count("pk"))
        .order_by()
    )
    for row in rows:
        counts[row["month"].astimezone(LONDON).date()] = row["number"]
    this = [counts.get(m, 0) for m in months]
    earlier = [counts.get(m.replace(year=m.year - 1), 0) for m in months]
    labels = [f"{m:%b %Y}" for m in months]
    table = Table(
        "Concerns recorded each month",
        labels,
        [period.label, f"A year earlier ({before.first:%b %Y} on)"],
        [list(pair) for pair in zip(this, earlier, strict=True)],
        column_totals=True,
    )
    return Section(
        "by_month",
        "Concerns each month",
        "Each pair of bars is one month: this period's concerns beside the same month a year earlier. A month "
        "with fewer than 5 shows no bar. The table below gives the same counts.",
        [table],
        chart_labels=labels,
        chart_series=[
            (table.columns[0], [row[0].number for row in table.shown]),
            (table.columns[1], [row[1].number for row in table.shown]),
        ],
    )


def _by_category(ids, period: Period, before: Period) -> Section:
    in_either = _in(period, "concern__recorded_at") | _in(before, "concern__recorded_at")
    rows = (
        ConcernIndicator.objects.filter(concern__school__in=ids)
        .filter(in_either)
        .values("indicator__category_id")
        .annotate(
            this=Count("concern", distinct=True, filter=_in(period, "concern__recorded_at")),
            before=Count("concern", distinct=True, filter=_in(before, "concern__recorded_at")),
        )
        .order_by()
    )
    found = {row["indicator__category_id"]: (row["this"], row["before"]) for row in rows}
    categories = list(IndicatorCategory.objects.filter(pk__in=found).order_by("order", "code"))
    totals = (
        Concern.objects.filter(school__in=ids)
        .filter(_both(period, before))
        .aggregate(
            this=Count("pk", filter=_in(period, "recorded_at")), before=Count("pk", filter=_in(before, "recorded_at"))
        )
    )
    table = Table(
        "Concerns by category of harm",
        [c.label for c in categories],
        [period.label, "A year earlier"],
        [list(found[c.pk]) for c in categories],
        column_totals=True,
        column_sums=[totals["this"], totals["before"]],
        total_label="All concerns",
        note="A concern can show signs in more than one category, so the categories can add up to more than all "
        "concerns.",
    )
    # The most frequent first, by what is shown: hidden and small counts keep the taxonomy's order at the end, so
    # that a row's place says nothing about a count the table hides.
    table.reorder(sorted(range(len(categories)), key=lambda i: -(table.shown[i][0].number or 0)))
    return Section(
        "by_category",
        "Concerns by category of harm",
        "Each bar is one category of harm: how many concerns recorded signs of it in this period, beside a year "
        "earlier. Categories with fewer than 5 show no bar.",
        [table],
        chart_labels=table.rows,
        chart_series=[
            (table.columns[0], [row[0].number for row in table.shown]),
            (table.columns[1], [row[1].number for row in table.shown]),
        ],
    )


def _by_school(schools: list[School], period: Period, before: Period) -> Section:
    rows = (
        Concern.objects.filter(school__in=[s.pk for s in schools])
        .filter(_both(period, before))
        .values("school_id")
        .annotate(
            this=Count("pk", filter=_in(period, "recorded_at")), before=Count("pk", filter=_in(before, "recorded_at"))
        )
        .order_by()
    )
    found = {row["school_id"]: [row["this"], row["before"]] for row in rows}
    table = Table(
        "Concerns by school",
        [s.name for s in schools],
        [period.label, "A year earlier"],
        [found.get(s.pk, [0, 0]) for s in schools],
        column_totals=True,
        total_label="The trust",
    )
    return Section(
        "by_school",
        "Concerns by school",
        "Each school's concerns in this period beside a year earlier.",
        [table],
        chart_labels=table.rows,
        chart_series=[(table.columns[0], [row[0].number for row in table.shown])],
    )


def _first_decision():
    return Decision.objects.filter(concern=OuterRef("pk")).order_by("decided_at").values("decided_at")[:1]


def _waiting(schools: list[School], period: Period) -> Section:
    ids, targets = [s.pk for s in schools], ack_targets(schools)
    acknowledged = Q(acknowledged_at__isnull=False)
    in_time = _in_time()
    decided = Q(first_decided__isnull=False)
    ack_seconds = Seconds(F("acknowledged_at") - F("recorded_at"))
    decide_seconds = Seconds(F("first_decided") - F("recorded_at"))
    rows = {
        row["urgency"]: row
        for row in Concern.objects.filter(school__in=ids)
        .filter(_in(period, "recorded_at"))
        .annotate(first_decided=Subquery(_first_decision()))
        .values("urgency")
        .annotate(
            in_time=Count("pk", filter=in_time),
            late=Count("pk", filter=acknowledged & Q(acknowledged_at__gt=F("ack_due_at"))),
            waiting=Count("pk", filter=Q(acknowledged_at__isnull=True)),
            ack_median=Percentile(ack_seconds, 0.5, filter=acknowledged),
            ack_tenth=Percentile(ack_seconds, 0.9, filter=acknowledged),
            decided=Count("pk", filter=decided),
            undecided=Count("pk", filter=~decided),
            decide_median=Percentile(decide_seconds, 0.5, filter=decided),
            decide_tenth=Percentile(decide_seconds, 0.9, filter=decided),
        )
        .order_by()
    }
    empty = dict.fromkeys(("in_time", "late", "waiting", "decided", "undecided"), 0)
    found = [(u, rows.get(u.value, empty)) for u in Urgency]
    acknowledgement = Table(
        "Time to acknowledge a concern",
        [u.label for u, _ in found],
        ["Acknowledged in time", "Acknowledged late", "Not yet acknowledged"],
        [[r["in_time"], r["late"], r["waiting"]] for _, r in found],
        row_totals=True,
        column_totals=True,
        total_label="Concerns",
        extra_columns=["The school's target", "Median wait", "Slowest tenth waited longer than"],
        extra=[
            [
                targets[u],
                timing_cell(r.get("ack_median"), group=r["in_time"] + r["late"]),
                timing_cell(r.get("ack_tenth"), group=r["in_time"] + r["late"]),
            ]
            for u, r in found
        ],
    )
    decision = Table(
        "Time to a decision",
        [u.label for u, _ in found],
        ["Decided", "Not yet decided"],
        [[r["decided"], r["undecided"]] for _, r in found],
        row_totals=True,
        column_totals=True,
        total_label="Concerns",
        extra_columns=["Median time to decide", "Slowest tenth took longer than"],
        extra=[
            [
                timing_cell(r.get("decide_median"), group=r["decided"]),
                timing_cell(r.get("decide_tenth"), group=r["decided"]),
            ]
            for _, r in found
        ],
    )
    align_totals(acknowledgement, decision)
    return Section(
        "waiting",
        "How quickly concerns were acknowledged and decided",
        "For the concerns recorded in this period, by how urgent the member of staff said they were: how many the "
        "DSL or a deputy acknowledged within the school's own target, the median wait (half waited less), and the "
        "wait that the slowest tenth went beyond. The time to a decision runs from recording to the first decision.",
        [acknowledgement, decision],
    )


def _outcomes(ids, period: Period) -> Section:
    decisions = Decision.objects.filter(concern__school__in=ids).filter(_in(period, "decided_at"))
    rows = dict(
        DecisionOutcome.objects.filter(decision__in=decisions)
        .values("outcome")
        .annotate(number=Count("decision", distinct=True))
        .values_list("outcome", "number")
        .order_by()
    )
    outcomes = [o for o in Outcome if rows.get(o.value)]
    table = Table(
        "Decisions by outcome",
        [o.label for o in outcomes],
        ["Decisions"],
        [[rows[o.value]] for o in outcomes],
        column_totals=True,
        column_sums=[decisions.count()],
        total_label="All decisions",
        note="A decision can have more than one outcome (a referral and monitoring in school), so the outcomes can "
        "add up to more than all decisions.",
    )
    return Section(
        "outcomes",
        "Decisions by outcome",
        "Each bar is one outcome the DSL or a deputy chose in this period, with the reasons recorded on the child's "
        "file.",
        [table],
        chart_labels=table.rows,
        chart_series=[("Decisions", [row[0].number for row in table.shown])],
    )


def _referrals(ids, period: Period) -> Section:
    referrals = Referral.objects.filter(school__in=ids).filter(_in(period, "made_at"))
    cross = {}
    for row in referrals.values("agency", "agency_decision").annotate(number=Count("pk")).order_by():
        cross[(row["agency"], row["agency_decision"])] = row["number"]
    agencies = [a for a in Agency if any(agency == a.value for agency, _ in cross)]
    decisions = [d for d in AgencyDecision if any(decision == d.value for _, decision in cross)]
    columns = [AGENCY_DECISION_SHORT[d] for d in decisions] + ["No decision recorded yet"]
    by_decision = Table(
        "Referrals by agency and by the agency's decision",
        [AGENCY_SHORT.get(a, a.label) for a in agencies],
        columns,
        [[cross.get((a.value, d.value), 0) for d in decisions] + [cross.get((a.value, ""), 0)] for a in agencies],
        row_totals=True,
        column_totals=True,
        total_label="Referrals",
    )
    acknowledged = Q(acknowledged_at__isnull=False)
    seconds = Seconds(F("acknowledged_at") - F("made_at"))
    timing = {
        row["agency"]: row
        for row in referrals.values("agency")
        .annotate(
            in_time=Count("pk", filter=_in_time()),
            late=Count("pk", filter=acknowledged & Q(acknowledged_at__gt=F("ack_due_at"))),
            waiting=Count("pk", filter=~acknowledged),
            median=Percentile(seconds, 0.5, filter=acknowledged),
            tenth=Percentile(seconds, 0.9, filter=acknowledged),
        )
        .order_by()
    }
    acknowledgement = Table(
        "How long agencies took to acknowledge a referral",
        by_decision.rows,
        ["Acknowledged by the due time (or none set)", "Acknowledged late", "Not acknowledged"],
        [[timing[a.value]["in_time"], timing[a.value]["late"], timing[a.value]["waiting"]] for a in agencies],
        row_totals=True,
        column_totals=True,
        total_label="Referrals",
        extra_columns=["Median time to acknowledge", "Slowest tenth took longer than"],
        extra=[
            [
                timing_cell(timing[a.value]["median"], group=timing[a.value]["in_time"] + timing[a.value]["late"]),
                timing_cell(timing[a.value]["tenth"], group=timing[a.value]["in_time"] + timing[a.value]["late"]),
            ]
            for a in agencies
        ],
    )
    align_totals(by_decision, acknowledgement)
    return Section(
        "referrals",
        "Referrals to agencies",
        "Each bar is one agency: how many referrals the school made to it in this period. The tables give what each "
        "agency decided and how long it took to acknowledge the referral (children's social care is due to "
        "acknowledge within one working day).",
        [by_decision, acknowledgement],
        chart_labels=by_decision.rows,
        chart_series=[("Referrals", [total.number for total in by_decision.row_totals_shown])],
    )


def _escalations(ids, period: Period) -> Section:
    levels = dict(
        Escalation.objects.filter(concern__school__in=ids)
        .filter(_in(period, "created_at"))
        .values("level")
        .annotate(number=Count("pk"))
        .values_list("level", "number")
        .order_by()
    )
    with_agencies = (
        ReferralEscalation.objects.filter(referral__school__in=ids).filter(_on(period, "escalated_on")).count()
    )
    table = Table(
        "Escalations",
        [*(level.label for level in Escalation.Level), "A referral escalated with the agency"],
        ["Escalations"],
        [*([levels.get(level.value, 0)] for level in Escalation.Level), [with_agencies]],
        column_totals=True,
    )
    return Section(
        "escalations",
        "Escalations",
        "A concern not acknowledged in time is escalated to the whole team, then to the headteacher; a referral the "
        "school disagreed with, or that had no reply, is escalated with the agency.",
        [table],
    )


RULE_LABELS = {
    "exploitation": "Several signs of exploitation from different staff",
    "frequency": "Many concerns in a short time",
    "disclosure": "A disclosure",
}


def _alerts(ids, period: Period) -> Section:
    still_open = Q(acknowledged_at__isnull=True) | Q(acknowledged_at__gte=period.ends_at)
    rows = {
        row["rule"]: row
        for row in PatternAlert.objects.filter(child__school__in=ids, created_at__lt=period.ends_at)
        .values("rule")
        .annotate(raised=Count("pk", filter=_in(period, "created_at")), open=Count("pk", filter=still_open))
        .order_by()
    }
    rules = [rule for rule in RULE_LABELS if rule in rows] + sorted(set(rows) - set(RULE_LABELS))
    table = Table(
        "Pattern alerts",
        [RULE_LABELS.get(rule, rule.replace("_", " ").capitalize()) for rule in rules],
        ["Raised in the period", "Open at its end"],
        [[rows[rule]["raised"], rows[rule]["open"]] for rule in rules],
        column_totals=True,
    )
    return Section(
        "alerts",
        "Pattern alerts",
        "Alerts raised when a child's concerns form a pattern, and how many were still waiting for the DSL to look "
        "at them at the end of the period.",
        [table],
    )


def _actions(ids, period: Period, today: date) -> Section:
    done = Q(completed_at__isnull=False)
    figures = (
        Action.objects.filter(school__in=ids)
        .filter(_on(period, "due_on"))
        .aggregate(
            in_time=Count("pk", filter=done & Q(completed_at__date__lte=F("due_on"))),
            late=Count("pk", filter=done & Q(completed_at__date__gt=F("due_on"))),
            overdue=Count("pk", filter=~done & Q(due_on__lt=today)),
            not_due=Count("pk", filter=~done & Q(due_on__gte=today)),
        )
    )
    table = Table(
        "Actions due in the period",
        ["Actions"],
        ["Done by the due date", "Done late", "Not done, past due", "Not yet due"],
        [[figures["in_time"], figures["late"], figures["overdue"], figures["not_due"]]],
        row_totals=True,
        total_label="Actions due",
    )
    return Section(
        "actions",
        "Actions done on time",
        "The tasks the DSL gave to staff (calls, meetings, checks) that fell due in this period.",
        [table],
    )


def _transfers(ids, period: Period, today: date) -> Section:
    outgoing = {
        row["kind"]: row
        for row in Transfer.objects.filter(school__in=ids)
        .exclude(status__in=[TransferStatus.CANCELLED, TransferStatus.NO_FILE])
        .filter(_on(period, "due_on"))
        .values("kind")
        .annotate(
            in_time=Count(
                "pk",
                filter=Q(sent_at__date__lte=F("due_on")) | Q(closed_at__date__lte=F("due_on"), sent_at__isnull=True),
            ),
            late=Count(
                "pk", filter=Q(sent_at__date__gt=F("due_on")) | Q(closed_at__date__gt=F("due_on"), sent_at__isnull=True)
            ),
            overdue=Count("pk", filter=Q(sent_at__isnull=True, closed_at__isnull=True, due_on__lt=today)),
            not_due=Count("pk", filter=Q(sent_at__isnull=True, closed_at__isnull=True, due_on__gte=today)),
        )
        .order_by()
    }
    incoming = (
        Transfer.objects.filter(to_school__in=ids, route=TransferRoute.SAFEGUARD)
        .filter(_in(period, "sent_at"))
        .aggregate(
            in_time=Count("pk", filter=Q(sent_at__date__lte=F("due_on"))),
            late=Count("pk", filter=Q(sent_at__date__gt=F("due_on"))),
        )
    )
    empty = dict.fromkeys(("in_time", "late", "overdue", "not_due"), 0)
    send, unknown = outgoing.get(TransferKind.SEND_FILE, empty), outgoing.get(TransferKind.MISSING_EDUCATION, empty)
    table = Table(
        "Children moving school",
        [
            "Leavers' files sent to the next school",
            "Destination unknown: local authority told",
            "Files that came in from other schools",
        ],
        ["On time", "Late", "Not done, past due", "Not yet due"],
        [
            [send["in_time"], send["late"], send["overdue"], send["not_due"]],
            [unknown["in_time"], unknown["late"], unknown["overdue"], unknown["not_due"]],
            [incoming["in_time"], incoming["late"], 0, 0],
        ],
        row_totals=True,
        column_totals=True,
    )
    return Section(
        "transfers",
        "Transfers in and out",
        "A leaver's child protection file is due at the new school within 5 school days (15 at the start of a term); "
        "the rows out count the files and notices due in this period, the row in counts files sent to this school "
        "on Safeguard, on time when the sending school met its own date.",
        [table],
    )


def _access_requests(ids, period: Period, today: date) -> Section:
    counts = dict.fromkeys(("in_time", "late", "open_overdue", "open"), 0)
    requests = (
        AccessRequest.objects.filter(school__in=ids).filter(_on(period, "received_on")).prefetch_related("pauses")
    )
    for access_request in requests:
        due = request_clock(access_request).due
        released = access_request.released_at
        if access_request.status == RequestStatus.RELEASED and released is not None:
            late = due is not None and timezone.localdate(released) > due
            counts["late" if late else "in_time"] += 1
        elif due is not None and due < today:
            counts["open_overdue"] += 1
        else:
            counts["open"] += 1
    table = Table(
        "Subject access requests received in the period",
        ["Requests"],
        ["Answered in time", "Answered late", "Open, past the due date", "Open, in time"],
        [[counts["in_time"], counts["late"], counts["open_overdue"], counts["open"]]],
        row_totals=True,
        total_label="Received",
    )
    return Section(
        "access_requests",
        "Subject access requests",
        "Requests for the records about a child: due one calendar month after the clock starts (three with an "
        "extension), as the ICO's guidance sets.",
        [table],
    )


def _adults(ids, period: Period) -> Section:
    rows = {
        row["kind"]: row
        for row in AdultRecord.objects.filter(school__in=ids)
        .filter(_in(period, "raised_at"))
        .values("kind")
        .annotate(
            closed=Count("pk", filter=Q(closed_at__isnull=False)), open=Count("pk", filter=Q(closed_at__isnull=True))
        )
        .order_by()
    }
    empty = {"closed": 0, "open": 0}
    kinds = list(AdultRecordKind)
    table = Table(
        "Concerns about adults raised in the period",
        ["Allegations", "Low-level concerns"],
        ["Closed", "Still open"],
        [[rows.get(k.value, empty)["closed"], rows.get(k.value, empty)["open"]] for k in kinds],
        row_totals=True,
        column_totals=True,
        total_label="Raised",
    )
    return Section(
        "adults",
        "Allegations and low-level concerns about adults",
        "Counts only, for the headteacher and the chair of governors as case managers: no names, no details.",
        [table],
    )


def training_rows(ids, *, today: date) -> list[TrainingRow]:
    """The DSL and deputies of the schools, with the date their training is due again (R3.4)."""
    rows = []
    team = (
        Membership.objects.active()
        .filter(school__in=ids, role__in=[Role.DSL, Role.DEPUTY_DSL])
        .select_related("user", "school")
        .order_by("school__name", "user__full_name")
    )
    for membership in sorted(team, key=lambda m: (m.school.name, m.role != Role.DSL)):
        trained = membership.dsl_trained_on
        due = training_due(trained)
        if due is None:
            status = "No training date recorded"
        elif due < today:
            status = "Overdue"
        elif due <= today + timedelta(days=TRAINING_SOON_DAYS):
            status = "Due within 3 months"
        else:
            status = "In date"
        rows.append(TrainingRow(membership, due, status))
    return rows


# The trust lead's oversight ----------------------------------------------------------------------------------


@dataclass
class OversightRow:
    """One school on the trust lead's home: what waits now, this term so far against the same days a year ago, the
    last twelve months' concerns, and its DSL."""

    school: School
    desk: object  # referrals.selectors.queue.DeskCounts
    dsl: Membership | None
    term: int = 0
    term_before: int = 0
    acknowledged: int = 0
    in_time: int = 0
    trend: list[int] = field(default_factory=list)
    trend_months: list[date] = field(default_factory=list)
    today: date | None = None

    @property
    def no_dsl(self) -> bool:
        return self.dsl is None

    @property
    def training_due(self) -> date | None:
        return training_due(self.dsl.dsl_trained_on if self.dsl else None)

    @property
    def training_overdue(self) -> bool:
        return self.training_due is not None and self.training_due < self.today

    @property
    def rise(self) -> bool:
        """Concerns this term so far are up on the same days a year ago by a quarter or more (any from none)."""
        return self.term > self.term_before and 4 * (self.term - self.term_before) >= self.term_before

    @property
    def reasons(self) -> list[str]:
        reasons = []
        if self.desk.overdue:
            reasons.append(f"{self.desk.overdue} overdue to acknowledge")
        if self.no_dsl:
            reasons.append("No active DSL")
        if self.training_overdue:
            reasons.append("DSL training overdue")
        if self.rise:
            reasons.append("Concerns up on last year")
        return reasons

    @property
    def attention(self) -> tuple:
        """The order of the schools: a child waiting past the time first, then a school without a DSL, a DSL whose
        training is overdue, concerns rising on last year; then whatever waits most."""
        return (
            not self.desk.overdue,
            -self.desk.overdue,
            not self.no_dsl,
            not self.training_overdue,
            not self.rise,
            self.desk.attention,
            self.school.name,
        )

    @property
    def trend_label(self) -> str:
        first, last = self.trend_months[0], self.trend_months[-1]
        counts = ", ".join(str(n) for n in self.trend)
        return f"Concerns each month from {first:%b %Y} to {last:%b %Y}: {counts}"

    @property
    def sparkline(self):
        return sparkline_svg(self.trend, label=self.trend_label)


def trust_oversight(*, schools: list[School], today: date | None = None) -> list[OversightRow]:
    """The trust lead's schools, one row each, the one needing attention first. A fixed number of queries however
    many schools and concerns: what waits (`desk_counts`), the DSLs, this term's figures and the trend."""
    today = today or timezone.localdate()
    ids = [s.pk for s in schools]
    desk = desk_counts(schools=schools)
    dsls = {
        m.school_id: m for m in Membership.objects.active().filter(school__in=ids, role=Role.DSL).select_related("user")
    }
    term = term_of(today).counted_to(today)
    before = term.year_before()
    acknowledged = Q(acknowledged_at__isnull=False) & _in(term, "recorded_at")
    figures = {
        row["school_id"]: row
        for row in Concern.objects.filter(school__in=ids)
        .filter(_both(term, before))
        .values("school_id")
        .annotate(
            term=Count("pk", filter=_in(term, "recorded_at")),
            term_before=Count("pk", filter=_in(before, "recorded_at")),
            acknowledged=Count("pk", filter=acknowledged),
            in_time=Count("pk", filter=_in_time() & _in(term, "recorded_at")),
        )
        .order_by()
    }
    months = [today.replace(day=1) - relativedelta(months=k) for k in range(11, -1, -1)]
    trend = {}
    for row in (
        Concern.objects.filter(school__in=ids, recorded_at__gte=Period(months[0], today, "").starts_at)
        .annotate(month=TruncMonth("recorded_at", tzinfo=LONDON))
        .values("school_id", "month")
        .annotate(number=Count("pk"))
        .order_by()
    ):
        trend[(row["school_id"], row["month"].astimezone(LONDON).date())] = row["number"]
    rows = []
    for school in schools:
        found = figures.get(school.pk, {})
        rows.append(
            OversightRow(
                school=school,
                desk=desk[school.pk],
                dsl=dsls.get(school.pk),
                term=found.get("term", 0),
                term_before=found.get("term_before", 0),
                acknowledged=found.get("acknowledged", 0),
                in_time=found.get("in_time", 0),
                trend=[trend.get((school.pk, month), 0) for month in months],
                trend_months=months,
                today=today,
            )
        )
    return sorted(rows, key=lambda row: row.attention)
