"""The pupil roster, kept by school admins. Searches travel in the request body, never in the address."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from referrals.forms.roster import RosterForm, RosterSearchForm, carer_formset
from referrals.selectors.access import ROSTER_CHILD, access_roster_child, record_view, roster_school_get
from referrals.selectors.children import roster_page
from referrals.services.children import child_create, child_family_update, child_update_roster
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
    carers = carer_formset(None, request.POST or None)
    if request.method == "POST" and form.is_valid() and carers.acceptable():
        values = {name: value for name, value in form.cleaned_data.items() if name != "sibling_upns"}
        with transaction.atomic():
            child = child_create(actor=request.user, context=request.audit, school=school, values=values)
            _family_save(request, child, form, carers)
        messages.success(request, f"{child.display_name} has been added to the roster.")
        return redirect("roster_pupil", school_uuid=school.uuid, child_uuid=child.uuid)
    context = {"school": school, "form": form, "carers": carers, "child": None}
    return render(request, "referrals/roster_form.html", context)


def _family_save(request, child, form, carers) -> None:
    """The parents and carers and the brothers and sisters, when the form changed them."""
    child_family_update(
        actor=request.user,
        context=request.audit,
        child=child,
        carers=carers.carers() if carers.changed() else None,
        siblings=form.siblings if "sibling_upns" in form.changed_data else None,
    )


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
    carers = carer_formset(child, request.POST or None)
    if posting and form.is_valid() and carers.acceptable():
        values = {field: form.cleaned_data[field] for field in form.changed_data if field != "sibling_upns"}
        with transaction.atomic():
            if values:
                child_update_roster(actor=request.user, context=request.audit, child=child, values=values)
            _family_save(request, child, form, carers)
        if form.has_changed() or carers.changed():
            messages.success(request, "The roster details have been saved.")
        return redirect("roster_pupil", school_uuid=school.uuid, child_uuid=child.uuid)
    if posting:  # sent back with its errors, beside the pupil's details
        record_view(child, ROSTER_CHILD, user=request.user, context=request.audit)
    context = {"school": school, "form": form, "carers": carers, "child": child}
    return render(request, "referrals/roster_form.html", context)
