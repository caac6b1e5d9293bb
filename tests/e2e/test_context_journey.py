"""The demo's grey car in Chromium: the teacher adds what she saw to her own concern on a phone; the DSL links it on
the review page; the trust lead sees the alert naming the Northfield girl and the Riverside boy, and the network of
the car as a graph and as the same table. Every page is checked with axe-core and photographed."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import axe_check
from tests.e2e.steps import sign_in

pytestmark = pytest.mark.e2e

TEACHER = "teacher@northfield.example"
DSL = "dsl@northfield.example"
TRUST_LEAD = "trustlead@northfield.example"


def test_a_car_around_two_children_at_two_schools_is_seen_by_the_trust_lead(site, open_browser, screens, authenticator):
    concern = site.python(
        "from referrals.models import Concern\nprint(Concern.objects.get(incident__submission_key='demo-story-3').uuid)"
    )
    teacher = open_browser(TEACHER, phone=True)
    page = teacher.page
    sign_in(teacher, code=authenticator.fresh_code(TEACHER))
    page.goto(f"/concerns/{concern}/")
    expect(page.locator("#context")).to_contain_text("KX19 RWT")  # what she typed herself
    page.get_by_text("Add a person, vehicle, place or online account").click()
    page.get_by_label("A person of concern").check()
    page.get_by_label("Name or nickname (a person), or the place's name or address").fill("Kez")
    page.get_by_label("Roughly how old").fill("about 20")
    page.get_by_label("How the child knows them").fill("Calls him her boyfriend")
    page.get_by_role("button", name="Add it").click()
    expect(page.locator("#context")).to_contain_text("Kez")
    axe_check(page, "teacher: who or what else was involved, on a phone")
    screens.take(page, "context-teacher-phone")
    teacher.assert_no_problems()

    dsl = open_browser(DSL, viewport={"width": 1366, "height": 768})
    page = dsl.page
    sign_in(dsl, code=authenticator.fresh_code(DSL))
    page.goto(f"/queue/{concern}/#context")
    panel = page.locator("#context")
    expect(panel).to_contain_text("Linked to KX19RWT")
    panel.get_by_role("button", name="Confirm it as a new one").click()
    expect(page.locator("#context")).to_contain_text("Linked to Kez")
    axe_check(page, "DSL: the people, vehicles, places and accounts on a concern")
    screens.take(page, "context-dsl-review")
    page.goto("/queue/")
    alert = page.locator("section", has=page.get_by_role("heading", name="Linked across children"))
    expect(alert).to_contain_text("child at another school")
    dsl.assert_no_problems()

    lead = open_browser(TRUST_LEAD, viewport={"width": 1366, "height": 768})
    page = lead.page
    sign_in(lead, code=authenticator.fresh_code(TRUST_LEAD))
    alert = page.locator("section", has=page.get_by_role("heading", name="Linked across children"))
    expect(alert).to_contain_text("Riverside Primary")
    expect(alert).to_contain_text("Northfield Academy")
    alert.get_by_role("link", name="the network").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Network: KX19RWT grey Vauxhall Astra")
    expect(page.locator("#network-graph canvas").first).to_be_visible()
    rows = page.locator("#network-table tbody tr")
    expect(rows).to_have_count(6)  # the car to three concerns, each concern to its child
    children = page.locator("#network-table td", has_text="(child)")
    expect(children).to_have_count(3)
    axe_check(page, "trust lead: the network of the demo car")
    screens.take(page, "context-network")
    lead.assert_no_problems()
