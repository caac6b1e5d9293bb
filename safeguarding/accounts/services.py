"""Every change to people, roles and sign-in factors goes through one of these functions.

Each checks who is acting, applies the rules of DESIGN.md §2 and writes in one transaction. A broken rule
raises AccountRuleError with a message for the person; an action the actor's role never allows raises
PermissionDenied.
"""

from datetime import timedelta

from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from safeguarding.accounts import notifications
from safeguarding.accounts.access import can_reset_second_factor, school_dsl, user_may_sign_in
from safeguarding.accounts.addresses import EmailNotPlain, email_normalise
from safeguarding.accounts.models import (
    HolidayCover,
    Membership,
    Passkey,
    RecoveryCode,
    School,
    Trust,
    User,
    UserSession,
)
from safeguarding.accounts.permissions import FLAG_CAPABILITIES, Capability, can, roles_with
from safeguarding.accounts.roles import GRANTABLE_ROLES, Role
from safeguarding.audit.context import RequestContext
from safeguarding.audit.events import EventType
from safeguarding.audit.record import record


class AccountRuleError(Exception):
    """A change refused by a rule, with a message fit to show the person who asked for it."""


def _require(*, actor: User, school: School, capability: Capability) -> None:
    if not can(actor, capability, school):
        raise PermissionDenied


def _refuse_own(*, actor: User, membership: Membership, message: str) -> None:
    if actor.pk == membership.user_id:
        raise AccountRuleError(message)


def _refuse_if_dsl(membership: Membership, doing: str) -> None:
    if membership.is_active and membership.role == Role.DSL:
        raise AccountRuleError(
            f"{membership.user} is the school's DSL, and a school is never left without one. "
            f"Hand the DSL role to someone else before {doing}."
        )


def _works_in_trust(*, user: User, school: School) -> bool:
    """An existing account may join another school of the same trust; any other account is not ours to add."""
    if user.is_superuser:
        return False
    return (
        Membership.objects.filter(user=user)
        .filter(Q(school__trust_id=school.trust_id) | Q(trust_id=school.trust_id))
        .exists()
    )


def _audit(actor: User | None, context: RequestContext | None, membership: Membership, action: str, **detail) -> None:
    """Record a change to a membership, in the change's transaction. Roles and flags only, never free text."""
    record(
        EventType.MEMBERSHIP_CHANGED,
        user=actor,
        context=context,
        school=membership.school,
        object_type="membership",
        object_uuid=membership.uuid,
        detail={"action": action, "person": str(membership.user.uuid), **detail},
    )


def sessions_end_for_user(*, user: User) -> int:
    """End every open session of `user` at once; returns how many were ended."""
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    UserSession.objects.filter(user=user).delete()
    return len(keys)


def sessions_end_others(*, user: User, context: RequestContext, current_key: str) -> int:
    """The person ends every session of theirs but this one (a phone left signed in, a shared computer)."""
    keys = list(
        UserSession.objects.filter(user=user).exclude(session_key=current_key).values_list("session_key", flat=True)
    )
    Session.objects.filter(session_key__in=keys).delete()
    UserSession.objects.filter(session_key__in=keys).delete()
    record(EventType.LOGOUT, user=user, context=context, reason="other sessions ended", row_count=len(keys))
    return len(keys)


@transaction.atomic
def staff_invite(
    *,
    actor: User,
    context: RequestContext | None = None,
    school: School,
    email: str,
    full_name: str,
    job_title: str = "",
) -> Membership:
    """A school admin adds a member of staff; a new person sets their own password from the emailed link."""
    _require(actor=actor, school=school, capability=Capability.MANAGE_STAFF)
    try:
        email = email_normalise(email)
    except EmailNotPlain as error:
        raise AccountRuleError(str(error)) from None
    user = User.objects.filter(email=email).first()
    if user is not None and not _works_in_trust(user=user, school=school):
        raise AccountRuleError(
            f"{email} belongs to an account outside {school.trust}. Ask the platform operators to add it."
        )
    if user is None:
        user = User.objects.create_user(email=email, full_name=full_name.strip(), job_title=job_title.strip())
        new_person = True
    else:
        new_person = False
        existing = Membership.objects.filter(user=user, school=school).first()
        if existing is not None:
            state = "already on your staff list" if existing.is_active else "on your staff list but deactivated"
            raise AccountRuleError(f"{email} is {state}.")
    membership = Membership.objects.create(user=user, school=school, role=Role.STAFF)
    _audit(actor, context, membership, "invited", role=Role.STAFF, new_account=new_person)
    if new_person:
        notifications.invitation_send(user=user, school=school)
    else:
        notifications.added_to_school_send(user=user, school=school)
    return membership


@transaction.atomic
def membership_change_role(
    *, actor: User, context: RequestContext | None = None, membership: Membership, role: str
) -> Membership:
    """The DSL or the trust lead gives someone the staff, deputy DSL or school admin role."""
    _require(actor=actor, school=membership.school, capability=Capability.GRANT_ROLES)
    _refuse_own(actor=actor, membership=membership, message="You cannot change your own role.")
    if role not in GRANTABLE_ROLES:
        raise AccountRuleError("The DSL role is handed over, not granted: use “Hand the DSL role over”.")
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if not membership.is_active:
        raise AccountRuleError("Reactivate this person before changing their role.")
    _refuse_if_dsl(membership, "changing their role")
    previous = membership.get_role_display()
    old_role = membership.role
    membership.role = role
    if role not in FLAG_CAPABILITIES["can_export"]:
        membership.can_export = False
    membership.save(update_fields=["role", "can_export", "updated_at"])
    _audit(actor, context, membership, "role_changed", from_role=old_role, to_role=role)
    notifications.grant_notify_dsl(
        school=membership.school,
        actor=actor,
        change=f"changed {membership.user}'s role from {previous} to {membership.get_role_display()}",
    )
    return membership


@transaction.atomic
def membership_set_export(
    *, actor: User, context: RequestContext | None = None, membership: Membership, can_export: bool
) -> Membership:
    """The DSL or the trust lead lets a school admin export referral records, or takes it away."""
    _require(actor=actor, school=membership.school, capability=Capability.GRANT_ROLES)
    _refuse_own(actor=actor, membership=membership, message="You cannot change your own permissions.")
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if can_export and (membership.role not in FLAG_CAPABILITIES["can_export"] or not membership.is_active):
        raise AccountRuleError("Only an active school admin can be given the export permission.")
    membership.can_export = can_export
    membership.save(update_fields=["can_export", "updated_at"])
    _audit(actor, context, membership, "export_permission", can_export=can_export)
    verb = "gave" if can_export else "removed"
    notifications.grant_notify_dsl(
        school=membership.school,
        actor=actor,
        change=f"{verb} the export permission {'to' if can_export else 'from'} {membership.user}",
    )
    return membership


@transaction.atomic
def dsl_hand_over(*, actor: User, context: RequestContext | None = None, school: School, to: Membership) -> Membership:
    """Move the DSL role to `to` in one step; the outgoing DSL stays on as a deputy.

    The school row is locked first, so two hand-overs at once are served one after the other and the
    school has exactly one DSL before and after.
    """
    school = School.objects.select_for_update().get(pk=school.pk)
    outgoing = school_dsl(school=school)
    _require(actor=actor, school=school, capability=Capability.HAND_OVER)
    to = Membership.objects.select_for_update().get(pk=to.pk)
    _refuse_own(actor=actor, membership=to, message="You cannot make yourself the DSL: another DSL or trust lead can.")
    if to.school_id != school.pk or not to.is_active or not to.user.is_active:
        raise AccountRuleError("The DSL role can only go to an active member of this school's staff.")
    if outgoing is not None and outgoing.pk == to.pk:
        raise AccountRuleError(f"{to.user} is already the DSL.")
    if outgoing is not None:
        outgoing.role = Role.DEPUTY_DSL
        outgoing.save(update_fields=["role", "updated_at"])
        _audit(actor, context, outgoing, "dsl_handed_over", from_role=Role.DSL, to_role=Role.DEPUTY_DSL)
    from_role = to.role
    to.role = Role.DSL
    to.can_export = False
    to.save(update_fields=["role", "can_export", "updated_at"])
    _audit(actor, context, to, "dsl_handed_over", from_role=from_role, to_role=Role.DSL)
    notifications.grant_notify_dsl(
        school=school,
        actor=actor,
        change=f"handed the DSL role to {to.user}" + (f"; {outgoing.user} is now a deputy DSL" if outgoing else ""),
        also_to=[outgoing.user] if outgoing else [],
    )
    return to


@transaction.atomic
def membership_deactivate(*, actor: User, context: RequestContext | None = None, membership: Membership) -> Membership:
    """A school admin takes someone off the staff list; the school is out of their reach from their next request.

    The account itself stays: it may belong to other schools, and only platform operators close accounts.
    Only what this membership gave ends: reach is worked out from active memberships on every request, so
    sessions end only for someone left with nothing to sign in to. A school admin who could end them anyway
    could sign another school's DSL out at will, by adding them to their own school and taking them off again.
    """
    _require(actor=actor, school=membership.school, capability=Capability.MANAGE_STAFF)
    _refuse_own(actor=actor, membership=membership, message="You cannot deactivate yourself.")
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    _refuse_if_dsl(membership, "deactivating them")
    membership.is_active = False
    membership.can_export = False
    membership.save(update_fields=["is_active", "can_export", "updated_at"])
    _audit(actor, context, membership, "deactivated")
    if not user_may_sign_in(membership.user):
        sessions_end_for_user(user=membership.user)
    return membership


@transaction.atomic
def membership_reactivate(*, actor: User, context: RequestContext | None = None, membership: Membership) -> Membership:
    """Put someone back on the staff list, as staff: any other role is granted again by the DSL or trust lead."""
    _require(actor=actor, school=membership.school, capability=Capability.MANAGE_STAFF)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.is_active:
        raise AccountRuleError(f"{membership.user} is already active.")
    membership.is_active = True
    membership.role = Role.STAFF
    membership.can_export = False
    membership.save(update_fields=["is_active", "role", "can_export", "updated_at"])
    _audit(actor, context, membership, "reactivated", role=Role.STAFF)
    return membership


def user_deactivate(*, user: User, actor: User | None = None, context: RequestContext | None = None) -> User:
    """Deactivate a whole account (the platform operators' route); refused while they are a school's DSL."""
    with transaction.atomic():
        dsl = Membership.objects.active().filter(user=user, role=Role.DSL).select_related("school").first()
        if dsl is not None:
            raise AccountRuleError(
                f"{user} is the DSL of {dsl.school}, and a school is never left without one. "
                "Hand the DSL role to someone else first."
            )
        user.is_active = False
        user.save(update_fields=["is_active"])
        _audit_account(actor, context, user, "account_closed")
        sessions_end_for_user(user=user)
    return user


def _audit_account(actor: User | None, context: RequestContext | None, user: User, action: str, **detail) -> None:
    """Record a change to a whole account against each of its memberships, so every school's audit shows it;
    once on its own for an account that has none."""
    memberships = list(Membership.objects.filter(user=user).select_related("school", "user"))
    for membership in memberships:
        _audit(actor, context, membership, action, **detail)
    if not memberships:
        record(
            EventType.MEMBERSHIP_CHANGED,
            user=actor,
            context=context,
            object_type="user",
            object_uuid=user.uuid,
            detail={"action": action, "person": str(user.uuid), **detail},
        )


def _notify_dsls(*, actor: User, memberships: list[Membership], change: str) -> None:
    """Tell the DSL of every school the memberships reach (a trust membership reaches each school of its trust)."""
    schools = {}
    for membership in memberships:
        for school in [membership.school] if membership.school else membership.trust.schools.all():
            schools[school.pk] = school
    for school in schools.values():
        notifications.grant_notify_dsl(school=school, actor=actor, change=change)


def _membership_changes(before: Membership | None, after: Membership) -> list[tuple[str, dict, str]]:
    """What an operator's edit changed, as (audit action, audit detail, notice for the DSL or "")."""
    person = after.user
    if before is None:
        detail = {"role": after.role, "can_export": after.can_export, "active": after.is_active}
        notice = f"added {person} as {after.get_role_display()}"
        if after.can_export:
            notice += " with the export permission"
        return [("added", detail, notice if after.is_active else "")]
    changes = []
    if before.is_active != after.is_active:
        action = "reactivated" if after.is_active else "deactivated"
        notice = f"reactivated {person} as {after.get_role_display()}" if after.is_active else ""
        changes.append((action, {"role": after.role}, notice))
    if before.role != after.role:
        notice = f"changed {person}'s role from {before.get_role_display()} to {after.get_role_display()}"
        changes.append(("role_changed", {"from_role": before.role, "to_role": after.role}, notice))
    if before.can_export != after.can_export:
        verb = "gave the export permission to" if after.can_export else "removed the export permission from"
        changes.append(("export_permission", {"can_export": after.can_export}, f"{verb} {person}"))
    if before.dsl_trained_on != after.dsl_trained_on:
        changes.append(("training_date_changed", {}, ""))
    return changes


@transaction.atomic
def membership_save_by_operator(
    *, actor: User, context: RequestContext | None = None, membership: Membership
) -> Membership:
    """Save a platform operator's edit of a membership in the Django admin, audited and told to the DSL as the
    same change made in Safeguard is. `membership` carries the edit; the stored row is what it replaces."""
    if not (actor.is_superuser and actor.is_staff):
        raise PermissionDenied
    before = Membership.objects.select_for_update().filter(pk=membership.pk).first() if membership.pk else None
    if before is not None and (before.school_id, before.trust_id) != (membership.school_id, membership.trust_id):
        raise AccountRuleError("A membership stays with its school or trust: deactivate it and add a new one.")
    if before is not None and not (membership.is_active and membership.role == Role.DSL):
        _refuse_if_dsl(before, "changing their membership")
    membership.save()
    changes = _membership_changes(before, membership)
    for action, detail, _ in changes:
        _audit(actor, context, membership, action, by_operator=True, **detail)
    notices = [notice for _, _, notice in changes if notice]
    if notices:
        _notify_dsls(actor=actor, memberships=[membership], change="; ".join(notices))
    if before is not None and before.is_active and not membership.is_active and not user_may_sign_in(membership.user):
        sessions_end_for_user(user=membership.user)
    return membership


@transaction.atomic
def user_save_by_operator(*, actor: User, context: RequestContext | None = None, user: User) -> User:
    """Save a platform operator's edit of an account in the Django admin. Closing it goes through
    user_deactivate; reopening it, a new address and the operator flags are audited, and the DSLs of the
    person's schools told of what gives or restores reach."""
    if not (actor.is_superuser and actor.is_staff):
        raise PermissionDenied
    before = User.objects.select_for_update().filter(pk=user.pk).first() if user.pk else None
    closing = before is not None and before.is_active and not user.is_active
    if closing:
        user.is_active = True  # closed below, by the one function that closes accounts and keeps the DSL rule
    user.save()
    if before is None:
        return user  # no reach yet: it comes with memberships, each audited as it is saved
    if closing:
        user_deactivate(user=user, actor=actor, context=context)
    notices = []
    if not before.is_active and user.is_active:
        _audit_account(actor, context, user, "account_reopened", by_operator=True)
        notices.append(f"reopened {user}'s account, with the roles it held")
    if before.email != user.email:
        _audit_account(actor, context, user, "email_changed", by_operator=True)
    flags = {"is_superuser": user.is_superuser, "is_staff": user.is_staff}
    if flags != {"is_superuser": before.is_superuser, "is_staff": before.is_staff}:
        _audit_account(actor, context, user, "operator_flags", by_operator=True, **flags)
        if user.is_superuser and not before.is_superuser:
            notices.append(f"made {user} a platform operator")
    if notices:
        memberships = list(Membership.objects.active().filter(user=user).select_related("school", "trust", "user"))
        _notify_dsls(actor=actor, memberships=memberships, change="; ".join(notices))
    return user


@transaction.atomic
def user_password_set_by_operator(*, actor: User, context: RequestContext | None = None, user: User) -> int:
    """Record a password a platform operator set in the Django admin, as a reset is recorded, and end every
    session the person had open with the old one; returns how many were ended."""
    if not (actor.is_superuser and actor.is_staff):
        raise PermissionDenied
    # Against each school the person works at, so each school's trail shows it, as role changes are.
    schools = {m.school_id: m.school for m in Membership.objects.filter(user=user).select_related("school")}
    for school in schools.values() or [None]:
        record(
            EventType.PASSWORD_RESET,
            user=actor,
            context=context,
            school=school,
            object_type="user",
            object_uuid=user.uuid,
            detail={"by_operator": True, "person": str(user.uuid)},
        )
    return sessions_end_for_user(user=user)


@transaction.atomic
def second_factor_reset(*, actor: User, context: RequestContext | None = None, membership: Membership) -> int:
    """Remove a person's second factors (authenticator app, passkeys and unused recovery codes) so they set one up
    again at their next sign-in; they are told by email.

    The DSL resets their school's staff; the DSL's own is reset by the trust lead; nobody resets their own.
    """
    if actor.pk == membership.user_id:
        raise AccountRuleError("You cannot reset your own authenticator: ask your DSL or trust lead.")
    if not can_reset_second_factor(actor=actor, membership=membership):
        raise PermissionDenied
    user = membership.user
    removed, _ = TOTPDevice.objects.filter(user=user).delete()
    passkeys, _ = Passkey.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user, used_at__isnull=True).delete()
    record(
        EventType.SECOND_FACTOR_RESET,
        user=actor,
        context=context,
        school=membership.school,
        object_type="membership",
        object_uuid=membership.uuid,
        detail={"person": str(user.uuid), "passkeys": passkeys},
    )
    sessions_end_for_user(user=user)
    notifications.second_factor_reset_send(user=user, actor=actor)
    return removed + passkeys


@transaction.atomic
def holiday_cover_set(
    *,
    actor: User,
    context: RequestContext | None = None,
    school: School,
    week_starting,
    covered_by: Membership | None,
    team_name: str = "",
    team_phone: str = "",
) -> HolidayCover:
    """Name who covers a week the school is closed: one of its active DSL or deputies, or an out-of-hours team
    and its number. Setting a week again replaces what it held."""
    _require(actor=actor, school=school, capability=Capability.SET_COVER)
    monday = week_starting - timedelta(days=week_starting.weekday())
    covers = (Role.DSL, Role.DEPUTY_DSL)
    if covered_by is not None and (
        covered_by.school_id != school.pk or not covered_by.is_active or covered_by.role not in covers
    ):
        raise AccountRuleError("Choose the school's DSL or one of its deputies.")
    if covered_by is None and not team_phone.strip():
        raise AccountRuleError("Choose a person, or give the out-of-hours team's phone number.")
    cover = HolidayCover.objects.select_for_update().filter(school=school, week_starting=monday).first()
    cover = cover or HolidayCover(school=school, week_starting=monday)
    cover.covered_by = covered_by
    cover.team_name = team_name.strip()[:200]
    cover.team_phone = team_phone.strip()[:40]
    cover.set_by = actor
    cover.set_at = timezone.now()
    cover.save()
    record(
        EventType.UPDATE,
        user=actor,
        context=context,
        school=school,
        object_type="holiday_cover",
        detail={"week_starting": monday.isoformat(), "membership": str(covered_by.uuid) if covered_by else ""},
    )
    return cover


# The school settings its DSL keeps, as its local safeguarding partners set them.
LOCAL_ARRANGEMENT_FIELDS = (
    "front_door_name",
    "front_door_phone",
    "front_door_out_of_hours_phone",
    "front_door_email",
    "threshold_document_url",
    "threshold_levels",
    "referral_review_school_days",
    "missing_education_contact",
    "missing_education_phone",
    "missing_education_email",
)


@transaction.atomic
def local_arrangements_update(
    *, actor: User, context: RequestContext | None = None, school: School, values: dict
) -> School:
    """Save the school's local safeguarding arrangements. The audit event names the settings changed."""
    _require(actor=actor, school=school, capability=Capability.SET_COVER)
    unknown = set(values) - set(LOCAL_ARRANGEMENT_FIELDS)
    if unknown:
        raise ValueError(f"Not local arrangements: {', '.join(sorted(unknown))}")
    school = School.objects.select_for_update().get(pk=school.pk)
    for name, value in values.items():
        setattr(school, name, value)
    school.full_clean()
    school.save(update_fields=list(values))
    record(
        EventType.UPDATE,
        user=actor,
        context=context,
        school=school,
        object_type="local_arrangements",
        detail={"fields": sorted(values)},
    )
    return school


TRUST_POLICY_FIELDS = ("transfer_days", "transfer_copy", "transfer_copy_months")


@transaction.atomic
def trust_moving_schools_set(
    *, actor: User, context: RequestContext | None = None, trust: Trust, values: dict
) -> Trust:
    """Save the trust's policies for a child moving school (REQUIREMENTS.md R7.1, R7.6); the audit event names the
    settings changed and their new values, which are choices, not anyone's details."""
    leads = Membership.objects.active().filter(role__in=roles_with(Capability.SET_TRUST_POLICY))
    if not leads.filter(user=actor, trust=trust).exists():
        raise PermissionDenied
    unknown = set(values) - set(TRUST_POLICY_FIELDS)
    if unknown:
        raise ValueError(f"Not trust policies: {', '.join(sorted(unknown))}")
    trust = Trust.objects.select_for_update().get(pk=trust.pk)
    for name, value in values.items():
        setattr(trust, name, value)
    trust.full_clean()
    trust.save(update_fields=list(values))
    record(
        EventType.UPDATE,
        user=actor,
        context=context,
        object_type="trust_policy",
        object_uuid=trust.uuid,
        detail={"fields": sorted(values), "values": {name: values[name] for name in sorted(values)}},
    )
    return trust


@transaction.atomic
def sign_in_rule_set(*, actor: User, context: RequestContext | None = None, school: School, staff_password_only: bool):
    """Allow the school's staff to sign in with a password alone, or require a second factor of them again.

    Only the DSL and the trust lead may; the change is recorded, naming the requirement an exception departs from.
    """
    _require(actor=actor, school=school, capability=Capability.SET_COVER)
    school = School.objects.select_for_update().get(pk=school.pk)
    if school.staff_password_only == staff_password_only:
        return school
    school.staff_password_only = staff_password_only
    school.second_factor_notice = False
    school.save(update_fields=["staff_password_only", "second_factor_notice"])
    record(
        EventType.UPDATE,
        user=actor,
        context=context,
        school=school,
        object_type="sign_in_rules",
        reason="exception to R12.1: staff may sign in with a password alone"
        if staff_password_only
        else "second factor required of every member of staff (R12.1)",
        detail={"staff_password_only": staff_password_only},
    )
    return school


@transaction.atomic
def second_factor_notice_read(*, actor: User, context: RequestContext | None = None, school: School) -> None:
    """The DSL has read why everyone at the school now signs in with a second factor; the notice goes."""
    _require(actor=actor, school=school, capability=Capability.SET_COVER)
    if School.objects.filter(pk=school.pk, second_factor_notice=True).update(second_factor_notice=False):
        record(
            EventType.UPDATE,
            user=actor,
            context=context,
            school=school,
            object_type="sign_in_rules",
            detail={"notice_read": True},
        )
