"""Nothing typed is left unsent without anyone knowing: a draft with something in it reminds its author at the end
of the school day it was last touched, and tells the school's DSL one working day after that. Each reminder is sent
once, by email, and names no child and says nothing of what was typed.

Drafts are not kept for ever, but none disappears unannounced: a draft untouched for 30 days is deleted only when
its author and the DSL were told a week before (touching it again starts the 30 days afresh), and a draft holding a
disclosure (a disclosure ticked, or the child's own words) or marked as an immediate risk is never deleted by
itself. A draft with nothing in it is removed after 30 days without a word: there is nothing to lose."""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from referrals.attachments import attachment_delete
from referrals.clocks import LONDON, SchoolCalendar
from referrals.models import Attachment, ConcernDraft, Incident, Indicator, IndicatorKind, Urgency
from safeguarding.accounts.access import school_dsl
from safeguarding.audit.events import EventType
from safeguarding.audit.record import record
from safeguarding.core.emails import email_enqueue

DRAFT_KEPT_FOR = timedelta(days=30)
DELETION_NOTICE = timedelta(days=7)

# What someone typed or chose (the form's defaults, such as the urgency, do not count).
TYPED = (
    "unlisted_child_name",
    "unlisted_child_details",
    "location",
    "account",
    "child_words",
    "people_present",
    "action_taken",
    "fgm_police_reference",
)


def draft_holds_something(draft: ConcernDraft) -> bool:
    data = draft.data or {}
    ticked = data.get("children") or data.get("indicators") or data.get("signs")
    return bool(ticked or any(data.get(name) for name in TYPED))


def draft_never_deleted(draft: ConcernDraft, disclosure_codes: set[str]) -> bool:
    """A draft that holds a disclosure or an immediate risk waits for a person, however long it is left."""
    data = draft.data or {}
    ticked = set(data.get("indicators") or {}) | set(data.get("signs") or [])
    return (
        data.get("urgency") == Urgency.IMMEDIATE
        or bool(str(data.get("child_words", "")).strip())
        or bool(ticked & disclosure_codes)
    )


def reminder_times(draft: ConcernDraft, calendar: SchoolCalendar) -> tuple[datetime, datetime]:
    """When the author is reminded (the end of the school day the draft was last touched, or of the next one when
    touched after it) and when the DSL is told (the same time one working day later)."""
    touched = draft.updated_at.astimezone(LONDON)
    day = touched.date()
    if not calendar.is_working_day(day) or touched >= calendar.closes(day):
        day = calendar.next_working_day(day)
    return calendar.closes(day), calendar.closes(calendar.next_working_day(day))


def drafts_remind(*, now=None) -> int:
    """Send the reminders that have come due; returns how many were sent."""
    now = now or timezone.now()
    waiting = ConcernDraft.objects.filter(dsl_told_at__isnull=True).exclude(data={}).select_related("author", "school")
    sent_keys = set(
        Incident.objects.filter(submission_key__in=[d.submission_key for d in waiting]).values_list(
            "submission_key", flat=True
        )
    )
    calendars: dict[int, SchoolCalendar] = {}
    sent = 0
    for draft in waiting:
        if draft.submission_key in sent_keys or not draft_holds_something(draft):
            continue
        calendar = calendars.setdefault(draft.school_id, SchoolCalendar(draft.school))
        author_due, dsl_due = reminder_times(draft, calendar)
        if draft.author_reminded_at is None and now >= author_due:
            sent += _remind_author(draft, now=now)
        if draft.author_reminded_at is not None and draft.dsl_told_at is None and now >= dsl_due:
            sent += _tell_dsl(draft, now=now)
    return sent


def _remind_author(draft: ConcernDraft, *, now) -> int:
    with transaction.atomic():
        if not ConcernDraft.objects.filter(pk=draft.pk, author_reminded_at__isnull=True).update(author_reminded_at=now):
            return 0
        draft.author_reminded_at = now
        email_enqueue(
            to=[draft.author.email],
            subject="Safeguard: a concern you have not sent yet",
            body=(
                f"You started a concern in Safeguard at {draft.school.name} and have not sent it. Until it is sent, "
                "the safeguarding team cannot see it.\n\nSign in and open Log a concern: what you wrote is kept. "
                "If you decided it was not needed, tell the DSL anyway.\n\n"
                "This email holds no names or details, on purpose.\n"
            ),
        )
    return 1


def _tell_dsl(draft: ConcernDraft, *, now) -> int:
    with transaction.atomic():
        if not ConcernDraft.objects.filter(pk=draft.pk, dsl_told_at__isnull=True).update(dsl_told_at=now):
            return 0
        draft.dsl_told_at = now
        dsl = school_dsl(school=draft.school)
        if dsl is None:
            return 0
        started = timezone.localtime(draft.updated_at, LONDON)
        _tell(
            dsl,
            draft,
            subject=f"Safeguard: a concern not yet sent at {draft.school.name}",
            news=f"last worked on it on {started:%A %d %B at %H:%M}, and has not sent it. They were reminded at the "
            "end of that school day.\n\nPlease check with them: it may hold something you need to know.",
        )
    return 1


def drafts_tidy(*, now=None) -> dict[str, int]:
    """Warn about, then delete, drafts left untouched for 30 days; returns how many were warned about and deleted."""
    now = now or timezone.now()
    disclosure_codes = set(Indicator.objects.filter(kind=IndicatorKind.DISCLOSURE).values_list("code", flat=True))
    stale = ConcernDraft.objects.filter(updated_at__lte=now - (DRAFT_KEPT_FOR - DELETION_NOTICE)).select_related(
        "author", "school"
    )
    with_files = set(Attachment.objects.filter(draft__in=stale).values_list("draft_id", flat=True))
    counts = {"warned": 0, "deleted": 0}
    for draft in stale:
        if draft_never_deleted(draft, disclosure_codes):
            continue
        old_enough = now >= draft.updated_at + DRAFT_KEPT_FOR
        if not draft_holds_something(draft) and draft.pk not in with_files:
            if old_enough:
                counts["deleted"] += _delete(draft, now=now)
            continue
        warned = draft.deletion_notice_at is not None and draft.deletion_notice_at >= draft.updated_at
        if not warned:
            counts["warned"] += _warn(draft, now=now)
        elif old_enough and now >= draft.deletion_notice_at + DELETION_NOTICE:
            counts["deleted"] += _delete(draft, now=now)
    return counts


def _warn(draft: ConcernDraft, *, now) -> int:
    with transaction.atomic():
        # Only if nobody touched it since it was read: a draft worked on again is not warned about.
        if not ConcernDraft.objects.filter(pk=draft.pk, updated_at=draft.updated_at).update(deletion_notice_at=now):
            return 0
        deleted_on = timezone.localtime(max(now + DELETION_NOTICE, draft.updated_at + DRAFT_KEPT_FOR), LONDON)
        touched = timezone.localtime(draft.updated_at, LONDON)
        email_enqueue(
            to=[draft.author.email],
            subject="Safeguard: your unsent concern will be deleted in a week",
            body=(
                f"You started a concern in Safeguard at {draft.school.name}, last worked on it on "
                f"{touched:%A %d %B}, and have not sent it. It will be deleted on {deleted_on:%A %d %B} unless you "
                "open it before then.\n\nSign in and open Log a concern: send it, or change anything to keep it.\n\n"
                "This email holds no names or details, on purpose.\n"
            ),
        )
        dsl = school_dsl(school=draft.school)
        if dsl is not None and dsl.user_id != draft.author_id:
            _tell(
                dsl,
                draft,
                subject=f"Safeguard: an unsent concern at {draft.school.name} will be deleted in a week",
                news=f"last worked on it on {touched:%A %d %B}, and has not sent it. It will be deleted on "
                f"{deleted_on:%A %d %B} unless they open it before then. They have been told too.\n\n"
                "Please check with them that nothing in it needs to reach you.",
            )
    return 1


def _delete(draft: ConcernDraft, *, now) -> int:
    files = list(Attachment.objects.filter(draft=draft, incident__isnull=True))
    with transaction.atomic():
        if not ConcernDraft.objects.filter(pk=draft.pk, updated_at=draft.updated_at).exists():
            return 0  # touched meanwhile
        Attachment.objects.filter(pk__in=[file.pk for file in files]).delete()
        draft.delete()
        record(
            EventType.DELETE,
            school=draft.school,
            object_type="concern_draft",
            object_uuid=draft.uuid,
            reason="untouched for 30 days",
            detail={"author": str(draft.author.uuid), "files": len(files)},
        )
        for file in files:
            attachment_delete(file.stored_name)
    return 1


def _tell(dsl, draft: ConcernDraft, *, subject: str, news: str) -> None:
    """Email the DSL about a member of staff's unsent draft: who, and when; never the child or what was written."""
    email_enqueue(
        to=[dsl.user.email],
        subject=subject,
        body=(
            f"{draft.author.full_name} started a concern about a child in Safeguard, {news}\n\n"
            "This email holds no child's name and nothing of what was written, on purpose.\n"
        ),
    )
