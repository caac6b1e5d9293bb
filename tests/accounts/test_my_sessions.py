"""A person sees where they are signed in and, after giving their password again, ends every other session."""

from django.test import Client

from safeguarding.accounts.models import UserSession
from safeguarding.accounts.views.sessions import device_description
from safeguarding.audit.events import EventType
from safeguarding.audit.models import AuditEvent
from tests.factories import PASSWORD
from tests.personas import sign_in_with_code

PHONE = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36"
LAPTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"


def sign_in(user, agent) -> Client:
    client = Client(headers={"User-Agent": agent})
    response = sign_in_with_code(client, user)
    assert response["Location"] == "/"
    return client


def test_browsers_are_described_plainly():
    assert device_description(PHONE) == "Chrome on Android"
    assert device_description(LAPTOP) == "Firefox on Windows"
    assert device_description("") == "Unknown browser"


def test_the_page_lists_the_persons_own_sessions_only(world):
    phone = sign_in(world.teacher, PHONE)
    sign_in(world.teacher, LAPTOP)
    sign_in(world.teacher2, LAPTOP)

    page = phone.get("/accounts/sessions/").content.decode()

    assert "2 sessions" in page
    assert 'Chrome on Android <span class="badge text-bg-primary">This browser</span>' in page
    assert "Firefox on Windows" in page


def test_ending_the_others_needs_the_password_and_keeps_this_one(world):
    phone = sign_in(world.teacher, PHONE)
    laptop = sign_in(world.teacher, LAPTOP)

    wrong = phone.post("/accounts/sessions/", {"password": "not-the-password"})
    assert wrong.status_code == 400
    assert "That password is not right" in wrong.content.decode()
    assert laptop.get("/concerns/mine/").status_code == 200

    response = phone.post("/accounts/sessions/", {"password": PASSWORD}, follow=True)

    assert "1 other session ended." in response.content.decode()
    assert laptop.get("/concerns/mine/")["Location"].startswith("/accounts/login/")
    assert phone.get("/concerns/mine/").status_code == 200
    assert UserSession.objects.filter(user=world.teacher).count() == 1
    event = AuditEvent.objects.filter(event_type=EventType.LOGOUT, reason="other sessions ended").get()
    assert event.user_uuid == world.teacher.uuid and event.row_count == 1
