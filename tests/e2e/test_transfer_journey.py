"""A child moving school, in Chromium: Northfield's DSL records that the demo's story child has left for Riverside,
fills in the checklist and sends the whole file; Riverside's DSL finds it on the queue, accepts it, and reads the
history received. Then the DSL of a school not on Safeguard opens a file sent by link on a phone, with the code
given by phone, and confirms receipt. Every page is checked with axe-core and photographed into var/screens/."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import axe_check
from tests.e2e.steps import sign_in

pytestmark = pytest.mark.e2e

NORTHFIELD_DSL = "dsl@northfield.example"
RIVERSIDE_DSL = "dsl@riverside.example"


def test_the_story_child_moves_to_riverside_whose_dsl_accepts_the_whole_file(
    site, open_browser, screens, authenticator
):
    child_uuid, name, urn = site.python(
        "from referrals.demo.concerns import demo_story_child\n"
        "from referrals.models import Child\n"
        "from safeguarding.accounts.models import School\n"
        "child = demo_story_child(Child.objects.filter(school__name='Northfield Academy').order_by('upn'))\n"
        "print(child.uuid, child.display_name, School.objects.get(name='Riverside Primary').urn, sep='|')"
    ).split("|")
    sender = open_browser(NORTHFIELD_DSL)
    page = sender.page
    sign_in(sender, code=authenticator.fresh_code(NORTHFIELD_DSL))

    page.goto(f"/children/{child_uuid}/")
    page.get_by_text("The child is leaving or has left this school").click()
    page.get_by_label("New school's URN").fill(urn)
    page.get_by_role("button", name="Record the leaving date").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{name} has left: send the file")
    axe_check(page, "DSL: a leaver's task")
    screens.take(page, "transfer-task")

    page.get_by_label("Shared with the new school before the move").check()
    page.get_by_label("What was shared in advance, with whom and when").fill(
        "Phoned Riverside's DSL on Monday about the police referral and the man in the car."
    )
    page.get_by_label("The new school's designated safeguarding lead").fill("Riverside's DSL")
    page.get_by_role("button", name="Save the checklist").click()
    expect(page.get_by_text("The checklist is saved.")).to_be_visible()
    page.get_by_label("To the new school's DSL on Safeguard").check()
    page.get_by_role("button", name="Send the file").click()
    expect(page.get_by_text("on its way to Riverside Primary")).to_be_visible()
    axe_check(page, "DSL: a file sent")
    screens.take(page, "transfer-sent")
    sender.assert_no_problems()

    receiver = open_browser(RIVERSIDE_DSL)
    page = receiver.page
    sign_in(receiver, code=authenticator.fresh_code(RIVERSIDE_DSL))
    page.goto("/queue/")
    moving = page.locator("#transfers-heading + ul")
    expect(moving).to_contain_text("file sent by Northfield Academy: review and accept it")
    moving.get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("A child protection file from Northfield Academy")
    axe_check(page, "Receiving DSL: a file to accept")
    screens.take(page, "transfer-incoming")
    page.get_by_role("button", name="Accept the file").click()
    expect(page.get_by_role("heading", name=re.compile("History received from Northfield Academy"))).to_be_visible()
    expect(page.get_by_text("such as the SENCO").first).to_be_visible()
    axe_check(page, "Receiving DSL: the child's file with its received history")
    screens.take(page, "transfer-received")
    receiver.assert_no_problems()

    page = sender.page
    page.goto(f"/children/{child_uuid}/")
    expect(page.get_by_text("This copy is read only")).to_be_visible()
    expect(page.get_by_role("heading", name="Add a note or action")).to_have_count(0)
    screens.take(page, "transfer-sender-copy")


def test_a_file_sent_by_link_is_opened_on_a_phone_with_the_code_and_its_receipt_confirmed(
    site, open_browser, screens, authenticator
):
    link, code = site.python(
        "from django.db import transaction\n"
        "from django.utils import timezone\n"
        "from referrals.models import Child\n"
        "from referrals.services import transfers as s\n"
        "from safeguarding.accounts.models import User\n"
        "dsl = User.objects.get(email='dsl@northfield.example')\n"
        "child = Child.objects.filter(school__name='Northfield Academy', concerns__isnull=False, transferred_at=None)"
        ".order_by('upn').last()\n"
        "with transaction.atomic():\n"
        "    task = s.child_leaving_record(actor=dsl, context=None, child=child, left_on=timezone.localdate(),"
        " destination='Hill Top Academy', destination_urn='')\n"
        "    s.transfer_checklist_save(actor=dsl, context=None, transfer=task, advance_sharing='not_needed',"
        " advance_note='', receiving_dsl_name='Sam Patel', receiving_dsl_email='dsl@hilltop.example',"
        " receiving_dsl_phone='01632 960 123')\n"
        "    _, shown = s.transfer_send(actor=dsl, context=None, transfer=task, route='link')\n"
        "print(shown.link, shown.code, sep='|')"
    ).split("|")
    receiver = open_browser("dsl@hilltop.example", phone=True)
    page = receiver.page
    page.goto(link.replace("http://127.0.0.1:8000", site.url))
    expect(page.get_by_role("heading", level=2, name="Enter the code")).to_be_visible()
    axe_check(page, "Link: enter the code (phone)")
    screens.take(page, "transfer-link-code")
    page.get_by_label("The code the sending school gave you by phone").fill(code)
    page.get_by_role("button", name="Open the file").click()
    expect(page.get_by_role("link", name="Download the package")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the package").click()
    assert download.value.suggested_filename.endswith(".zip")
    axe_check(page, "Link: download and confirm (phone)")
    screens.take(page, "transfer-link-open")
    page.get_by_label("Your name").fill("Sam Patel")
    page.get_by_role("button", name="Confirm receipt").click()
    expect(page.get_by_text("the transfer is complete")).to_be_visible()
    receiver.assert_no_problems()
