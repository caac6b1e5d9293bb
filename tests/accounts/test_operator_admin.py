"""Changes platform operators make in the Django admin are audited and told to the DSL, as in Safeguard."""

import pytest
from django.core import mail

from safeguarding.accounts.models import Membership, UserSession
from safeguarding.accounts.roles import Role
from safeguarding.audit.events import EventType
from safeguarding.audit.models import AuditEvent
from tests.accounts.test_sessions import signed_in
from tests.factories import MembershipFactory, UserFactory, totp_device_for
from tests.personas import signed_in_client


@pytest.fixture
def operator(db):
    user = UserFactory(email="operator@safeguard.example", full_name="Olive Operator", is_superuser=True, is_staff=True)
    totp_device_for(user)
    return user


@pytest.fixture
def operator_client(operator):
    return signed_in_client(operator)


def membership_changes(person):
    return [
        event.detail
        for event in AuditEvent.objects.filter(event_type=EventType.MEMBERSHIP_CHANGED).order_by("id")
        if event.detail.get("person") == str(person.uuid)
    ]


def membership_form(membership: Membership, **changes) -> dict:
    values = {
        "user": membership.user_id,
        "school": membership.school_id or "",
        "trust": membership.trust_id or "",
        "role": membership.role,
        "is_active": "on" if membership.is_active else "",
        "can_export": "on" if membership.can_export else "",
        "dsl_trained_on": "",
    }
    return {**values, **changes, "_save": "Save"}


def user_form(user, **changes) -> dict:
    """The admin's page for one person, with their memberships as the inline rows."""
    values = {
        "email": user.email,
        "full_name": user.full_name,
        "job_title": user.job_title,
        "is_active": "on" if user.is_active else "",
        "is_staff": "on" if user.is_staff else "",
        "is_superuser": "on" if user.is_superuser else "",
        "_save": "Save",
    }
    memberships = list(Membership.objects.filter(user=user).order_by("pk"))
    values.update(
        {
            "memberships-TOTAL_FORMS": str(len(memberships)),
            "memberships-INITIAL_FORMS": str(len(memberships)),
            "memberships-MIN_NUM_FORMS": "0",
            "memberships-MAX_NUM_FORMS": "1000",
        }
    )
    for number, membership in enumerate(memberships):
        row = membership_form(membership)
        row.pop("_save")
        row["id"] = membership.pk
        values.update({f"memberships-{number}-{name}": value for name, value in row.items()})
    return {**values, **changes}


def test_the_dsl_is_told_when_an_operator_makes_someone_an_exporting_school_admin(world, operator_client, run_tasks):
    membership = world.membership("teacher2")

    response = operator_client.post(
        f"/admin/accounts/membership/{membership.pk}/change/",
        membership_form(membership, role=Role.SCHOOL_ADMIN, can_export="on"),
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    membership.refresh_from_db()
    assert (membership.role, membership.can_export) == (Role.SCHOOL_ADMIN, True)
    actions = [(change["action"], change.get("by_operator")) for change in membership_changes(world.teacher2)]
    assert actions == [("role_changed", True), ("export_permission", True)]
    run_tasks()
    (email,) = mail.outbox
    assert email.to == ["dsl@safeguard.example"]
    assert "changed Teacher2's role from Staff to School admin; gave the export permission to Teacher2" in email.body


def test_the_dsl_is_told_when_an_operator_grants_a_role_on_a_persons_page(world, operator_client, run_tasks):
    response = operator_client.post(
        f"/admin/accounts/user/{world.teacher.pk}/change/",
        user_form(world.teacher, **{"memberships-0-role": Role.DEPUTY_DSL}),
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert world.membership("teacher").role == Role.DEPUTY_DSL
    assert [change["action"] for change in membership_changes(world.teacher)] == ["role_changed"]
    run_tasks()
    (email,) = mail.outbox
    assert email.to == ["dsl@safeguard.example"]
    assert "changed Teacher's role from Staff to Deputy DSL" in email.body


def test_the_dsl_is_told_when_an_operator_makes_one_of_their_staff_a_platform_operator(
    world, operator_client, run_tasks
):
    response = operator_client.post(
        f"/admin/accounts/user/{world.teacher.pk}/change/",
        user_form(world.teacher, is_staff="on", is_superuser="on"),
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    (change,) = membership_changes(world.teacher)
    assert change["action"] == "operator_flags"
    assert (change["is_superuser"], change["is_staff"]) == (True, True)
    run_tasks()
    (email,) = mail.outbox
    assert email.to == ["dsl@safeguard.example"]
    assert "made Teacher a platform operator" in email.body


def test_the_dsls_audit_shows_a_teacher_whose_account_an_operator_closed(world, operator_client):
    teacher_client = signed_in_client(world.teacher)
    UserSession.objects.create(user=world.teacher, session_key=teacher_client.session.session_key)

    response = operator_client.post(
        f"/admin/accounts/user/{world.teacher.pk}/change/", user_form(world.teacher, is_active="")
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    world.teacher.refresh_from_db()
    assert not world.teacher.is_active
    (event,) = AuditEvent.objects.filter(event_type=EventType.MEMBERSHIP_CHANGED)
    assert (event.detail["action"], event.school_uuid) == ("account_closed", world.northfield.uuid)
    assert not UserSession.objects.filter(user=world.teacher).exists()


def test_every_dsl_of_the_trust_is_told_when_an_operator_adds_a_trust_lead(world, operator_client, run_tasks):
    person = UserFactory(email="newlead@safeguard.example", full_name="New Lead")

    response = operator_client.post(
        "/admin/accounts/membership/add/",
        {
            "user": person.pk,
            "school": "",
            "trust": world.trust.pk,
            "role": Role.TRUST_LEAD,
            "is_active": "on",
            "can_export": "",
            "dsl_trained_on": "",
            "_save": "Save",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    (change,) = membership_changes(person)
    assert (change["action"], change["role"]) == ("added", Role.TRUST_LEAD)
    run_tasks()
    assert sorted(address for email in mail.outbox for address in email.to) == [
        "dsl@safeguard.example",
        "riverside_dsl@safeguard.example",
    ]
    assert "added New Lead as Trust safeguarding lead" in mail.outbox[0].body


def test_elsewheres_dsl_is_not_bypassed_by_moving_a_membership_to_their_school_in_the_admin(world, operator_client):
    membership = MembershipFactory(user=world.riverside_teacher, school=world.northfield, role=Role.STAFF)

    response = operator_client.post(
        f"/admin/accounts/membership/{membership.pk}/change/", membership_form(membership, school=world.elsewhere.pk)
    )

    assert response.status_code == 200
    assert "stays with its school or trust" in response.content.decode()
    membership.refresh_from_db()
    assert membership.school == world.northfield
    assert membership_changes(world.riverside_teacher) == []


def test_a_teacher_whose_password_an_operator_sets_is_signed_out_everywhere_and_the_change_is_recorded(
    world, operator, operator_client
):
    teacher_client = signed_in(world.teacher)
    assert UserSession.objects.filter(user=world.teacher).exists()
    new_password = "a-new-long-password-for-the-teacher"

    response = operator_client.post(
        f"/admin/accounts/user/{world.teacher.pk}/password/",
        {"password1": new_password, "password2": new_password, "usable_password": "true"},
    )

    assert response.status_code == 302
    event = AuditEvent.objects.get(event_type=EventType.PASSWORD_RESET)
    assert event.user_uuid == operator.uuid and event.object_uuid == world.teacher.uuid
    assert event.school_uuid == world.northfield.uuid  # so Northfield's trail shows it
    assert event.detail == {"by_operator": True, "person": str(world.teacher.uuid)}
    assert new_password not in str(event.detail)
    assert not UserSession.objects.filter(user=world.teacher).exists()
    assert teacher_client.get("/concerns/mine/").status_code == 302
