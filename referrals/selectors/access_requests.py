"""Subject access requests, for the DSL and the data protection officer of the school (REQUIREMENTS.md R10.6):
the one rule of who reaches a request, and the lists."""

import uuid
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from referrals.access_clock import Clock, request_clock
from referrals.models import AccessRequest, Child, RequestStatus
from referrals.selectors.access import Kind, record_view
from referrals.selectors.children import children_matching
from safeguarding.accounts.models import User
from safeguarding.accounts.permissions import Capability, schools_where
from safeguarding.audit.context import RequestContext
from safeguarding.audit.events import EventType
from safeguarding.audit.record import record_shown

ACCESS_REQUEST = Kind("access_request", "No such request.")
SEARCH_LIMIT = 20


def _reachable(user: User) -> QuerySet[AccessRequest]:
    return AccessRequest.objects.filter(school__in=schools_where(user, Capability.HANDLE_ACCESS_REQUESTS))


def access_request_get(
    *, user: User, context: RequestContext, request_uuid: uuid.UUID, record_read: bool = True
) -> AccessRequest:
    """One request, for those who handle requests at its school; 404 for anyone else (the refusal is recorded)."""
    found = (
        _reachable(user)
        .filter(uuid=request_uuid)
        .select_related(
            "school__trust",
            "child__school",
            "logged_by",
            "extended_by",
            "sent_for_sign_off_by",
            "sent_back_by",
            "signed_off_by",
            "released_by",
        )
        .prefetch_related("pauses__recorded_by", "redactions__made_by")
        .first()
    )
    if found is None:
        raise Http404(ACCESS_REQUEST.missing)
    if record_read:
        record_view(found, ACCESS_REQUEST, user=user, context=context, child_uuids=[found.child_uuid])
    return found


@dataclass
class Row:
    request: AccessRequest
    clock: Clock
    overdue: bool
    days_left: int | None

    @property
    def days_late(self) -> int:
        return -self.days_left if self.overdue else 0


def _row(access_request: AccessRequest, today) -> Row:
    clock = request_clock(access_request)
    days_left = clock.days_left(today)
    overdue = access_request.is_open and days_left is not None and days_left < 0
    return Row(access_request, clock, overdue, days_left)


def access_requests_list(*, user: User, context: RequestContext) -> tuple[list[Row], list[Row]]:
    """The open requests, overdue first and then by due date, and the latest released; the list is recorded with
    the children it names."""
    today = timezone.localdate()
    found = list(_reachable(user).select_related("school", "child").prefetch_related("pauses").order_by("-received_on"))
    rows = [_row(each, today) for each in found]
    open_rows = sorted(
        (row for row in rows if row.request.is_open),
        key=lambda row: (not row.overdue, row.clock.due is None, row.clock.due or today, row.request.pk),
    )
    released = [row for row in rows if not row.request.is_open][:20]
    shown = [row.request for row in [*open_rows, *released]]
    record_shown(
        shown,
        user=user,
        context=context,
        object_type=ACCESS_REQUEST.object_type,
        detail={"children": sorted({str(each.child_uuid) for each in shown})},
    )
    return open_rows, released


def access_request_counts(*, user: User) -> dict[str, int]:
    """How many requests are open, how many are overdue and how many wait for the person's sign-off, for the home
    page: counts only, nothing recorded."""
    today = timezone.localdate()
    found = list(_reachable(user).exclude(status=RequestStatus.RELEASED).prefetch_related("pauses", "redactions"))
    rows = [_row(each, today) for each in found]
    to_sign = sum(each.awaits_sign_off_by(user) for each in found)
    return {"open": len(rows), "overdue": sum(row.overdue for row in rows), "to_sign": to_sign}


def access_request_children(*, user: User, context: RequestContext, text: str) -> list[Child]:
    """Children of the person's schools, on roll or left, matching a name or UPN, to log a request about; the
    search is recorded as its count and a keyed hash of the term."""
    text = text.replace("\x00", "").strip()[:100]
    if len(text) < 2:
        return []
    schools = schools_where(user, Capability.HANDLE_ACCESS_REQUESTS)
    children = list(
        children_matching(Child.objects.filter(school__in=schools), text=text).select_related("school")[:SEARCH_LIMIT]
    )
    record_shown(
        children, EventType.SEARCH, user=user, context=context, object_type="access_request_child", search_term=text
    )
    return children


def access_request_child(*, user: User, child_uuid) -> Child:
    """The child a new request is about, of one of the person's schools; 404 otherwise."""
    try:
        child_uuid = uuid.UUID(str(child_uuid))
    except ValueError:
        raise Http404("No such child.") from None
    schools = schools_where(user, Capability.HANDLE_ACCESS_REQUESTS)
    child = Child.objects.filter(uuid=child_uuid, school__in=schools).select_related("school").first()
    if child is None:
        raise Http404("No such child.")
    return child
