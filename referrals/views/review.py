"""One concern as the safeguarding team sees it, with every step of its review."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from referrals.models import Agency
from referrals.review_forms import ClosureForm, DecisionForm, QuestionForm, ReasonForm
from referrals.selectors import access_concern, concern_referrals, school_child_by_upn
from referrals.services import reviews
from referrals.services.agency_referrals import agencies_for
from referrals.upn import normalise_upn
from safeguarding.accounts.access import school_safeguarding_team
from safeguarding.accounts.permissions import Capability, capabilities_at
from safeguarding.core.params import filter_text


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
    try:
        to = uuid.UUID(request.POST.get("to", ""))
    except ValueError:
        raise ValueError("Choose the DSL or a deputy of this school.") from None
    member = school_safeguarding_team(school=concern.school).filter(user__uuid=to).first()
    if member is None:
        raise ValueError("Choose the DSL or a deputy of this school.")
    reviews.concern_assign(
        actor=request.user, context=request.audit, concern=concern, to=member.user, expected_version=_version(request)
    )
    return f"Assigned to {member.user.full_name}."


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
    form = forms["decide"] = DecisionForm(request.POST)
    if not form.is_valid():
        raise ValueError("Choose the outcome, the threshold and give the reasons.")
    reviews.decision_record(
        actor=request.user,
        context=request.audit,
        concern=concern,
        expected_version=_version(request),
        **form.cleaned_data,
    )
    return "Decision recorded."


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
    form = forms["move"] = ReasonForm(request.POST)
    upn = normalise_upn(filter_text(request.POST, "to_upn", max_length=40))
    child = school_child_by_upn(school=concern.school, upn=upn)
    if not form.is_valid() or child is None:
        raise ValueError("Give the UPN of a child of this school and the reason for the move.")
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
    context = {
        "concern": concern,
        "decision_form": forms.get("decide") or DecisionForm(),
        "closure_form": forms.get("close") or ClosureForm(),
        "reason_form": forms.get("reopen") or ReasonForm(),
        "move_form": forms.get("move") or ReasonForm(),
        "question_form": forms.get("ask") or QuestionForm(),
        "team": school_safeguarding_team(school=concern.school),
        "can_act": may_act,
        "referrals": concern_referrals(concern=concern),
        "referral_agencies": _referral_agencies(concern),
    }
    return render(request, "referrals/concern_review.html", context, status=status)
