"""Exploitation screening: the DSL screens a child from the child's file, reads a screening back, and chooses the tool
the school (or the trust) uses."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from referrals.forms.screening import ScreeningForm, ScreeningToolForm
from referrals.hints import BLAMING_HINT, blaming_words
from referrals.models import Concern, ConcernStatus, ScreeningTool
from referrals.screening import OverrideRefused, screening_result
from referrals.screening_tools import KIND_LABELS, KINDS
from referrals.selectors.access import CHILD_FILE, access_child, access_screening, record_view
from referrals.selectors.screening import screening_items
from referrals.services.screening import (
    ScreeningRefused,
    screening_prefill,
    screening_record,
    screening_tool_choose,
    tool_chosen_id,
    tool_in_use,
    tools_usable,
)
from referrals.services.transfers import file_must_be_open
from referrals.views.transfers import refusing_read_only
from safeguarding.accounts.models import School
from safeguarding.accounts.permissions import Capability, capabilities_at, membership_capabilities, schools_where
from safeguarding.audit.record import record_rule_refusal


def _posted_tool(request, school) -> ScreeningTool | None:
    """The tool version the form was filled with, when it is still the one in use at the school."""
    in_use = tool_in_use(school)
    try:
        posted = int(request.POST.get("tool", ""))
    except ValueError:
        posted = None
    return in_use if in_use is not None and in_use.pk == posted else None


def _live(tool, child, standing) -> dict:
    """What the page's script needs to show the score and band as the DSL ticks: each band, and the floors
    (`standing`: the result with nothing ticked, which holds the floors of the child's age and needs)."""
    under_age = child.age < tool.floors.under_age
    return {
        "bands": [{"key": b.key, "label": b.label, "low": b.low, "high": b.high} for b in tool.bands],
        "floors": {
            "standing": standing.floor_band,
            "disclosure": tool.floors.disclosure_band,
            "harm_under_age": tool.floors.under_age_harm_band if under_age else None,
            "significant_harm": tool.floors.significant_harm_band,
        },
    }


def _carried(child, stored: ScreeningTool) -> dict:
    """What the DSL added themselves at the child's latest screening with the same tool, by item key: offered again
    on the next one, as they left it."""
    latest = child.screenings.filter(tool__tool_id=stored.tool_id).order_by("-done_at").first()
    if latest is None:
        return {}
    return {answer.item_key: answer for answer in latest.answers.filter(present=True, suggested=False)}


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@refusing_read_only
def screening_new(request, child_uuid):
    """A screening of the child, filled from what staff recorded: the DSL confirms each item, adds what staff could
    not see, judges significant harm and writes what they make of it."""
    posting = request.method == "POST"
    child = access_child(user=request.user, context=request.audit, child_uuid=child_uuid, record_read=not posting)
    if Capability.RECORD_SCREENING not in capabilities_at(request.memberships, child.school):
        raise PermissionDenied
    file_must_be_open(child)
    stored = tool_in_use(child.school)
    changed = posting and _posted_tool(request, child.school) is None
    if stored is None:
        messages.error(request, "No screening tool is loaded: ask whoever runs Safeguard to load one.")
        return redirect("child_file", child_uuid=child.uuid)
    tool = stored.tool()
    suggestions = screening_prefill(child=child, tool=tool)
    form = ScreeningForm(
        request.POST or None,
        tool=tool,
        tool_pk=stored.pk,
        suggestions=suggestions,
        carried=_carried(child, stored),
    )
    nudge, status = "", 200
    if posting:
        if changed:
            # A new version was loaded, or the school chose another tool, while the form was open: the items may
            # differ, so what was typed is shown against the tool now in use, to be checked before saving.
            form.is_valid()
            form.add_error(None, "The school's screening tool has changed since you opened this page: check the items.")
        elif form.is_valid():
            data = form.cleaned_data
            words = blaming_words(f"{data['narrative']}\n{data['rationale']}")
            if words and not data["nudged"]:
                nudge = f"You wrote “{words[0]}”. {BLAMING_HINT} Change it, or save the screening as it is."
            else:
                try:
                    screening = screening_record(
                        actor=request.user,
                        context=request.audit,
                        child=child,
                        tool=stored,
                        answers=form.answers(),
                        significant_harm=data["significant_harm"],
                        narrative=data["narrative"],
                        chosen_band=data["band"],
                        rationale=data["rationale"],
                    )
                except (OverrideRefused, ScreeningRefused) as refusal:
                    form.add_error("band" if isinstance(refusal, OverrideRefused) else None, str(refusal))
                    record_rule_refusal(
                        request, school=child.school, object_type="screening", object_uuid=None, child_uuid=child.uuid
                    )
                else:
                    messages.success(request, f"Screening recorded: {screening.band_label}.")
                    return redirect("screening_detail", screening_uuid=screening.uuid)
        record_view(child, CHILD_FILE, user=request.user, context=request.audit)
        status = 400 if form.errors else 200
    rows = list(form.rows())
    standing = screening_result(
        tool, present=set(), age=child.age, learning_disability=child.learning_disability, significant_harm=False
    )
    context = {
        "child": child,
        "form": form,
        "tool": tool,
        "stored": stored,
        "groups": [
            (kind, KIND_LABELS[kind], [row for row in rows if row["suggestion"].item.kind == kind])
            for kind in reversed(KINDS)
        ],
        "suggested": sum(1 for suggestion in suggestions if suggestion.present),
        "live": _live(tool, child, standing),
        "standing": standing,
        "nudge": nudge,
        "disclosure_label": tool.band(tool.floors.disclosure_band).label,
    }
    return render(request, "referrals/screening_form.html", context, status=status)


@never_cache
@login_required
@require_http_methods(["GET"])
def screening_detail(request, screening_uuid):
    """One screening as recorded: its band and why, the items with their sources, the DSL's narrative."""
    screening = access_screening(user=request.user, context=request.audit, screening_uuid=screening_uuid)
    may = capabilities_at(request.memberships, screening.school)
    groups = screening_items(screening=screening)
    open_concerns = (
        Concern.objects.filter(child=screening.child).exclude(status=ConcernStatus.CLOSED).order_by("-observed_at")
        if screening.referral_prompted or screening.significant_harm
        else Concern.objects.none()
    )
    context = {
        "screening": screening,
        "child": screening.child,
        "tool": screening.tool.tool(),
        # The items present or suggested by the file, by kind; the rest of the tool's items listed apart.
        "groups": [
            (label, shown)
            for label, answers in groups
            if (shown := [answer for answer in answers if answer.present or answer.suggested])
        ],
        "absent": [
            answer for _label, answers in groups for answer in answers if not (answer.present or answer.suggested)
        ],
        "may_screen": Capability.RECORD_SCREENING in may and screening.child.transferred_at is None,
        "may_act": Capability.ACT_ON_CONCERN in may,
        "open_concerns": list(open_concerns[:5]),
        "later": screening.child.screenings.filter(done_at__gt=screening.done_at).count(),
    }
    return render(request, "referrals/screening_detail.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def screening_tools(request):
    """The tools loaded, each version with what it is; the school's choice (its DSL, or the trust lead) and the
    trust's default (the trust lead)."""
    schools = list(schools_where(request.user, Capability.SET_COVER).select_related("trust").order_by("name"))
    leads = [m for m in request.memberships if m.trust_id and Capability.SET_TRUST_POLICY in membership_capabilities(m)]
    if not schools and not leads:
        raise PermissionDenied
    trust = leads[0].trust if leads else None
    choices = [(tool.tool_id, f"{tool.title}, version {tool.version}") for tool in tools_usable()]
    forms = {}
    if trust is not None:
        forms["trust"] = ScreeningToolForm(initial_tool=trust.screening_tool, choices=choices, blank=None)
    for school in schools:
        trusts = dict(choices).get(school.trust.screening_tool, school.trust.screening_tool)
        forms[str(school.uuid)] = ScreeningToolForm(
            initial_tool=school.screening_tool, choices=choices, blank=f"The trust's choice: {trusts}"
        )
    status = 200
    if request.method == "POST":
        scope = request.POST.get("scope", "")
        if scope not in forms:
            raise PermissionDenied
        form = ScreeningToolForm(
            request.POST, choices=choices, initial_tool="", blank=None if scope == "trust" else "The trust's choice"
        )
        if form.is_valid():
            school = next((s for s in schools if str(s.uuid) == scope), None)
            try:
                screening_tool_choose(
                    actor=request.user,
                    context=request.audit,
                    tool_id=form.cleaned_data["tool_id"],
                    school=school,
                    trust=trust if school is None else None,
                )
            except ScreeningRefused as refusal:
                form.add_error("tool_id", str(refusal))
            else:
                messages.success(request, "The screening tool is saved. Screenings already done keep their tool.")
                return redirect("screening_tools")
        forms[scope] = form
        status = 400
    context = {
        "tools": ScreeningTool.objects.order_by("tool_id", "-version"),
        "trust": trust,
        "trust_form": forms.get("trust"),
        "school_forms": [(school, forms[str(school.uuid)], _in_use_name(school)) for school in schools],
    }
    return render(request, "referrals/screening_tools.html", context, status=status)


def _in_use_name(school: School) -> str:
    tool = tool_in_use(school)
    chosen = tool_chosen_id(school)
    if tool is None:
        return "none loaded"
    return tool.name if tool.tool_id == chosen else f"{tool.name} (the chosen tool {chosen} cannot be used yet)"
