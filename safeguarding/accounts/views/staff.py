"""Managing a school's staff: school admins invite and deactivate; the DSL and the trust lead grant roles."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from safeguarding.accounts import services
from safeguarding.accounts.access import (
    can_reset_second_factor,
    holiday_cover_weeks,
    school_dsl,
    school_get_for_user,
    school_membership_get,
    school_membership_view,
    school_safeguarding_team,
    school_staff_page,
)
from safeguarding.accounts.forms import (
    ExportPermissionForm,
    HolidayCoverForm,
    InviteForm,
    LocalArrangementsForm,
    RoleForm,
    SignInRulesForm,
    TrustMovingSchoolsForm,
)
from safeguarding.accounts.models import Passkey
from safeguarding.accounts.permissions import Capability, can, membership_capabilities, schools_where
from safeguarding.accounts.roles import Role
from safeguarding.audit.record import record_rule_refusal

STAFF_PER_PAGE = 25


@login_required
def school_list(request):
    schools = schools_where(request.user, Capability.LIST_STAFF)
    if not schools:
        raise PermissionDenied
    if len(schools) == 1:
        return redirect("staff_list", school_uuid=schools[0].uuid)
    return render(request, "accounts/school_list.html", {"schools": schools})


@login_required
def staff_list(request, school_uuid):
    school = school_get_for_user(user=request.user, school_uuid=school_uuid, capability=Capability.LIST_STAFF)
    page = school_staff_page(
        user=request.user,
        context=request.audit,
        school=school,
        page_number=request.GET.get("page"),
        per_page=STAFF_PER_PAGE,
    )
    context = {
        "school": school,
        "page": page,
        "can_invite": can(request.user, Capability.MANAGE_STAFF, school),
    }
    return render(request, "accounts/staff_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def staff_invite(request, school_uuid):
    school = school_get_for_user(user=request.user, school_uuid=school_uuid, capability=Capability.MANAGE_STAFF)
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.staff_invite(
                actor=request.user, context=request.audit, school=school, **form.cleaned_data
            )
        except services.AccountRuleError as error:
            form.add_error("email", str(error))
        else:
            messages.success(request, f"{membership.user} has been added and sent an invitation.")
            return redirect("staff_list", school_uuid=school.uuid)
    return render(request, "accounts/staff_invite.html", {"school": school, "form": form})


@login_required
def staff_member(request, school_uuid, membership_uuid):
    school = school_get_for_user(user=request.user, school_uuid=school_uuid, capability=Capability.LIST_STAFF)
    membership = school_membership_view(
        user=request.user, context=request.audit, school=school, membership_uuid=membership_uuid
    )
    actor = request.user
    is_self = membership.user_id == actor.pk
    may_grant = can(actor, Capability.GRANT_ROLES, school) and not is_self
    dsl = school_dsl(school=school)
    context = {
        "school": school,
        "membership": membership,
        "is_self": is_self,
        "may_grant": may_grant and membership.is_active and membership.role != Role.DSL,
        "may_hand_over": membership.is_active
        and membership.role != Role.DSL
        and can(actor, Capability.HAND_OVER, school),
        "may_manage_roster": can(actor, Capability.MANAGE_STAFF, school) and not is_self,
        "may_reset_second_factor": can_reset_second_factor(actor=actor, membership=membership),
        "factors": {
            "passkeys": Passkey.objects.filter(user=membership.user_id, confirmed=True).count(),
            "authenticator": TOTPDevice.objects.filter(user=membership.user_id, confirmed=True).exists(),
        },
        "role_form": RoleForm(initial={"role": membership.role}),
        "export_form": ExportPermissionForm(initial={"can_export": membership.can_export}),
        "dsl": dsl,
    }
    return render(request, "accounts/staff_member.html", context)


def _membership_action(request, school_uuid, membership_uuid, capability, action, success):
    """Run one service on a member of staff, then go back to their page with what happened."""
    school = school_get_for_user(user=request.user, school_uuid=school_uuid, capability=capability)
    membership = school_membership_get(school=school, membership_uuid=membership_uuid)
    try:
        action(membership)
    except services.AccountRuleError as error:
        record_rule_refusal(request, school=school, object_type="membership", object_uuid=membership.uuid)
        messages.error(request, str(error))
    else:
        messages.success(request, success.format(person=membership.user))
        if not can(request.user, Capability.LIST_STAFF, school):
            return redirect("home")  # the action changed the actor's own role: a DSL who has handed over
    return redirect("staff_member", school_uuid=school.uuid, membership_uuid=membership.uuid)


@login_required
@require_POST
def staff_role(request, school_uuid, membership_uuid):
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the roles listed.")
        return redirect("staff_member", school_uuid=school_uuid, membership_uuid=membership_uuid)

    def change(membership):
        services.membership_change_role(
            actor=request.user, context=request.audit, membership=membership, role=form.cleaned_data["role"]
        )

    return _membership_action(
        request, school_uuid, membership_uuid, Capability.GRANT_ROLES, change, "{person}'s role has been changed."
    )


@login_required
@require_POST
def staff_export(request, school_uuid, membership_uuid):
    form = ExportPermissionForm(request.POST)
    form.is_valid()
    can_export = form.cleaned_data.get("can_export", False)

    def change(membership):
        services.membership_set_export(
            actor=request.user, context=request.audit, membership=membership, can_export=can_export
        )

    return _membership_action(
        request,
        school_uuid,
        membership_uuid,
        Capability.GRANT_ROLES,
        change,
        "{person}'s export permission has been saved.",
    )


@login_required
@require_POST
def staff_hand_over(request, school_uuid, membership_uuid):
    def hand_over(membership):
        services.dsl_hand_over(actor=request.user, context=request.audit, school=membership.school, to=membership)

    return _membership_action(
        request,
        school_uuid,
        membership_uuid,
        Capability.HAND_OVER,
        hand_over,
        "{person} is now the school's DSL.",
    )


@login_required
@require_POST
def staff_deactivate(request, school_uuid, membership_uuid):
    def deactivate(membership):
        services.membership_deactivate(actor=request.user, context=request.audit, membership=membership)

    return _membership_action(
        request,
        school_uuid,
        membership_uuid,
        Capability.MANAGE_STAFF,
        deactivate,
        "{person} has been deactivated and can no longer reach this school.",
    )


@login_required
@require_POST
def staff_reactivate(request, school_uuid, membership_uuid):
    def reactivate(membership):
        services.membership_reactivate(actor=request.user, context=request.audit, membership=membership)

    return _membership_action(
        request, school_uuid, membership_uuid, Capability.MANAGE_STAFF, reactivate, "{person} has been reactivated."
    )


@login_required
@require_POST
def staff_second_factor_reset(request, school_uuid, membership_uuid):
    def reset(membership):
        services.second_factor_reset(actor=request.user, context=request.audit, membership=membership)

    return _membership_action(
        request,
        school_uuid,
        membership_uuid,
        Capability.RESET_SECOND_FACTOR,
        reset,
        "{person}'s second factor has been reset. They have been told by email.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def holiday_cover(request, school_uuid):
    """The DSL names who covers safeguarding in each week the school is closed."""
    school = school_get_for_user(user=request.user, school_uuid=school_uuid, capability=Capability.SET_COVER)
    team = list(school_safeguarding_team(school=school).select_related("user"))
    form = HolidayCoverForm(request.POST or None, team=team)
    if request.method == "POST" and form.is_valid():
        try:
            services.holiday_cover_set(actor=request.user, context=request.audit, school=school, **form.cleaned_data)
        except services.AccountRuleError as problem:
            form.add_error(None, str(problem))
        else:
            messages.success(request, "Holiday cover saved.")
            return redirect("holiday_cover", school_uuid=school.uuid)
    weeks = holiday_cover_weeks(user=request.user, context=request.audit, school=school)
    context = {"school": school, "form": form, "weeks": weeks}
    return render(request, "accounts/holiday_cover.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def local_arrangements(request, school_uuid):
    """The DSL keeps the school's local arrangements: the front door's contacts, the levels of need the local
    partners publish, and when a referral with nothing back is reviewed."""
    school = school_get_for_user(user=request.user, school_uuid=school_uuid, capability=Capability.SET_COVER)
    form = LocalArrangementsForm(request.POST or None, instance=school)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in form.changed_data}
        if values:
            services.local_arrangements_update(actor=request.user, context=request.audit, school=school, values=values)
        messages.success(request, "Local arrangements saved.")
        return redirect("local_arrangements", school_uuid=school.uuid)
    context = {"school": school, "form": form}
    return render(request, "accounts/local_arrangements.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def sign_in_rules(request, school_uuid):
    """Whether the school's staff need a second factor (the rule) or may sign in with a password alone (the
    exception, recorded with the requirement it departs from); the DSL also marks the change-over notice read."""
    school = school_get_for_user(user=request.user, school_uuid=school_uuid, capability=Capability.SET_COVER)
    if request.method == "POST" and "notice_read" in request.POST:
        services.second_factor_notice_read(actor=request.user, context=request.audit, school=school)
        return redirect("home")
    # Unticking the one box posts no field at all, so the form is bound on any POST, not on a non-empty one.
    data = request.POST if request.method == "POST" else None
    form = SignInRulesForm(data, initial={"staff_password_only": school.staff_password_only})
    if request.method == "POST" and form.is_valid():
        allowed = form.cleaned_data["staff_password_only"]
        services.sign_in_rule_set(actor=request.user, context=request.audit, school=school, staff_password_only=allowed)
        if allowed:
            messages.warning(request, "Staff at this school may now sign in with a password alone. This is recorded.")
        else:
            messages.success(request, "Everyone at this school now signs in with a second factor.")
        return redirect("sign_in_rules", school_uuid=school.uuid)
    context = {"school": school, "form": form}
    return render(request, "accounts/sign_in_rules.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def trust_moving_schools(request):
    """The trust lead sets the trust's policies for a child moving school: calendar or school days for the five days,
    and whether the sending school's read-only copy is kept or put up for removal after a period."""
    leads = [m for m in request.memberships if m.trust_id and Capability.SET_TRUST_POLICY in membership_capabilities(m)]
    if not leads:
        raise PermissionDenied
    trust = leads[0].trust
    form = TrustMovingSchoolsForm(request.POST or None, instance=trust)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in form.changed_data}
        if values:
            services.trust_moving_schools_set(actor=request.user, context=request.audit, trust=trust, values=values)
        messages.success(request, "The trust's moving-schools policy is saved.")
        return redirect("trust_moving_schools")
    return render(
        request,
        "accounts/trust_moving_schools.html",
        {"trust": trust, "form": form},
        status=400 if form.errors else 200,
    )
