"""Logging a concern, the author's own concerns and their files."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from referrals.attachments import attachment_open
from referrals.body_map import REGION_CHOICES, MarkKind, Side, body_map_svg, mark_at_region, marks_clean, marks_posted
from referrals.checklist import sign_checklist
from referrals.clocks import SchoolCalendar
from referrals.forms.concerns import FGM, AddendumForm, ConcernForm, PoliceReportForm
from referrals.forms.context import MentionForm
from referrals.hints import writing_hints
from referrals.models import Attachment, Incident, Indicator, IndicatorKind
from referrals.selectors.access import access_attachment, access_incident, access_own_concern
from referrals.selectors.adults import adult_submissions_mine
from referrals.selectors.children import children_on_form, children_selected, children_typeahead
from referrals.selectors.concerns import (
    concern_school_get,
    concern_schools,
    concerns_mine_page,
    indicator_categories,
    seed_lists,
)
from referrals.selectors.context import own_mentions
from referrals.services.concerns import (
    ConcernInput,
    addendum_add,
    concern_submit,
    draft_attachments_add,
    draft_children_set,
    draft_for,
    draft_marks_set,
    draft_save,
    fgm_police_report_record,
    submission_key_clean,
)
from safeguarding.accounts.access import holiday_cover_for
from safeguarding.accounts.ratelimit import rate_limited


def _hints(data: dict) -> list[str]:
    disclosure_codes = set(Indicator.objects.filter(kind=IndicatorKind.DISCLOSURE).values_list("code", flat=True))
    ticked = {code for code, basis in data.get("indicators", {}).items() if basis}
    return writing_hints(
        account=data.get("account", ""),
        child_words=data.get("child_words", ""),
        disclosure_ticked=bool(ticked & disclosure_codes),
    )


def _form_context(request, *, school, draft, form, search_text="", found=None, refused=()):
    children = children_on_form(
        user=request.user, context=request.audit, school=school, uuids=draft.data.get("children", [])
    )
    return {
        "school": school,
        "schools": concern_schools(user=request.user),
        "draft": draft,
        "form": form,
        "children": children,
        "found": found,
        "search_text": search_text,
        "refused_files": refused,
        "attachments": Attachment.objects.filter(draft=draft),
        "hints": _hints(draft.data),
        "fgm_ticked": FGM in form.ticked_codes(),
        "checklist": sign_checklist(form),
        "holiday": _holiday(school),
        "body_maps": [(side.label, body_map_svg(form.marks, side, interactive=True)) for side in Side],
        "mark_kinds": MarkKind.choices,
        "region_choices": REGION_CHOICES,
    }


def _holiday(school):
    """While the school is closed: who the week's cover is (None when the DSL named nobody); else False."""
    now = timezone.now()
    if not SchoolCalendar(school).is_closed_for_holiday(now):
        return False
    return holiday_cover_for(school=school, day=timezone.localdate(now)) or None


def _initial_from(draft) -> dict:
    data = dict(draft.data)
    indicators = data.get("indicators", {})
    initial = {key: value for key, value in data.items() if key not in ("indicators", "signs", "children", "marks")}
    initial.update({f"ind_{code}": basis for code, basis in indicators.items()})
    initial["sign"] = sorted(set(data.get("signs", [])) | set(indicators))
    for flag in ("dsl_told_in_person", "fgm_police_reported"):
        initial[flag] = initial.get(flag) in ("on", "true", "True", True)
    # Most concerns are written straight after: the time starts at now, one tap to change.
    if not initial.get("observed_at"):
        initial["observed_at"] = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    return initial


TEMPLATE = "referrals/concern_form.html"


def _render_form(request, *, school, draft, form=None, status=200, **extra):
    form = form or ConcernForm(
        initial=_initial_from(draft), categories=indicator_categories(), marks=marks_clean(draft.data.get("marks", []))
    )
    context = _form_context(request, school=school, draft=draft, form=form, **extra)
    return render(request, TEMPLATE, context, status=status)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def concern_new(request):
    """The concern form. Every post saves the draft first, so nothing typed is ever lost."""
    school = concern_school_get(user=request.user, school_uuid=request.POST.get("school") or request.GET.get("school"))
    if request.method == "GET":
        return _render_form(request, school=school, draft=draft_for(author=request.user, school=school))
    key = submission_key_clean(request.POST.get("submission_key", ""))
    done = Incident.objects.filter(submission_key=key, author=request.user).first() if key else None
    if done is not None:  # the same form sent twice: a double tap, or a retry after a lost answer
        return redirect("concern_receipt", incident_uuid=done.uuid)
    draft = draft_save(author=request.user, school=school, posted=request.POST)
    if key and key != draft.submission_key:
        # A form from before the draft was replaced (sent from another tab, say): show the current draft.
        return _render_form(request, school=school, draft=draft)
    if "add_child" in request.POST or "remove_child" in request.POST:
        _children_change(request, school=school, draft=draft)
        return _render_form(request, school=school, draft=draft)
    if "add_mark" in request.POST or "remove_mark" in request.POST:
        _marks_change(request, draft=draft)
        return _render_form(request, school=school, draft=draft)
    if "find_child" in request.POST:
        if limited := rate_limited(request, "search"):
            return limited
        text = request.POST.get("child_search", "")
        found = children_typeahead(user=request.user, context=request.audit, school=school, text=text)
        return _render_form(request, school=school, draft=draft, search_text=text, found=found)
    return _submit(request, school=school, draft=draft)


def _children_change(request, *, school, draft) -> None:
    children = list(draft.data.get("children", []))
    if "add_child" in request.POST:
        chosen = request.POST["add_child"]
        if chosen not in children:
            children.append(chosen)
    elif request.POST["remove_child"] in children:
        children.remove(request.POST["remove_child"])
    kept = [str(child.uuid) for child in children_selected(school=school, uuids=children)]
    draft_children_set(draft=draft, children=kept)


def _marks_change(request, *, draft) -> None:
    """The body map without a pointer (or a script): add a mark at a region chosen from the list, or remove one."""
    marks = marks_posted(request.POST)
    if "add_mark" in request.POST:
        marks = mark_at_region(marks, request.POST.get("mark_region_choice", ""))
    else:
        marks = [mark for mark in marks if str(mark.number) != request.POST["remove_mark"]]
    draft_marks_set(draft=draft, marks=marks)


def _submit(request, *, school, draft):
    refused = draft_attachments_add(author=request.user, draft=draft, files=request.FILES.getlist("attachments"))
    marks = marks_posted(request.POST)
    form = ConcernForm(request.POST, categories=indicator_categories(), marks=marks)
    children = draft.data.get("children", [])
    chosen = children_selected(school=school, uuids=children)
    if marks and len(children) + bool(request.POST.get("unlisted_child_name", "").strip()) > 1:
        form.add_error(
            None,
            "A body map is for one child. Remove the other children and send this concern, then log a separate "
            "concern for each of them.",
        )
    if form.is_valid() and len(chosen) != len(children):
        form.add_error(None, "One of the children chosen is not on your school's roll. Choose them again.")
    elif form.is_valid() and not chosen and not form.cleaned_data["unlisted_child_name"].strip():
        form.add_error(None, "Choose who this is about, or give the name of a child who is not on the roll.")
    if not form.is_valid() or refused:
        return _render_form(request, school=school, draft=draft, form=form, status=400, refused=refused)
    ticked = form.ticked()
    data = form.cleaned_data
    incident = concern_submit(
        actor=request.user,
        context=request.audit,
        school=school,
        submission_key=draft.submission_key,
        data=ConcernInput(
            children=chosen,
            unlisted_child_name=data["unlisted_child_name"].strip(),
            unlisted_child_details=data["unlisted_child_details"].strip(),
            observed_at=data["observed_at"],
            location=data["location"],
            account=data["account"],
            child_words=data["child_words"],
            people_present=data["people_present"],
            action_taken=data["action_taken"],
            dsl_told_in_person=data["dsl_told_in_person"],
            urgency=data["urgency"],
            indicators={item: ticked[item.code] for item in Indicator.objects.filter(code__in=ticked)},
            fgm_known_case={"yes": True, "no": False}.get(data["fgm_known_case"]) if FGM in ticked else None,
            fgm_police_reported=data["fgm_police_reported"] if FGM in ticked else None,
            fgm_police_reference=data["fgm_police_reference"],
            marks=marks,
        ),
    )
    return redirect("concern_receipt", incident_uuid=incident.uuid)


@never_cache
@login_required
@require_POST
def concern_draft_save(request):
    """Saves the draft as the person types (the form posts here every few seconds and on leaving a field)."""
    school = concern_school_get(user=request.user, school_uuid=request.POST.get("school"))
    key = submission_key_clean(request.POST.get("submission_key", ""))
    if key and Incident.objects.filter(submission_key=key, author=request.user).exists():
        return render(request, "referrals/partials/save_state.html", {"sent": True})
    draft = draft_save(author=request.user, school=school, posted=request.POST)
    context = {"saved_at": timezone.localtime(draft.updated_at), "hints": _hints(draft.data)}
    return render(request, "referrals/partials/save_state.html", context)


@never_cache
@login_required
@require_POST
def concern_child_search(request):
    """The type-ahead: names and year groups only, from the school's roll."""
    if limited := rate_limited(request, "search"):
        return limited
    school = concern_school_get(user=request.user, school_uuid=request.POST.get("school"))
    found = children_typeahead(
        user=request.user, context=request.audit, school=school, text=request.POST.get("child_search", "")
    )
    return render(request, "referrals/partials/child_results.html", {"found": found})


@never_cache
@login_required
def concern_receipt(request, incident_uuid):
    concerns = access_incident(user=request.user, context=request.audit, incident_uuid=incident_uuid)
    return render(request, "referrals/concern_receipt.html", {"concerns": concerns})


@never_cache
@login_required
def concerns_mine(request):
    page = concerns_mine_page(user=request.user, context=request.audit, page_number=request.GET.get("page"))
    adults = adult_submissions_mine(user=request.user)
    return render(request, "referrals/concerns_mine.html", {"page": page, "adult_submissions": adults})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def concern_detail(request, concern_uuid):
    if request.POST.get("action") == "police_report":
        return _police_report(request, concern_uuid)
    form = AddendumForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        concern = access_own_concern(
            user=request.user, context=request.audit, concern_uuid=concern_uuid, record_read=False
        )
        addendum_add(actor=request.user, context=request.audit, concern=concern, **form.cleaned_data)
        messages.success(request, "Your addendum has been added. The DSL sees it with your concern.")
        return redirect("concern_detail", concern_uuid=concern.uuid)
    concern = access_own_concern(user=request.user, context=request.audit, concern_uuid=concern_uuid)
    context = {
        "concern": concern,
        "form": form,
        "report_form": PoliceReportForm(),
        "own_mentions": own_mentions(concern=concern, user=request.user),
        "mention_form": MentionForm(),
    }
    return render(request, "referrals/concern_detail.html", context)


def _police_report(request, concern_uuid):
    """The author records the police reference of the FGM report they made themselves."""
    concern = access_own_concern(user=request.user, context=request.audit, concern_uuid=concern_uuid, record_read=False)
    report_form = PoliceReportForm(request.POST)
    if report_form.is_valid():
        try:
            fgm_police_report_record(
                actor=request.user, context=request.audit, concern=concern, **report_form.cleaned_data
            )
        except ValueError as problem:
            report_form.add_error(None, str(problem))
        else:
            messages.success(request, "Thank you: the police reference is recorded, and the DSL can see it.")
            return redirect("concern_detail", concern_uuid=concern.uuid)
    concern = access_own_concern(user=request.user, context=request.audit, concern_uuid=concern_uuid)
    context = {
        "concern": concern,
        "form": AddendumForm(),
        "report_form": report_form,
        "own_mentions": own_mentions(concern=concern, user=request.user),
        "mention_form": MentionForm(),
    }
    return render(request, "referrals/concern_detail.html", context, status=400)


@never_cache
@login_required
def attachment_download(request, attachment_uuid):
    attachment = access_attachment(user=request.user, context=request.audit, attachment_uuid=attachment_uuid)
    try:
        stored = attachment_open(attachment.stored_name)
    except FileNotFoundError:
        raise Http404("The file is missing.") from None
    response = FileResponse(
        stored,  # read a chunk at a time; FileResponse closes it
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
def signs_guide(request):
    """Know the signs: the whole taxonomy as a guide for staff, searchable, with where to turn outside Safeguard."""
    text = request.GET.get("q", "").strip()[:100]
    categories = indicator_categories()
    if text:
        lowered = text.lower()
        for category in categories:
            category.current_indicators = [
                indicator
                for indicator in category.current_indicators
                if lowered in indicator.label.lower() or lowered in indicator.guidance.lower()
            ]
        categories = [category for category in categories if category.current_indicators]
    schools = concern_schools(user=request.user) if request.user.is_authenticated else []
    context = {"categories": categories, "q": text, "schools": schools, "seed_lists": [] if text else seed_lists()}
    return render(request, "referrals/signs_guide.html", context)
