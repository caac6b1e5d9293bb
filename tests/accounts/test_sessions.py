from datetime import timedelta

import time_machine
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from safeguarding.accounts import services
from safeguarding.accounts.models import UserSession
from safeguarding.accounts.roles import Role
from tests.factories import PASSWORD
from tests.personas import sign_in_with_code

BACKGROUND = {"HTTP_X_BACKGROUND_REFRESH": "1"}


def signed_in(user) -> Client:
    client = Client()
    sign_in_with_code(client, user)
    return client


def home_role(client, **headers):
    response = client.get("/", **headers)
    if response.status_code == 302:
        return response["Location"]
    page = response.content.decode()
    return page.split('data-role="')[1].split('"')[0] if 'data-role="' in page else "anonymous"


def test_a_dsl_is_signed_out_after_15_idle_minutes_and_told_why(world):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = signed_in(world.dsl)
    with time_machine.travel(start + timedelta(minutes=14), tick=False):
        assert home_role(client) == "dsl"
    with time_machine.travel(start + timedelta(minutes=29, seconds=30), tick=False):
        assert home_role(client) == "/accounts/login/?next=%2F"
        page = client.get("/accounts/login/").content.decode()
    assert "signed out after 15 minutes without activity" in page


def test_staff_stay_signed_in_for_30_idle_minutes(world):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = signed_in(world.teacher)
    with time_machine.travel(start + timedelta(minutes=29), tick=False):
        assert home_role(client) == "staff"
    with time_machine.travel(start + timedelta(minutes=59, seconds=30), tick=False):
        assert home_role(client).startswith("/accounts/login/")


def test_no_session_outlives_12_hours_however_active(world):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = signed_in(world.teacher)
    for minutes in range(10, 12 * 60, 10):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert home_role(client) == "staff"
    with time_machine.travel(start + timedelta(hours=12, minutes=1), tick=False):
        assert home_role(client).startswith("/accounts/login/")
        page = client.get("/accounts/login/").content.decode()
    assert "a session lasts at most 12 hours" in page


def test_automatic_refreshes_do_not_keep_a_session_alive(world):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = signed_in(world.dsl)
    for minutes in (5, 10, 14):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert home_role(client, **BACKGROUND) == "dsl"
    with time_machine.travel(start + timedelta(minutes=16), tick=False):
        response = client.get("/", **BACKGROUND)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"


def test_an_htmx_request_after_a_time_out_is_sent_to_sign_in(world):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = signed_in(world.dsl)
    with time_machine.travel(start + timedelta(minutes=20), tick=False):
        response = client.get("/", HTTP_HX_REQUEST="true", **BACKGROUND)
    assert response.status_code == 204
    assert response["HX-Redirect"] == "/accounts/login/"


def test_deactivation_ends_an_active_session_on_the_next_request(world):
    client = signed_in(world.teacher)
    assert home_role(client) == "staff"

    services.membership_deactivate(actor=world.office, membership=world.membership("teacher"))

    assert home_role(client) == "anonymous"
    assert "_auth_user_id" not in client.session


def test_a_draft_saved_after_the_session_ended_sends_the_whole_page_to_sign_in(world):
    client = signed_in(world.teacher)
    services.sessions_end_for_user(user=world.teacher)

    response = client.post(
        "/concerns/draft/",
        {"account": "What I saw"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://testserver/concerns/new/",
    )

    assert response.status_code == 204
    assert response["HX-Redirect"] == "/accounts/login/?next=%2Fconcerns%2Fnew%2F"
    assert "a concern you were writing is kept as a draft" in client.get("/accounts/login/").content.decode()


def test_a_page_on_another_site_is_not_where_sign_in_returns_to(world):
    response = Client().post(
        "/concerns/draft/", HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="https://elsewhere.example/concerns/new/"
    )

    assert response.status_code == 204
    assert response["HX-Redirect"] == "/accounts/login/"


def test_a_role_that_now_needs_a_second_factor_signs_the_person_out(world):
    world.northfield.staff_password_only = True
    world.northfield.save()
    TOTPDevice.objects.filter(user=world.teacher).delete()
    client = signed_in(world.teacher)
    assert home_role(client) == "staff"

    services.membership_change_role(actor=world.dsl, membership=world.membership("teacher"), role="deputy_dsl")

    assert home_role(client).startswith("/accounts/login/")
    assert "now needs a second factor" in client.get("/accounts/login/").content.decode()


def test_session_cookie_is_secure_in_production_settings(world, settings):
    settings.SESSION_COOKIE_SECURE = True
    client = Client()
    response = client.post("/accounts/login/", {"email": world.teacher.email, "password": PASSWORD})
    cookie = response.cookies["sessionid"]

    assert cookie["secure"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


def test_the_riverside_dsl_stays_signed_in_when_northfield_takes_them_off_its_staff_list(world):
    client = signed_in(world.riverside_dsl)
    membership = services.staff_invite(
        actor=world.office, school=world.northfield, email=world.riverside_dsl.email, full_name="Riverside Dsl"
    )
    services.membership_change_role(actor=world.dsl, membership=membership, role=Role.SCHOOL_ADMIN)
    northfield_staff = f"/schools/{world.northfield.uuid}/staff/"
    assert client.get(northfield_staff).status_code == 200

    services.membership_deactivate(actor=world.office, membership=membership)

    assert home_role(client) == "dsl"
    assert UserSession.objects.filter(user=world.riverside_dsl).exists()
    # What the Northfield membership gave is gone at once: reach is worked out afresh on every request.
    assert client.get(northfield_staff).status_code == 404
    assert client.get(f"/schools/{world.riverside.uuid}/staff/").status_code == 200


def test_a_teacher_who_works_nowhere_else_has_every_session_ended_when_deactivated(world):
    signed_in(world.teacher)
    assert UserSession.objects.filter(user=world.teacher).exists()

    services.membership_deactivate(actor=world.office, membership=world.membership("teacher"))

    assert not UserSession.objects.filter(user=world.teacher).exists()
