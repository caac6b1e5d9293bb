"""Referrals to other agencies: made from a decision, chased when nothing comes back.

Sharing does not wait for consent when a child is at risk; whether parents were told is recorded, and why not.
"""

from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from referrals.clocks import SchoolCalendar
from referrals.models import (
    OUTCOME_AGENCIES,
    Agency,
    AgencyDecision,
    AgencyDecisionEntry,
    Concern,
    Decision,
    Notification,
    Referral,
    ReferralEscalation,
    ReferralMeeting,
)
from referrals.services.transfers import file_must_be_open
from safeguarding.accounts.access import school_safeguarding_team
from safeguarding.accounts.models import User
from safeguarding.accounts.permissions import Capability, can
from safeguarding.audit.context import RequestContext
from safeguarding.audit.events import EventType
from safeguarding.audit.record import record
from safeguarding.core.emails import email_enqueue


def agencies_for(decision: Decision) -> list[str]:
    """The agencies a decision's outcomes name, in the order of the agency list."""
    named = {OUTCOME_AGENCIES[o.outcome] for o in decision.outcomes.all() if o.outcome in OUTCOME_AGENCIES}
    return [agency for agency in Agency.values if agency in named]


def _audit(referral: Referral, *, actor, context, action: str) -> None:
    record(
        EventType.REFERRAL,
        user=actor,
        context=context,
        school=referral.school,
        object_type="referral",
        object_uuid=referral.uuid,
        child_uuid=referral.child.uuid,
        detail={"action": action, "agency": referral.agency},
    )


@transaction.atomic
def referral_create(
    *,
    actor: User,
    context: RequestContext | None,
    decision: Decision,
    agency: str,
    purpose: str,
    parents_informed: bool,
    parents_not_informed_reason: str = "",
    agency_reference: str = "",
    agency_contact: str = "",
    shared_concerns: list[Concern] | None = None,
    shared_child_words: bool = False,
    shared_chronology: bool = False,
    shared_rationale: bool = False,
    shared_attachments: list | None = None,
    lawful_basis: str = "",
    significant_harm: str = "",
    immediate_protection: bool = False,
    child_knows: str = "",
    made_at=None,
) -> Referral:
    """Record a referral and exactly what it shared (R10.8): the concerns chosen (the decision's own if none are
    given), each part ticked, and each file; nothing else is said to have gone."""
    concern = decision.concern
    if concern.child is None or not can(actor, Capability.REFER, concern.school):
        raise PermissionDenied
    file_must_be_open(concern.child)
    if agency not in agencies_for(decision):
        raise ValueError("The decision does not name this agency: record a decision that does first.")
    if not purpose.strip():
        raise ValueError("Say why the information is being shared.")
    if not parents_informed and not parents_not_informed_reason.strip():
        raise ValueError("Say why parents or carers were not told.")
    made_at = made_at or timezone.now()
    calendar = SchoolCalendar(concern.school)
    ack_due_at = None
    if agency == Agency.SOCIAL_CARE:
        ack_due_at = calendar.referral_acknowledgement_due(made_at)
    referral = Referral.objects.create(
        school=concern.school,
        child=concern.child,
        decision=decision,
        agency=agency,
        made_at=made_at,
        made_by=actor,
        agency_reference=agency_reference.strip(),
        agency_contact=agency_contact.strip(),
        purpose=purpose.strip(),
        parents_informed=parents_informed,
        parents_not_informed_reason=parents_not_informed_reason.strip(),
        ack_due_at=ack_due_at,
        shared_child_words=shared_child_words,
        shared_chronology=shared_chronology,
        shared_rationale=shared_rationale,
        lawful_basis=lawful_basis,
        significant_harm=significant_harm,
        immediate_protection=immediate_protection,
        child_knows=child_knows,
        threshold_level=decision.threshold_label,
        review_due_on=calendar.referral_review_due(made_at),
    )
    shared = [c for c in (shared_concerns or [concern]) if c.child_id == concern.child_id]
    referral.shared_concerns.set(shared)
    incidents = {c.incident_id for c in shared}
    referral.shared_attachments.set([a for a in shared_attachments or [] if a.incident_id in incidents])
    _audit(referral, actor=actor, context=context, action="made")
    return referral


def _locked(referral: Referral, actor: User) -> Referral:
    referral = Referral.objects.select_for_update().select_related("school", "child").get(pk=referral.pk)
    if not can(actor, Capability.REFER, referral.school):
        raise PermissionDenied
    return referral


@transaction.atomic
def referral_acknowledged(
    *,
    actor: User,
    context: RequestContext | None,
    referral: Referral,
    by_name: str,
    reference: str = "",
    acknowledged_at=None,
) -> Referral:
    """The agency confirmed receipt: who (name and team) and when it happened (recorded beside when it was typed);
    their reference if they gave one."""
    referral = _locked(referral, actor)
    if not by_name.strip():
        raise ValueError("Give the name and team of the person who acknowledged it.")
    acknowledged_at = acknowledged_at or timezone.now()
    if acknowledged_at < referral.made_at:
        raise ValueError("The acknowledgement comes after the referral was made.")
    referral.acknowledged_at = acknowledged_at
    referral.acknowledgement_recorded_at = timezone.now()
    referral.acknowledged_by_name = by_name.strip()[:200]
    referral.agency_reference = reference.strip()[:100] or referral.agency_reference
    referral.save(
        update_fields=["acknowledged_at", "acknowledgement_recorded_at", "acknowledged_by_name", "agency_reference"]
    )
    _audit(referral, actor=actor, context=context, action="acknowledged")
    return referral


@transaction.atomic
def referral_outcome(
    *,
    actor: User,
    context: RequestContext | None,
    referral: Referral,
    agency_decision: str,
    follow_up_on=None,
    decided_on=None,
) -> Referral:
    """Record what the agency decided (and on what day). A change of decision is a new entry: the earlier stays."""
    referral = _locked(referral, actor)
    decided_on = decided_on or timezone.localdate()
    if decided_on > timezone.localdate() or decided_on < referral.made_at.date():
        raise ValueError("The agency's decision falls between the day of the referral and today.")
    AgencyDecisionEntry.objects.create(
        referral=referral,
        decision=AgencyDecision(agency_decision),
        decided_on=decided_on,
        follow_up_on=follow_up_on,
        recorded_by=actor,
    )
    referral.agency_decision = AgencyDecision(agency_decision)
    referral.follow_up_on = follow_up_on
    referral.save(update_fields=["agency_decision", "follow_up_on"])
    _audit(referral, actor=actor, context=context, action="agency_decision")
    return referral


@transaction.atomic
def referral_escalate(
    *,
    actor: User,
    context: RequestContext | None,
    referral: Referral,
    reason: str,
    escalated_on=None,
    escalated_to: str = "",
) -> ReferralEscalation:
    """The school takes the agency's response higher under the local procedure. Each escalation is a new record:
    an earlier one, and its outcome, stay as they were."""
    referral = _locked(referral, actor)
    if not reason.strip():
        raise ValueError("Give the reason for escalating.")
    escalated_on = escalated_on or timezone.localdate()
    if escalated_on > timezone.localdate() or escalated_on < timezone.localdate(referral.made_at):
        raise ValueError("The escalation falls between the day of the referral and today.")
    escalation = ReferralEscalation.objects.create(
        referral=referral,
        escalated_on=escalated_on,
        escalated_to=escalated_to.strip()[:200],
        reason=reason.strip(),
        recorded_by=actor,
    )
    _audit(referral, actor=actor, context=context, action="escalated")
    return escalation


@transaction.atomic
def referral_escalation_outcome(
    *,
    actor: User,
    context: RequestContext | None,
    escalation: ReferralEscalation,
    outcome: str,
    outcome_on=None,
) -> ReferralEscalation:
    """What came of an escalation, added once; a later turn is a new escalation."""
    referral = _locked(escalation.referral, actor)
    escalation = ReferralEscalation.objects.select_for_update().get(pk=escalation.pk, referral=referral)
    if escalation.outcome:
        raise ValueError("This escalation's outcome is already recorded: escalate again if it has moved on.")
    if not outcome.strip():
        raise ValueError("Say what came of the escalation.")
    outcome_on = outcome_on or timezone.localdate()
    if outcome_on > timezone.localdate() or outcome_on < escalation.escalated_on:
        raise ValueError("The outcome falls between the day of the escalation and today.")
    escalation.outcome = outcome.strip()
    escalation.outcome_on = outcome_on
    escalation.outcome_recorded_by = actor
    escalation.outcome_recorded_at = timezone.now()
    escalation.save(update_fields=["outcome", "outcome_on", "outcome_recorded_by", "outcome_recorded_at"])
    _audit(referral, actor=actor, context=context, action="escalation_outcome")
    return escalation


@transaction.atomic
def referral_meeting_record(
    *,
    actor: User,
    context: RequestContext | None,
    referral: Referral,
    kind: str,
    held_at,
    school_attended: bool = True,
    note: str = "",
) -> ReferralMeeting:
    """A strategy discussion, conference or meeting, dated when it was held; recorded once."""
    referral = _locked(referral, actor)
    if held_at < referral.made_at - timedelta(days=1):
        raise ValueError("The meeting comes after the referral was made.")
    if held_at > timezone.now() + timedelta(days=366):
        raise ValueError("Give a date within the next year.")
    meeting = ReferralMeeting.objects.create(
        referral=referral,
        kind=ReferralMeeting.Kind(kind),
        held_at=held_at,
        school_attended=school_attended,
        note=note.strip(),
        recorded_by=actor,
    )
    _audit(referral, actor=actor, context=context, action="meeting")
    return meeting


def referrals_overdue_notify(*, now=None) -> int:
    """Tell the DSL and deputies, once each, of every referral the agency has not acknowledged in time, every
    follow-up that has come due, and every referral reaching its review date with no outcome (R4.4)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    notified = _notify_once(
        Referral.objects.filter(follow_up_on__lte=today, child__transferred_at__isnull=True),
        flag="follow_up_notified_at",
        kind=Notification.Kind.REFERRAL_FOLLOW_UP,
        now=now,
    )
    notified += _notify_once(
        Referral.objects.filter(review_due_on__lte=today, agency_decision="", child__transferred_at__isnull=True),
        flag="review_notified_at",
        kind=Notification.Kind.REFERRAL_REVIEW,
        now=now,
        subject="is due for review",
        body=lambda referral: (
            f"has had no outcome recorded in {referral.school.referral_review_school_days} school days. Review it: "
            "chase the agency, or follow the local escalation procedure if the child's situation is not improving."
        ),
    )
    notified += _notify_once(
        Referral.objects.filter(acknowledged_at__isnull=True, ack_due_at__lte=now, child__transferred_at__isnull=True),
        flag="overdue_notified_at",
        kind=Notification.Kind.REFERRAL_OVERDUE,
        now=now,
        subject="is not yet acknowledged",
        body=lambda referral: (
            "was due to be acknowledged and has not been. Chase the agency, and record the acknowledgement in "
            "Safeguard."
        ),
    )
    return notified


def _notify_once(referrals, *, flag: str, kind: str, now, subject: str = "", body=None) -> int:
    """For each of `referrals` whose `flag` is unset: set it (claimed under its own update, so that two runs never
    both send), tell the school's safeguarding team in Safeguard and, with a `subject`, by an email that names no
    one. Returns how many referrals were notified."""
    notified = 0
    for referral in referrals.filter(**{f"{flag}__isnull": True}).select_related("school"):
        with transaction.atomic():
            if not Referral.objects.filter(pk=referral.pk, **{f"{flag}__isnull": True}).update(**{flag: now}):
                continue
            team = list(school_safeguarding_team(school=referral.school).select_related("user"))
            Notification.objects.bulk_create(
                Notification(
                    recipient_id=member.user_id,
                    school=referral.school,
                    kind=kind,
                    referral=referral,
                    child_id=referral.child_id,
                )
                for member in team
            )
            if subject:
                school = referral.school.name
                email_enqueue(
                    to=[member.user.email for member in team],
                    subject=f"Safeguard: a referral from {school} {subject}",
                    body=(
                        f"A referral to {referral.get_agency_display()} made by {school} {body(referral)}\n"
                        "This email holds no names or details, on purpose.\n"
                    ),
                )
            notified += 1
    return notified
