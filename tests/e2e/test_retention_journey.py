"""A file at the end of its keeping period, in Chromium: Northfield's DSL finds a former pupil's file on the review
queue, reads the IICSA note, places and lifts a legal hold, and proposes disposal; the trust's data protection
officer confirms it, and the certificate is what remains. Every page is checked with axe-core and photographed."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import axe_check
from tests.e2e.steps import sign_in

pytestmark = pytest.mark.e2e

DSL = "dsl@northfield.example"
DPO = "dpo@northfield.example"


def test_a_former_pupils_file_is_reviewed_and_disposed_of_by_two_people(site, open_browser, screens, authenticator):
    site.python(
        "from datetime import date\n"
        "from referrals.models import Child\n"
        "from referrals.services.retention import reviews_queue\n"
        "from safeguarding.accounts.models import School\n"
        "school = School.objects.get(name='Northfield Academy')\n"
        "Child.objects.get_or_create(school=school, legal_first_name='Kerry', legal_last_name='Walsh', defaults=dict("
        "date_of_birth=date(1999, 4, 12), year_group='13', sex='F', send='none', "
        "roll_status='left'))\n"
        "print(reviews_queue())"
    )
    dsl = open_browser(DSL, viewport={"width": 1366, "height": 768})
    page = dsl.page
    sign_in(dsl, code=authenticator.fresh_code(DSL))
    page.get_by_role("navigation").get_by_role("link", name="Retention").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Files due for review")
    axe_check(page, "DSL: files due for review")
    screens.take(page, "retention-queue")

    page.get_by_role("link", name="Kerry Walsh").click()
    page.get_by_label("What the hold is for").fill("Civil claim: the council's solicitors asked us to keep it.")
    page.get_by_role("button", name="Place a legal hold").click()
    expect(page.get_by_text("The file is under a legal hold")).to_be_visible()
    page.get_by_label("Why it can be disposed of").fill("Reviewed at 25.")
    page.get_by_role("button", name="Propose disposal").click()
    expect(page.locator(".error-summary").get_by_text("lift the hold first")).to_be_visible()
    dsl.problems.clear()  # the refused form answers 400, as it should
    page.get_by_label("Why the hold is lifted").fill("The claim was settled in March.")
    page.get_by_role("button", name="Lift the legal hold").click()
    page.get_by_label("Why it can be disposed of").fill("Reviewed at 25: no claim, investigation or inquiry open.")
    page.get_by_role("button", name="Propose disposal").click()
    expect(page.get_by_text("you cannot")).to_be_visible()
    axe_check(page, "DSL: a disposal proposed")
    screens.take(page, "retention-proposed")
    dsl.assert_no_problems()

    dpo = open_browser(DPO, viewport={"width": 1366, "height": 768})
    page = dpo.page
    sign_in(dpo, code=authenticator.fresh_code(DPO))
    page.goto("/retention/")
    page.get_by_role("link", name="Kerry Walsh").click()
    page.get_by_role("button", name="Confirm the disposal").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("A file disposed of")
    expect(page.locator("main")).not_to_contain_text("Kerry")
    axe_check(page, "DPO: a disposal certificate")
    screens.take(page, "retention-certificate")
    dpo.assert_no_problems()
