import uuid

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from referrals.models import Child
from referrals.upn import normalise_upn
from safeguarding.accounts.models import User
from safeguarding.accounts.roles import Role
from safeguarding.audit.forms import AuditFilterForm
from safeguarding.audit.selectors import (
    AuditFilters,
    audit_alerts,
    audit_page,
    audit_schools,
    child_access_page,
    children_by_uuid,
    people_by_uuid,
)
from safeguarding.core.ratelimit import rate_limited


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def audit_log(request):
    """The audit trail of the person's schools. Filters travel in the request body."""
    schools = list(audit_schools(user=request.user))
    if request.method == "POST" and (limited := rate_limited(request, "search")):
        return limited
    people = User.objects.filter(memberships__school__in=schools).distinct().order_by("full_name")
    form = AuditFilterForm(request.POST or None, people=people)
    cleaned = form.cleaned_data if form.is_valid() else {}
    filters = AuditFilters(
        person=uuid.UUID(cleaned["person"]) if cleaned.get("person") else None,
        child=_child_uuid(schools, cleaned.get("child_upn", "")),
        event_type=cleaned.get("event_type", ""),
        outcome=cleaned.get("outcome", ""),
        date_from=cleaned.get("date_from"),
        date_to=cleaned.get("date_to"),
    )
    page = audit_page(
        user=request.user,
        context=request.audit,
        filters=filters,
        page_number=cleaned.get("page") or 1,
        schools=schools,
    )
    show_names = any(m.role != Role.AUDITOR for m in request.memberships)
    context = {
        "form": form,
        "page": page,
        "alerts": audit_alerts(user=request.user, schools=schools),
        "people": people_by_uuid([event.user_uuid for event in page]),
        "children": children_by_uuid([event.child_uuid for event in page], schools=schools),
        "show_names": show_names,
        "schools": {school.uuid: school for school in schools},
        "child_not_found": bool(cleaned.get("child_upn")) and filters.child is None,
    }
    return render(request, "audit/audit_log.html", context)


def _child_uuid(schools, upn: str):
    if not upn:
        return None
    child = Child.objects.filter(school__in=schools, upn=normalise_upn(upn)).only("uuid").first()
    # An unknown UPN matches nothing rather than everything.
    return child.uuid if child else uuid.UUID(int=0)


@never_cache
@login_required
def child_access(request, child_uuid):
    child, page = child_access_page(
        user=request.user, context=request.audit, child_uuid=child_uuid, page_number=request.GET.get("page")
    )
    from referrals.models import ExportRecord

    exports = ExportRecord.objects.filter(children=child).select_related("user").order_by("started_at")
    context = {
        "child": child,
        "page": page,
        "people": people_by_uuid([event.user_uuid for event in page]),
        "exports": exports,
    }
    return render(request, "audit/child_access.html", context)
