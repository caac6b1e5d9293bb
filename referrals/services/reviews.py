"""The safeguarding team's work on a concern: acknowledging, assigning, and escalation when nobody has.

Every transition locks the concern's row, checks its state and version, writes, and records its audit event in
one transaction. Two people acting at once: the second is told what happened instead of overwriting it.
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from referrals.clocks import SchoolCalendar, out_of_school_hours
from referrals.models import (
    OUTCOME_AGENCIES,
    Agency,
    Closure,
    Concern,
    ConcernMove,
    ConcernStatus,
    Decision,
    DecisionOutcome,
    Escalation,
    InformationRequest,
    Notification,
    Outcome,
    PatternAlert,
    Referral,
    RiskNeedsAssessment,
    Threshold,
    Urgency,
)
from referrals.patterns import patterns_evaluate
from referrals.services.transfers import file_must_be_open
from safeguarding.accounts.access import school_safeguarding_team
from safeguarding.accounts.models import User
from safeguarding.accounts.permissions import Capability, can
from safeguarding.audit.context import RequestContext
from safeguarding.audit.events import EventType
from safeguarding.audit.record import record
from safeguarding.core.emails import email_enqueue


class ConcernConflict(Exception):
    """Someone else changed the concern first; the message says what happened."""


def _locked(
    concern: Concern, *, actor: User, expected_version: int | None, needs: Capability = Capability.ACT_ON_CONCERN
) -> Concern:
    concern = Concern.objects.select_for_update(of=("self",)).select_related("school", "child").get(pk=concern.pk)
    if not can(actor, needs, concern.school):
        raise PermissionDenied
    file_must_be_open(concern.child)
    if expected_version is not None and concern.version != expected_version:
        raise ConcernConflict(
            "Someone else changed this concern while you were looking at it. Here it is as it is now."
        )
    return concern


def _audit(concern: Concern, *, actor, context, action: str, **detail) -> None:
    record(
        EventType.UPDATE,
        user=actor,
        context=context,
        school=concern.school,
        object_type="concern",
        object_uuid=concern.uuid,
        child_uuid=concern.child.uuid if concern.child_id else None,
        detail={"action": action, **detail},
    )


@transaction.atomic
def concern_acknowledge(
    *, actor: User, context: RequestContext | None, concern: Concern, expected_version: int | None = None
) -> Concern:
    """The DSL or a deputy has seen it: the clock stops and the author now sees "acknowledged"."""
    concern = _locked(concern, actor=actor, expected_version=expected_version)
    if concern.status != ConcernStatus.SUBMITTED:
        who = concern.acknowledged_by or "someone"
        when = timezone.localtime(concern.acknowledged_at) if concern.acknowledged_at else None
        raise ConcernConflict(f"{who} acknowledged this concern already{f' at {when:%H:%M}' if when else ''}.")
    concern.status = ConcernStatus.IN_REVIEW
    concern.acknowledged_at = timezone.now()
    concern.acknowledged_by = actor
    concern.assigned_to = concern.assigned_to or actor
    concern.version += 1
    concern.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "assigned_to", "version"])
    _audit(concern, actor=actor, context=context, action="acknowledged")
    return concern


@transaction.atomic
def concern_assign(
    *, actor: User, context: RequestContext | None, concern: Concern, to: User, expected_version: int | None = None
) -> Concern:
    concern = _locked(concern, actor=actor, expected_version=expected_version)
    if concern.status == ConcernStatus.CLOSED:
        raise ConcernConflict("This concern is closed: reopen it first.")
    if not can(to, Capability.ACT_ON_CONCERN, concern.school):
        raise PermissionDenied
    concern.assigned_to = to
    concern.version += 1
    concern.save(update_fields=["assigned_to", "version"])
    _audit(concern, actor=actor, context=context, action="assigned", to=str(to.uuid))
    return concern


def _second_level_due(concern: Concern, now, calendar) -> bool:
    """The headteacher is told when the concern has waited past its time by as long again (at least 15 minutes),
    or at once for an immediate risk raised out of school hours."""
    if concern.urgency == Urgency.IMMEDIATE and out_of_school_hours(concern.school, concern.recorded_at, calendar):
        return True
    allowed = max(concern.ack_due_at - concern.recorded_at, timedelta(minutes=15))
    return now >= concern.ack_due_at + allowed


def escalate_overdue(*, now=None) -> int:
    """Send each escalation that is due and not yet sent; returns how many were sent. Safe to run again.

    Due means past the acknowledgement clock, or, for an immediate risk raised out of school hours, at once.
    """
    now = now or timezone.now()
    waiting = Concern.objects.filter(status=ConcernStatus.SUBMITTED).select_related("school")
    overdue = waiting.filter(Q(ack_due_at__lte=now) | Q(urgency=Urgency.IMMEDIATE, escalations__isnull=True))
    calendars = {}
    sent = 0
    for concern in overdue.distinct():
        calendar = calendars.setdefault(concern.school_id, SchoolCalendar(concern.school))
        if concern.ack_due_at > now and not out_of_school_hours(concern.school, concern.recorded_at, calendar):
            continue  # an immediate risk in school hours: its 15 minutes are still running
        levels = [Escalation.Level.TEAM]
        if _second_level_due(concern, now, calendar):
            levels.append(Escalation.Level.HEADTEACHER)
        for level in levels:
            sent += _escalate(concern, level)
    return sent


def _escalate(concern: Concern, level: int) -> int:
    try:
        with transaction.atomic():
            # Checked again under the row lock: acknowledged meanwhile means no escalation.
            if not Concern.objects.select_for_update().filter(pk=concern.pk, status=ConcernStatus.SUBMITTED).exists():
                return 0
            Escalation.objects.create(concern=concern, level=level)
            team = list(school_safeguarding_team(school=concern.school))
            Notification.objects.bulk_create(
                Notification(
                    recipient=member.user,
                    school=concern.school,
                    kind=Notification.Kind.ESCALATION,
                    concern=concern,
                    child=concern.child,
                    urgency=concern.urgency,
                )
                for member in team
            )
            recipients = [member.user.email for member in team]
            if level == Escalation.Level.HEADTEACHER and concern.school.headteacher_email:
                recipients.append(concern.school.headteacher_email)
            label = Urgency(concern.urgency).label
            due = timezone.localtime(concern.ack_due_at)
            if concern.ack_due_at > timezone.now():  # an immediate risk raised out of school hours
                subject = f"[URGENT] Safeguard: an immediate-risk concern at {concern.school.name}, out of hours"
                opening = (
                    f"URGENT. A concern marked '{label}' was raised at {concern.school.name} out of school hours. "
                    f"It needs acknowledging by {due:%H:%M on %a %d %b}."
                )
            else:
                subject = f"[OVERDUE] Safeguard: a concern ({label}) at {concern.school.name} is not yet acknowledged"
                opening = (
                    f"SECOND NOTICE. A concern marked '{label}' at {concern.school.name} was due to be acknowledged "
                    f"by {due:%H:%M on %a %d %b} and nobody has yet."
                )
            email_enqueue(
                to=recipients,
                subject=subject,
                body=(
                    f"{opening}\n\nSign in to Safeguard ({settings.SITE_URL}/queue/) to see it. "
                    "This email holds no names or details, on purpose.\n"
                ),
            )
            record(
                EventType.UPDATE,
                school=concern.school,
                object_type="concern",
                object_uuid=concern.uuid,
                child_uuid=concern.child.uuid if concern.child_id else None,
                reason="escalated",
                detail={"action": "escalated", "level": level},
            )
    except IntegrityError:
        return 0
    return 1


class ClosureIncomplete(ValueError):
    """Closing refused: the message names what is missing."""


@transaction.atomic
def decision_record(
    *,
    actor: User,
    context: RequestContext | None,
    concern: Concern,
    outcomes: list[str],
    rationale: str,
    threshold: str,
    next_review=None,
    relies_on: list[Concern] | None = None,
    expected_version: int | None = None,
) -> Decision:
    """Record a decision with its reasons: one or more outcomes, the rationale (always, also for no referral),
    the threshold applied (one of the school's levels of need), the child's earlier concerns the reasons rely on,
    and the next review date."""
    concern = _locked(concern, actor=actor, expected_version=expected_version)
    if concern.status not in (ConcernStatus.IN_REVIEW, ConcernStatus.DECIDED):
        raise ConcernConflict(
            "Acknowledge the concern before deciding."
            if concern.status == ConcernStatus.SUBMITTED
            else "This concern is closed: reopen it first."
        )
    outcomes = [Outcome(value) for value in dict.fromkeys(outcomes)]
    if not outcomes:
        raise ValueError("Choose at least one outcome.")
    if not rationale.strip():
        raise ValueError("Give the reasons for the decision, also when nothing is referred.")
    if not threshold and any(value in OUTCOME_AGENCIES for value in outcomes):
        raise ValueError("Choose the threshold applied: a referral needs one.")
    if next_review is None and outcomes != [Outcome.NO_FURTHER_ACTION]:
        raise ValueError("Give the date of the next review: every decision but no further action has one.")
    if threshold and threshold not in (concern.school.threshold_level_names or Threshold.values):
        raise ValueError("Choose one of the school's levels of need.")
    decision = Decision.objects.create(
        concern=concern,
        decided_by=actor,
        rationale=rationale.strip(),
        threshold=threshold,
        next_review=next_review,
    )
    decision.relies_on.set(
        [c for c in relies_on or [] if c.child_id == concern.child_id and c.child_id and c.pk != concern.pk]
    )
    DecisionOutcome.objects.bulk_create(DecisionOutcome(decision=decision, outcome=value) for value in outcomes)
    concern.status = ConcernStatus.DECIDED
    concern.version += 1
    concern.save(update_fields=["status", "version"])
    record(
        EventType.DECISION,
        user=actor,
        context=context,
        school=concern.school,
        object_type="concern",
        object_uuid=concern.uuid,
        child_uuid=concern.child.uuid if concern.child_id else None,
        detail={"decision": str(decision.uuid), "outcomes": [str(v) for v in outcomes], "threshold": threshold},
    )
    return decision


CLOSURE_PARTS = {
    "summary": "the summary of the concern",
    "follow_up": "how it was followed up and resolved",
    "outcome": "the action, decisions and outcome",
}


@transaction.atomic
def concern_close(
    *,
    actor: User,
    context: RequestContext | None,
    concern: Concern,
    summary: str,
    follow_up: str,
    outcome: str,
    expected_version: int | None = None,
) -> Closure:
    """Close a decided concern, with the three things KCSIE asks of a record; refused, naming what is missing."""
    values = {"summary": summary.strip(), "follow_up": follow_up.strip(), "outcome": outcome.strip()}
    missing = [label for name, label in CLOSURE_PARTS.items() if not values[name]]
    if missing:
        listed = ", ".join(missing[:-1]) + (" and " if len(missing) > 1 else "") + missing[-1]
        raise ClosureIncomplete(f"To close, record {listed}.")
    concern = _locked(concern, actor=actor, expected_version=expected_version)
    if concern.status != ConcernStatus.DECIDED:
        raise ConcernConflict("Record a decision, with its reasons, before closing.")
    assessment = RiskNeedsAssessment.objects.filter(concern=concern, required=True, recorded_at__isnull=True)
    if assessment.exists():
        raise ClosureIncomplete(
            "Record the risk and needs assessment before closing: a report of sexual violence needs one (R3.7)."
        )
    if unreferred := _referrals_missing(concern):
        raise ClosureIncomplete(
            f"The decision was to refer to {unreferred}: record the referral before closing (R2.1, R4.1)."
        )
    closure = Closure.objects.create(concern=concern, closed_by=actor, **values)
    concern.status = ConcernStatus.CLOSED
    concern.version += 1
    concern.save(update_fields=["status", "version"])
    _audit(concern, actor=actor, context=context, action="closed")
    return closure


@transaction.atomic
def risk_assessment_record(
    *,
    actor: User,
    context: RequestContext | None,
    concern: Concern,
    risks: str = "",
    needs_and_arrangements: str = "",
    not_needed_reason: str = "",
) -> RiskNeedsAssessment:
    """The DSL's risk and needs assessment after a report of sexual violence or harassment between children, written
    once; or, after harassment only, why none is needed. The audit event names the concern, not what was assessed."""
    concern = _locked(concern, actor=actor, expected_version=None)
    assessment = RiskNeedsAssessment.objects.select_for_update().filter(concern=concern).first()
    if assessment is None:
        raise ValueError("This concern does not ask for a risk and needs assessment.")
    if assessment.done:
        raise ValueError("The assessment is already recorded: add anything new as a note on the child's file.")
    if not_needed_reason.strip():
        if assessment.required:
            raise ValueError("A report of sexual violence needs the assessment: it cannot be set aside.")
    elif not (risks.strip() and needs_and_arrangements.strip()):
        raise ValueError("Record the risks and the support and arrangements.")
    assessment.risks = risks.strip()
    assessment.needs_and_arrangements = needs_and_arrangements.strip()
    assessment.not_needed_reason = "" if risks.strip() else not_needed_reason.strip()
    assessment.recorded_at = timezone.now()
    assessment.recorded_by = actor
    assessment.save()
    _audit(concern, actor=actor, context=context, action="risk_assessment")
    return assessment


def _referrals_missing(concern: Concern) -> str:
    """The agencies the latest decision on `concern` named but no referral of the concern's child went to since."""
    decision = concern.decisions.order_by("-decided_at").prefetch_related("outcomes").first()
    if decision is None:
        return ""
    named = {OUTCOME_AGENCIES[o.outcome] for o in decision.outcomes.all() if o.outcome in OUTCOME_AGENCIES}
    made = set(Referral.objects.filter(decision=decision).values_list("agency", flat=True))
    missing = [Agency(agency).label for agency in Agency.values if agency in named - made]
    return " and ".join(missing)


@transaction.atomic
def concern_reopen(
    *, actor: User, context: RequestContext | None, concern: Concern, reason: str, expected_version: int | None = None
) -> Concern:
    if not reason.strip():
        raise ValueError("Give the reason for reopening.")
    concern = _locked(concern, actor=actor, expected_version=expected_version, needs=Capability.REOPEN)
    if concern.status != ConcernStatus.CLOSED:
        raise ConcernConflict("This concern is not closed.")
    closure = concern.closures.order_by("-closed_at").first()
    Closure.objects.filter(pk=closure.pk).update(reopened_at=timezone.now(), reopened_by=actor, reopen_reason=reason)
    concern.status = ConcernStatus.IN_REVIEW
    concern.version += 1
    concern.save(update_fields=["status", "version"])
    _audit(concern, actor=actor, context=context, action="reopened")
    return concern


@transaction.atomic
def information_request(*, actor: User, context: RequestContext | None, concern: Concern, question: str):
    """Ask the author for more; they see the question with their concern and answer with an addendum."""
    question = question.replace("\x00", "").strip()
    if not question:
        raise ValueError("Write the question for the author.")
    concern = _locked(concern, actor=actor, expected_version=None)
    if concern.status == ConcernStatus.CLOSED:
        raise ConcernConflict("This concern is closed: reopen it first.")
    request = InformationRequest.objects.create(concern=concern, asked_by=actor, question=question[:5000])
    Notification.objects.create(
        recipient=concern.author,
        school=concern.school,
        kind=Notification.Kind.INFORMATION_REQUEST,
        concern=concern,
        child=concern.child,
        urgency=concern.urgency,
    )
    email_enqueue(
        to=[concern.author.email],
        subject="Safeguard: a question about a concern you raised",
        body=(
            f"{actor.full_name} has asked you a question about a concern you raised at {concern.school.name}.\n\n"
            "Sign in to Safeguard to read it and answer by adding to your concern. This email holds no names or "
            "details, on purpose.\n"
        ),
    )
    _audit(concern, actor=actor, context=context, action="information_requested")
    return request


@transaction.atomic
def concern_move(*, actor: User, context: RequestContext | None, concern: Concern, to_child, reason: str):
    """Move a concern logged against the wrong child (or against a child not on the roll) to the right one."""
    if not reason.strip():
        raise ValueError("Give the reason for the move.")
    concern = _locked(concern, actor=actor, expected_version=None, needs=Capability.MOVE_CONCERN)
    if to_child.school_id != concern.school_id:
        raise PermissionDenied
    file_must_be_open(to_child)
    if concern.child_id == to_child.pk:
        raise ValueError("The concern is already about this child.")
    move = ConcernMove.objects.create(
        concern=concern, from_child=concern.child, to_child=to_child, moved_by=actor, reason=reason.strip()
    )
    previous = concern.child
    concern.child = to_child
    concern.version += 1
    concern.save(update_fields=["child", "version"])
    # The pattern alerts follow the concern: it no longer counts for the old child, and may fire for the new.
    for alert in PatternAlert.objects.filter(child=previous, concerns=concern) if previous else []:
        alert.concerns.remove(concern)
    patterns_evaluate(child=to_child)
    for child in (previous, to_child):
        if child is not None:
            record(
                EventType.UPDATE,
                user=actor,
                context=context,
                school=concern.school,
                object_type="concern",
                object_uuid=concern.uuid,
                child_uuid=child.uuid,
                detail={"action": "moved", "move": str(move.uuid)},
            )
    return move
