"""The child's file for the safeguarding team: front sheet, chronology and indicators over time.

The chronology is derived, never stored: concerns, addenda, decisions, closures and notes of one child, merged in
the order they happened, a page at a time, with the same few queries however long the history.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, Value
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import timezone

from referrals.models import (
    Action,
    Addendum,
    Attachment,
    CaseNote,
    Child,
    Closure,
    Concern,
    ConcernIndicator,
    ConcernMove,
    ConcernStatus,
    Decision,
    DecisionOutcome,
    PatternAlert,
    Referral,
    Screening,
)

PER_PAGE = 50


@dataclass
class Entry:
    when: datetime
    kind: str
    item: object


KINDS = (
    "concern",
    "addendum",
    "decision",
    "referral",
    "closure",
    "move",
    "note",
    "action",
    "completion",
    "screening",
)


def _sources(child: Child, kinds):
    sources = {
        "concern": Concern.objects.filter(child=child)
        .select_related("author")
        .prefetch_related(
            Prefetch("indicators", queryset=ConcernIndicator.objects.select_related("indicator__category")),
            "body_marks",
        )
        .order_by("observed_at", "pk"),
        "addendum": Addendum.objects.filter(concern__child=child)
        .select_related("author", "concern")
        .order_by("created_at", "pk"),
        "decision": Decision.objects.filter(concern__child=child)
        .select_related("decided_by", "concern")
        .prefetch_related("outcomes")
        .order_by("decided_at", "pk"),
        "closure": Closure.objects.filter(concern__child=child)
        .select_related("closed_by", "concern")
        .order_by("closed_at", "pk"),
        "referral": Referral.objects.filter(child=child)
        .select_related("made_by")
        .prefetch_related("decisions")
        .order_by("made_at", "pk"),
        "move": ConcernMove.objects.filter(Q(from_child=child) | Q(to_child=child))
        .select_related("moved_by", "concern", "from_child", "to_child")
        .order_by("moved_at", "pk"),
        "note": CaseNote.objects.filter(child=child).select_related("author").order_by("happened_at", "pk"),
        "action": Action.objects.filter(child=child)
        .select_related("owner", "assigned_by", "concern")
        .order_by("assigned_at", "pk"),
        "completion": Action.objects.filter(child=child, completed_at__isnull=False)
        .select_related("owner", "completed_by")
        .order_by("completed_at", "pk"),
        "screening": Screening.objects.filter(child=child).select_related("done_by", "tool").order_by("done_at", "pk"),
    }
    when = {
        "concern": "observed_at",
        "addendum": "created_at",
        "decision": "decided_at",
        "closure": "closed_at",
        "move": "moved_at",
        "referral": "made_at",
        "note": "happened_at",
        "action": "assigned_at",
        "completion": "completed_at",
        "screening": "done_at",
    }
    return {kind: (sources[kind], when[kind]) for kind in kinds}


def chronology_page(*, child: Child, page: int | None, kinds=KINDS, date_from=None, date_to=None, category=""):
    """One page of the child's story; page 1 holds the latest entries, each page reads in the order things
    happened. Returns (entries, page, pages).

    Read in two steps whatever the length of the history: the time, kind and id of every entry, counted and
    paged in one query each, then the records of the page's span of time, one query a kind.
    A category narrows the concerns (and their addenda, decisions and closures) to those with a sign of it."""
    sources = _sources(child, kinds)
    keys = []
    for kind, (queryset, field) in sources.items():
        if category and kind == "concern":
            queryset = queryset.filter(indicators__indicator__category__code=category)
        elif category and kind in ("addendum", "decision", "closure"):
            queryset = queryset.filter(concern__indicators__indicator__category__code=category)
        if date_from:
            queryset = queryset.filter(**{f"{field}__date__gte": date_from})
        if date_to:
            queryset = queryset.filter(**{f"{field}__date__lte": date_to})
        keys.append(
            queryset.order_by()
            .annotate(entry_at=F(field), entry_kind=Value(kind))
            .values_list("entry_at", "entry_kind", "pk")
        )
    if not keys:
        return [], 1, 1
    # UNION (not ALL) also drops the repeats a category's join can make of one record.
    everything = keys[0].union(*keys[1:])
    pages = max(1, -(-everything.count() // PER_PAGE))
    page = min(max(1, page or 1), pages)
    chosen = list(everything.order_by("-entry_at", "-entry_kind", "-pk")[(page - 1) * PER_PAGE : page * PER_PAGE])
    if not chosen:
        return [], page, pages
    # Each kind's records within the page's span of time: one query a kind, whichever kinds the page holds.
    # Records in the span that are not on the page (another kind of filter, a tie at an edge) are left out.
    newest, oldest = chosen[0][0], chosen[-1][0]
    wanted = {(kind, pk) for _, kind, pk in chosen}
    records = {
        (kind, item.pk): item
        for kind, (queryset, field) in sources.items()
        for item in queryset.filter(**{f"{field}__gte": oldest, f"{field}__lte": newest})
        if (kind, item.pk) in wanted
    }
    return [Entry(when, kind, records[kind, pk]) for when, kind, pk in reversed(chosen)], page, pages


def chronology_all(*, child: Child) -> list[Entry]:
    """The whole story in order, for the file PDF."""
    entries = [
        Entry(getattr(item, field), kind, item)
        for kind, (queryset, field) in _sources(child, KINDS).items()
        for item in queryset
    ]
    return sorted(entries, key=lambda entry: entry.when)


def indicators_by_month(*, child: Child) -> tuple[list[dict], dict]:
    """Counts of ticked indicators by category and month: rows for the table, and the same as JSON for the chart."""
    rows = list(
        ConcernIndicator.objects.filter(concern__child=child)
        .annotate(month=TruncMonth("concern__observed_at"))
        .values("month", "indicator__category__label")
        .annotate(count=Count("id"))
        .order_by("month", "indicator__category__label")
    )
    months = sorted({row["month"] for row in rows})
    categories = sorted({row["indicator__category__label"] for row in rows})
    counts = {(row["month"], row["indicator__category__label"]): row["count"] for row in rows}
    labels = {month: timezone.localtime(month).strftime("%b %Y") for month in months}
    for row in rows:
        row["month_label"] = labels[row["month"]]
    chart = {
        "labels": list(labels.values()),
        "datasets": [
            {"label": category, "data": [counts.get((month, category), 0) for month in months]}
            for category in categories
        ],
    }
    return rows, chart


def child_front_sheet(*, child: Child) -> dict:
    return {
        "open_concerns": Concern.objects.filter(child=child).exclude(status=ConcernStatus.CLOSED).count(),
        "alerts": list(PatternAlert.objects.filter(child=child).prefetch_related("concerns")),
    }


@dataclass(frozen=True)
class ConcernHeading:
    """What a line of a child's history shows of the concern itself."""

    uuid: uuid.UUID
    reference: str
    # Worked out once a line here rather than by a filter and a tag in each of a long history's rows.
    recorded_on: str  # "4 Dec 2026", in UK time
    url: str  # its review page


def _day(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local.day} {local:%b %Y}"


@dataclass
class ConcernLine:
    """One concern of a child's history, in a line: when, what it was about, where it stands."""

    concern: ConcernHeading
    categories: list[str]
    outcome: str


STATUS_LABELS = dict(ConcernStatus.choices)
OUTCOME_LABELS = dict(DecisionOutcome._meta.get_field("outcome").choices)


def child_concerns(*, child: Child, before: Concern | None = None) -> list[ConcernLine]:
    """Every concern about `child`, open and closed, newest first (only those recorded before `before`, when
    given): its categories and its latest decision's outcomes, or its status while undecided. Four queries of
    plain values, however long the history: a child's file lists every concern, so no model instance is made."""
    concerns = Concern.objects.filter(child=child)
    if before is not None:
        concerns = concerns.filter(recorded_at__lt=before.recorded_at).exclude(pk=before.pk)
    rows = list(
        concerns.order_by("-recorded_at", "-pk").values_list("pk", "uuid", "reference", "recorded_at", "status")
    )
    ids = [row[0] for row in rows]
    categories: dict[int, dict[str, None]] = {pk: {} for pk in ids}
    for concern_id, label in (
        ConcernIndicator.objects.filter(concern_id__in=ids)
        .order_by("concern_id", "pk")
        .values_list("concern_id", "indicator__category__label")
    ):
        categories[concern_id][label] = None
    latest: dict[int, int] = {}
    for decision_id, concern_id in (
        Decision.objects.filter(concern_id__in=ids).order_by("-decided_at", "-pk").values_list("pk", "concern_id")
    ):
        latest.setdefault(concern_id, decision_id)
    outcomes: dict[int, list[str]] = {pk: [] for pk in latest.values()}
    for decision_id, outcome in (
        DecisionOutcome.objects.filter(decision_id__in=list(latest.values()))
        .order_by("pk")
        .values_list("decision_id", "outcome")
    ):
        outcomes[decision_id].append(OUTCOME_LABELS.get(outcome, outcome))
    # One URL reversed, the others made from it: the same address `{% url %}` would give each line.
    blank = uuid.UUID(int=0)
    review_url = reverse("concern_review", args=[blank])
    lines = []
    for pk, concern_uuid, reference, recorded_at, status in rows:
        if pk in latest:
            outcome = ", ".join(outcomes[latest[pk]])
            if status == ConcernStatus.CLOSED:
                outcome += " (closed)"
        else:
            outcome = STATUS_LABELS.get(status, status)
        url = review_url.replace(str(blank), str(concern_uuid))
        heading = ConcernHeading(concern_uuid, reference, _day(recorded_at), url)
        lines.append(ConcernLine(heading, list(categories[pk]), outcome))
    return lines


def child_attachments(*, child: Child) -> list[Attachment]:
    """The files attached to the concerns about `child`, newest first, each with the references of its concerns
    about the child (`concern_references`)."""
    attachments = list(
        Attachment.objects.filter(Exists(Concern.objects.filter(incident=OuterRef("incident"), child=child)))
        .select_related("uploaded_by")
        .order_by("-created_at", "-pk")
    )
    references: dict[int, list[str]] = {}
    for incident_id, reference in Concern.objects.filter(
        child=child, incident__in={attachment.incident_id for attachment in attachments}
    ).values_list("incident_id", "reference"):
        references.setdefault(incident_id, []).append(reference)
    for attachment in attachments:
        attachment.concern_references = sorted(references.get(attachment.incident_id, []))
    return attachments


def child_open_referrals(*, child: Child) -> list[Referral]:
    """The child's referrals still in play: no decision from the agency yet, or a follow-up still to come."""
    today = timezone.localdate()
    return list(
        Referral.objects.filter(child=child)
        .filter(Q(agency_decision="") | Q(follow_up_on__gte=today))
        .order_by("-made_at")
    )


def child_open_alerts(*, child: Child) -> list[PatternAlert]:
    return list(PatternAlert.objects.filter(child=child, acknowledged_at__isnull=True).order_by("-created_at"))


def child_actions(*, child: Child) -> list[Action]:
    """The actions about `child`: open ones first, by due date, then those done, the latest first."""
    actions = list(Action.objects.filter(child=child).select_related("owner", "concern", "completed_by"))
    still_open = sorted((a for a in actions if a.is_open), key=lambda a: (a.due_on, a.pk))
    done = sorted((a for a in actions if not a.is_open), key=lambda a: a.completed_at, reverse=True)
    return still_open + done


def child_concern(*, child: Child, concern_uuid: str) -> Concern | None:
    """One of `child`'s concerns by its UUID as a form sent it; None when none is named or it is not the child's."""
    try:
        return Concern.objects.filter(child=child, uuid=uuid.UUID(concern_uuid)).first() if concern_uuid else None
    except ValueError:
        return None


def referral_sharable(*, concern: Concern) -> tuple[list[Concern], list[Attachment]]:
    """What a referral from `concern` may share: the concern itself first, then the child's other concerns, newest
    first; and the files attached to any of them."""
    if concern.child_id is None:
        return [concern], list(concern.incident.attachments.all())
    others = list(
        Concern.objects.filter(child_id=concern.child_id).exclude(pk=concern.pk).order_by("-observed_at", "-pk")
    )
    return [concern, *others], child_attachments(child=concern.child)
