"""Concerns about adults who work with children (KCSIE Part four; REQUIREMENTS.md §6, R5.5, R9.3, R9.4).

- Raising one: the four questions of the harm threshold decide the route (any "yes", an allegation; otherwise a
  low-level concern). It goes to the case manager of its school, never to the DSL queue: the headteacher (and a DSL
  the school designated), or, when it is about the headteacher, the chair of governors or the trust's chief
  executive as the trust decides. Its subject is never told and never reaches it.
- An allegation starts a one-working-day clock to discuss it with the LADO: a reminder to the case manager before
  it runs out, then an escalation to the chair of governors, each sent once.
- A third low-level concern about one adult within the school's window prompts the case manager to consider the LADO.
- Closing an allegation needs its outcome, the summary and, unless malicious, how it was followed up, the actions and
  decisions and the date a copy was given to the person (R6.4). A malicious allegation is removed from personnel
  records as a recorded step that leaves only what proves the removal (R9.3).

Audit events name the record and what was done, never a person, a child or what was said.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from referrals.clocks import agency_acknowledgement_due
from referrals.models import (
    HARM_QUESTIONS,
    AdultEntry,
    AdultRecord,
    AdultRecordKind,
    AllegationOutcome,
    Child,
    Closure,
    Concern,
    ConcernMove,
    ConcernStatus,
    ManagedBy,
    Notification,
)
from referrals.selectors.adults import case_managers, low_level_in_window, may_manage
from safeguarding.accounts.models import HeadCasesTo, Membership, School, User
from safeguarding.accounts.permissions import Capability, can
from safeguarding.accounts.roles import Role
from safeguarding.audit.context import RequestContext
from safeguarding.audit.events import EventType
from safeguarding.audit.record import record
from safeguarding.core.emails import email_enqueue

# The LADO's clock: a reminder this long before it runs out, then an escalation once it has.
LADO_REMINDER_BEFORE = timedelta(hours=4)
# Third low-level concern about one adult within the school's window (R6.6).
PATTERN_COUNT = 3


class AdultRecordRefused(ValueError):
    """The step cannot be taken as asked; the message says why, naming what is missing."""


def harm_route(answers: dict[str, bool]) -> str:
    """R6.1: a "yes" to any of the four questions makes it an allegation; otherwise it is a low-level concern."""
    return AdultRecordKind.ALLEGATION if any(answers[name] for name, _ in HARM_QUESTIONS) else AdultRecordKind.LOW_LEVEL


def is_headteacher(user: User | None, school: School) -> bool:
    return (
        user is not None
        and Membership.objects.active().filter(user=user, school=school, role=Role.HEADTEACHER).exists()
    )


def route_for(school: School, *, about_headteacher: bool) -> str:
    """Who manages it (R6.2): the headteacher; about the headteacher, as the school's trust decides."""
    if not about_headteacher:
        return ManagedBy.HEADTEACHER
    if school.trust.head_cases_to == HeadCasesTo.CHIEF_EXECUTIVE:
        return ManagedBy.CHIEF_EXECUTIVE
    return ManagedBy.CHAIR


def _audit(adult: AdultRecord, event_type=EventType.UPDATE, *, actor, context, action: str, **detail) -> None:
    record(
        event_type,
        user=actor,
        context=context,
        school=adult.school,
        object_type="adult_record",
        object_uuid=adult.uuid,
        detail={"action": action, **detail},
    )


def _notify(adult: AdultRecord, people: list[User], *, kind: str, subject: str, body: str) -> None:
    """Tell `people` in Safeguard and by an email that names nobody, neither the adult nor a child."""
    Notification.objects.bulk_create(
        Notification(recipient=person, school=adult.school, kind=kind, adult_record=adult) for person in people
    )
    email_enqueue(
        to=[person.email for person in people],
        subject=f"Safeguard: {subject}",
        body=f"{body}\n\nSign in to Safeguard ({settings.SITE_URL}/adults/) to see it. "
        "This email holds no names or details, on purpose.\n",
    )


def _locked(adult: AdultRecord, *, actor: User) -> AdultRecord:
    adult = AdultRecord.objects.select_for_update(of=("self",)).select_related("school__trust").get(pk=adult.pk)
    if not may_manage(actor, adult):
        raise PermissionDenied
    return adult


# Raising it -------------------------------------------------------------------------------------------------------


@dataclass
class Raised:
    """What a person raising a concern about an adult gave."""

    subject_user: User | None
    subject_name: str
    subject_relation: str
    subject_job_title: str
    answers: dict[str, bool]
    happened_on: date
    account: str
    context: str = ""
    action_taken: str = ""
    children: tuple[Child, ...] = ()
    children_named: str = ""


@transaction.atomic(savepoint=False)  # part of the caller's transaction when moved from a child's concern
def adult_concern_raise(
    *, actor: User, context: RequestContext | None, school: School, raised: Raised, moved_from: Concern | None = None
) -> AdultRecord:
    """Record a concern about an adult, route it to its case manager and start the LADO clock of an allegation."""
    if moved_from is None and not can(actor, Capability.RAISE_ADULT_CONCERN, school):
        raise PermissionDenied
    if any(child.school_id != school.pk for child in raised.children):
        raise PermissionDenied
    if not raised.account.strip():
        raise AdultRecordRefused("Say what happened.")
    now = timezone.now()
    about_headteacher = is_headteacher(raised.subject_user, school)
    kind = harm_route(raised.answers)
    adult = AdultRecord.objects.create(
        school=school,
        kind=kind,
        managed_by=route_for(school, about_headteacher=about_headteacher),
        raised_by=actor,
        raised_at=now,
        self_referral=raised.subject_user is not None and raised.subject_user.pk == actor.pk,
        subject_user=raised.subject_user,
        subject_name=(raised.subject_user.full_name if raised.subject_user else raised.subject_name).strip(),
        subject_relation=raised.subject_relation,
        subject_job_title=(raised.subject_job_title or (raised.subject_user.job_title if raised.subject_user else ""))[
            :200
        ],
        about_headteacher=about_headteacher,
        happened_on=raised.happened_on,
        account=raised.account.strip(),
        context=raised.context.strip(),
        action_taken=raised.action_taken.strip(),
        children_named=raised.children_named.strip(),
        lado_due_at=agency_acknowledgement_due(now) if kind == AdultRecordKind.ALLEGATION else None,
        moved_from=moved_from,
        **{name: bool(raised.answers[name]) for name, _ in HARM_QUESTIONS},
    )
    adult.children.set(raised.children)
    adult.retain_until = adult.retention_date()
    adult.save(update_fields=["retain_until"])
    _audit(
        adult,
        EventType.CREATE,
        actor=actor,
        context=context,
        action="raised",
        kind=kind,
        managed_by=adult.managed_by,
        self_referral=adult.self_referral,
        children=len(raised.children),
        moved_from_concern=str(moved_from.uuid) if moved_from else "",
    )
    what = "An allegation about an adult" if adult.is_allegation else "A low-level concern about an adult"
    due = (
        f" Discuss it with the LADO by {timezone.localtime(adult.lado_due_at):%H:%M on %A %d %B}."
        if adult.is_allegation
        else ""
    )
    people = case_managers(adult)
    if not people:
        # Nobody holds the role it is routed to: the raiser is told to go in person (see the receipt page).
        _audit(adult, actor=actor, context=context, action="no_case_manager", managed_by=adult.managed_by)
    _notify(
        adult,
        people,
        kind=Notification.Kind.ADULT_NEW,
        subject=f"{what.lower()} at {school.name}",
        body=f"{what} was raised at {school.name} and comes to you as case manager.{due}",
    )
    if kind == AdultRecordKind.LOW_LEVEL:
        _pattern_check(adult, actor=actor, context=context)
    return adult


def _pattern_check(adult: AdultRecord, *, actor, context) -> None:
    """R6.6: the third low-level concern about one adult within the school's window prompts the case manager."""
    count = low_level_in_window(adult)
    if count < PATTERN_COUNT:
        return
    adult.pattern_prompted_at = timezone.now()
    adult.save(update_fields=["pattern_prompted_at"])
    _audit(adult, actor=actor, context=context, action="pattern_prompted", count=count)
    _notify(
        adult,
        case_managers(adult),
        kind=Notification.Kind.ADULT_PATTERN,
        subject=f"low-level concerns about one adult at {adult.school.name}",
        body=f"{count} low-level concerns about one adult at {adult.school.name} have been raised in "
        f"{adult.school.low_level_window_months} months. Review them together and consider whether to refer to "
        "the LADO.",
    )


# The case manager's steps -------------------------------------------------------------------------------------------


@transaction.atomic
def adult_lado_record(
    *,
    actor: User,
    context: RequestContext | None,
    adult: AdultRecord,
    discussed_at: datetime,
    lado_name: str,
    advice: str,
) -> AdultRecord:
    """The case manager discussed the allegation with the LADO: who, when, and the advice given."""
    adult = _locked(adult, actor=actor)
    missing = [
        label for value, label in ((lado_name, "the LADO's name"), (advice, "their advice")) if not value.strip()
    ]
    if missing:
        raise AdultRecordRefused(f"Record {' and '.join(missing)}.")
    if discussed_at > timezone.now() + timedelta(minutes=5):
        raise AdultRecordRefused("The discussion cannot be in the future.")
    adult.lado_discussed_at = discussed_at
    adult.lado_name = lado_name.strip()[:200]
    adult.lado_advice = advice.strip()
    adult.save(update_fields=["lado_discussed_at", "lado_name", "lado_advice"])
    on_time = adult.lado_due_at is None or discussed_at <= adult.lado_due_at
    _audit(adult, actor=actor, context=context, action="lado_discussed", on_time=on_time)
    return adult


@transaction.atomic
def adult_entry_add(
    *,
    actor: User,
    context: RequestContext | None,
    adult: AdultRecord,
    kind: str,
    happened_on: date,
    text: str,
    reference: str = "",
    person_left: bool = False,
) -> AdultEntry:
    """A dated step of the case: a strategy meeting, a suspension decision, an action, a DBS or TRA referral (also
    after the person has resigned, and after the case is closed), a note."""
    adult = _locked(adult, actor=actor)
    if adult.removed_at is not None:
        raise AdultRecordRefused("This record was removed from personnel records; nothing more can be added.")
    if not text.strip():
        raise AdultRecordRefused("Say what happened or was decided.")
    if happened_on > timezone.localdate():
        raise AdultRecordRefused("The date cannot be in the future.")
    entry = AdultEntry.objects.create(
        record=adult,
        kind=kind,
        happened_on=happened_on,
        text=text.strip(),
        reference=reference.strip()[:100],
        person_left=person_left and kind in (AdultEntry.Kind.DBS_REFERRAL, AdultEntry.Kind.TRA_REFERRAL),
        written_by=actor,
    )
    _audit(adult, actor=actor, context=context, action="entry_added", entry=str(entry.uuid), kind=kind)
    return entry


CLOSE_PARTS = {
    "summary": "a clear summary of the allegation",
    "follow_up": "how it was followed up and resolved",
    "actions_and_decisions": "the actions taken and decisions reached",
    "copy_given_on": "the date a copy was given to the person",
}


def close_missing(*, kind: str, outcome: str, values: dict) -> list[str]:
    """What closing still needs, in words: the outcome of an allegation, the summary, and for an allegation that was
    not malicious how it was followed up, the actions and decisions, and the date the person was given a copy."""
    missing = []
    if kind == AdultRecordKind.ALLEGATION and outcome not in AllegationOutcome.values:
        missing.append("the outcome")
    needed = ["summary"]
    if kind == AdultRecordKind.ALLEGATION and outcome != AllegationOutcome.MALICIOUS:
        needed += ["follow_up", "actions_and_decisions", "copy_given_on"]
    elif kind == AdultRecordKind.LOW_LEVEL:
        needed += ["actions_and_decisions"]
    missing += [CLOSE_PARTS[name] for name in needed if not values.get(name)]
    return missing


def _listed(parts: list[str]) -> str:
    return ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]


@transaction.atomic
def adult_record_close(
    *,
    actor: User,
    context: RequestContext | None,
    adult: AdultRecord,
    outcome: str,
    summary: str,
    follow_up: str,
    actions_and_decisions: str,
    copy_given_on: date | None,
) -> AdultRecord:
    """Close the record with what KCSIE asks of it (R6.3, R6.4); refused, naming what is missing."""
    values = {
        "summary": summary.strip(),
        "follow_up": follow_up.strip(),
        "actions_and_decisions": actions_and_decisions.strip(),
        "copy_given_on": copy_given_on,
    }
    adult = _locked(adult, actor=actor)
    if adult.closed_at is not None:
        raise AdultRecordRefused("This record is already closed.")
    outcome = outcome if adult.is_allegation else ""
    if missing := close_missing(kind=adult.kind, outcome=outcome, values=values):
        raise AdultRecordRefused(f"To close, record {_listed(missing)}.")
    if copy_given_on and copy_given_on > timezone.localdate():
        raise AdultRecordRefused("The date the copy was given cannot be in the future.")
    for name, value in values.items():
        setattr(adult, name, value)
    adult.outcome = outcome
    adult.closed_at = timezone.now()
    adult.closed_by = actor
    adult.retain_until = adult.retention_date()
    adult.save()
    _audit(adult, actor=actor, context=context, action="closed", outcome=outcome)
    return adult


@transaction.atomic
def adult_retention_facts(
    *,
    actor: User,
    context: RequestContext | None,
    adult: AdultRecord,
    subject_birth_date: date | None,
    retirement_age: int,
    employment_ended_on: date | None,
) -> AdultRecord:
    """What the keeping date is worked out from: the person's date of birth and normal retirement age (allegations),
    and the day their employment ended (low-level concerns). The date is recomputed and recorded."""
    adult = _locked(adult, actor=actor)
    adult.subject_birth_date = subject_birth_date
    adult.retirement_age = retirement_age
    adult.employment_ended_on = employment_ended_on
    adult.retain_until = adult.retention_date()
    adult.save(update_fields=["subject_birth_date", "retirement_age", "employment_ended_on", "retain_until"])
    _audit(
        adult,
        actor=actor,
        context=context,
        action="retention_set",
        retain_until=adult.retain_until.isoformat() if adult.retain_until else "",
    )
    return adult


REMOVED = "[removed: malicious allegation]"


@transaction.atomic
def adult_malicious_remove(*, actor: User, context: RequestContext | None, adult: AdultRecord, reason: str) -> None:
    """Remove a malicious allegation from personnel records (R9.3): the account, the people, the children and the
    steps go; what remains is the reference, the outcome, the dates and who removed it and why."""
    adult = _locked(adult, actor=actor)
    if adult.outcome != AllegationOutcome.MALICIOUS or adult.closed_at is None:
        raise AdultRecordRefused("Only a closed allegation found malicious is removed from personnel records.")
    if adult.removed_at is not None:
        raise AdultRecordRefused("This record was removed already.")
    if not reason.strip():
        raise AdultRecordRefused("Give the reason for the removal.")
    steps = adult.entries.count()
    adult.entries.all().delete()
    adult.children.clear()
    Notification.objects.filter(adult_record=adult).delete()
    for name in ("account", "context", "action_taken", "summary", "lado_advice"):
        setattr(adult, name, REMOVED if name == "account" else "")
    adult.subject_user = None
    adult.subject_name = REMOVED
    adult.subject_job_title = ""
    adult.subject_birth_date = None
    adult.lado_name = ""
    adult.removed_at = timezone.now()
    adult.removed_by = actor
    adult.removal_reason = reason.strip()
    adult.retain_until = None
    adult.save()
    _audit(adult, EventType.DELETE, actor=actor, context=context, action="removed_malicious", steps=steps)


# The clock -------------------------------------------------------------------------------------------------------


def adults_chase_lado(*, now=None) -> int:
    """The LADO clock of each open allegation: a reminder to the case manager before it runs out, then, once it has,
    an escalation to the chair of governors. Each is sent once; a clock found already run out gets the escalation
    alone. Returns how many were sent."""
    now = now or timezone.now()
    sent = 0
    waiting = AdultRecord.objects.filter(
        Q(lado_reminded_at__isnull=True, lado_due_at__lte=now + LADO_REMINDER_BEFORE)
        | Q(lado_escalated_at__isnull=True, lado_due_at__lt=now),
        kind=AdultRecordKind.ALLEGATION,
        closed_at__isnull=True,
        lado_discussed_at__isnull=True,
    ).select_related("school__trust")
    for adult in waiting:
        with transaction.atomic():
            if adult.lado_due_at < now:
                sent += _lado_escalate(adult, now=now)
            else:
                sent += _lado_remind(adult, now=now)
    return sent


def _lado_remind(adult: AdultRecord, *, now) -> int:
    if not AdultRecord.objects.filter(pk=adult.pk, lado_reminded_at__isnull=True).update(lado_reminded_at=now):
        return 0
    _notify(
        adult,
        case_managers(adult),
        kind=Notification.Kind.ADULT_LADO_DUE,
        subject=f"an allegation at {adult.school.name}: the LADO is still to be told",
        body=f"The LADO is to be told of an allegation at {adult.school.name} by "
        f"{timezone.localtime(adult.lado_due_at):%H:%M on %A %d %B}, and no discussion is recorded yet.",
    )
    _audit(adult, actor=None, context=None, action="lado_reminded")
    return 1


def _lado_escalate(adult: AdultRecord, *, now) -> int:
    if not AdultRecord.objects.filter(pk=adult.pk, lado_escalated_at__isnull=True).update(
        lado_escalated_at=now, lado_reminded_at=Coalesce("lado_reminded_at", Value(now))
    ):
        return 0
    # To the chair of governors; when the chair manages it already, or the school has none, to the case managers
    # again, marked overdue.
    people = case_managers(adult, escalation=True) or case_managers(adult)
    _notify(
        adult,
        people,
        kind=Notification.Kind.ADULT_LADO_OVERDUE,
        subject=f"[OVERDUE] an allegation at {adult.school.name}: the LADO not told",
        body=f"OVERDUE. An allegation at {adult.school.name} was to be discussed with the LADO by "
        f"{timezone.localtime(adult.lado_due_at):%H:%M on %A %d %B} (one working day), and no discussion is "
        "recorded.",
    )
    _audit(adult, actor=None, context=None, action="lado_escalated", told=len(people))
    return 1


# From a child's concern --------------------------------------------------------------------------------------------

MOVED_LINE = "Moved out of this child's file: it is handled under another procedure."


@transaction.atomic
def concern_move_to_adults(
    *, actor: User, context: RequestContext | None, concern: Concern, raised: Raised, reason: str
) -> AdultRecord:
    """A child's concern that is really about an adult goes to the procedure for adults (R6.7): the DSL gives the
    reason and the answers to the harm threshold; the account travels with it, the child's file keeps a neutral line,
    and the concern is closed with that line so that it leaves the queue."""
    from referrals.services.transfers import file_must_be_open

    concern = (
        Concern.objects.select_for_update(of=("self",)).select_related("school__trust", "child").get(pk=concern.pk)
    )
    if not can(actor, Capability.MOVE_CONCERN, concern.school):
        raise PermissionDenied
    file_must_be_open(concern.child)
    if AdultRecord.objects.filter(moved_from=concern).exists():
        raise AdultRecordRefused("This concern was moved to the procedure for adults already.")
    if not reason.strip():
        raise AdultRecordRefused("Give the reason for the move.")
    child = concern.child
    raised.account = (
        f"{raised.account.strip()}\n\nMoved from a concern about a child ({concern.reference}) by "
        f"{actor.full_name}: {reason.strip()}\n\nThe original account:\n{concern.account}"
        + (f"\n\nThe child's own words:\n{concern.child_words}" if concern.child_words else "")
    )
    if child is not None and not raised.children:
        raised.children = (child,)
    adult = adult_concern_raise(actor=actor, context=context, school=concern.school, raised=raised, moved_from=concern)
    ConcernMove.objects.create(concern=concern, from_child=child, to_child=None, moved_by=actor, reason=MOVED_LINE)
    if concern.status != ConcernStatus.CLOSED:
        Closure.objects.create(
            concern=concern, closed_by=actor, summary=MOVED_LINE, follow_up=MOVED_LINE, outcome=MOVED_LINE
        )
        concern.status = ConcernStatus.CLOSED
    # The team's notices of it go too: they name the child and lead to a concern that is no longer theirs.
    Notification.objects.filter(concern=concern).delete()
    # Out of the child's file: the author still sees the child's name on their own concern, as they wrote it.
    if child is not None:
        concern.unlisted_child_name = child.display_name[:200]
    concern.child = None
    concern.version += 1
    concern.save(update_fields=["status", "child", "unlisted_child_name", "version"])
    record(
        EventType.UPDATE,
        user=actor,
        context=context,
        school=concern.school,
        object_type="concern",
        object_uuid=concern.uuid,
        child_uuid=child.uuid if child else None,
        detail={"action": "moved_to_adults"},
    )
    return adult
