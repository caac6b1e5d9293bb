"""Nothing typed is left unsent without anyone knowing: a draft with something in it reminds its author at the end
of the school day it was last touched, and tells the school's DSL one working day after that. Each reminder is sent
once, by email, and names no child and says nothing of what was typed."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from referrals.clocks import LONDON, SchoolCalendar
from referrals.models import ConcernDraft, Incident
from safeguarding.accounts.access import school_dsl
from safeguarding.core.emails import email_enqueue

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
    return bool(data.get("children") or data.get("indicators") or data.get("signs") or any(data.get(name) for name in TYPED))


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
        email_enqueue(
            to=[dsl.user.email],
            subject=f"Safeguard: a concern not yet sent at {draft.school.name}",
            body=(
                f"{draft.author.full_name} started a concern about a child in Safeguard, last worked on it on "
                f"{started:%A %d %B at %H:%M}, and has not sent it. They were reminded at the end of that school "
                "day.\n\nPlease check with them: it may hold something you need to know.\n\n"
                "This email holds no child's name and nothing of what was written, on purpose.\n"
            ),
        )
    return 1
