"""Rate limits on the second factor, searches and exports: a clear answer, one audit event, and a raised limit
only for a session prepared for a security scan."""

import re

import pytest
from django.test import Client

from safeguarding.accounts.ratelimit import RAISED_SESSION_KEY, rate_limit_hit
from safeguarding.audit.events import EventType, Outcome
from safeguarding.audit.models import AuditEvent
from tests.factories import PASSWORD
from tests.personas import current_code, signed_in_client


@pytest.fixture
def small_limits(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "second_factor": (3, 900), "search": (3, 60), "export": (2, 3600)}


def refusals(reason: str):
    return AuditEvent.objects.filter(event_type=EventType.ACCESS_REFUSED, outcome=Outcome.REFUSED, reason=reason)


def test_the_count_starts_again_in_a_new_window(db, small_limits):
    verdicts = [rate_limit_hit(action="search", who="1", now=1_000_020 + i) for i in range(4)]

    assert [v.allowed for v in verdicts] == [True, True, True, False]
    assert verdicts[-1].retry_after == 1_000_080 - 1_000_023
    assert rate_limit_hit(action="search", who="1", now=1_000_081).allowed
    assert rate_limit_hit(action="search", who="2", now=1_000_023).allowed  # someone else's count is their own


def test_the_second_factor_stops_after_the_limit_even_for_the_right_code(world, small_limits):
    client = Client()
    client.post("/accounts/login/", {"email": world.dsl.email, "password": PASSWORD})
    for _ in range(3):
        client.post("/accounts/login/code/", {"code": "000000"})

    response = client.post("/accounts/login/code/", {"code": current_code(world.dsl)})

    assert response.status_code == 429
    assert re.search(r"Too many attempts. Wait \d+ minutes?, then try again.", response.content.decode())
    assert "_auth_user_id" not in client.session
    client.post("/accounts/login/code/", {"code": "000000"})
    assert refusals("rate limit: second_factor").filter(user_uuid=world.dsl.uuid).count() == 1


def test_setting_up_an_authenticator_is_limited_too(world, small_limits):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(user=world.deputy).delete()
    client = Client()
    client.post("/accounts/login/", {"email": world.deputy.email, "password": PASSWORD})
    for _ in range(3):
        client.post("/accounts/login/set-up-authenticator/", {"code": "000000"})

    response = client.post("/accounts/login/set-up-authenticator/", {"code": "000000"})

    assert "Too many attempts." in response.content.decode()
    assert refusals("rate limit: second_factor").count() == 1


def test_type_ahead_search_answers_with_a_message_once_over_the_limit(world, small_limits):
    client = signed_in_client(world.teacher)
    for _ in range(3):
        assert client.post("/concerns/children/", {"child_search": "Jade"}).status_code == 200

    response = client.post("/concerns/children/", {"child_search": "Jade"}, headers={"HX-Request": "true"})

    assert response.status_code == 429
    assert "Too many searches in a short time." in response.content.decode()
    assert int(response["Retry-After"]) <= 60
    assert refusals("rate limit: search").filter(user_uuid=world.teacher.uuid).count() == 1


def test_roster_and_audit_searches_share_the_search_limit(world, small_limits):
    client = signed_in_client(world.dsl)
    for _ in range(3):
        assert client.post("/audit/", {"event_type": ""}).status_code == 200

    response = client.post("/audit/", {"event_type": ""})

    assert response.status_code == 429
    assert "Please wait a little" in response.content.decode()
    office = signed_in_client(world.office)
    url = f"/schools/{world.northfield.uuid}/pupils/"
    for _ in range(3):
        office.post(url, {"text": "a"})
    assert office.post(url, {"text": "a"}).status_code == 429
    assert office.get(url).status_code == 200  # the plain list is not a search


def test_exports_are_limited_per_person(world, small_limits):
    client = signed_in_client(world.admin)
    for _ in range(2):
        assert client.post("/exports/", {"purpose": "", "format": "csv"}).status_code == 400

    response = client.post("/exports/", {"purpose": "Governors' report", "format": "csv"})

    assert response.status_code == 429
    assert re.search(r"Wait \d+ minutes?, then try again.", response.content.decode())
    assert signed_in_client(world.dsl).post("/exports/", {"purpose": "", "format": "csv"}).status_code == 400


def test_a_session_prepared_for_a_scan_has_raised_limits_and_no_other_does(world, small_limits):
    scanner = signed_in_client(world.teacher)
    session = scanner.session
    session[RAISED_SESSION_KEY] = True
    session.save()
    for _ in range(10):
        assert scanner.post("/concerns/children/", {"child_search": "Jade"}).status_code == 200
    other = signed_in_client(world.teacher2)
    statuses = [other.post("/concerns/children/", {"child_search": "Jade"}).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
