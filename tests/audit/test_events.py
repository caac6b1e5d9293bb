"""What each action leaves in the audit trail."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from referrals.models import Child
from safeguarding.accounts import services
from safeguarding.audit.events import EventType, Outcome
from safeguarding.audit.models import AnonymousRequestTally, AuditEvent
from tests.factories import PASSWORD, ChildFactory
from tests.personas import current_code, signed_in_client


@pytest.fixture
def pupil(world):
    return ChildFactory(school=world.northfield, legal_first_name="Jade", legal_last_name="Turner")


def events(**filters):
    return list(AuditEvent.objects.filter(**filters).order_by("id"))


def test_a_password_sign_in_records_login(world):
    world.northfield.staff_password_only = True
    world.northfield.save()
    TOTPDevice.objects.filter(user=world.teacher).delete()
    Client().post("/accounts/login/", {"email": world.teacher.email, "password": PASSWORD})

    (event,) = events(event_type=EventType.LOGIN)
    assert event.user_uuid == world.teacher.uuid
    assert event.detail == {"second_factor": False, "factor": None}
    assert event.session_hash and event.ip == "127.0.0.1"


def test_a_failed_sign_in_names_the_account_but_not_what_was_typed(world):
    Client().post("/accounts/login/", {"email": world.teacher.email, "password": "wrong-PW-CANARY"})
    Client().post("/accounts/login/", {"email": "nobody@safeguard.example", "password": "x"})

    first, second = events(event_type=EventType.LOGIN_FAILED)
    assert (first.user_uuid, first.outcome) == (world.teacher.uuid, Outcome.FAILED)
    assert second.user_uuid is None
    assert "CANARY" not in str(AuditEvent.objects.values_list().filter(pk__in=[first.pk, second.pk]))


def test_a_lock_out_is_recorded(world, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post("/accounts/login/", {"email": world.teacher.email, "password": "wrong"})

    (event,) = events(event_type=EventType.LOCKED_OUT)
    assert (event.user_uuid, event.outcome) == (world.teacher.uuid, Outcome.REFUSED)


def test_the_second_factor_steps_are_recorded(world):
    client = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.post("/accounts/login/", {"email": world.dsl.email, "password": PASSWORD})
        wrong = "000000" if current_code(world.dsl) != "000000" else "111111"
        client.post("/accounts/login/code/", {"code": wrong})
        client.post("/accounts/login/code/", {"code": current_code(world.dsl)})  # too soon after a wrong one
    with time_machine.travel(start + timedelta(seconds=5), tick=False):
        client.post("/accounts/login/code/", {"code": current_code(world.dsl)})

    kinds = [(event.event_type, event.outcome) for event in events(user_uuid=world.dsl.uuid)]
    assert kinds == [
        (EventType.SECOND_FACTOR_FAILED, Outcome.FAILED),
        (EventType.SECOND_FACTOR_FAILED, Outcome.REFUSED),
        (EventType.SECOND_FACTOR_VERIFIED, Outcome.ALLOWED),
        (EventType.LOGIN, Outcome.ALLOWED),
    ]


def test_sign_out_and_an_idle_time_out_are_recorded(world):
    client = signed_in_client(world.teacher)
    client.post("/accounts/logout/")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        other = signed_in_client(world.dsl)
        other.get("/")
    with time_machine.travel(start + timedelta(minutes=20), tick=False):
        other.get("/")

    reasons = [event.reason for event in events(event_type=EventType.LOGOUT)]
    assert reasons == ["signed out", "idle time-out"]


def test_a_role_change_is_recorded_in_the_same_transaction(world):
    services.membership_change_role(actor=world.dsl, membership=world.membership("teacher"), role="deputy_dsl")

    (event,) = events(event_type=EventType.MEMBERSHIP_CHANGED)
    assert event.user_uuid == world.dsl.uuid
    assert event.role == "dsl"
    assert event.school_uuid == world.northfield.uuid
    assert event.object_uuid == world.membership("teacher").uuid
    assert event.detail == {
        "action": "role_changed",
        "person": str(world.teacher.uuid),
        "from_role": "staff",
        "to_role": "deputy_dsl",
    }


def test_a_refused_rule_leaves_no_change_event_but_a_refusal(world):
    client = signed_in_client(world.office)

    client.post(f"/schools/{world.northfield.uuid}/staff/{world.membership('dsl').uuid}/deactivate/")

    assert not events(event_type=EventType.MEMBERSHIP_CHANGED)
    (refusal,) = events(event_type=EventType.ACCESS_REFUSED)
    assert (refusal.outcome, refusal.reason) == (Outcome.REFUSED, "refused by a rule")


def test_a_roster_view_and_edit_are_recorded_with_the_child_but_no_details(world, pupil):
    client = signed_in_client(world.office)
    url = f"/schools/{world.northfield.uuid}/pupils/{pupil.uuid}/"
    client.get(url)
    client.post(
        url,
        {
            "legal_first_name": "Jade",
            "legal_last_name": "Turner-Smith",
            "date_of_birth": "2012-03-14",
            "sex": "U",
            "send": "none",
            "roll_status": "on_roll",
        },
    )

    view, *_, update = events(child_uuid=pupil.uuid)
    assert (view.event_type, view.object_type, view.route) == (EventType.VIEW, "child_roster", "roster_pupil")
    assert update.event_type == EventType.UPDATE
    assert update.detail == {"fields": ["legal_last_name"]}
    assert "Turner" not in str(AuditEvent.objects.values_list())


def test_a_list_page_records_the_pupils_it_showed(world, pupil):
    client = signed_in_client(world.office)

    client.get(f"/schools/{world.northfield.uuid}/pupils/")

    (event,) = events(event_type=EventType.LIST)
    assert event.shown_ids == [str(pupil.uuid)]
    assert event.row_count == 1


def test_a_search_is_recorded_as_its_count_and_a_keyed_hash(world, pupil):
    client = signed_in_client(world.office)

    client.post(f"/schools/{world.northfield.uuid}/pupils/", {"text": "Jade"})
    client.post(f"/schools/{world.northfield.uuid}/pupils/", {"text": "jade "})

    first, second = events(event_type=EventType.SEARCH)
    assert first.row_count == 1
    assert len(first.search_hash) == 64
    assert first.search_hash == second.search_hash
    assert "jade" not in str(AuditEvent.objects.values_list()).lower()


def test_an_import_records_each_pupil_it_wrote(world, tmp_path):
    from django.core.management import call_command

    from referrals.upn import make_upn

    path = tmp_path / "pupils.csv"
    path.write_text(
        "upn,legal_first_name,legal_last_name,date_of_birth,year_group\n"
        f"{make_upn(la_code=873, establishment=1, year=2019, serial=1)},Ann,Lee,01/01/2012,9\n"
    )
    call_command("import_pupils", world.northfield.urn, str(path), stdout=None)

    (event,) = events(event_type=EventType.CREATE)
    assert event.child_uuid == Child.objects.get().uuid
    assert event.reason == "import_pupils"


def test_anonymous_requests_are_counted_per_address_and_minute(db):
    client = Client()
    for _ in range(3):
        client.get("/accounts/login/")
    client.get("/healthz")

    (tally,) = AnonymousRequestTally.objects.all()
    assert (tally.ip, tally.count) == ("127.0.0.1", 3)
    assert not AuditEvent.objects.exists()
