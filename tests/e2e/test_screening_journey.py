"""An exploitation screening in Chromium, as the Northfield DSL does one for the demo's story girl: the file's trend,
the form ticked from what staff recorded with each source, the live result, the nudge on blaming words, the record;
and the trust lead choosing the trust's tool. Every page is checked with axe-core and photographed."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import axe_check
from tests.e2e.steps import sign_in

pytestmark = pytest.mark.e2e

DSL = "dsl@northfield.example"
TRUST_LEAD = "trustlead@northfield.example"


def test_the_dsl_screens_the_story_girl_again_and_the_trust_lead_chooses_the_tool(
    site, open_browser, screens, authenticator
):
    child = site.python(
        "from referrals.models import Concern\n"
        "print(Concern.objects.get(incident__submission_key='demo-story-4').child.uuid)"
    )
    dsl = open_browser(DSL, viewport={"width": 1366, "height": 768})
    page = dsl.page
    sign_in(dsl, code=authenticator.fresh_code(DSL))
    page.goto(f"/children/{child}/#screenings-heading")
    section = page.locator("section", has=page.get_by_role("heading", name="Exploitation screenings"))
    expect(section.locator("tbody tr")).to_have_count(3)
    expect(section.locator("#screening-chart")).to_be_visible()
    axe_check(page, "DSL: the child's file with three screenings")
    section.screenshot(path=str(screens_path(screens, "screening-trend")))

    section.get_by_role("link", name="Screen again").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Exploitation screening")
    cars = page.get_by_label("Picked up or dropped off by unknown adults in cars")
    expect(cars).to_be_checked()
    expect(page.locator(".card", has=cars)).to_contain_text("KX19RWT grey Vauxhall Astra")
    isolated = page.get_by_label("Isolated from children of their own age, or without a trusted adult")
    expect(isolated).to_be_checked()  # what the DSL added last time is offered again
    expect(page.locator(".card", has=isolated)).to_contain_text("You added this at the screening of")
    expect(page.locator("#live-band")).to_have_text("High: signs that exploitation is happening")
    axe_check(page, "DSL: the screening form, ticked from the file")
    screens.take(page, "screening-form")

    # The DSL adds what staff could not see: the girl told her she is made to go to parties with older men.
    disclosure_label = "The child has told someone they are being sexually or criminally exploited, or of sexual abuse"
    disclosure = page.get_by_label(disclosure_label)
    disclosure.check()
    expect(page.locator("#live-band")).to_have_text("Very high: the child is being harmed")
    card = page.locator(".card", has=disclosure)
    card.get_by_label("When").fill("6 Dec 2026, 12:40")
    card.get_by_label("Basis").select_option("evidence")
    card.get_by_label("How you know").fill("She told me herself, in my office")
    page.get_by_label("What you make of it").fill("She is putting herself at risk with these men.")
    page.get_by_role("button", name="Record the screening").click()
    expect(page.locator("#nudge")).to_contain_text("putting herself at risk")
    expect(page.get_by_label("What you make of it")).to_have_value("She is putting herself at risk with these men.")
    card = page.locator(".card", has=page.get_by_label(disclosure_label))
    expect(card.get_by_label("How you know")).to_have_value("She told me herself, in my office")
    axe_check(page, "DSL: the screening, nudged on its wording")
    screens.take(page, "screening-nudge")
    page.get_by_label("What you make of it").fill(
        "She told me older men take her to parties and give her vodka. Refer today; strategy discussion."
    )
    page.get_by_role("button", name="Record the screening").click()

    expect(page.get_by_role("heading", level=2, name="Very high: the child is being harmed")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Refer to children's social care and the police")
    axe_check(page, "DSL: a screening as recorded")
    screens.take(page, "screening-detail")
    dsl.assert_no_problems()

    lead = open_browser(TRUST_LEAD, viewport={"width": 1366, "height": 768})
    page = lead.page
    sign_in(lead, code=authenticator.fresh_code(TRUST_LEAD))
    page.get_by_role("link", name="Exploitation screening tools").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Exploitation screening tools")
    axe_check(page, "trust lead: the screening tools")
    screens.take(page, "screening-tools")
    lead.assert_no_problems()


def screens_path(screens, name):
    from tests.e2e.conftest import SCREENS

    screens.taken += 1
    return SCREENS / f"{screens.taken:02d}-{name}.png"
