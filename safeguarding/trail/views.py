import uuid

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from safeguarding.accounts.permissions import Capability, capabilities_of
from safeguarding.accounts.ratelimit import rate_limited
from safeguarding.audit.subjects import Subject, subject_find, subjects_named
from safeguarding.core.replica import reads_from_replica
from safeguarding.trail.forms import AuditFilterForm, ChildLookupForm
from safeguarding.trail.selectors import (
    AuditFilters,
    audit_alerts,
    audit_child_lookup,
    audit_page,
    audit_people,
    audit_schools,
    people_by_uuid,
)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@reads_from_replica
def audit_log(request):
    """The audit trail of the person's schools. Filters travel in the request body."""
    schools = list(audit_schools(user=request.user))
    if request.method == "POST" and (limited := rate_limited(request, "search")):
        return limited
    people = audit_people(schools=schools)
    lookup = ChildLookupForm(request.POST if "child_name" in request.POST else None)
    matches = (
        audit_child_lookup(
            user=request.user, context=request.audit, schools=schools, term=lookup.cleaned_data["child_name"]
        )
        if lookup.is_valid()
        else None
    )
    form = AuditFilterForm(request.POST if "child_name" not in request.POST else None, people=people)
    cleaned = form.cleaned_data if form.is_valid() else {}
    filters = AuditFilters(
        person=uuid.UUID(cleaned["person"]) if cleaned.get("person") else None,
        child=_child(schools, cleaned.get("child_upn", "")),
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
    show_names = Capability.READ_AUDIT_NAMES in capabilities_of(request.memberships)
    context = {
        "form": form,
        "page": page,
        "alerts": audit_alerts(user=request.user, schools=schools),
        "people": people_by_uuid([event.user_uuid for event in page]),
        "children": subjects_named([event.child_uuid for event in page], schools=schools),
        "show_names": show_names,
        "schools": {school.uuid: school for school in schools},
        "child_not_found": filters.child is not None and filters.child.uuid.int == 0,
        "lookup": lookup,
        "matches": matches,
    }
    return render(request, "audit/audit_log.html", context)


def _child(schools, upn: str) -> Subject | None:
    if not upn:
        return None
    # An unknown UPN matches nothing rather than everything.
    return subject_find(term=upn, schools=schools) or Subject(uuid=uuid.UUID(int=0))
