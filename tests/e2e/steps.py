"""Steps that the journeys and the guides' screenshots both take in the browser: signing in, waiting for the
concern form's draft to be saved, moving with the Tab key."""

from collections.abc import Callable

from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD, axe_check


def sign_in(person, *, code: str | None = None, before_sending: Callable[[str], None] | None = None) -> None:
    """Sign in from the sign-in page, with the 6-digit code when the account needs one.

    `before_sending` is called with "password", then "code", once each form is filled and before it is sent."""
    page = person.page
    # The pages are checked with the policy in force: a violation fails the journey (see Person.problems).
    policy = page.goto("/accounts/login/").headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    give_password(person, before_sending=before_sending)
    if code is not None:
        expect(page.get_by_role("heading", level=1)).to_have_text("Enter the code from your authenticator app")
        axe_check(page, "second factor")
        page.get_by_label("6-digit code from your authenticator app").fill(code)
        if before_sending:
            before_sending("code")
        page.get_by_role("button", name="Confirm").click()
    expect(page.locator(".role-home")).to_be_visible()


def give_password(person, *, before_sending: Callable[[str], None] | None = None) -> None:
    person.page.get_by_label("Email address").fill(person.email)
    person.page.get_by_label("Password").fill(PASSWORD)
    if before_sending:
        before_sending("password")
    person.page.get_by_role("button", name="Sign in", exact=True).last.click()


def saved_draft(page, field, change, *, holding: str) -> None:
    """Change a field of the concern form and leave it, then wait until the server has saved a draft that holds
    `holding` (a save started before the change does not count)."""

    def with_the_change(response) -> bool:
        return response.url.endswith("/concerns/draft/") and holding in (response.request.post_data or "")

    field.focus()
    with page.expect_response(with_the_change) as saved:
        change()
        field.blur()
    assert saved.value.status == 200
    expect(page.locator("#save-state")).to_contain_text("Draft saved")


def tab_to(page, target, *, limit: int = 80) -> None:
    """Press Tab, and nothing else, until `target` has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{target} cannot be reached with the Tab key")


def sign_tick(page, *, group: str, sign: str, code: str, basis: str, choice: str) -> None:
    """Open a group of signs (unless it is open), tick one sign and choose how it is known: three taps at most.
    Waits until the draft holds the basis."""
    details = page.locator("details", has=page.locator("summary", has_text=group))
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    box = page.get_by_label(sign, exact=True)
    box.check()
    expect(box).to_be_checked()
    row = page.locator("[data-sign]", has=box)
    button = row.locator("label.btn", has_text=choice)
    saved_draft(page, box, button.click, holding=f'name="ind_{code}"\r\n\r\n{basis}')
