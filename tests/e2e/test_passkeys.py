"""Passkeys in Chromium, with the browser's own virtual authenticator standing in for a phone's fingerprint reader
(the DevTools protocol's WebAuthn domain). The site is reached as `localhost`: WebAuthn refuses an IP address as a
site's identity."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD, axe_check
from tests.e2e.steps import give_password, sign_in

pytestmark = pytest.mark.e2e

TEACHER = "teacher@northfield.example"
DSL = "dsl@northfield.example"


def on_localhost(site) -> str:
    return site.url.replace("127.0.0.1", "localhost")


def virtual_authenticator(page) -> tuple[object, str]:
    """A platform authenticator (like a phone's) that keeps discoverable passkeys and checks the person each time."""
    devtools = page.context.new_cdp_session(page)
    devtools.send("WebAuthn.enable", {"enableUI": False})
    added = devtools.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return devtools, added["authenticatorId"]


def add_passkey(page, name: str) -> None:
    page.get_by_role("link", name=re.compile("your account")).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    expect(page.locator("main")).to_contain_text("You have no passkeys yet.")
    axe_check(page, "your account")
    page.get_by_label("Name this passkey").fill(name)
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.locator(".messages")).to_contain_text(f"Passkey “{name}” added")
    expect(page.locator("main")).to_contain_text("not used yet")


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator(".messages")).to_contain_text("You have signed out")


def test_a_teacher_adds_a_passkey_on_her_phone_and_signs_in_with_it_alone(site, open_browser, authenticator):
    teacher = open_browser(TEACHER, phone=True, base_url=on_localhost(site))
    page = teacher.page
    devtools, authenticator_id = virtual_authenticator(page)
    sign_in(teacher, code=authenticator.fresh_code(TEACHER))
    page.get_by_role("button", name="Show or hide the menu").click()

    add_passkey(page, "My phone")

    (credential,) = devtools.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"]
    assert credential["isResidentCredential"] and credential["rpId"] == "localhost"
    page.get_by_role("button", name="Show or hide the menu").click()
    sign_out(page)

    page.goto("/accounts/login/")
    page.get_by_role("button", name="Sign in with a passkey").click()

    expect(page.locator(".role-home")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Amy")
    expect(page.get_by_label("Email address")).to_have_count(0)
    used = site.python(
        "from safeguarding.accounts.models import Passkey\n"
        f"print(Passkey.objects.get(user__email='{TEACHER}').last_used_at is not None)"
    )
    assert used == "True"
    teacher.assert_no_problems()


def test_the_dsl_signs_in_with_password_then_passkey_and_removing_it_is_recorded(site, open_browser, authenticator):
    dsl = open_browser(DSL, viewport={"width": 1366, "height": 768}, base_url=on_localhost(site))
    page = dsl.page
    virtual_authenticator(page)
    sign_in(dsl, code=authenticator.fresh_code(DSL))
    add_passkey(page, "Office laptop")
    sign_out(page)

    give_password(dsl)
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm it is you")
    axe_check(page, "password then passkey")
    page.get_by_role("button", name="Use my passkey").click()
    expect(page.locator(".role-home")).to_have_attribute("data-role", "dsl")

    page.goto("/accounts/you/")
    expect(page.locator("main")).to_contain_text(re.compile(r"last used \d"))
    page.get_by_text("Rename or remove").click()
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Remove “Office laptop”").click()
    expect(page.locator(".messages")).to_contain_text("Passkey “Office laptop” removed.")
    expect(page.locator("main")).to_contain_text("You have no passkeys yet.")
    recorded = site.python(
        "from safeguarding.audit.models import AuditEvent\n"
        "from safeguarding.accounts.models import User\n"
        f"user = User.objects.get(email='{DSL}')\n"
        "print(AuditEvent.objects.filter(user_uuid=user.uuid, event_type='second_factor_removed',"
        " object_type='passkey').count())"
    )
    assert recorded == "1"
    dsl.assert_no_problems()


def test_a_teacher_with_no_second_factor_sets_up_a_passkey_at_her_first_sign_in(site, open_browser):
    site.python(
        "from django_otp.plugins.otp_totp.models import TOTPDevice\n"
        "print(TOTPDevice.objects.filter(user__email='teacher3@northfield.example').delete()[0])"
    )
    teacher = open_browser("teacher3@northfield.example", phone=True, base_url=on_localhost(site))
    page = teacher.page
    virtual_authenticator(page)
    page.goto("/accounts/login/")

    give_password(teacher)
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up a second factor")
    axe_check(page, "set up a second factor")
    page.get_by_role("button", name="Add a passkey").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Keep these recovery codes")
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    page.get_by_role("link", name="I have kept them: carry on").click()
    expect(page.locator(".role-home")).to_have_attribute("data-role", "staff")
    teacher.assert_no_problems()
