"""Concerns about adults who work with children (KCSIE Part four): raising one, the raiser's own view of it, and the
case manager's list and record. Every record is reached through `referrals.selectors.adults`."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from referrals.forms.adults import (
    ABOUT_ME,
    ABOUT_STAFF,
    CloseForm,
    EntryForm,
    LadoForm,
    MoveToAdultsForm,
    RaiseForm,
    RemovalForm,
    RetentionForm,
)
from referrals.models import HARM_QUESTIONS, AdultRecordKind, AdultRelation, Child
from referrals.selectors.access import access_concern
from referrals.selectors.adults import (
    access_adult_record,
    access_own_adult_submission,
    adult_cases,
    case_managers,
    may_manage,
    records_about_same_adult,
    school_staff_choices,
)
from referrals.selectors.children import children_matching
from referrals.services import adults as service
from safeguarding.accounts.models import School, User
from safeguarding.accounts.permissions import Capability, schools_where


def _raising_school(request) -> School:
    """The school a concern about an adult is raised at: the one asked for, or the person's first; 403 if none."""
    schools = list(schools_where(request.user, Capability.RAISE_ADULT_CONCERN).order_by("name"))
    if not schools:
        raise PermissionDenied
    wanted = request.POST.get("school") or request.GET.get("school")
    if not wanted:
        return schools[0]
    for school in schools:
        if str(school.uuid) == wanted:
            return school
    raise Http404("No such school.")


def _children_from(school: School, names: str) -> tuple[list[Child], str]:
    """The children of the school's roll that the names match one each; the names that matched none, as given."""
    linked, unmatched = [], []
    for name in (line.strip() for line in names.splitlines()):
        if not name:
            continue
        found = list(children_matching(Child.objects.filter(school=school), text=name)[:2])
        if len(found) == 1:
            linked.append(found[0])
        else:
            unmatched.append(name)
    return linked, "\n".join(unmatched)


def _raised_from(form: RaiseForm, *, user: User, children=(), children_named="") -> service.Raised:
    data = form.cleaned_data
    about = data["about"]
    subject = None
    if about == ABOUT_ME:
        subject = user
    elif about == ABOUT_STAFF:
        subject = User.objects.filter(uuid=data["subject_user"]).first()
    return service.Raised(
        subject_user=subject,
        subject_name=data.get("subject_name", "") if subject is None else subject.full_name,
        subject_relation=AdultRelation.STAFF if subject is not None else data["subject_relation"],
        subject_job_title=data.get("subject_job_title", ""),
        answers=form.answers(),
        happened_on=data["happened_on"],
        account=data["account"],
        context=data.get("context", ""),
        action_taken=data.get("action_taken", ""),
        children=tuple(children),
        children_named=children_named,
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def adult_new(request):
    """Raise a concern about an adult who works with children: it goes to the case manager, not the DSL queue."""
    school = _raising_school(request)
    staff = school_staff_choices(school)
    form = RaiseForm(request.POST or None, staff_choices=staff)
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["about"] == ABOUT_STAFF and form.cleaned_data["subject_user"] not in dict(staff):
            raise Http404("No such person.")
        children, unmatched = _children_from(school, form.cleaned_data.get("children_named", ""))
        raised = _raised_from(form, user=request.user, children=children, children_named=unmatched)
        adult = service.adult_concern_raise(actor=request.user, context=request.audit, school=school, raised=raised)
        return redirect("adult_submitted", adult_uuid=adult.uuid)
    status = 400 if request.method == "POST" else 200
    schools = list(schools_where(request.user, Capability.RAISE_ADULT_CONCERN).order_by("name"))
    context = {"form": form, "school": school, "schools": schools, "questions": HARM_QUESTIONS}
    return render(request, "referrals/adult_new.html", context, status=status)


@never_cache
@login_required
@require_GET
def adult_submitted(request, adult_uuid):
    """What the person raised and where it stands: received, being looked into, dealt with. Nothing of the case."""
    adult = access_own_adult_submission(user=request.user, context=request.audit, record_uuid=adult_uuid)
    context = {"adult": adult, "unrouted": adult.is_open and not case_managers(adult)}
    return render(request, "referrals/adult_submitted.html", context)


@never_cache
@login_required
@require_GET
def adult_cases_list(request):
    """The case manager's (and HR's) records, open ones first, the LADO's clock soonest."""
    held = schools_where(request.user, Capability.MANAGE_ADULT_CASES) | schools_where(
        request.user, Capability.READ_ADULT_RECORDS
    )
    if not held.exists():
        raise PermissionDenied
    show = request.GET.get("show", "open")
    show = show if show in ("open", "closed", "all") else "open"
    records = adult_cases(user=request.user, context=request.audit, request=request, show=show)
    return render(request, "referrals/adult_cases.html", {"records": records, "show": show, "now": timezone.now()})


STEPS = {
    "lado": LadoForm,
    "entry": EntryForm,
    "close": CloseForm,
    "retention": RetentionForm,
    "remove": RemovalForm,
}


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def adult_case(request, adult_uuid):
    """One record: what was raised, the LADO's clock, the dated steps, the close, and the other records about the
    same adult. The case manager acts on it; HR reads it."""
    adult = access_adult_record(
        user=request.user, context=request.audit, record_uuid=adult_uuid, record_read=request.method == "GET"
    )
    manager = may_manage(request.user, adult)
    forms = _step_forms(adult)
    if request.method == "POST":
        step = request.POST.get("step", "")
        if step not in STEPS or not manager:
            raise PermissionDenied
        form = _step_form(step, adult, data=request.POST)
        forms[step] = form
        if form.is_valid():
            try:
                _take_step(request, step, adult, form.cleaned_data)
            except service.AdultRecordRefused as refusal:
                form.add_error(None, str(refusal))
            else:
                return redirect("adult_case", adult_uuid=adult.uuid)
        adult = access_adult_record(user=request.user, context=request.audit, record_uuid=adult_uuid)
    context = {
        "adult": adult,
        "manager": manager,
        "forms": forms,
        "questions": [(label, getattr(adult, name)) for name, label in HARM_QUESTIONS],
        "others": records_about_same_adult(user=request.user, record=adult),
        "now": timezone.now(),
    }
    return render(request, "referrals/adult_case.html", context, status=400 if request.method == "POST" else 200)


def _step_form(step: str, adult, data=None):
    if step == "close":
        return CloseForm(data, allegation=adult.is_allegation)
    if step == "retention":
        initial = {
            "subject_birth_date": adult.subject_birth_date,
            "retirement_age": adult.retirement_age,
            "employment_ended_on": adult.employment_ended_on,
        }
        return RetentionForm(data, initial=initial)
    return STEPS[step](data)


def _step_forms(adult) -> dict:
    return {step: _step_form(step, adult) for step in STEPS}


def _take_step(request, step: str, adult, data: dict) -> None:
    who = {"actor": request.user, "context": request.audit, "adult": adult}
    if step == "lado":
        service.adult_lado_record(
            **who, discussed_at=data["discussed_at"], lado_name=data["lado_name"], advice=data["advice"]
        )
        messages.success(request, "The discussion with the LADO is recorded.")
    elif step == "entry":
        service.adult_entry_add(
            **who,
            kind=data["kind"],
            happened_on=data["happened_on"],
            text=data["text"],
            reference=data["reference"],
            person_left=data["person_left"],
        )
        messages.success(request, "Added to the record.")
    elif step == "close":
        service.adult_record_close(
            **who,
            outcome=data.get("outcome", ""),
            summary=data["summary"],
            follow_up=data.get("follow_up", ""),
            actions_and_decisions=data["actions_and_decisions"],
            copy_given_on=data.get("copy_given_on"),
        )
        messages.success(request, "The record is closed.")
    elif step == "retention":
        service.adult_retention_facts(
            **who,
            subject_birth_date=data["subject_birth_date"],
            retirement_age=data["retirement_age"],
            employment_ended_on=data["employment_ended_on"],
        )
        messages.success(request, "The keeping date is worked out again.")
    elif step == "remove":
        service.adult_malicious_remove(**who, reason=data["reason"])
        messages.success(request, "The allegation is removed from personnel records. The proof of removal stays.")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def concern_to_adults(request, concern_uuid):
    """The DSL moves a child's concern that is really about an adult to the procedure for adults, with the reason."""
    concern = access_concern(
        user=request.user, context=request.audit, concern_uuid=concern_uuid, record_read=request.method == "GET"
    )
    if not schools_where(request.user, Capability.MOVE_CONCERN).filter(pk=concern.school_id).exists():
        raise PermissionDenied
    staff = school_staff_choices(concern.school)
    form = MoveToAdultsForm(request.POST or None, staff_choices=staff)
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["about"] == ABOUT_STAFF and form.cleaned_data["subject_user"] not in dict(staff):
            raise Http404("No such person.")
        raised = _raised_from(form, user=request.user)
        try:
            adult = service.concern_move_to_adults(
                actor=request.user,
                context=request.audit,
                concern=concern,
                raised=raised,
                reason=form.cleaned_data["reason"],
            )
        except service.AdultRecordRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            what = "an allegation" if adult.kind == AdultRecordKind.ALLEGATION else "a low-level concern"
            messages.success(
                request,
                f"Moved to the procedure for concerns about adults as {what}, reference {adult.reference}. The "
                "child's file keeps a neutral line.",
            )
            return redirect("queue")
    context = {"form": form, "concern": concern, "questions": HARM_QUESTIONS}
    return render(request, "referrals/concern_to_adults.html", context, status=400 if request.method == "POST" else 200)
