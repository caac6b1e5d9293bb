"""Steps that the journeys and the guides' screenshots both take in the browser: signing in, waiting for the
concern form's draft to be saved, moving with the Tab key."""

from collections.abc import Callable

from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD, axe_check


def sign_in(
    person,
    *,
    code: str | None = None,
    paste_code: bool = False,
    before_sending: Callable[[str], None] | None = None,
) -> None:
    """Sign in from the sign-in page, with the 6-digit code when the account needs one; `paste_code` pastes it from
    the clipboard with Control+V, as from a password manager (WCAG 3.3.8: no transcribing demanded).

    `before_sending` is called with "password", then "code", once each form is filled and before it is sent."""
    page = person.page
    # The pages are checked with the policy in force: a violation fails the journey (see Person.problems).
    policy = page.goto("/accounts/login/").headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    give_password(person, before_sending=before_sending)
    if code is not None:
        give_code(person, code, paste_code=paste_code, before_sending=before_sending)
    expect(page.locator(".role-home")).to_be_visible()


def give_code(
    person, code: str, *, paste_code: bool = False, before_sending: Callable[[str], None] | None = None
) -> None:
    """The second step of signing in: the 6-digit code, typed or pasted."""
    page = person.page
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter the code from your authenticator app")
    axe_check(page, "second factor")
    field = page.get_by_label("6-digit code from your authenticator app")
    expect(field).to_have_attribute("autocomplete", "one-time-code")
    if paste_code:
        origin = page.url.split("/accounts/")[0]
        page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=origin)
        page.evaluate("code => navigator.clipboard.writeText(code)", code)
        field.focus()
        page.keyboard.press("Control+V")
        expect(field).to_have_value(code)
    else:
        field.fill(code)
    if before_sending:
        before_sending("code")
    page.get_by_role("button", name="Confirm").click()


def give_password(person, *, before_sending: Callable[[str], None] | None = None) -> None:
    # A password manager may fill both (WCAG 3.3.8).
    expect(person.page.get_by_label("Password")).to_have_attribute("autocomplete", "current-password")
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


# What a pointer can hit for a control: the control itself, or for a tick box or radio button its whole row (or, for
# Bootstrap's button-like radios, the label drawn as the button).
_TARGET_BOX = """element => {
    const target = element.classList.contains("btn-check") ? document.querySelector(`label[for="${element.id}"]`)
        : (element.type === "checkbox" || element.type === "radio") ? (element.closest(".form-check") || element)
        : element;
    const box = target.getBoundingClientRect();
    return {x: box.x, y: box.y, width: box.width, height: box.height};
}"""


def small_targets(page, scope: str, *, minimum: int = 44) -> list[str]:
    """Controls inside `scope` (a CSS selector) whose target is smaller than minimum x minimum CSS pixels. Links
    inside sentences are left out, as WCAG 2.5.5 leaves them out."""
    return page.evaluate(
        """([scope, minimum]) => {
            const boxOf = """
        + _TARGET_BOX
        + """;
            const controls = document.querySelectorAll(
                `${scope} :is(button, select, textarea, summary, input:not([type=hidden]), a.btn)`);
            const small = [];
            for (const control of controls) {
                if (!control.checkVisibility() && !control.classList.contains("btn-check")) continue;
                const box = boxOf(control);
                if (box.width === 0 && box.height === 0) continue;  // inside a closed group
                if (box.width < minimum || box.height < minimum) {
                    small.push(`${control.outerHTML.slice(0, 90)}: ${Math.round(box.width)}x${Math.round(box.height)}`);
                }
            }
            return small;
        }""",
        [scope, minimum],
    )


def focus_obscured(page) -> str | None:
    """What hides part of the focused control, if anything: an element fixed or stuck to the top of the screen (the
    save-state bar, a header) whose box overlaps the control's. WCAG 2.4.11 asks that it is never entirely hidden;
    this asks that no part is."""
    return page.evaluate(
        """() => {
            const boxOf = """
        + _TARGET_BOX
        + """;
            const focused = document.activeElement;
            if (!focused || focused === document.body) return null;
            const box = boxOf(focused);
            for (const element of document.querySelectorAll("body *")) {
                const position = getComputedStyle(element).position;
                if (position !== "sticky" && position !== "fixed") continue;
                if (element.contains(focused) || !element.checkVisibility()) continue;
                const cover = element.getBoundingClientRect();
                const overlaps = box.x < cover.right && box.x + box.width > cover.left
                    && box.y < cover.bottom && box.y + box.height > cover.top;
                if (overlaps) return `${focused.outerHTML.slice(0, 80)} under ${element.outerHTML.slice(0, 80)}`;
            }
            return null;
        }"""
    )


def tab_through(page, scope: str, *, limit: int = 400) -> int:
    """Press Tab from the top of the page until the focus leaves `scope`, checking at each stop that nothing stuck
    to the screen hides the focused control (WCAG 2.4.11). Returns how many stops were inside the scope."""
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    stops = 0
    entered = False
    for _ in range(limit):
        page.keyboard.press("Tab")
        inside = page.evaluate(f"() => document.activeElement.closest({scope!r}) !== null")
        if not inside and entered:
            return stops
        if inside:
            entered = True
            stops += 1
            hidden = focus_obscured(page)
            assert hidden is None, f"focus hidden at Tab stop {stops}: {hidden}"
    return stops


def referral_fill(referral) -> None:
    """Fill the referral form (the `referral` section of the review page) as the demo's DSL does: children's social
    care, parents not told and why, the lawful basis, the child's words and the rationale shared, the front door's
    first questions answered."""
    referral.get_by_role("combobox", name="Agency").select_option(label="Children's social care (front door / MASH)")
    referral.get_by_label("Why the information is shared").fill("Risk of child sexual exploitation")
    referral.get_by_role("group", name="Were parents or carers told?").get_by_label("No", exact=True).check()
    referral.get_by_label("If not, why not").fill("Telling her mother first could put her at greater risk")
    referral.get_by_label("Contact at the agency").fill("Duty social worker, Northshire front door")
    referral.get_by_label("Public task, safeguarding", exact=False).check()
    referral.get_by_label("The child's own words, as recorded").check()
    referral.get_by_label("Your rationale for the decision").check()
    harm = referral.get_by_role("group", name="Is the child suffering, or likely to suffer, significant harm?")
    harm.get_by_label("Yes", exact=True).check()
    knows = referral.get_by_role("group", name="Does the child know about the referral?")
    knows.get_by_label("No", exact=True).check()
