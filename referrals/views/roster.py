"""The pupil roster, kept by school admins. Searches travel in the request body, never in the address."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from referrals.forms.roster import RosterForm, RosterSearchForm
from referrals.selectors.access import ROSTER_CHILD, access_roster_child, record_view, roster_school_get
from referrals.selectors.children import roster_page
from referrals.services.children import child_create, child_update_roster
from safeguarding.accounts.ratelimit import rate_limited

PUPILS_PER_PAGE = 25


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def roster_list(request, school_uuid):
    school = roster_school_get(user=request.user, school_uuid=school_uuid)
    if request.method == "POST" and (limited := rate_limited(request, "search")):
        return limited
    form = RosterSearchForm(request.POST or None)
    criteria = form.cleaned_data if form.is_valid() else {}
    page = roster_page(
        user=request.user,
        context=request.audit,
        school=school,
        text=criteria.get("text", ""),
        year_group=criteria.get("year_group", ""),
        page_number=criteria.get("page") or 1,
        per_page=PUPILS_PER_PAGE,
    )
    searched = bool(criteria.get("text") or criteria.get("year_group"))
    context = {"school": school, "form": form, "page": page, "searched": searched}
    return render(request, "referrals/roster_list.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def roster_add(request, school_uuid):
    school = roster_school_get(user=request.user, school_uuid=school_uuid)
    form = RosterForm(request.POST or None, school=school)
    if request.method == "POST" and form.is_valid():
        child = child_create(actor=request.user, context=request.audit, school=school, values=form.cleaned_data)
        messages.success(request, f"{child.display_name} has been added to the roster.")
        return redirect("roster_pupil", school_uuid=school.uuid, child_uuid=child.uuid)
    return render(request, "referrals/roster_form.html", {"school": school, "form": form, "child": None})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def roster_pupil(request, school_uuid, child_uuid):
    school = roster_school_get(user=request.user, school_uuid=school_uuid)
    posting = request.method == "POST"
    child = access_roster_child(
        user=request.user, context=request.audit, school=school, child_uuid=child_uuid, record_read=not posting
    )
    form = RosterForm(request.POST or None, instance=child, school=school)
    if posting and form.is_valid():
        values = {field: form.cleaned_data[field] for field in form.changed_data}
        if values:
            child_update_roster(actor=request.user, context=request.audit, child=child, values=values)
            messages.success(request, "The roster details have been saved.")
        return redirect("roster_pupil", school_uuid=school.uuid, child_uuid=child.uuid)
    if posting:  # sent back with its errors, beside the pupil's details
        record_view(child, ROSTER_CHILD, user=request.user, context=request.audit)
    return render(request, "referrals/roster_form.html", {"school": school, "form": form, "child": child})
