"""A second factor is the rule for everyone; a school's DSL or trust lead may let its staff use a password alone, a
recorded exception to R12.1. Schools that existed before the rule were moved to it and their DSL told."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from safeguarding.accounts import services
from safeguarding.accounts.models import School
from safeguarding.audit.events import EventType
from safeguarding.audit.models import AuditEvent
from tests.factories import PASSWORD, SchoolFactory
from tests.personas import signed_in_client


def rules_url(school) -> str:
    return f"/schools/{school.uuid}/sign-in-rules/"


def password_alone(user) -> Client:
    client = Client()
    client.post("/accounts/login/", {"email": user.email, "password": PASSWORD})
    return client


def test_a_new_school_requires_a_second_factor_of_its_staff():
    school = School(name="New", urn="123456", local_authority="Leeds")

    assert school.staff_password_only is False
    assert school.second_factor_notice is False


def test_the_dsl_allows_a_password_alone_only_after_accepting_the_risk_and_it_is_recorded(world):
    TOTPDevice.objects.filter(user=world.teacher).delete()
    dsl = signed_in_client(world.dsl)
    page = dsl.get(rules_url(world.northfield)).content.decode()
    assert "Everyone at Northfield Academy signs in with a second factor" in page
    assert "R12.1" in page

    refused = dsl.post(rules_url(world.northfield), {"staff_password_only": "on"})

    assert refused.status_code == 400
    assert "Tick to accept the risk" in refused.content.decode()
    assert "_auth_user_id" not in password_alone(world.teacher).session
    world.northfield.refresh_from_db()
    assert not world.northfield.staff_password_only

    dsl.post(rules_url(world.northfield), {"staff_password_only": "on", "understood": "on"})

    world.northfield.refresh_from_db()
    assert world.northfield.staff_password_only
    (event,) = AuditEvent.objects.filter(event_type=EventType.UPDATE, object_type="sign_in_rules")
    assert event.user_uuid == world.dsl.uuid and event.school_uuid == world.northfield.uuid
    assert event.detail == {"staff_password_only": True}
    assert "R12.1" in event.reason
    teacher = password_alone(world.teacher)
    assert 'data-role="staff"' in teacher.get("/").content.decode()
    # The warning stays on the page for as long as the exception does.
    assert "Staff may sign in with a password alone" in dsl.get(rules_url(world.northfield)).content.decode()


def test_withdrawing_the_exception_signs_out_staff_who_used_a_password_alone(world):
    services.sign_in_rule_set(actor=world.trustlead, school=world.northfield, staff_password_only=True)
    TOTPDevice.objects.filter(user=world.teacher).delete()
    teacher = password_alone(world.teacher)
    assert 'data-role="staff"' in teacher.get("/").content.decode()

    signed_in_client(world.trustlead).post(rules_url(world.northfield), {})

    world.northfield.refresh_from_db()
    assert not world.northfield.staff_password_only
    assert teacher.get("/")["Location"].startswith("/accounts/login/")
    reasons = AuditEvent.objects.filter(object_type="sign_in_rules").values_list("reason", flat=True)
    assert list(reasons) == [
        "exception to R12.1: staff may sign in with a password alone",
        "second factor required of every member of staff (R12.1)",
    ]


def test_roles_above_staff_use_a_second_factor_whatever_the_school_allows(world):
    services.sign_in_rule_set(actor=world.dsl, school=world.northfield, staff_password_only=True)
    TOTPDevice.objects.filter(user=world.deputy).delete()

    response = Client().post("/accounts/login/", {"email": world.deputy.email, "password": PASSWORD})

    assert response["Location"] == "/accounts/login/set-up-authenticator/"


@pytest.mark.parametrize("person", ["deputy", "office", "teacher", "riverside_dsl"])
def test_only_the_dsl_and_the_trust_lead_change_the_rule(world, person):
    with pytest.raises(services.PermissionDenied):
        services.sign_in_rule_set(actor=world.people[person], school=world.northfield, staff_password_only=True)


def test_the_dsl_is_told_once_on_their_home_page_and_marks_it_read(world):
    School.objects.filter(pk=world.northfield.pk).update(second_factor_notice=True)
    dsl = signed_in_client(world.dsl)
    assert "Everyone now signs in with a second factor" in dsl.get("/").content.decode()
    assert "Everyone now signs in with a second factor" not in signed_in_client(world.deputy).get("/").content.decode()

    response = dsl.post(rules_url(world.northfield), {"notice_read": "1"})

    assert response["Location"] == "/"
    assert "Everyone now signs in with a second factor" not in dsl.get("/").content.decode()
    assert AuditEvent.objects.filter(object_type="sign_in_rules", detail={"notice_read": True}).count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_existing_schools_to_a_second_factor_and_tells_their_dsl():
    """A school that existed with the old opt-in off (staff on a password alone) ends with a second factor required
    and the notice on; one made afterwards has no notice."""
    executor = MigrationExecutor(connection)
    before, after = [("accounts", "0008_recovery_codes")], [("accounts", "0009_second_factor_for_everyone")]
    try:
        executor.migrate(before)
        old_apps = executor.loader.project_state(before).apps
        trust = old_apps.get_model("accounts", "Trust").objects.create(name="Old trust")
        old_apps.get_model("accounts", "School").objects.create(
            trust=trust, name="Old school", urn="765432", local_authority="York", require_second_factor_for_staff=False
        )
        executor = MigrationExecutor(connection)
        executor.migrate(after)
        new_apps = executor.loader.project_state(after).apps
        old = new_apps.get_model("accounts", "School").objects.get(urn="765432")

        assert (old.staff_password_only, old.second_factor_notice) == (False, True)
    finally:
        call_command("migrate", verbosity=0)
    new = SchoolFactory()
    assert (new.staff_password_only, new.second_factor_notice) == (False, False)


def test_saving_again_with_the_exception_on_does_not_ask_for_the_risk_again(world):
    services.sign_in_rule_set(actor=world.dsl, school=world.northfield, staff_password_only=True)
    dsl = signed_in_client(world.dsl)
    assert "I accept the risk" not in dsl.get(rules_url(world.northfield)).content.decode()

    response = dsl.post(rules_url(world.northfield), {"staff_password_only": "on"})

    assert response.status_code == 302
    world.northfield.refresh_from_db()
    assert world.northfield.staff_password_only
    assert AuditEvent.objects.filter(object_type="sign_in_rules").count() == 1  # nothing changed, nothing recorded
