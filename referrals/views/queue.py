"""The safeguarding team's review queue."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from referrals.models import ConcernStatus, IndicatorCategory, Urgency
from referrals.selectors.access import access_concern
from referrals.selectors.context import open_alerts
from referrals.selectors.queue import (
    DUE_FILTERS,
    QueueFilters,
    actions_overdue,
    queue_page,
    queue_schools,
    referrals_awaiting,
    transfers_waiting,
)
from referrals.services.reviews import ConcernConflict, concern_acknowledge
from referrals.services.transfers import FileReadOnly
from safeguarding.accounts.permissions import Capability, capabilities_at
from safeguarding.core.params import filter_text


def _filters(query, schools) -> QueueFilters:
    """The queue's filters from `query` (the page's address, or the one an acknowledgement came from); a value
    that is not one of the choices is dropped, as the filters are written into the audit trail."""
    status = query.get("status", "")
    urgency = query.get("urgency", "")
    school = query.get("school", "")
    due = query.get("due", "")
    return QueueFilters(
        status=status if status in ConcernStatus.values else "",
        urgency=urgency if urgency in Urgency.values else "",
        category=_known_category(filter_text(query, "category", max_length=40)),
        school=school if school in {str(school.uuid) for school in schools} else "",
        due=due if due in DUE_FILTERS else "",
        mine=query.get("mine") == "1",
    )


def _query(filters: QueueFilters) -> str:
    """The address's query for `filters`, to come back to after acknowledging from the list."""
    return urlencode({key: ("1" if value is True else value) for key, value in vars(filters).items() if value})


def _known_category(code: str) -> str:
    """A category's code, or nothing: the filters are written into the audit trail, which holds no free text."""
    return code if code and IndicatorCategory.objects.filter(code=code).exists() else ""


@never_cache
@login_required
def queue(request):
    """Most urgent first, then oldest, with each concern's clock. The page refreshes itself every minute; those
    refreshes are marked as background requests and do not keep an idle session alive."""
    schools = queue_schools(user=request.user)
    filters = _filters(request.GET, schools)
    page = queue_page(
        user=request.user, context=request.audit, filters=filters, page_number=request.GET.get("page"), schools=schools
    )
    partial = bool(request.headers.get("HX-Request"))
    context = {
        "page": page,
        "filters": filters,
        "now": timezone.now(),
        "statuses": [choice for choice in ConcernStatus.choices if choice[0] != ConcernStatus.CLOSED],
        "urgencies": Urgency.choices,
        "categories": IndicatorCategory.objects.filter(valid_to__isnull=True),
        "team_schools": {
            school.pk for school in schools if Capability.ACT_ON_CONCERN in capabilities_at(request.memberships, school)
        },
        "schools": schools if len(schools) > 1 else [],
        "filter_query": _query(filters),
        "page_query": request.GET.urlencode(),
        # The minute's refresh replaces the table only.
        "waiting_referrals": []
        if partial
        else referrals_awaiting(user=request.user, context=request.audit, schools=schools),
        "overdue_actions": []
        if partial
        else actions_overdue(user=request.user, context=request.audit, schools=schools),
        "transfers": [] if partial else transfers_waiting(user=request.user, context=request.audit, schools=schools),
        "context_alerts": [] if partial else open_alerts(user=request.user, context=request.audit, schools=schools),
        "show_schools": len(schools) > 1,
    }
    template = "referrals/partials/queue_table.html" if partial else "referrals/queue.html"
    return render(request, template, context)


@login_required
@require_POST
def queue_acknowledge(request, concern_uuid):
    concern = access_concern(user=request.user, context=request.audit, concern_uuid=concern_uuid, record_read=False)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = None
    try:
        concern_acknowledge(actor=request.user, context=request.audit, concern=concern, expected_version=version)
    except (ConcernConflict, FileReadOnly) as conflict:
        messages.warning(request, str(conflict))
    except PermissionDenied:
        raise Http404("No such concern.") from None
    else:
        messages.success(request, f"Concern {concern.reference} acknowledged.")
    back = _query(_filters(QueryDict(request.POST.get("filters", "")), queue_schools(user=request.user)))
    return redirect(f"{reverse('queue')}?{back}" if back else reverse("queue"))
