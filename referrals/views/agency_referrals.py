"""A referral to another agency: its record, what came back, and the PDFs."""

import hashlib
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from referrals.forms.agency_referrals import (
    AcknowledgedForm,
    EscalateForm,
    EscalationOutcomeForm,
    MeetingForm,
    OutcomeForm,
)
from referrals.models import Agency, Decision, ReferralEscalation
from referrals.pdfs import child_file_pdf, referral_pdf
from referrals.selectors.access import REFERRAL, access_child, access_concern, access_referral, record_view
from referrals.services import agency_referrals as services
from referrals.views.review import referral_form, review_page
from safeguarding.accounts.permissions import Capability, can, capabilities_at
from safeguarding.audit.events import EventType
from safeguarding.audit.record import record, record_rule_refusal

REPLIES = {
    "acknowledged": AcknowledgedForm,
    "outcome": OutcomeForm,
    "escalate": EscalateForm,
    "escalation_outcome": EscalationOutcomeForm,
    "meeting": MeetingForm,
}


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def referral_detail(request, referral_uuid):
    """The referral and what came back from the agency. A reply with an error comes back on this page, with what was
    typed and the error beside its field."""
    referral = access_referral(
        user=request.user, context=request.audit, referral_uuid=referral_uuid, record_read=request.method == "GET"
    )
    if request.method == "GET":
        return _referral_page(request, referral)
    action = request.POST.get("action")
    if action not in REPLIES:
        raise PermissionDenied
    form = REPLIES[action](request.POST)
    about = {"referral": referral}
    if action == "escalation_outcome":
        # Each escalation's outcome form has its own prefix, so that its fields' ids are unique on the page.
        # The escalation is named by its uuid, and must be one of this referral's.
        escalation = ReferralEscalation.objects.filter(
            referral=referral, uuid__in=_uuids(request.POST.getlist("escalation"))
        ).first()
        if escalation is None:
            raise PermissionDenied
        about = {"escalation": escalation}
        form = EscalationOutcomeForm(request.POST, prefix=_outcome_prefix(escalation))
    if form.is_valid():
        service = {
            "acknowledged": services.referral_acknowledged,
            "outcome": services.referral_outcome,
            "escalate": services.referral_escalate,
            "escalation_outcome": services.referral_escalation_outcome,
            "meeting": services.referral_meeting_record,
        }[action]
        try:
            service(actor=request.user, context=request.audit, **about, **form.cleaned_data)
        except ValueError as problem:
            form.add_error(None, str(problem))
        else:
            messages.success(request, "Saved.")
            return redirect("referral_detail", referral_uuid=referral.uuid)
    record_view(referral, REFERRAL, user=request.user, context=request.audit)
    if action == "escalation_outcome":
        form.escalation = about["escalation"]
    return _referral_page(request, referral, forms={action: form}, status=400)


def _outcome_prefix(escalation: ReferralEscalation) -> str:
    return f"escalation-{escalation.pk}"


def _uuids(values: list[str]) -> list[uuid.UUID]:
    parsed = []
    for value in values[:1]:
        try:
            parsed.append(uuid.UUID(value))
        except ValueError:
            continue
    return parsed


def _referral_page(request, referral, *, forms=None, status=200):
    forms = forms or {}
    failed_outcome = forms.get("escalation_outcome")
    escalations = [
        (
            escalation,
            failed_outcome
            if failed_outcome and failed_outcome.escalation.pk == escalation.pk
            else EscalationOutcomeForm(prefix=_outcome_prefix(escalation))
            if not escalation.outcome
            else None,
        )
        for escalation in referral.escalations.select_related("recorded_by", "outcome_recorded_by")
    ]
    context = {
        "referral": referral,
        "escalations": escalations,
        "meetings": referral.meetings.select_related("recorded_by"),
        "meeting_form": forms.get("meeting") or MeetingForm(),
        "acknowledged_form": forms.get("acknowledged") or AcknowledgedForm(),
        "outcome_form": forms.get("outcome")
        or OutcomeForm(initial={"agency_decision": referral.agency_decision, "follow_up_on": referral.follow_up_on}),
        "escalate_form": forms.get("escalate") or EscalateForm(),
        "now": timezone.now(),
        "today": timezone.localdate(),
    }
    return render(request, "referrals/referral_detail.html", context, status=status)


@login_required
@require_POST
def referral_new(request, concern_uuid):
    """Make a referral from the concern's latest decision that names the agency. A form with an error comes back on
    the review page, with what was typed and the error beside its field."""
    concern = access_concern(user=request.user, context=request.audit, concern_uuid=concern_uuid, record_read=False)
    if not can(request.user, Capability.REFER, concern.school):
        raise PermissionDenied
    decision = Decision.objects.filter(concern=concern).prefetch_related("outcomes").order_by("-decided_at").first()
    agencies = [(value, Agency(value).label) for value in services.agencies_for(decision)] if decision else []
    if request.POST.get("agency") not in dict(agencies):
        child_uuid = concern.child.uuid if concern.child_id else None
        record_rule_refusal(
            request, school=concern.school, object_type="concern", object_uuid=concern.uuid, child_uuid=child_uuid
        )
        messages.error(request, "Record a decision that names the agency first.")
        return redirect("concern_review", concern_uuid=concern.uuid)
    form = referral_form(concern, agencies=agencies, data=request.POST)
    if form.is_valid():
        try:
            referral = services.referral_create(
                actor=request.user, context=request.audit, decision=decision, **form.cleaned_data
            )
        except ValueError as problem:
            form.add_error(None, str(problem))
        else:
            messages.success(request, "Referral recorded.")
            return redirect("referral_detail", referral_uuid=referral.uuid)
    concern = access_concern(user=request.user, context=request.audit, concern_uuid=concern_uuid)
    may_act = Capability.ACT_ON_CONCERN in capabilities_at(request.memberships, concern.school)
    return review_page(request, concern, forms={"referral": form}, may_act=may_act, status=400)


def _pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@login_required
def referral_pdf_download(request, referral_uuid):
    referral = access_referral(user=request.user, context=request.audit, referral_uuid=referral_uuid, record_read=False)
    content = referral_pdf(referral=referral, user=request.user)
    record(
        EventType.DOWNLOAD,
        context=request.audit,
        school=referral.school,
        object_type="referral_pdf",
        object_uuid=referral.uuid,
        child_uuid=referral.child.uuid,
        detail={"sha256": hashlib.sha256(content).hexdigest()},
    )
    return _pdf_response(content, f"referral-{referral.made_at:%Y%m%d}.pdf")


@never_cache
@login_required
def child_file_pdf_download(request, child_uuid):
    child = access_child(user=request.user, context=request.audit, child_uuid=child_uuid, record_read=False)
    content = child_file_pdf(child=child, user=request.user)
    record(
        EventType.DOWNLOAD,
        context=request.audit,
        school=child.school,
        object_type="child_file_pdf",
        object_uuid=child.uuid,
        child_uuid=child.uuid,
        detail={"sha256": hashlib.sha256(content).hexdigest()},
    )
    return _pdf_response(content, "safeguarding-file.pdf")
