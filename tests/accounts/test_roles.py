import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from safeguarding.accounts import services
from safeguarding.accounts.admin import MembershipAdminForm, UserAdminForm
from safeguarding.accounts.models import Membership
from safeguarding.accounts.roles import Role
from tests.factories import MembershipFactory


def dsls_of(school):
    return list(Membership.objects.filter(school=school, role=Role.DSL, is_active=True).values_list("user__email"))


def test_a_school_cannot_have_two_active_dsls(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipFactory(school=world.northfield, role=Role.DSL)


def test_a_former_dsl_may_stay_on_record_inactive(world):
    MembershipFactory(school=world.northfield, role=Role.DSL, is_active=False)

    assert dsls_of(world.northfield) == [("dsl@safeguard.example",)]


def test_dsl_hands_over_to_the_deputy_in_one_step(world, run_tasks):
    services.dsl_hand_over(actor=world.dsl, school=world.northfield, to=world.membership("deputy"))

    assert dsls_of(world.northfield) == [("deputy@safeguard.example",)]
    assert world.membership("dsl").role == Role.DEPUTY_DSL
    run_tasks()
    (email,) = mail.outbox
    assert set(email.to) == {"deputy@safeguard.example", "dsl@safeguard.example"}
    assert "handed the DSL role to Deputy" in email.body


def test_trust_lead_hands_the_dsl_role_over(world):
    services.dsl_hand_over(actor=world.trustlead, school=world.northfield, to=world.membership("teacher"))

    assert dsls_of(world.northfield) == [("teacher@safeguard.example",)]


@pytest.mark.parametrize("person", ["deputy", "admin", "teacher", "riverside_dsl", "auditor"])
def test_only_the_dsl_or_trust_lead_hands_over(world, person):
    with pytest.raises(PermissionDenied):
        services.dsl_hand_over(actor=world.people[person], school=world.northfield, to=world.membership("teacher"))

    assert dsls_of(world.northfield) == [("dsl@safeguard.example",)]


def test_the_dsl_cannot_be_deactivated(world):
    with pytest.raises(services.AccountRuleError, match="never left without one"):
        services.membership_deactivate(actor=world.admin, membership=world.membership("dsl"))

    assert dsls_of(world.northfield) == [("dsl@safeguard.example",)]


def test_the_dsl_cannot_be_demoted_by_a_role_change(world):
    with pytest.raises(services.AccountRuleError, match="Hand the DSL role"):
        services.membership_change_role(actor=world.trustlead, membership=world.membership("dsl"), role=Role.STAFF)

    assert world.membership("dsl").role == Role.DSL


def test_the_dsl_user_cannot_be_deactivated(world):
    with pytest.raises(services.AccountRuleError, match="DSL of Northfield Academy"):
        services.user_deactivate(user=world.dsl)

    world.dsl.refresh_from_db()
    assert world.dsl.is_active


def test_the_operator_admin_refuses_to_deactivate_or_demote_the_dsl(world):
    user_form = UserAdminForm(
        instance=world.dsl,
        data={"email": world.dsl.email, "full_name": "Dsl", "password": world.dsl.password, "is_active": ""},
    )
    membership = world.membership("dsl")
    membership_form = MembershipAdminForm(
        instance=membership,
        data={"user": world.dsl.pk, "school": world.northfield.pk, "role": Role.STAFF, "is_active": "on"},
    )

    assert "is_active" in user_form.errors
    assert "never left without a DSL" in str(membership_form.errors)


def test_dsl_grants_the_deputy_role_and_is_told_by_email(world, run_tasks):
    services.membership_change_role(actor=world.dsl, membership=world.membership("teacher"), role=Role.DEPUTY_DSL)

    assert world.membership("teacher").role == Role.DEPUTY_DSL
    run_tasks()
    (email,) = mail.outbox
    assert email.to == ["dsl@safeguard.example"]
    assert "changed Teacher's role from Staff to Deputy DSL at Northfield Academy" in email.body


def test_trust_lead_grants_the_export_permission_and_the_dsl_is_told(world, run_tasks):
    services.membership_set_export(actor=world.trustlead, membership=world.membership("office"), can_export=True)

    assert world.membership("office").can_export
    run_tasks()
    assert mail.outbox[0].to == ["dsl@safeguard.example"]
    assert "gave the export permission to Office" in mail.outbox[0].body


@pytest.mark.parametrize("person", ["admin", "office", "deputy", "teacher", "auditor", "riverside_dsl"])
def test_only_the_dsl_or_trust_lead_grants_roles(world, person):
    actor = world.people[person]
    with pytest.raises(PermissionDenied):
        services.membership_change_role(actor=actor, membership=world.membership("teacher2"), role=Role.DEPUTY_DSL)
    with pytest.raises(PermissionDenied):
        services.membership_set_export(actor=actor, membership=world.membership("office"), can_export=True)

    assert world.membership("teacher2").role == Role.STAFF
    assert not world.membership("office").can_export


def test_nobody_changes_their_own_role(world):
    with pytest.raises(services.AccountRuleError, match="your own role"):
        services.membership_change_role(actor=world.dsl, membership=world.membership("dsl"), role=Role.STAFF)


def test_export_permission_is_only_for_school_admins(world):
    with pytest.raises(services.AccountRuleError, match="Only an active school admin"):
        services.membership_set_export(actor=world.dsl, membership=world.membership("teacher"), can_export=True)


def test_losing_the_school_admin_role_removes_the_export_permission(world):
    services.membership_change_role(actor=world.dsl, membership=world.membership("admin"), role=Role.STAFF)

    assert not world.membership("admin").can_export


def test_school_admin_invites_a_new_member_of_staff_who_gets_a_password_link(world, run_tasks):
    membership = services.staff_invite(
        actor=world.office, school=world.northfield, email=" New.Teacher@Safeguard.Example ", full_name="New Teacher"
    )

    assert membership.role == Role.STAFF
    assert membership.user.email == "new.teacher@safeguard.example"
    assert not membership.user.has_usable_password()
    run_tasks()
    (email,) = mail.outbox
    assert email.to == ["new.teacher@safeguard.example"]
    assert "/accounts/reset/" in email.body
    assert "Northfield Academy" in email.body


def test_inviting_someone_already_on_the_staff_list_is_refused(world):
    with pytest.raises(services.AccountRuleError, match="already on your staff list"):
        services.staff_invite(
            actor=world.office, school=world.northfield, email="teacher@safeguard.example", full_name="X"
        )


def test_only_school_admins_invite_and_deactivate(world):
    with pytest.raises(PermissionDenied):
        services.staff_invite(actor=world.dsl, school=world.northfield, email="x@safeguard.example", full_name="X")
    with pytest.raises(PermissionDenied):
        services.membership_deactivate(actor=world.riverside_office, membership=world.membership("teacher"))


def test_someone_with_no_active_membership_can_no_longer_sign_in(world):
    from django.test import Client

    from tests.factories import PASSWORD

    services.membership_deactivate(actor=world.office, membership=world.membership("teacher"))

    world.teacher.refresh_from_db()
    assert world.teacher.is_active  # the account stays; only platform operators close accounts
    response = Client().post("/accounts/login/", {"email": world.teacher.email, "password": PASSWORD})
    assert "not active at any school" in response.content.decode()


def test_reactivation_brings_someone_back_as_staff_only(world):
    services.membership_deactivate(actor=world.office, membership=world.membership("deputy"))

    services.membership_reactivate(actor=world.office, membership=world.membership("deputy"))

    membership = world.membership("deputy")
    assert (membership.is_active, membership.role) == (True, Role.STAFF)
    with pytest.raises(services.AccountRuleError, match="already active"):
        services.membership_reactivate(actor=world.office, membership=membership)


@pytest.mark.parametrize("email", ["elsewhere_dsl@safeguard.example", "operator@safeguard.example"])
def test_a_school_admin_cannot_add_an_account_from_outside_the_trust(world, email):
    from tests.factories import UserFactory

    UserFactory(email="operator@safeguard.example", is_superuser=True, is_staff=True)

    with pytest.raises(services.AccountRuleError, match="outside Northfield Learning Trust"):
        services.staff_invite(actor=world.office, school=world.northfield, email=email, full_name="X")


def test_a_school_admin_adds_a_colleague_from_another_school_of_the_trust(world, run_tasks):
    membership = services.staff_invite(
        actor=world.office, school=world.northfield, email="riverside_teacher@safeguard.example", full_name="X"
    )

    assert membership.user == world.riverside_teacher
    run_tasks()
    assert "You have been added to Northfield Academy" in mail.outbox[0].subject


def test_a_dsl_cannot_reset_the_factor_of_someone_who_also_works_elsewhere(world):
    MembershipFactory(user=world.teacher2, school=world.elsewhere, role=Role.DEPUTY_DSL)

    with pytest.raises(PermissionDenied):
        services.second_factor_reset(actor=world.dsl, membership=world.membership("teacher2", world.northfield))


def test_the_trust_lead_cannot_make_themselves_the_dsl(world):
    own = MembershipFactory(user=world.trustlead, school=world.northfield, role=Role.STAFF)

    with pytest.raises(services.AccountRuleError, match="cannot make yourself the DSL"):
        services.dsl_hand_over(actor=world.trustlead, school=world.northfield, to=own)


def test_memberships_cannot_be_deleted_in_the_operator_admin(world):
    from safeguarding.accounts.admin import site

    membership_admin = site._registry[Membership]

    assert not membership_admin.has_delete_permission(request=None, obj=world.membership("teacher"))
