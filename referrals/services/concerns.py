"""Writing concerns: the draft saved as the person types, the submission, and addenda.

A submitted concern is never edited: corrections are addenda with a reason, and the original stays readable.
"""

import re
import secrets
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from referrals.attachments import (
    MAX_BYTES,
    AttachmentRefused,
    attachment_check,
    attachment_store,
    too_large_message,
)
from referrals.body_map import marks_clean, marks_posted
from referrals.clocks import LONDON, SchoolCalendar
from referrals.floors import SEXUAL_HARASSMENT, SEXUAL_VIOLENCE, age_on, urgency_floor
from referrals.models import (
    Addendum,
    Attachment,
    BodyMark,
    Child,
    Concern,
    ConcernDraft,
    ConcernIndicator,
    Incident,
    Notification,
    RiskNeedsAssessment,
    Urgency,
)
from referrals.patterns import patterns_evaluate
from referrals.services.transfers import file_must_be_open
from safeguarding.accounts.access import holiday_cover_for, school_safeguarding_team
from safeguarding.accounts.models import School, User
from safeguarding.audit.context import RequestContext
from safeguarding.audit.events import EventType
from safeguarding.audit.record import record
from safeguarding.core.emails import email_enqueue

# The draft keeps only these keys, each a string (or a list of strings), whatever was posted.
DRAFT_TEXT_FIELDS = (
    "unlisted_child_name",
    "unlisted_child_details",
    "observed_at",
    "location",
    "account",
    "child_words",
    "people_present",
    "action_taken",
    "dsl_told_in_person",
    "urgency",
    "fgm_known_case",
    "fgm_police_reported",
    "fgm_police_reference",
)
DRAFT_MAX_CHARS = 20_000
INDICATOR_CODE = re.compile(r"[A-Z0-9-]{1,40}")
MAX_FILES = 10
SUBMISSION_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
MAX_DRAFT_INDICATORS = 200


def draft_for(*, author: User, school: School) -> ConcernDraft:
    """The person's draft for this school; a draft whose form was already sent is replaced by a fresh one."""
    draft, _ = ConcernDraft.objects.get_or_create(
        author=author, school=school, defaults={"submission_key": secrets.token_urlsafe(24)}
    )
    if Incident.objects.filter(submission_key=draft.submission_key).exists():
        draft.delete()
        return draft_for(author=author, school=school)
    return draft


def submission_key_clean(value: str) -> str:
    return value if SUBMISSION_KEY.fullmatch(value or "") else ""


def _clean_text(value) -> str:
    return str(value).replace("\x00", "")[:DRAFT_MAX_CHARS]


def draft_save(*, author: User, school: School, posted, children: list[str] | None = None) -> ConcernDraft:
    """Keep what has been typed so far. Only known keys are kept, as plain text, trimmed to a safe length."""
    draft = draft_for(author=author, school=school)
    data = {name: _clean_text(posted.get(name, "")) for name in DRAFT_TEXT_FIELDS if name in posted}
    # Only indicator codes of the taxonomy's shape, and never more than it could hold.
    data["indicators"] = dict(
        list(
            {
                key[4:]: _clean_text(value)[:20]
                for key, value in posted.items()
                if key.startswith("ind_") and value and INDICATOR_CODE.fullmatch(key[4:])
            }.items()
        )[:MAX_DRAFT_INDICATORS]
    )
    # Ticked signs whose basis is not chosen yet: the tick comes back with the draft, the question stays open.
    ticked = posted.getlist("sign") if hasattr(posted, "getlist") else []
    data["signs"] = sorted({str(code) for code in ticked if INDICATOR_CODE.fullmatch(str(code))})[:MAX_DRAFT_INDICATORS]
    # The marks of the body map, when the form sent them (a save from elsewhere keeps the ones the draft holds).
    if "marks_shown" in posted:
        data["marks"] = [mark.as_data() for mark in marks_posted(posted)]
    elif draft.data.get("marks"):
        data["marks"] = draft.data["marks"]
    data["children"] = children if children is not None else draft.data.get("children", [])
    draft.data = data
    draft.updated_at = timezone.now()
    # An update, not a save: a draft deleted meanwhile (its concern just sent) is simply not brought back.
    ConcernDraft.objects.filter(pk=draft.pk).update(data=data, updated_at=draft.updated_at)
    return draft


def draft_children_set(*, draft: ConcernDraft, children: list[str]) -> None:
    draft.data = {**draft.data, "children": children}
    draft.save(update_fields=["data"])


def draft_marks_set(*, draft: ConcernDraft, marks: list) -> None:
    """Keep the body map's marks (MarkEntry) with the draft, numbered afresh."""
    kept = marks_clean([mark.as_data() for mark in marks])
    draft.data = {**draft.data, "marks": [mark.as_data() for mark in kept]}
    draft.save(update_fields=["data"])


def draft_attachments_add(*, author: User, draft: ConcernDraft, files) -> list[str]:
    """Check and keep uploaded files with the draft; returns a message for each file refused."""
    refused = []
    for upload in files[:MAX_FILES]:
        if upload.size > MAX_BYTES:  # judged before reading it into memory
            refused.append(too_large_message(upload.name))
            continue
        try:
            checked = attachment_check(name=upload.name, content=upload.read())
        except AttachmentRefused as error:
            refused.append(str(error))
            continue
        stored_name, digest = attachment_store(checked)
        Attachment.objects.create(
            school=draft.school,
            uploaded_by=author,
            draft=draft,
            original_name=checked.name,
            content_type=checked.content_type,
            size=len(checked.content),
            sha256=digest,
            stored_name=stored_name,
        )
    return refused


@dataclass
class ConcernInput:
    children: list[Child]
    unlisted_child_name: str
    unlisted_child_details: str
    observed_at: object
    location: str
    account: str
    child_words: str
    people_present: str
    action_taken: str
    dsl_told_in_person: bool
    urgency: str
    indicators: dict  # Indicator -> basis
    fgm_police_reported: bool | None
    fgm_police_reference: str
    fgm_known_case: bool | None = None
    marks: list = field(default_factory=list)  # MarkEntry: a body map, for a concern about one child only


def _next_reference(school: School) -> str:
    count = Concern.objects.filter(school=school).count() + 1
    return f"{school.urn}-{count:05d}"


@transaction.atomic
def concern_submit(
    *,
    actor: User,
    context: RequestContext | None,
    school: School,
    submission_key: str,
    data: ConcernInput,
    notify: bool = True,
) -> Incident:
    """Create one concern per child, as one incident, with the indicators and the draft's attachments; tell the
    safeguarding team. Submitting the same form again returns the incident already made."""
    School.objects.select_for_update().get(pk=school.pk)  # one submission at a time per school
    # Checked under the lock: a double tap waits for the first submission and then finds it.
    existing = Incident.objects.filter(submission_key=submission_key, author=actor).first()
    if existing is not None:
        return existing
    role = (context if context is not None and context.user == actor else RequestContext(user=actor)).role_at(school)
    incident = Incident.objects.create(school=school, author=actor, submission_key=submission_key)
    calendar = SchoolCalendar(school)
    signs = [(indicator.code, indicator.kind) for indicator in data.indicators]

    def floored(child: Child | None) -> str:
        # A disclosure, sexual activity with a child under 13, or a sign of harm for a child with a learning
        # disability raise the urgency, whatever was chosen (REQUIREMENTS.md R8.3).
        age = age_on(child.date_of_birth, timezone.localtime(data.observed_at, LONDON).date()) if child else None
        learning = bool(child and child.learning_disability)
        return urgency_floor(chosen=data.urgency, signs=signs, age=age, learning_disability=learning).urgency

    # An immediate risk is due for acknowledgement in 15 minutes at any hour; out of school hours the team and the
    # headteacher are also told at once, by escalate_overdue's next round (every minute).
    def due(urgency: str):
        return calendar.acknowledgement_due(urgency=urgency, raised_at=incident.created_at)

    # While the school is closed the concern goes to the week's holiday cover, if a person was named.
    cover = None
    if calendar.is_closed_for_holiday(incident.created_at):
        cover = holiday_cover_for(school=school, day=timezone.localtime(incident.created_at, LONDON).date())
    cover_person = cover.covered_by if cover and cover.covered_by_id and cover.covered_by.is_active else None

    subjects = [(child, "", "") for child in data.children]
    if data.unlisted_child_name:
        subjects.append((None, data.unlisted_child_name, data.unlisted_child_details))
    concerns = []
    for child, unlisted_name, unlisted_details in subjects:
        urgency = floored(child)
        concern = Concern.objects.create(
            reference=_next_reference(school),
            incident=incident,
            school=school,
            child=child,
            unlisted_child_name=unlisted_name,
            unlisted_child_details=unlisted_details,
            author=actor,
            author_role=role,
            urgency=urgency,
            ack_due_at=due(urgency),
            assigned_to=cover_person.user if cover_person else None,
            observed_at=data.observed_at,
            location=data.location,
            account=data.account,
            child_words=data.child_words,
            people_present=data.people_present,
            action_taken=data.action_taken,
            dsl_told_in_person=data.dsl_told_in_person,
            fgm_known_case=data.fgm_known_case,
            fgm_police_reported=data.fgm_police_reported,
            fgm_police_reference=data.fgm_police_reference,
        )
        concerns.append(concern)
    ConcernIndicator.objects.bulk_create(
        ConcernIndicator(concern=concern, indicator=indicator, basis=basis, label_at_time=indicator.label)
        for concern in concerns
        for indicator, basis in data.indicators.items()
    )
    # Sexual violence between children asks for a risk and needs assessment; harassment, to consider one.
    codes = {indicator.code for indicator in data.indicators}
    if codes & (SEXUAL_VIOLENCE | SEXUAL_HARASSMENT):
        RiskNeedsAssessment.objects.bulk_create(
            RiskNeedsAssessment(concern=concern, required=bool(codes & SEXUAL_VIOLENCE)) for concern in concerns
        )
    if data.marks and len(concerns) != 1:
        raise ValueError("a body map belongs to a concern about one child")
    BodyMark.objects.bulk_create(
        BodyMark(concern=concern, **mark.as_data(), number=mark.number) for concern in concerns for mark in data.marks
    )
    draft = ConcernDraft.objects.filter(author=actor, school=school).first()
    if draft is not None:
        Attachment.objects.filter(draft=draft).update(incident=incident, draft=None)
        draft.delete()
    attachments = Attachment.objects.filter(incident=incident).count()
    for concern in concerns:
        record(
            EventType.CREATE,
            user=actor,
            context=context,
            school=school,
            object_type="concern",
            object_uuid=concern.uuid,
            child_uuid=concern.child.uuid if concern.child else None,
            detail={
                "incident": str(incident.uuid),
                "urgency": concern.urgency,
                # How many signs, never which: a sign names a kind of harm (REQUIREMENTS.md R11.5).
                "signs": len(data.indicators),
                "attachments": attachments,
            },
        )
    if notify:
        # The team is told once per urgency: the most urgent first.
        for level in (Urgency.IMMEDIATE, Urgency.TODAY, Urgency.ROUTINE):
            if group := [concern for concern in concerns if concern.urgency == level]:
                _team_notify(school=school, concerns=group, urgency=level)
        if cover_person is not None:
            soonest = min(concern.ack_due_at for concern in concerns)
            _cover_notify(cover_person=cover_person, school=school, concerns=concerns, due=soonest)
    for concern in concerns:
        if concern.child_id:
            patterns_evaluate(child=concern.child)
    return incident


def _team_notify(*, school: School, concerns: list[Concern], urgency: str) -> None:
    """The DSL and active deputies: a bell in the app and an email that names no one and says nothing of what
    happened, only that a concern of this urgency is waiting."""
    team = list(school_safeguarding_team(school=school))
    Notification.objects.bulk_create(
        Notification(
            recipient=member.user,
            school=school,
            kind=Notification.Kind.NEW_CONCERN,
            concern=concern,
            child=concern.child,
            urgency=urgency,
        )
        for member in team
        for concern in concerns
    )
    label = Urgency(urgency).label
    count = len(concerns)
    subject = f"Safeguard: {'a new concern' if count == 1 else f'{count} new concerns'} ({label}) at {school.name}"
    what = "A concern" if count == 1 else f"{count} concerns"
    body = (
        f"{what} marked '{label}' {'has' if count == 1 else 'have'} been raised at {school.name}.\n\n"
        "Sign in to Safeguard to read it. This email holds no names or details, on purpose.\n"
    )
    email_enqueue(to=[member.user.email for member in team], subject=subject, body=body)


def _cover_notify(*, cover_person, school: School, concerns: list[Concern], due) -> None:
    """The week's holiday cover is told the concern is theirs, and by when; no names, nothing of what happened."""
    email_enqueue(
        to=[cover_person.user.email],
        subject=f"Safeguard: you are covering {school.name}: a concern is yours",
        body=(
            f"{school.name} is closed and you are this week's safeguarding cover. "
            f"{'A concern has' if len(concerns) == 1 else f'{len(concerns)} concerns have'} been raised and "
            f"assigned to you, to acknowledge by {timezone.localtime(due, LONDON):%A %d %B at %H:%M}.\n\n"
            "Sign in to Safeguard to read it. This email holds no names or details, on purpose.\n"
        ),
    )


@transaction.atomic
def addendum_add(*, actor: User, context: RequestContext | None, concern: Concern, reason: str, text: str) -> Addendum:
    """The author adds to their concern; the original stays as it was."""
    if concern.author_id != actor.pk:
        raise PermissionError("Only the author adds an addendum to a concern.")
    file_must_be_open(concern.child)
    role = RequestContext(user=actor).role_at(concern.school)
    addendum = Addendum.objects.create(concern=concern, author=actor, author_role=role, reason=reason, text=text)
    concern.information_requests.filter(answered_at__isnull=True).update(answered_at=addendum.created_at)
    record(
        EventType.ADDENDUM,
        user=actor,
        context=context,
        school=concern.school,
        object_type="concern",
        object_uuid=concern.uuid,
        child_uuid=concern.child.uuid if concern.child else None,
        detail={"addendum": str(addendum.uuid)},
    )
    return addendum


@transaction.atomic
def fgm_police_report_record(
    *, actor: User, context: RequestContext | None, concern: Concern, reference: str
) -> Concern:
    """The author of a known FGM case records the police reference of the report they made themselves: the duty is
    theirs and cannot pass to anyone else (REQUIREMENTS.md R5.4). The audit event does not say what was reported."""
    concern = Concern.objects.select_for_update().get(pk=concern.pk)
    if concern.author_id != actor.pk:
        raise PermissionError("Only the person who recorded the concern reports it to the police.")
    if not concern.fgm_known_case:
        raise ValueError("This concern does not carry the duty to report to the police.")
    if not reference.strip():
        raise ValueError("Give the police reference you were given when you reported it.")
    concern.fgm_police_reported = True
    concern.fgm_police_reference = reference.strip()[:100]
    concern.save(update_fields=["fgm_police_reported", "fgm_police_reference"])
    record(
        EventType.UPDATE,
        user=actor,
        context=context,
        school=concern.school,
        object_type="concern",
        object_uuid=concern.uuid,
        child_uuid=concern.child.uuid if concern.child_id else None,
        detail={"action": "duty_report"},
    )
    return concern
