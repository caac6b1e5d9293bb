"""Who may do what: every question about a person's reach over schools is answered here.

A membership reaches its own school; a trust membership reaches every school of its trust and no other.
"""

import uuid
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from safeguarding.accounts.models import HolidayCover, Membership, School, User
from safeguarding.accounts.permissions import Capability, can, members_with, membership_capabilities
from safeguarding.accounts.roles import SECOND_FACTOR_ROLES, Role
from safeguarding.audit.context import RequestContext
from safeguarding.audit.events import EventType
from safeguarding.audit.record import record, record_shown


def memberships_for_user(user: User) -> QuerySet[Membership]:
    if not user.is_authenticated:
        return Membership.objects.none()
    return Membership.objects.active().filter(user=user).select_related("school", "trust")


def schools_for_user(*, user: User, roles) -> QuerySet[School]:
    """The schools where `user` holds one of `roles`, directly or through their trust."""
    if not user.is_authenticated:
        return School.objects.none()
    reach = Membership.objects.active().filter(user=user, role__in=list(roles))
    return School.objects.filter(
        Q(pk__in=reach.filter(school__isnull=False).values("school"))
        | Q(trust__in=reach.filter(trust__isnull=False).values("trust"))
    ).select_related("trust")


def user_needs_second_factor(user: User, memberships: list[Membership] | None = None) -> bool:
    """Everyone: operators, every role above staff, and staff unless their school allows a password alone."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    if memberships is None:
        memberships = list(memberships_for_user(user))
    return any(
        membership.role in SECOND_FACTOR_ROLES
        or (membership.school is not None and not membership.school.staff_password_only)
        for membership in memberships
    )


def user_is_privileged(user: User, memberships: list[Membership]) -> bool:
    """Operators, and anyone with a role above staff: they always use a second factor and time out sooner."""
    return user.is_superuser or any(membership.role in SECOND_FACTOR_ROLES for membership in memberships)


def school_get_for_user(*, user: User, school_uuid: uuid.UUID, capability: Capability) -> School:
    """The school, if `user` holds `capability` there.

    Someone with no link to the school gets 404, as if it did not exist; a member of it whose role does
    not allow the action gets 403.
    """
    school = schools_for_user(user=user, roles=set(Role)).filter(uuid=school_uuid).first()
    if school is None:
        raise Http404("No such school.")
    if not can(user, capability, school):
        raise PermissionDenied
    return school


def school_membership_get(*, school: School, membership_uuid: uuid.UUID) -> Membership:
    membership = Membership.objects.filter(school=school, uuid=membership_uuid).select_related("user", "school").first()
    if membership is None:
        raise Http404("No such member of staff.")
    return membership


def school_staff_page(*, user: User, context: RequestContext, school: School, page_number, per_page: int) -> Page:
    """One page of the school's staff list, recorded with the memberships it shows."""
    staff = Membership.objects.filter(school=school).select_related("user").order_by("-is_active", "user__full_name")
    page = Paginator(staff, per_page).get_page(page_number)
    record_shown(
        page,
        user=user,
        context=context,
        school=school,
        object_type="membership",
    )
    return page


def school_membership_view(*, user: User, context: RequestContext, school: School, membership_uuid) -> Membership:
    membership = school_membership_get(school=school, membership_uuid=membership_uuid)
    record(
        EventType.VIEW,
        user=user,
        context=context,
        school=school,
        object_type="membership",
        object_uuid=membership.uuid,
    )
    return membership


def school_dsl(*, school: School) -> Membership | None:
    return Membership.objects.active().filter(school=school, role=Role.DSL).select_related("user").first()


def school_safeguarding_team(*, school: School) -> QuerySet[Membership]:
    """The school's own DSL and deputies: the people who act on its concerns, and whom a new concern reaches."""
    return members_with(Capability.ACT_ON_CONCERN, school).order_by("role", "user__full_name")


def can_reset_second_factor(*, actor: User, membership: Membership) -> bool:
    """The DSL resets the factor of their own school's people; the trust lead of anyone in the trust, DSLs
    included. A person who also works somewhere the actor does not reach, an operator, or (for a DSL) another
    DSL is out of bounds: the factor protects every place the person can reach."""
    target = membership.user
    if actor.pk == target.pk or target.is_superuser:
        return False
    target_memberships = list(Membership.objects.active().filter(user=target).select_related("school"))
    resetting = [m for m in memberships_for_user(actor) if Capability.RESET_SECOND_FACTOR in membership_capabilities(m)]
    lead_trusts = {m.trust_id for m in resetting if m.trust_id}
    if lead_trusts and all(
        (m.school.trust_id if m.school else m.trust_id) in lead_trusts and not _resets_for_trust(m)
        for m in target_memberships
    ):
        return True
    dsl_schools = {m.school_id for m in resetting if m.school_id}
    return bool(dsl_schools) and all(
        m.school_id in dsl_schools and Capability.RESET_SECOND_FACTOR not in membership_capabilities(m)
        for m in target_memberships
    )


def _resets_for_trust(membership: Membership) -> bool:
    return membership.trust_id is not None and Capability.RESET_SECOND_FACTOR in membership_capabilities(membership)


def user_may_sign_in(user: User, memberships: list[Membership] | None = None) -> bool:
    """Access comes from active memberships: without one (and not an operator) there is nothing to sign in to."""
    if memberships is None:
        memberships = list(memberships_for_user(user))
    return user.is_active and (user.is_superuser or bool(memberships))


def holiday_cover_for(*, school: School, day) -> HolidayCover | None:
    """The cover arranged for the week holding `day` (weeks start on Monday), if the DSL set one."""
    monday = day - timedelta(days=day.weekday())
    return HolidayCover.objects.filter(school=school, week_starting=monday).select_related("covered_by__user").first()


def holiday_cover_weeks(*, user: User, context: RequestContext, school: School) -> list[HolidayCover]:
    """The cover named from this week on, soonest first, recorded with the members of staff it names."""
    today = timezone.localdate()
    weeks = list(
        HolidayCover.objects.filter(school=school, week_starting__gte=today - timedelta(days=today.weekday()))
        .select_related("covered_by__user", "set_by")
        .order_by("week_starting")
    )
    record(
        EventType.LIST,
        user=user,
        context=context,
        school=school,
        object_type="holiday_cover",
        shown_ids=[week.covered_by.uuid for week in weeks if week.covered_by_id],
        row_count=len(weeks),
    )
    return weeks


def schools_without_dsl(*, user: User, memberships) -> list[School]:
    """For a school admin or trust lead: the schools they look after that have no active DSL (R3.2), named on every
    page until one is. Nobody else is asked, and it costs no query for them."""
    if not any(membership.role in (Role.SCHOOL_ADMIN, Role.TRUST_LEAD) for membership in memberships):
        return []
    with_dsl = Membership.objects.active().filter(role=Role.DSL, school__isnull=False).values("school")
    return list(
        schools_for_user(user=user, roles={Role.SCHOOL_ADMIN, Role.TRUST_LEAD})
        .exclude(pk__in=with_dsl)
        .order_by("name")
    )
