"""Reading the audit trail: scoped to the schools a person may audit, and itself recorded."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.utils import timezone

from safeguarding.accounts.models import School, User
from safeguarding.accounts.permissions import Capability, schools_where
from safeguarding.audit.context import RequestContext
from safeguarding.audit.events import EventType, Outcome
from safeguarding.audit.models import AuditAlert, AuditEvent
from safeguarding.audit.record import record, record_shown
from safeguarding.audit.selectors import events_about
from safeguarding.audit.subjects import Subject, SubjectMatch, hidden_from, subjects_search
from safeguarding.core.dates import LONDON


@dataclass
class AuditFilters:
    person: uuid.UUID | None = None
    child: Subject | None = None
    event_type: str = ""
    outcome: str = ""
    date_from: date | None = None
    date_to: date | None = None

    def as_detail(self) -> dict:
        values = {
            "person": str(self.person) if self.person else "",
            "event_type": self.event_type,
            "outcome": self.outcome,
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
        }
        return {key: value for key, value in values.items() if value}


def audit_schools(*, user: User):
    schools = schools_where(user, Capability.READ_AUDIT)
    if not schools.exists():
        raise PermissionDenied
    return schools


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LONDON)


def audit_page(
    *,
    user: User,
    context: RequestContext,
    filters: AuditFilters,
    page_number,
    per_page: int = 50,
    schools: list[School] | None = None,
) -> Page:
    """One page of the trail of the schools `user` may audit (`schools`, when the caller has them already), newest
    first, recorded as a read of the trail."""
    schools = schools if schools is not None else list(audit_schools(user=user))
    if filters.child:
        # A child of the person's schools: every event about the child, as who-viewed shows them, read through
        # the child's own index rather than picked out of the schools' whole trail.
        events = events_about(child_uuid=filters.child.uuid, also=filters.child.also)
    else:
        # The schools' events; the events of no school (sign-ins, own lists) by their people; and their people's
        # refusals wherever they were refused, so a probe of another school's record shows here exactly as a
        # probe of a UUID that names nothing (which has no school) does.
        members = User.objects.filter(memberships__school__in=schools).values("uuid")
        events = AuditEvent.objects.filter(
            Q(school_uuid__in=[school.uuid for school in schools])
            | Q(school_uuid__isnull=True, user_uuid__in=members)
            | Q(outcome=Outcome.REFUSED, user_uuid__in=members)
        )
    if (hidden := hidden_from(user)) is not None:
        events = events.exclude(hidden)
    if filters.person:
        events = events.filter(user_uuid=filters.person)
    if filters.event_type:
        events = events.filter(event_type=filters.event_type)
    if filters.outcome:
        events = events.filter(outcome=filters.outcome)
    if filters.date_from:
        events = events.filter(occurred_at__gte=_day_start(filters.date_from))
    if filters.date_to and filters.date_to < date.max:  # up to the last day there is leaves nothing out
        events = events.filter(occurred_at__lt=_day_start(filters.date_to + timezone.timedelta(days=1)))
    page = Paginator(events.order_by("-occurred_at", "-id"), per_page).get_page(page_number)
    record(
        EventType.AUDIT_READ,
        user=user,
        context=context,
        school=schools[0] if len(schools) == 1 else None,
        object_type="audit_event",
        shown_ids=[event.pk for event in page],
        row_count=page.paginator.count,
        child_uuid=filters.child.uuid if filters.child else None,
        detail=filters.as_detail(),
    )
    return page


def audit_alerts(*, user: User, limit: int = 20, schools: list[School] | None = None) -> list[AuditAlert]:
    schools = schools if schools is not None else audit_schools(user=user)
    return list(AuditAlert.objects.filter(school_uuid__in=[school.uuid for school in schools])[:limit])


def people_by_uuid(uuids) -> dict:
    return {user.uuid: user for user in User.objects.filter(uuid__in={value for value in uuids if value})}


def audit_people(*, schools) -> QuerySet[User]:
    """Everyone who belongs, or belonged, to the schools: the trail's "person" filter."""
    return User.objects.filter(memberships__school__in=schools).distinct().order_by("full_name")


def audit_child_lookup(*, user: User, context: RequestContext, schools, term: str) -> list[SubjectMatch]:
    """Children of the reader's schools whose name matches `term`, with the UPN that filters the trail by them (the
    auditor knows a name, the filter takes a UPN). Opens no file. Recorded as a search with the children shown and a
    keyed hash of the name, never the name itself."""
    matches = subjects_search(term=term, schools=schools)
    record_shown(
        matches,
        EventType.SEARCH,
        user=user,
        context=context,
        school=schools[0] if len(schools) == 1 else None,
        object_type="audit_child_lookup",
        search_term=term,
    )
    return matches
