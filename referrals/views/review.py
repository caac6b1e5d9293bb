"""One concern as the safeguarding team sees it, with every step of its review."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from referrals.floors import concern_floor
from referrals.forms.actions import ActionForm
from referrals.forms.agency_referrals import ReferralForm
from referrals.forms.context import MentionForm, UnlinkForm
from referrals.forms.reviews import (
    AssignForm,
    ClosureForm,
    DecisionForm,
    MoveForm,
    QuestionForm,
    ReasonForm,
    RiskAssessmentForm,
)
from referrals.hints import BLAMING_HINT, blaming_words
from referrals.models import Agency, ConcernStatus, RiskNeedsAssessment
from referrals.selectors.access import access_concern
from referrals.selectors.child_file import child_concerns, child_open_alerts, child_open_referrals, referral_sharable
from referrals.selectors.concerns import concern_referrals
from referrals.selectors.context import concern_context
from referrals.services import reviews
from referrals.services.actions import action_owners
from referrals.services.agency_referrals import agencies_for
from safeguarding.accounts.access import school_safeguarding_team
from safeguarding.accounts.permissions import Capability, capabilities_at


def _version(request):
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


ACTIONS = {}


def action(name):
    def register(function):
        ACTIONS[name] = function
        return function

    return register


@action("acknowledge")
def _acknowledge(request, concern, forms):
    reviews.concern_acknowledge(
        actor=request.user, context=request.audit, concern=concern, expected_version=_version(request)
    )
    return "Acknowledged."


@action("assign")
def _assign(request, concern, forms):
    form = forms["assign"] = AssignForm(request.POST, team=school_safeguarding_team(school=concern.school))
    if not form.is_valid():
        raise ValueError("Choose the DSL or a deputy of this school.")
    to = form.cleaned_data["to"]
    reviews.concern_assign(
        actor=request.user, context=request.audit, concern=concern, to=to, expected_version=_version(request)
    )
    return f"Assigned to {to.full_name}."


@action("ask")
def _ask(request, concern, forms):
    form = forms["ask"] = QuestionForm(request.POST)
    if not form.is_valid():
        raise ValueError("Write the question for the author.")
    reviews.information_request(
        actor=request.user, context=request.audit, concern=concern, question=form.cleaned_data["question"]
    )
    return "Your question has been sent to the author."


@action("decide")
def _decide(request, concern, forms):
    form = forms["decide"] = DecisionForm(request.POST, concern=concern)
    if not form.is_valid():
        raise ValueError("Choose the outcome, the threshold and give the reasons.")
    reviews.decision_record(
        actor=request.user,
        context=request.audit,
        concern=concern,
        expected_version=_version(request),
        **form.cleaned_data,
    )
    _nudge(request, form.cleaned_data["rationale"])
    return "Decision recorded."


def _nudge(request, text: str) -> None:
    """A gentle word when the DSL's own text makes the child responsible; what they wrote is kept as written."""
    if words := blaming_words(text):
        messages.warning(request, f"You wrote “{words[0]}”. {BLAMING_HINT} Add a note if you want to say it again.")


@action("assess")
def _assess(request, concern, forms):
    assessment = getattr(concern, "risk_assessment", None)
    if assessment is None:
        raise ValueError("This concern does not ask for a risk and needs assessment.")
    form = forms["assess"] = RiskAssessmentForm(request.POST, required=assessment.required)
    if not form.is_valid():
        raise ValueError("Record the risks and the support and arrangements.")
    reviews.risk_assessment_record(actor=request.user, context=request.audit, concern=concern, **form.cleaned_data)
    return "Risk and needs assessment recorded."


@action("close")
def _close(request, concern, forms):
    form = forms["close"] = ClosureForm(request.POST)
    form.is_valid()
    reviews.concern_close(
        actor=request.user,
        context=request.audit,
        concern=concern,
        expected_version=_version(request),
        summary=form.cleaned_data.get("summary", ""),
        follow_up=form.cleaned_data.get("follow_up", ""),
        outcome=form.cleaned_data.get("outcome", ""),
    )
    _nudge(request, " ".join(form.cleaned_data.get(name, "") for name in ("summary", "follow_up", "outcome")))
    return "Concern closed."


@action("reopen")
def _reopen(request, concern, forms):
    form = forms["reopen"] = ReasonForm(request.POST)
    if not form.is_valid():
        raise ValueError("Give the reason for reopening.")
    reviews.concern_reopen(
        actor=request.user,
        context=request.audit,
        concern=concern,
        reason=form.cleaned_data["reason"],
        expected_version=_version(request),
    )
    return "Concern reopened."


@action("move")
def _move(request, concern, forms):
    form = forms["move"] = MoveForm(request.POST, school=concern.school)
    if not form.is_valid():
        raise ValueError("Give the UPN of a child of this school and the reason for the move.")
    child = form.cleaned_data["to_upn"]
    reviews.concern_move(
        actor=request.user, context=request.audit, concern=concern, to_child=child, reason=form.cleaned_data["reason"]
    )
    return f"Moved to {child.display_name}."


def _referral_agencies(concern):
    decision = concern.decisions.all().order_by("-decided_at").first() if concern.child_id else None
    agencies = agencies_for(decision) if decision else []
    return [(value, Agency(value).label) for value in agencies]


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def concern_review(request, concern_uuid):
    posting = request.method == "POST"
    concern = access_concern(
        user=request.user, context=request.audit, concern_uuid=concern_uuid, record_read=not posting
    )
    may_act = Capability.ACT_ON_CONCERN in capabilities_at(request.memberships, concern.school)
    forms = {}
    status = 200
    if posting:
        if not may_act:
            raise PermissionDenied
        handler = ACTIONS.get(request.POST.get("action"))
        if handler is None:
            raise PermissionDenied
        try:
            messages.success(request, handler(request, concern, forms))
            return redirect("concern_review", concern_uuid=concern.uuid)
        except (reviews.ConcernConflict, reviews.ClosureIncomplete, ValueError) as problem:
            # What they typed stays in the form (kept in `forms`); the concern is shown as it is now.
            messages.error(request, str(problem))
            status = 409 if isinstance(problem, reviews.ConcernConflict) else 400
            concern = access_concern(user=request.user, context=request.audit, concern_uuid=concern_uuid)
    return review_page(request, concern, forms=forms, may_act=may_act, status=status)


def _main_step(concern, *, agencies, referrals) -> str:
    """The one step the page offers first: acknowledge, then decide, then refer (while an agency the decision
    named has not been referred to) or close; the rest sit behind the page's "other actions" menu."""
    if concern.status == ConcernStatus.SUBMITTED:
        return "acknowledge"
    if concern.status == ConcernStatus.IN_REVIEW:
        return "decide"
    if concern.status == ConcernStatus.DECIDED:
        referred = {referral.agency for referral in referrals}
        return "refer" if any(value not in referred for value, _ in agencies) else "close"
    return ""


def referral_form(concern, *, agencies, data=None) -> ReferralForm:
    """The referral form of `concern`: the agencies its decision names, and what may be shared."""
    concerns, attachments = referral_sharable(concern=concern)
    return ReferralForm(data, agencies=agencies, concerns=concerns, attachments=attachments)


def review_page(request, concern, *, forms: dict, may_act: bool, status: int = 200):
    """The review page of `concern` (reached through `access_concern`), with the forms in `forms` as they were
    sent back, each with its errors and what was typed, and fresh ones for the rest. Above the decision, the
    child's earlier concerns, open referrals and open alerts, so that a fifth worry is not read as a first."""
    team = school_safeguarding_team(school=concern.school)
    agencies = _referral_agencies(concern)
    referrals = list(concern_referrals(concern=concern))
    assigned = str(concern.assigned_to.uuid) if concern.assigned_to_id else None
    main_step = _main_step(concern, agencies=agencies, referrals=referrals) if may_act else ""
    child = concern.child
    assessment = RiskNeedsAssessment.objects.filter(concern=concern).select_related("recorded_by").first()
    context = {
        "concern": concern,
        "decision_form": forms.get("decide") or DecisionForm(concern=concern),
        "closure_form": forms.get("close") or ClosureForm(),
        "reason_form": forms.get("reopen") or ReasonForm(),
        "move_form": forms.get("move") or MoveForm(school=concern.school),
        "question_form": forms.get("ask") or QuestionForm(),
        "assign_form": forms.get("assign") or AssignForm(team=team, initial={"to": assigned}),
        "referral_form": forms.get("referral") or referral_form(concern, agencies=agencies),
        "action_form": ActionForm(owners=action_owners(school=concern.school), initial={"concern": concern.uuid}),
        "can_act": may_act,
        "main_step": main_step,
        # A form sent back with its errors is shown open, wherever it sits.
        "menu_open": any(name != {"refer": "referral"}.get(main_step, main_step) for name in forms),
        "referrals": referrals,
        "referral_agencies": agencies,
        "attachments": list(concern.incident.attachments.all()),
        "earlier": child_concerns(child=child, before=concern) if child else [],
        "open_referrals": child_open_referrals(child=child) if child else [],
        "open_alerts": child_open_alerts(child=child) if child else [],
        "floor": concern_floor(concern),
        "context_rows": concern_context(concern=concern, user=request.user),
        "mention_form": MentionForm(),
        "unlink_form": UnlinkForm(),
        "assessment": assessment,
        "assessment_form": forms.get("assess")
        or (RiskAssessmentForm(required=assessment.required) if assessment and not assessment.done else None),
    }
    return render(request, "referrals/concern_review.html", context, status=status)
