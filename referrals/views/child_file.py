from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from referrals.models import CaseNote, IndicatorCategory
from referrals.selectors.access import access_alert, access_child
from referrals.selectors.child_file import KINDS, child_front_sheet, chronology_page, indicators_by_month
from referrals.services.child_file import case_note_add, child_flags_set, pattern_alert_acknowledge
from safeguarding.accounts.access import school_dsl
from safeguarding.accounts.permissions import Capability, capabilities_at
from safeguarding.core.dates import date_or_none
from safeguarding.core.params import filter_text, posted_text


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
    # What the person may do at the child's school, from the memberships the session policy loaded for this request.
    may = capabilities_at(request.memberships, child.school)
    context = {
        "child": child,
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
        "may_acknowledge_alert": Capability.ACKNOWLEDGE_ALERT in may,
        "note_kinds": CaseNote.Kind.choices,
        "categories": IndicatorCategory.objects.filter(valid_to__isnull=True),
        "filters": _filters_without_page(request),
        "chosen": {"category": category, "from": request.GET.get("from", ""), "to": request.GET.get("to", "")},
        **child_front_sheet(child=child),
    }
    return render(request, "referrals/child_file.html", context)


@login_required
@require_POST
def child_flags(request, child_uuid):
    child = access_child(user=request.user, context=request.audit, child_uuid=child_uuid, record_read=False)
    child_flags_set(
        actor=request.user,
        context=request.audit,
        child=child,
        cp_plan=request.POST.get("cp_plan") == "on",
        looked_after=request.POST.get("looked_after") == "on",
    )
    messages.success(request, "The safeguarding flags have been saved.")
    return redirect("child_file", child_uuid=child.uuid)


@login_required
@require_POST
def child_note(request, child_uuid):
    child = access_child(user=request.user, context=request.audit, child_uuid=child_uuid, record_read=False)
    kind = request.POST.get("kind", "note")
    try:
        text = posted_text(request.POST, "text", label="The note", max_length=20_000)
        if not text or kind not in CaseNote.Kind.values:
            raise ValueError("Write the note before saving it.")
    except ValueError as problem:
        messages.error(request, str(problem))
    else:
        case_note_add(
            actor=request.user, context=request.audit, child=child, kind=kind, text=text, happened_at=timezone.now()
        )
        messages.success(request, "Note added to the chronology.")
    return redirect("child_file", child_uuid=child.uuid)


@login_required
@require_POST
def child_alert_acknowledge(request, child_uuid, alert_uuid):
    child = access_child(user=request.user, context=request.audit, child_uuid=child_uuid, record_read=False)
    alert = access_alert(child=child, alert_uuid=alert_uuid)
    try:
        pattern_alert_acknowledge(
            actor=request.user,
            context=request.audit,
            alert=alert,
            note=posted_text(request.POST, "note", label="The note", max_length=2000),
        )
    except ValueError as problem:
        messages.error(request, str(problem))
    else:
        messages.success(request, "Alert acknowledged.")
    return redirect("child_file", child_uuid=child.uuid)
