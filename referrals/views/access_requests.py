"""Subject access requests: the list, logging one, the workbench (clock, redaction, sign-off, release) and the pack
(REQUIREMENTS.md R10.6, R10.7). For the DSL and the data protection officer only."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from referrals.access_clock import request_clock
from referrals.access_pack import describe, file_for_request, file_state, item_withheld, redacted
from referrals.forms.access_requests import (
    AccessRequestForm,
    AnsweredForm,
    AskForm,
    DatesForm,
    ExtendForm,
    RedactionForm,
    RefuseForm,
    ReleaseForm,
)
from referrals.models import RequestStatus, WithheldBecause
from referrals.selectors.access_requests import (
    access_request_child,
    access_request_children,
    access_request_get,
    access_requests_list,
)
from referrals.services import access_requests as service
from safeguarding.accounts.permissions import Capability, schools_where
from safeguarding.audit.events import EventType
from safeguarding.audit.record import record, record_rule_refusal

STEPS = {
    "dates": DatesForm,
    "ask": AskForm,
    "answered": AnsweredForm,
    "extend": ExtendForm,
    "redact": RedactionForm,
    "unredact": None,
    "send": None,
    "sign_off": None,
    "refuse": RefuseForm,
    "remake": None,
    "release": ReleaseForm,
}


def _handles_requests(request) -> None:
    if not schools_where(request.user, Capability.HANDLE_ACCESS_REQUESTS).exists():
        raise PermissionDenied


@never_cache
@login_required
@require_GET
def access_requests(request):
    """Open requests, the overdue first, then by due date; the latest released below."""
    _handles_requests(request)
    open_rows, released = access_requests_list(user=request.user, context=request.audit)
    return render(request, "referrals/access_requests.html", {"open_rows": open_rows, "released": released})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def access_request_new(request):
    """Find the child, then log who asked, how their identity was checked and the dates."""
    _handles_requests(request)
    child_uuid = request.GET.get("child") or request.POST.get("child")
    if not child_uuid:
        text = request.GET.get("q", "")
        children = access_request_children(user=request.user, context=request.audit, text=text)
        return render(request, "referrals/access_request_find.html", {"text": text, "children": children})
    child = access_request_child(user=request.user, child_uuid=child_uuid)
    form = AccessRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        access_request = service.access_request_log(
            actor=request.user, context=request.audit, child=child, **form.cleaned_data
        )
        messages.success(request, f"Request {access_request.reference} logged.")
        return redirect("access_request", request_uuid=access_request.uuid)
    status = 400 if request.method == "POST" else 200
    return render(request, "referrals/access_request_new.html", {"form": form, "child": child}, status=status)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def access_request(request, request_uuid):
    """The workbench: the clock and its steps, the child's whole file with what is withheld, sign-off and release."""
    found = access_request_get(
        user=request.user, context=request.audit, request_uuid=request_uuid, record_read=request.method == "GET"
    )
    forms = {step: form() for step, form in STEPS.items() if form}
    failed = None
    if request.method == "POST":
        step = request.POST.get("step", "")
        if step not in STEPS:
            raise PermissionDenied
        form = STEPS[step](request.POST) if STEPS[step] else None
        if form is not None:
            forms[step] = form
        if form is None or form.is_valid():
            anchor = _anchor(step, request.POST, found)
            try:
                done = _take(request, step, found, form.cleaned_data if form else {})
            except service.RequestRefused as refusal:
                record_rule_refusal(
                    request,
                    school=found.school,
                    object_type="access_request",
                    object_uuid=found.uuid,
                    child_uuid=found.child_uuid,
                )
                if form is None:
                    messages.error(request, str(refusal))
                    return redirect("access_request", request_uuid=found.uuid)
                form.add_error(None, str(refusal))
            else:
                messages.success(request, done)
                return redirect(f"{request.path}{anchor}")
        failed = step
        found = access_request_get(user=request.user, context=request.audit, request_uuid=request_uuid)
    return render(
        request,
        "referrals/access_request.html",
        _workbench(request, found, forms, failed),
        status=400 if request.method == "POST" else 200,
    )


def _workbench(request, found, forms: dict, failed: str | None) -> dict:
    today = timezone.localdate()
    clock = request_clock(found)
    items = file_for_request(found.child) if found.child_id else []
    redactions = list(found.redactions.all())
    withheld = item_withheld(redactions)
    by_item: dict[str, list] = {}
    for redaction in redactions:
        if not redaction.everywhere and not redaction.whole_item:
            by_item.setdefault(f"{redaction.item_kind}:{redaction.item_uuid}", []).append(redaction)
    previews = {item.key: item for item in redacted(items, redactions)}
    signed = found.signed_items
    rows = [
        {
            "item": item,
            "preview": previews.get(item.key),
            "withheld": withheld.get(item.key),
            "with_parent": withheld.get(item.parent),
            "passages": by_item.get(item.key, []),
            "added_since": bool(signed) and signed.get(item.key) != item.digest,
        }
        for item in items
    ]
    return {
        "request_": found,
        "clock": clock,
        "today": today,
        "days_left": clock.days_left(today),
        "may_extend": clock.may_extend(today) and found.is_open,
        "open_pause": next((p for p in found.pauses.all() if p.answered_on is None), None),
        "rows": rows,
        "state": file_state(items, redactions),
        "everywhere": [r for r in redactions if r.everywhere],
        "log": [(redaction, describe(redaction, items)) for redaction in redactions],
        "forms": forms,
        "failed": failed,
        "failed_item": request.POST.get("item", "") if failed == "redact" else "",
        "may_sign_off": found.awaits_sign_off_by(request.user),
        "editable": found.status in (RequestStatus.PREPARING, RequestStatus.SIGN_OFF),
        "reasons": WithheldBecause.choices,
    }


def _take(request, step: str, found, data: dict) -> str:
    who = {"actor": request.user, "context": request.audit, "access_request": found}
    if step == "dates":
        service.access_request_dates(**who, **data)
        return "Dates saved: the clock counts from the latest of them."
    if step == "ask":
        service.clarification_ask(**who, **data)
        return "The clock is paused until their answer arrives."
    if step == "answered":
        service.clarification_answered(**who, **data)
        return "The clock runs again; the days paused are added to the due date."
    if step == "extend":
        service.access_request_extend(**who, **data)
        return "Extended by two months."
    if step == "redact":
        service.redaction_add(
            **who, item_key=data["item"], passage=data["passage"], reason=data["reason"], note=data["note"]
        )
        return "Withheld from the pack."
    if step == "unredact":
        redaction = found.redactions.filter(uuid=_uuid(request.POST.get("redaction"))).first()
        if redaction is None:
            raise Http404("No such redaction.")
        service.redaction_remove(**who, redaction=redaction)
        return "No longer withheld."
    if step == "send":
        service.sign_off_ask(**who)
        return "Sent for sign-off: another person who handles requests checks the redactions."
    if step == "sign_off":
        service.sign_off(**who, seen=request.POST.get("seen", ""))
        return "Signed off. The pack is ready to download and release."
    if step == "refuse":
        service.sign_off_refuse(**who, note=data["note"])
        return "Sent back to be looked at again."
    if step == "remake":
        if service.pack_remake(**who):
            return "The pack was made again."
        return "The file changed after it was signed off, so the request is back to be checked and signed off again."
    service.access_request_release(**who, delivered=data["delivered"], note=data["note"])
    return "Release recorded."


def _anchor(step: str, posted, found) -> str:
    """Where the page opens again after a redaction: at the item worked on, so the reviewer keeps their place."""
    if step == "redact":
        key = posted.get("item", "")
        return f"#{key.replace(':', '-')}" if key else "#everywhere-heading"
    if step == "unredact":
        redaction = found.redactions.filter(uuid=_uuid(posted.get("redaction"))).first()
        if redaction is not None and redaction.item_kind:
            return f"#{redaction.item_kind}-{redaction.item_uuid}"
        return "#everywhere-heading"
    return ""


def _uuid(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise Http404("No such redaction.") from None


@never_cache
@login_required
@require_GET
def access_request_pack(request, request_uuid):
    """The signed-off pack, while its file lasts; each download is recorded."""
    found = access_request_get(user=request.user, context=request.audit, request_uuid=request_uuid, record_read=False)
    if found.status not in (RequestStatus.SIGNED_OFF, RequestStatus.RELEASED) or not found.pack_available:
        raise Http404("No pack to download.")
    try:
        stored = service.pack_open(found.pack_name)
    except FileNotFoundError:
        raise Http404("No pack to download.") from None
    record(
        EventType.DOWNLOAD,
        user=request.user,
        context=request.audit,
        school=found.school,
        object_type="access_request_pack",
        object_uuid=found.uuid,
        child_uuid=found.child_uuid,
        detail={"sha256": found.pack_sha256},
    )
    response = FileResponse(stored, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{found.reference}.pdf"'
    return response
