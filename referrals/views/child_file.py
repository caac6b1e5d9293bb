from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from referrals.forms.actions import ActionDoneForm, ActionForm
from referrals.forms.child_file import AlertAcknowledgeForm, FlagsForm, NoteForm
from referrals.forms.roster import ChildSearchForm
from referrals.forms.transfers import LeavingForm
from referrals.hints import BLAMING_HINT, blaming_words
from referrals.models import IndicatorCategory
from referrals.selectors.access import (
    ACTION,
    CHILD_FILE,
    access_action,
    access_alert,
    access_child,
    record_view,
)
from referrals.selectors.child_file import (
    KINDS,
    child_actions,
    child_attachments,
    child_concern,
    child_concerns,
    child_front_sheet,
    chronology_page,
    indicators_by_month,
)
from referrals.selectors.children import CHILD_SEARCH_LIMIT, children_find
from referrals.selectors.context import open_alerts
from referrals.selectors.screening import child_screenings, screening_trend
from referrals.selectors.transfers import child_moves
from referrals.services.actions import ActionConflict, action_assign, action_complete, action_owners
from referrals.services.child_file import case_note_add, child_flags_set, pattern_alert_acknowledge
from referrals.views.transfers import refusing_read_only
from safeguarding.accounts.access import school_dsl
from safeguarding.accounts.permissions import Capability, capabilities_at, capabilities_of
from safeguarding.accounts.ratelimit import rate_limited
from safeguarding.core.dates import date_or_none
from safeguarding.core.params import filter_text


def _filters_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _page(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@never_cache
@login_required
def child_file(request, child_uuid):
    child = access_child(user=request.user, context=request.audit, child_uuid=child_uuid)
    return _child_file_page(request, child)


def _child_file_page(request, child, *, forms=None, status=200):
    """The file's page; `forms` holds a form sent back with its errors, shown with what was typed."""
    kinds = [kind for kind in request.GET.getlist("type") if kind in KINDS] or list(KINDS)
    category = filter_text(request.GET, "category", max_length=40)
    entries, page, pages = chronology_page(
        child=child,
        page=_page(request.GET.get("page")),
        kinds=kinds,
        date_from=date_or_none(request.GET.get("from")),
        date_to=date_or_none(request.GET.get("to")),
        category=category,
    )
    rows, chart = indicators_by_month(child=child)
    screenings = child_screenings(child=child)
    front = child_front_sheet(child=child)
    forms = forms or {}
    sent_back = forms.get("alert")
    alert_forms = [
        (
            alert,
            sent_back
            if sent_back is not None and sent_back.alert.pk == alert.pk
            else AlertAcknowledgeForm(alert=alert),
        )
        for alert in front["alerts"]
    ]
    # What the person may do at the child's school, from the memberships the session policy loaded for this request.
    # A file sent to another school is kept as it was: nothing is added to it here (R7.6).
    may = capabilities_at(request.memberships, child.school) if child.transferred_at is None else frozenset()
    context = {
        "child": child,
        "context_alerts": open_alerts(user=request.user, context=request.audit, child=child),
        "concern_lines": child_concerns(child=child),
        "attachments": child_attachments(child=child),
        "with_concerns": True,
        "entries": entries,
        "page": page,
        "pages": pages,
        "kinds": kinds,
        "all_kinds": KINDS,
        "rows": rows,
        "chart": chart,
        "dsl": school_dsl(school=child.school),
        "may_set_flags": Capability.SET_FLAGS in may,
        "may_write_note": Capability.WRITE_NOTE in may,
        "may_assign_action": Capability.ASSIGN_ACTION in may,
        "actions": child_actions(child=child),
        "action_form": forms.get("action") or ActionForm(owners=action_owners(school=child.school)),
        "today": timezone.localdate(),
        "may_acknowledge_alert": Capability.ACKNOWLEDGE_ALERT in may,
        "flags_form": FlagsForm(initial={"cp_plan": child.cp_plan, "looked_after": child.looked_after}),
        "note_form": forms.get("note") or NoteForm(),
        "alert_forms": alert_forms,
        "categories": IndicatorCategory.objects.filter(valid_to__isnull=True),
        "filters": _filters_without_page(request),
        "chosen": {"category": category, "from": request.GET.get("from", ""), "to": request.GET.get("to", "")},
        "may_transfer": Capability.TRANSFER_FILE in may,
        "may_screen": Capability.RECORD_SCREENING in may,
        "screenings": screenings,
        "screening_trend": screening_trend(screenings),
        "leaving_form": LeavingForm(
            initial={
                "left_on": child.left_on or timezone.localdate(),
                "destination": child.destination,
                "destination_urn": child.destination_urn,
            }
        ),
        **child_moves(child=child),
        **front,
    }
    return render(request, "referrals/child_file.html", context, status=status)


def _sent_back(request, child, **forms):
    """The file again, with a form that had an error; the file is shown, so its view is recorded."""
    record_view(child, CHILD_FILE, user=request.user, context=request.audit)
    return _child_file_page(request, child, forms=forms, status=400)


@login_required
@require_POST
@refusing_read_only
def child_flags(request, child_uuid):
    child = access_child(user=request.user, context=request.audit, child_uuid=child_uuid, record_read=False)
    form = FlagsForm(request.POST)
    form.is_valid()  # two tick boxes: every body is valid, an absent box is not ticked
    child_flags_set(actor=request.user, context=request.audit, child=child, **form.cleaned_data)
    messages.success(request, "The safeguarding flags have been saved.")
    return redirect("child_file", child_uuid=child.uuid)


@login_required
@require_POST
@refusing_read_only
def child_note(request, child_uuid):
    child = access_child(user=request.user, context=request.audit, child_uuid=child_uuid, record_read=False)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _sent_back(request, child, note=form)
    case_note_add(
        actor=request.user, context=request.audit, child=child, happened_at=timezone.now(), **form.cleaned_data
    )
    messages.success(request, "Note added to the chronology.")
    if words := blaming_words(form.cleaned_data["text"]):
        messages.warning(request, f"You wrote “{words[0]}”. {BLAMING_HINT}")
    return redirect("child_file", child_uuid=child.uuid)


@login_required
@require_POST
@refusing_read_only
def child_alert_acknowledge(request, child_uuid, alert_uuid):
    child = access_child(user=request.user, context=request.audit, child_uuid=child_uuid, record_read=False)
    alert = access_alert(child=child, alert_uuid=alert_uuid)
    form = AlertAcknowledgeForm(request.POST, alert=alert)
    if form.is_valid():
        try:
            pattern_alert_acknowledge(
                actor=request.user, context=request.audit, alert=alert, note=form.cleaned_data["note"]
            )
        except ValueError as problem:
            # Someone acknowledged it first: their note is on the page.
            messages.error(request, str(problem))
        else:
            messages.success(request, "Alert acknowledged.")
        return redirect("child_file", child_uuid=child.uuid)
    return _sent_back(request, child, alert=form)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def child_search(request):
    """Any pupil of the team's schools, one search away: by name, UPN, year group or date of birth. The search
    travels in the request body, so no name reaches an address or a server log."""
    if Capability.READ_CHILD_FILE not in capabilities_of(request.memberships):
        raise PermissionDenied
    if request.method == "POST" and (limited := rate_limited(request, "search")):
        return limited
    form = ChildSearchForm(request.POST or None)
    children = children_find(user=request.user, context=request.audit, **form.cleaned_data) if form.is_valid() else None
    many_schools = len({m.school_id or m.trust_id for m in request.memberships}) > 1 or any(
        m.school_id is None for m in request.memberships
    )
    context = {"form": form, "children": children, "limit": CHILD_SEARCH_LIMIT, "many_schools": many_schools}
    return render(request, "referrals/child_search.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
@refusing_read_only
def action_new(request, child_uuid):
    """Give a member of the school's staff an action about the child (from the file, or from one of its concerns)."""
    child = access_child(user=request.user, context=request.audit, child_uuid=child_uuid, record_read=False)
    if Capability.ASSIGN_ACTION not in capabilities_at(request.memberships, child.school):
        raise PermissionDenied
    form = ActionForm(request.POST, owners=action_owners(school=child.school))
    if not form.is_valid():
        return _sent_back(request, child, action=form)
    concern = child_concern(child=child, concern_uuid=form.cleaned_data["concern"])
    action = action_assign(
        actor=request.user,
        context=request.audit,
        child=child,
        concern=concern,
        what=form.cleaned_data["what"],
        owner=form.cleaned_data["owner"],
        due_on=form.cleaned_data["due_on"],
    )
    messages.success(request, f"Action given to {action.owner.full_name}, due {action.due_on:%a %d %b}.")
    if concern is not None:
        return redirect("concern_review", concern_uuid=concern.uuid)
    return redirect("child_file", child_uuid=child.uuid)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def action_detail(request, action_uuid):
    """One action, for its owner (what to do, for which child, by when: none of the child's history) and for the
    team; marking it done asks for a line on what was done."""
    posting = request.method == "POST"
    action = access_action(user=request.user, context=request.audit, action_uuid=action_uuid, record_read=not posting)
    form = ActionDoneForm(request.POST or None)
    status = 200
    if posting:
        if form.is_valid():
            try:
                note = form.cleaned_data["note"]
                action_complete(actor=request.user, context=request.audit, action=action, note=note)
            except ActionConflict as conflict:
                messages.warning(request, str(conflict))
            else:
                messages.success(request, "Marked done. Thank you.")
            return redirect("action_detail", action_uuid=action.uuid)
        record_view(action, ACTION, user=request.user, context=request.audit)
        status = 400
    context = {
        "action": action,
        "form": form,
        "is_team": Capability.READ_CHILD_FILE in capabilities_at(request.memberships, action.school),
        "today": timezone.localdate(),
    }
    return render(request, "referrals/action_detail.html", context, status=status)
