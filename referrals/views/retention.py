"""The review queue: files at the end of their keeping period, kept or disposed of by two people (R9.1, R9.6)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from referrals.forms.retention import HoldForm, LiftForm, ProposeForm, RetainForm
from referrals.models import FileHold, HoldReason, ReviewStatus
from referrals.selectors.retention import access_review, file_summary, retention_decided, retention_queue
from referrals.services import retention as service
from safeguarding.accounts.permissions import Capability, schools_where

STEPS = {"retain": RetainForm, "propose": ProposeForm, "hold": HoldForm, "lift": LiftForm, "confirm": None}


@never_cache
@login_required
@require_GET
def retention_list(request):
    """Files that reached their review date, the oldest first, and the latest decisions."""
    if not schools_where(request.user, Capability.REVIEW_RETENTION).exists():
        raise PermissionDenied
    context = {
        "reviews": retention_queue(user=request.user, context=request.audit),
        "decided": retention_decided(user=request.user),
    }
    return render(request, "referrals/retention_list.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def retention_review(request, review_uuid):
    """One file's review: keep it with a new date, or propose its disposal for a second person to confirm; holds."""
    review = access_review(
        user=request.user, context=request.audit, review_uuid=review_uuid, record_read=request.method == "GET"
    )
    forms = {step: form() for step, form in STEPS.items() if form}
    if request.method == "POST":
        step = request.POST.get("step", "")
        if step not in STEPS:
            raise PermissionDenied
        form = STEPS[step](request.POST) if STEPS[step] else None
        if form is not None:
            forms[step] = form
        if form is None or form.is_valid():
            try:
                done = _take(request, step, review, form.cleaned_data if form else {})
            except service.RetentionRefused as refusal:
                if form is None:
                    messages.error(request, str(refusal))
                    return redirect("retention_review", review_uuid=review.uuid)
                form.add_error(None, str(refusal))
            else:
                messages.success(request, done)
                return redirect("retention_review", review_uuid=review.uuid)
        review = access_review(user=request.user, context=request.audit, review_uuid=review_uuid)
    context = {
        "review": review,
        "forms": forms,
        "summary": file_summary(review.child) if review.child_id else None,
        "may_open_file": schools_where(request.user, Capability.READ_CHILD_FILE).filter(pk=review.school_id).exists(),
        "legal_hold": FileHold.objects.filter(
            child=review.child_id, reason=HoldReason.LEGAL, lifted_at__isnull=True
        ).first()
        if review.child_id
        else None,
    }
    return render(request, "referrals/retention_review.html", context, status=400 if request.method == "POST" else 200)


def _take(request, step: str, review, data: dict) -> str:
    who = {"actor": request.user, "context": request.audit}
    if step == "retain":
        service.file_retain(**who, review=review, retain_until=data["retain_until"], reason=data["reason"])
        return f"The file is kept; its next review is on {data['retain_until']:%d %B %Y}."
    if step == "propose":
        service.file_disposal_propose(**who, review=review, rationale=data["rationale"])
        return "Disposal proposed. A second person who reviews files confirms it."
    if step == "confirm":
        certificate = service.file_disposal_confirm(**who, review=review)
        return f"The file is disposed of. Disposal certificate {certificate.number}."
    if review.child_id is None or review.status == ReviewStatus.DISPOSED:
        raise Http404("No such file.")
    if step == "hold":
        service.file_hold_place(**who, child=review.child, note=data["note"])
        return "The file is under a legal hold: nothing of it can be disposed of until the hold is lifted."
    hold = FileHold.objects.filter(child=review.child, reason=HoldReason.LEGAL, lifted_at__isnull=True).first()
    if hold is None:
        raise service.RetentionRefused("There is no legal hold to lift.")
    service.file_hold_lift(**who, hold=hold, note=data["note"])
    return "The legal hold is lifted."
