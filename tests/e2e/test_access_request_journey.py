"""A subject access request in Chromium: Northfield's DSL logs a mother's request about her daughter, whose concern
was shared with another child; selects words in the file to withhold them; and sends the redactions for sign-off.
The trust's data protection officer signs them off, downloads the pack and records its release. The pack holds
neither the words withheld nor the other child's name. Every page is checked with axe-core and photographed."""

import io

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.e2e.conftest import axe_check
from tests.e2e.steps import sign_in

pytestmark = pytest.mark.e2e

DSL = "dsl@northfield.example"
DPO = "dpo@northfield.example"
SHARED = (
    "from dataclasses import replace\n"
    "from django.db import transaction\n"
    "from referrals.models import Child\n"
    "from referrals.services.concerns import concern_submit\n"
    "from safeguarding.accounts.models import School, User\n"
    "from tests.concerns import concern_submission\n"
    "school = School.objects.get(name='Northfield Academy')\n"
    "child, _ = Child.objects.get_or_create(school=school, legal_first_name='Rosa', legal_last_name='Lindqvist',"
    " defaults=dict(date_of_birth='2012-02-02', year_group='9', sex='F', send='none'))\n"
    "other, _ = Child.objects.get_or_create(school=school, legal_first_name='Tegan', legal_last_name='Oduya',"
    " defaults=dict(date_of_birth='2012-05-05', year_group='9', sex='F', send='none'))\n"
    "teacher = User.objects.get(email='teacher@northfield.example')\n"
    "submission = concern_submission(teacher, child, with_file=False)\n"
    "submission['data'] = replace(submission['data'], children=[child, other], account='Rosa and Tegan Oduya said an "
    "older man they call Blade waits for them in a blue van outside the chip shop.')\n"
    "with transaction.atomic():\n"
    "    concern_submit(**submission)\n"
    "print(child.uuid)"
)


def test_a_request_is_logged_redacted_signed_off_by_a_second_person_and_released(
    site, open_browser, screens, authenticator, tmp_path
):
    site.python(SHARED)
    dsl = open_browser(DSL, viewport={"width": 1366, "height": 768})
    page = dsl.page
    sign_in(dsl, code=authenticator.fresh_code(DSL))
    page.get_by_role("navigation").get_by_role("link", name="Access requests").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Subject access requests")
    axe_check(page, "DSL: subject access requests")
    page.get_by_role("link", name="Log a request").click()
    page.get_by_label("Child's name or UPN").fill("Lindqvist")
    page.get_by_role("button", name="Find").click()
    axe_check(page, "DSL: finding the child")
    page.get_by_role("link", name="Choose").click()
    page.get_by_label("Who asked").fill("Maria Lindqvist")
    page.get_by_label("Their relationship to the child").select_option("parent")
    page.get_by_label("How their identity was checked").fill("Known to the school; seen with her passport.")
    page.get_by_role("button", name="Log the request").click()
    expect(page.locator(".error-summary")).to_contain_text("Give the date the request came.")
    dsl.problems.clear()  # the refused form answers 400, as it should
    axe_check(page, "DSL: logging a request, with an error")
    page.get_by_label("Request received on").fill("2026-11-16")
    page.get_by_label("Proof of identity received on").fill("2026-11-16")
    page.get_by_role("button", name="Log the request").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("records about Rosa Lindqvist")
    expect(page.locator("#clock-heading + p")).to_contain_text("Wednesday 16 December 2026")
    expect(page.get_by_text("Tegan Oduya", exact=True)).to_be_visible()  # withheld everywhere, proposed
    axe_check(page, "DSL: the request's workbench")
    screens.take(page, "access-request-workbench")

    item = page.locator("article[data-redact-item]", has_text="blue van")
    item.locator("dd", has_text="blue van").evaluate(
        """element => {
            const words = "an older man they call Blade";
            const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
            let node = walker.nextNode();
            while (node && !node.textContent.includes(words)) node = walker.nextNode();
            const start = node.textContent.indexOf(words), range = document.createRange();
            range.setStart(node, start);
            range.setEnd(node, start + words.length);
            getSelection().removeAllRanges();
            getSelection().addRange(range);
        }"""
    )
    item.get_by_role("button", name="Withhold the words you selected").click()
    expect(item.locator("textarea[name=passage]")).to_have_value("an older man they call Blade")
    item.get_by_label("Why").select_option("serious_harm")
    item.get_by_label("Note for the disclosure log").fill("Police are looking for him; naming him could warn him.")
    item.get_by_role("button", name="Withhold", exact=True).click()
    expect(page.locator("article[data-redact-item]", has_text="blue van")).to_contain_text("[withheld: serious harm]")
    page.get_by_role("button", name="Send for sign-off").click()
    expect(page.get_by_text("you cannot")).to_be_visible()
    dsl.assert_no_problems()

    dpo = open_browser(DPO, viewport={"width": 1366, "height": 768})
    page = dpo.page
    sign_in(dpo, code=authenticator.fresh_code(DPO))
    expect(page.get_by_text("1 waiting for your sign-off")).to_be_visible()
    page.get_by_role("navigation").get_by_role("link", name="Access requests").click()
    page.get_by_role("link", name="SAR-").click()
    page.get_by_role("button", name="Sign off the redactions").click()
    expect(page.get_by_role("heading", name="Signed off: ready to release")).to_be_visible()
    axe_check(page, "DPO: a signed-off request")
    screens.take(page, "access-request-signed-off")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the pack (PDF)").click()
    pdf = tmp_path / "pack.pdf"
    download.value.save_as(pdf)
    text = " ".join(" ".join(each.extract_text() for each in PdfReader(io.BytesIO(pdf.read_bytes())).pages).split())
    assert "Rosa Lindqvist" in text and "blue van" in text
    for withheld in ("Tegan", "Oduya", "Blade", "older man"):
        assert withheld not in text
    page.get_by_label("How it went to the requester").select_option("in_person")
    page.get_by_label("Note").fill("Collected at reception.")
    page.get_by_role("button", name="Record the release").click()
    expect(page.get_by_role("heading", name="Released")).to_be_visible()
    dpo.assert_no_problems()
