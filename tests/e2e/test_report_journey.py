"""The safeguarding reports in Chromium: the Northfield DSL opens this term's report and downloads the governors'
PDF; the trust lead reads the oversight home, opens a school's report from it and the trust's own; the chair of
governors reads the school's report on a phone. Every page is checked with axe-core and photographed."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import SCREENS, axe_check
from tests.e2e.steps import sign_in

pytestmark = pytest.mark.e2e

DSL = "dsl@northfield.example"
TRUST_LEAD = "trustlead@northfield.example"
CHAIR = "chair@northfield.example"
DESKTOP = {"width": 1366, "height": 768}


def test_the_dsl_the_trust_lead_and_the_chair_read_their_reports(site, open_browser, screens, authenticator):
    dsl = open_browser(DSL, viewport=DESKTOP)
    page = dsl.page
    sign_in(dsl, code=authenticator.fresh_code(DSL))
    page.get_by_role("link", name="Reports").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Safeguarding reports")
    axe_check(page, "DSL: the list of reports")
    screens.take(page, "reports-list")
    page.get_by_role("link", name="Northfield Academy").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Northfield Academy")
    expect(page.locator("#chart-by_month")).to_be_visible()
    expect(page.get_by_role("heading", name="How quickly concerns were acknowledged and decided")).to_be_visible()
    expect(page.get_by_text("No child can be picked out from these figures.")).to_be_visible()
    axe_check(page, "DSL: this term's report")
    screens.take(page, "report-dsl")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the PDF for the governors' pack").click()
    pdf = SCREENS / "report.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as a spreadsheet (XLSX)").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    dsl.assert_no_problems()

    lead = open_browser(TRUST_LEAD, viewport=DESKTOP)
    page = lead.page
    sign_in(lead, code=authenticator.fresh_code(TRUST_LEAD))
    rows = page.locator("tr.trust-school")
    expect(rows).to_have_count(2)
    expect(page.locator("tr.trust-school", has_text="Riverside Primary")).to_contain_text("DSL training overdue")
    expect(page.locator("svg.sparkline").first).to_be_visible()
    axe_check(page, "trust lead: the oversight home")
    screens.take(page, "trust-oversight")
    rows.filter(has_text="Riverside Primary").get_by_role("link", name="Riverside Primary", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Riverside Primary")
    page.get_by_label("Period", exact=True).select_option(label="School year 2025 to 2026")
    page.get_by_role("button", name="Show this period").click()
    expect(page.locator(".lead")).to_contain_text("School year 2025 to 2026")
    axe_check(page, "trust lead: a school's report for last year")
    page.goto("/reports/")
    page.locator("tr", has_text="every school").get_by_role("link").first.click()
    expect(page.get_by_role("heading", name="Concerns by school")).to_be_visible()
    axe_check(page, "trust lead: the trust's report")
    screens.take(page, "report-trust")
    lead.assert_no_problems()

    chair = open_browser(CHAIR, phone=True)
    page = chair.page
    sign_in(chair, code=authenticator.fresh_code(CHAIR))
    page.goto("/reports/")
    page.locator("tr", has_text="Northfield Academy").get_by_role("link").first.click()
    expect(page.get_by_role("heading", name="Allegations and low-level concerns about adults")).to_be_visible()
    axe_check(page, "chair: the school's report on a phone")
    screens.take(page, "report-chair-phone")
    chair.assert_no_problems()
