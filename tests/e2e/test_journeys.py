"""Five journeys through the demo school in Chromium, the first four one after another, each building on the one
before: a teacher logs a concern on a phone with a photo, the DSL opens the photo, triages and refers, the admin
exports, the DSL finds the pupil by search and reads who viewed the child's file; last, the trust lead filters the
queue by school. Every page visited is checked with axe-core and photographed into var/screens/."""

import csv
import io
import re
from datetime import datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.e2e.conftest import JOURNEY_COUNTS, axe_check
from tests.e2e.steps import (
    give_code,
    give_password,
    referral_fill,
    saved_draft,
    sign_in,
    sign_tick,
    small_targets,
    tab_through,
    tab_to,
)

pytestmark = pytest.mark.e2e

TEACHER = "teacher@northfield.example"
DSL = "dsl@northfield.example"
ADMIN = "admin@northfield.example"

ACCOUNT = (
    "At 15:20 at the school gate I saw {name} get into a silver car driven by a man who looked about 25. "
    "She had a new phone and new trainers this week and would not say where they came from."
)
CHILD_WORDS = "He's my boyfriend, he buys me stuff. Don't tell my mum, she'll go mad."
MARK_NOTE = "Finger-shaped, she said a man grabbed her"
# The group to open, the sign, and what the teacher chooses: (code, basis) as sent, and the choice's label.
SIGNS = {
    "Signs: possessions and money": ("Unexplained gifts, money or new things", "SIG-GIFTS", "seen", "I saw it"),
    "Signs: relationships and associations": (
        "A significantly older boyfriend, girlfriend or 'friend', or lots of new friends",
        "SIG-OLDER-PARTNER",
        "told",
        "I was told",
    ),
    "Signs: going missing and places": (
        "Picked up or dropped off by unknown adults in cars",
        "SIG-CARS",
        "seen",
        "I saw it",
    ),
}


@pytest.fixture(scope="module")
def story():
    """What one journey leaves for the next: the child, the concern's reference, the export's purpose."""
    return SimpleNamespace()


def carried_on_from(story, *facts: str) -> None:
    missing = [fact for fact in facts if not hasattr(story, fact)]
    if missing:
        pytest.fail(f"An earlier journey did not get as far as its {', '.join(missing)}; see its failure above")


def expect_what_she_gave(page, child: str) -> None:
    """The form holds the child, the words and the signs (each with its basis) that the teacher gave."""
    expect(page.locator(".chosen-children")).to_contain_text(child)
    expect(page.get_by_label("What did you see or hear?")).to_have_value(ACCOUNT.format(name=child))
    expect(page.get_by_label("The child's own words (optional)")).to_have_value(CHILD_WORDS)
    expect(page.get_by_label("Where?")).to_have_value("The school gate on Mill Lane")
    for sign, _code, _basis, choice in SIGNS.values():
        row = page.locator("[data-sign]", has=page.get_by_label(sign, exact=True))
        expect(row.get_by_role("checkbox")).to_be_checked()
        expect(row.get_by_role("radio", name=choice)).to_be_checked()


def test_a_teacher_on_a_phone_logs_a_concern_and_keeps_her_draft_through_a_sign_out(
    site, open_browser, screens, story, tmp_path, authenticator
):
    story.child_uuid, story.child = site.python(
        "from referrals.models import Child\n"
        "child = Child.objects.filter(school__name='Northfield Academy', concerns__isnull=True)"
        ".order_by('legal_last_name', 'legal_first_name').first()\n"
        "print(child.uuid, child.display_name, sep='|')"
    ).split("|")
    teacher = open_browser(TEACHER, phone=True)
    page = teacher.page

    page.goto("/")
    axe_check(page, "landing page")
    sign_in(teacher, code=authenticator.fresh_code(TEACHER))
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Amy")
    axe_check(page, "teacher: home")
    screens.take(page, "teacher-home")

    page.get_by_role("button", name="Show or hide the menu").click()
    page.get_by_role("link", name="Log a concern", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log a concern")
    expect(page.locator(".concern-form .alert-danger")).to_contain_text("Call 999 now")
    first_field = page.get_by_label("Find a child by name").bounding_box()
    assert first_field["y"] + first_field["height"] <= page.viewport_size["height"], "the first field is below the fold"
    expect(page.get_by_label("When did you see or hear it?")).not_to_have_value("")  # starts at now
    axe_check(page, "teacher: concern form, empty")
    screens.take(page, "teacher-concern-form")

    page.get_by_label("Find a child by name").fill(story.child)
    page.get_by_role("button", name=f"Add {story.child}").click()
    expect(page.locator(".chosen-children")).to_contain_text(story.child)
    seen = datetime.now(ZoneInfo("Europe/London")) - timedelta(minutes=20)
    page.get_by_label("When did you see or hear it?").fill(seen.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Where?").fill("The school gate on Mill Lane")
    account = page.get_by_label("What did you see or hear?")
    saved_draft(page, account, lambda: account.fill(ACCOUNT.format(name=story.child)), holding="silver car")
    # The search box narrows the signs of every group to those that match, and opens their groups.
    search = page.get_by_label("Find a sign")
    search.fill("car")
    expect(page.get_by_label("Picked up or dropped off by unknown adults in cars", exact=True)).to_be_visible()
    expect(page.get_by_label("Unexplained gifts, money or new things", exact=True)).to_be_hidden()
    expect(page.locator("#sign-search-result")).to_contain_text(re.compile(r"\d+ signs? match"))
    search.fill("")
    expect(page.get_by_label("Picked up or dropped off by unknown adults in cars", exact=True)).to_be_hidden()
    for group, (sign, code, basis, choice) in SIGNS.items():
        sign_tick(page, group=group, sign=sign, code=code, basis=basis, choice=choice)
    expect(page.locator("summary", has_text="Signs: possessions and money")).to_contain_text("1 chosen")
    words = page.get_by_label("The child's own words (optional)")
    saved_draft(page, words, lambda: words.fill(CHILD_WORDS), holding=CHILD_WORDS)
    axe_check(page, "teacher: concern form, half-way")
    screens.take(page, "teacher-half-way")

    # Her session ends on the server in the middle of writing; the next save finds her signed out.
    ended = site.python(
        "from safeguarding.accounts.models import User\n"
        "from safeguarding.accounts.services import sessions_end_for_user\n"
        f"print(sessions_end_for_user(user=User.objects.get(email='{TEACHER}')))"
    )
    assert ended == "1"
    page.get_by_label("Who else was there?").fill("Mr Hill, the site manager")
    page.keyboard.press("Tab")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=%2Fconcerns%2Fnew%2F$"))
    expect(page.locator(".messages")).to_contain_text("You were signed out")
    axe_check(page, "teacher: signed out half-way")
    screens.take(page, "teacher-signed-out")

    give_password(teacher)
    give_code(teacher, authenticator.fresh_code(TEACHER))
    expect(page).to_have_url(re.compile(r"/concerns/new/$"))
    expect_what_she_gave(page, story.child)
    axe_check(page, "teacher: draft back after signing in")
    screens.take(page, "teacher-draft-back")

    # WCAG 2.2 on the form: every target at least 44 by 44 pixels, and tabbing through it never leaves the focused
    # control under the sticky save-state bar (2.4.11).
    assert small_targets(page, ".concern-form form") == []
    assert tab_through(page, ".concern-form form") > 30

    # The body map: a mark placed by tapping the outline, and one chosen from the list with the keyboard alone.
    expect(page.locator("#body-map-warning")).to_contain_text("Never photograph intimate areas")
    page.locator("#body-map svg[data-side='front'] [data-region='left_forearm']").click()
    first_mark = page.locator("#marks [data-mark]").nth(0)
    expect(first_mark).to_contain_text("Mark 1: Front: Left forearm and wrist")
    first_mark.get_by_label("What kind of mark is mark 1?").select_option(label="Bruise")
    first_mark.get_by_label("Size").fill("3 cm")
    first_mark.get_by_label("Colour").fill("purple and yellow")
    regions = page.get_by_label("Part of the body")
    tab_to(page, regions)
    for _ in range(60):
        if regions.input_value() == "back:trunk":
            break
        page.keyboard.press("ArrowDown")
    assert regions.input_value() == "back:trunk"
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Add a mark there")).to_be_focused()
    page.keyboard.press("Enter")
    second_mark = page.locator("#marks [data-mark]").nth(1)
    expect(second_mark).to_contain_text("Mark 2: Back: Lower back")
    kind = second_mark.get_by_label("What kind of mark is mark 2?")
    expect(kind).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(kind).to_have_value("bruise")
    note = second_mark.get_by_label("Note")
    tab_to(page, note)
    saved_draft(page, note, lambda: page.keyboard.type(MARK_NOTE), holding=MARK_NOTE)
    expect(page.locator("#body-map svg .body-mark")).to_have_count(2)
    axe_check(page, "teacher: body map")
    screens.take(page, "teacher-body-map")

    expect(page.locator("#nude-image-warning")).to_contain_text("Never take, upload, copy or forward")
    photo = tmp_path / "car-at-the-gate.jpg"
    Image.new("RGB", (64, 48), (90, 90, 100)).save(photo, format="JPEG")
    page.get_by_label("Add pictures, PDFs or Word documents").set_input_files(photo)

    present = page.get_by_label("Who else was there?")
    present.fill("Mr Hill, the site manager")
    present.press("Enter")  # Enter in a one-line box sends nothing and removes nobody
    expect(page.locator(".chosen-children")).to_contain_text(story.child)
    expect(page.locator(".error-summary")).to_have_count(0)
    # WCAG 3.3.7: sent with the urgency not yet given, the form comes back with everything already given in place.
    page.get_by_role("button", name="Send to the safeguarding team").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("How urgent is it?")
    expect(summary).to_be_focused()
    expect_what_she_gave(page, story.child)
    expect(page.get_by_label("Who else was there?")).to_have_value("Mr Hill, the site manager")
    expect(page.locator("#marks [data-mark]")).to_have_count(2)
    expect(page.get_by_label("What kind of mark is mark 2?")).to_have_value("bruise")
    expect(page.get_by_label("Note").nth(1)).to_have_value(MARK_NOTE)
    expect(page.locator("main")).to_contain_text("car-at-the-gate.jpg (")
    axe_check(page, "teacher: concern form, an answer missing")
    # The form sent back answers 400, which the browser notes in its console: expected here, and only here.
    expected = "console error: Failed to load resource: the server responded with a status of 400 (Bad Request)"
    assert teacher.problems == [expected]
    teacher.problems.clear()
    # From here on the keyboard alone: Tab, Space and Enter.
    told = page.get_by_label("I have told the DSL or a deputy in person")
    tab_to(page, told)
    page.keyboard.press("Space")
    expect(told).to_be_checked()
    immediate = page.get_by_label("Immediate risk")
    tab_to(page, immediate)
    page.keyboard.press("Space")
    expect(immediate).to_be_checked()
    health = page.locator("details", has=page.locator("summary", has_text="Signs: health"))
    tab_to(page, health.locator("summary"))
    page.keyboard.press("Enter")
    expect(health).to_have_attribute("open", "")
    tab_to(page, page.get_by_role("button", name="Send to the safeguarding team"))
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Your concern has been sent")
    receipt = page.locator("main li", has_text=story.child)
    expect(receipt).to_contain_text("Immediate risk")
    story.reference = receipt.locator("code").inner_text()
    expect(page.locator("main")).to_contain_text("Make sure the DSL or a deputy knows in person now")
    axe_check(page, "teacher: concern sent")
    screens.take(page, "teacher-concern-sent")

    page.get_by_role("link", name="See my concerns").click()
    row = page.locator("tbody tr", has_text=story.reference)
    expect(row).to_contain_text(story.child)
    expect(row).to_contain_text("Immediate risk")
    expect(row).to_contain_text("Received")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "my concerns scrolls sideways"
    expect(row.get_by_text("Received")).to_be_visible()
    axe_check(page, "teacher: my concerns")
    screens.take(page, "teacher-my-concerns")
    teacher.assert_no_problems()


def test_the_dsl_finds_the_concern_acknowledges_decides_refers_and_downloads_the_pdf(
    site, open_browser, screens, story, authenticator, tmp_path
):
    carried_on_from(story, "reference")
    dsl = open_browser(DSL)
    page = dsl.page
    sign_in(dsl, code=authenticator.fresh_code(DSL), paste_code=True)
    expect(page.get_by_role("heading", level=1)).to_have_text("Designated Safeguarding Lead")
    axe_check(page, "DSL: home")

    page.get_by_role("link", name="Queue", exact=True).click()
    row = page.locator("#queue-table tbody tr", has_text=story.reference)
    expect(row).to_contain_text(story.child)
    expect(row).to_contain_text("Immediate risk")
    expect(row).to_contain_text(re.compile(r"(Due in|Overdue) \d+[dhm]"))
    expect(row).to_contain_text("Amy Clarke")
    expect(row).to_contain_text("Submitted")
    axe_check(page, "DSL: queue")
    screens.take(page, "dsl-queue")

    row.get_by_role("link", name=f"file of {story.child}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{story.child} safeguarding file")
    entry = page.locator(".chronology li", has_text=story.reference)
    expect(entry).to_contain_text(CHILD_WORDS)
    expect(entry).to_contain_text("Unexplained gifts, money or new things (I saw it)")
    axe_check(page, "DSL: child's file")
    screens.take(page, "dsl-child-file")

    page.go_back()
    row = page.locator("#queue-table tbody tr", has_text=story.reference)
    row.get_by_role("link", name=story.child, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(story.reference)
    expect(page.locator("dd", has_text=CHILD_WORDS)).to_be_visible()
    marks = page.locator(".body-map-record")
    expect(marks.locator("li")).to_have_count(2)
    expect(marks).to_contain_text("Front: Left forearm and wrist: bruise, 3 cm, purple and yellow")
    expect(marks).to_contain_text(f"Back: Lower back: bruise. {MARK_NOTE}")
    expect(marks.locator("svg .body-mark")).to_have_count(2)
    axe_check(page, "DSL: concern, submitted")
    page.get_by_role("button", name="Acknowledge", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Acknowledged.")
    expect(page.locator("main .badge").first).to_have_text("In review")

    files = page.locator("section", has=page.get_by_role("heading", name="Files attached"))
    expect(files).to_contain_text("Amy Clarke")
    with page.expect_download() as photo:
        files.get_by_role("link", name=re.compile(r"car-at-the-gate")).click()
    assert photo.value.path().read_bytes().startswith(b"\xff\xd8")

    decision = page.locator("section", has=page.get_by_role("heading", name="Next step: record a decision"))
    expect(decision.get_by_label("Threshold applied").locator("option:checked")).to_have_text("Choose the threshold")
    decision.get_by_label("Refer to children's social care").check()
    decision.get_by_label("Reasons for the decision").fill(
        "Three signs of sexual exploitation within a week, and what she said about an older boyfriend. "
        "Threshold for a strategy discussion is met."
    )
    decision.get_by_label("Threshold applied").select_option(label="Child protection (section 47)")
    decision.get_by_label("Next review").fill((datetime.now().date() + timedelta(weeks=4)).isoformat())
    axe_check(page, "DSL: concern, deciding")
    decision.get_by_role("button", name="Record the decision").click()
    expect(page.locator(".messages")).to_contain_text("Decision recorded.")
    expect(page.locator("main .badge").first).to_have_text("Decided")

    referral = page.locator("section", has=page.get_by_role("heading", name="Next step: make the referral"))
    referral_fill(referral)
    axe_check(page, "DSL: concern, decided")
    screens.take(page, "dsl-decided")
    referral.get_by_role("button", name="Record the referral").click()

    expect(page.locator(".messages")).to_contain_text("Referral recorded.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Children's social care")
    expect(page.locator("dd", has_text="Due ")).to_be_visible()
    axe_check(page, "DSL: referral")
    screens.take(page, "dsl-referral")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the referral as a PDF").click()
    assert download.value.suggested_filename.endswith(".pdf")
    pdf = tmp_path / "referral.pdf"
    download.value.save_as(pdf)
    text = " ".join(sheet.extract_text() for sheet in PdfReader(pdf).pages)
    assert story.child in text
    assert story.reference in text
    assert "Children's social care" in text
    assert "Front: Left forearm and wrist" in text  # the body map travels with the concern
    story.referral = page.url

    # Nothing moves: the DSL escalates, records what came of it, then the strategy discussion it led to.
    escalate = page.locator("section", has=page.get_by_role("heading", name="Disagree, or nothing improving?"))
    escalate.get_by_label("Reason for escalating").fill(
        "No strategy discussion yet, and she was seen in the car again."
    )
    escalate.get_by_label("Escalated to (name and role)").fill("Team manager, MASH")
    escalate.get_by_role("button", name="Escalate").click()
    expect(page.locator(".messages")).to_contain_text("Saved.")
    escalation = page.locator(".escalation").first
    escalation.get_by_label("What came of it").fill("The team manager arranged a strategy discussion for tomorrow.")
    escalation.get_by_role("button", name="Record the outcome").click()
    expect(page.locator(".escalation").first).to_contain_text("The team manager arranged a strategy discussion")
    page.get_by_text("Record a strategy discussion or meeting").click()
    meetings = page.locator("section", has=page.get_by_role("heading", name=re.compile("Strategy discussions")))
    meetings.get_by_label("Kind of meeting").select_option(label="Strategy discussion")
    meetings.get_by_label("What was agreed (optional)").fill("Section 47 enquiries; police to trace the grey car.")
    meetings.get_by_role("button", name="Record the meeting").click()
    expect(page.locator("table", has_text="Strategy discussion")).to_be_visible()
    axe_check(page, "DSL: referral, escalated, with a meeting")
    screens.take(page, "dsl-referral-escalated")

    page.get_by_role("link", name="Home").first.click()
    page.get_by_role("link", name=re.compile("Local arrangements")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Local arrangements")
    axe_check(page, "DSL: local arrangements")
    screens.take(page, "dsl-local-arrangements")
    dsl.assert_no_problems()


def test_the_admin_exports_referral_records_with_a_purpose_and_a_fresh_code(
    open_browser, screens, story, authenticator
):
    carried_on_from(story, "reference", "referral")
    admin = open_browser(ADMIN)
    page = admin.page
    sign_in(admin, code=authenticator.fresh_code(ADMIN))
    expect(page.get_by_role("heading", level=1)).to_have_text("School administration")
    axe_check(page, "admin: home")

    page.get_by_role("link", name="Exports").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Export referral records")
    axe_check(page, "admin: exports")
    purpose = "Termly return to the governors' safeguarding committee"
    page.get_by_label("What is the export for?").fill(purpose)
    page.get_by_label("CSV").check()
    page.get_by_label("Code from your authenticator app").fill(authenticator.fresh_code(ADMIN))
    screens.take(page, "admin-export-form")
    with page.expect_download() as download:
        page.get_by_role("button", name="Export").click()

    assert download.value.suggested_filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
    ours = [row for row in rows if row["Child"] == story.child]
    assert len(ours) == 1, f"{story.child} is not in the export once: {ours}"
    assert ours[0]["Agency"] == "Children's social care (front door / MASH)"
    assert ours[0]["Made by"] == "Helen Marsh"
    assert ours[0]["Parents told"] == "No"
    story.purpose = purpose

    page.reload()
    expect(page.locator("main")).to_contain_text(purpose)
    axe_check(page, "admin: exports, after")
    screens.take(page, "admin-exported")

    # The child's family as the school's system holds it, on the roster.
    page.get_by_role("link", name="Pupils").click()
    page.get_by_label("Name or UPN").fill(story.child.split()[-1])
    page.get_by_role("button", name="Search").click()
    page.locator("tbody th a", has_text=story.child.split()[-1]).first.click()
    expect(page.get_by_role("group", name="Parents and carers")).to_be_visible()
    expect(page.get_by_label("First language")).to_be_visible()
    axe_check(page, "admin: a pupil's roster details")
    screens.take(page, "admin-roster-pupil")
    admin.assert_no_problems()


def test_the_dsl_sees_who_has_opened_the_childs_records(site, open_browser, screens, story, authenticator):
    carried_on_from(story, "referral", "purpose")
    dsl = open_browser(DSL)
    page = dsl.page
    sign_in(dsl, code=authenticator.fresh_code(DSL))
    page.get_by_role("link", name="Find a pupil").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Find a pupil")
    axe_check(page, "DSL: find a pupil")
    page.get_by_label("Name or UPN").fill(story.child.split()[-1])
    page.get_by_role("button", name="Search").click()
    found = page.locator("tbody tr", has_text=story.child.split()[-1])
    expect(found.first).to_be_visible()
    axe_check(page, "DSL: pupils found")
    screens.take(page, "dsl-find-a-pupil")
    page.get_by_role("link", name=re.compile(story.child.split()[-1])).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("safeguarding file")
    axe_check(page, "DSL: file found by search")
    page.goto(f"/children/{story.child_uuid}/")
    page.get_by_role("link", name="Who has opened these records").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Who has opened {story.child}'s records")

    rows = page.locator("tbody tr")
    expect(rows.filter(has_text="Amy Clarke").filter(has_text="Created a concern")).not_to_have_count(0)
    for seen in (
        "Viewed a concern",
        "Viewed the child's file",
        "Recorded a decision",
        "Recorded a referral",
        "Downloaded",
    ):
        expect(rows.filter(has_text="Helen Marsh").filter(has_text=seen)).not_to_have_count(0)
    exports = page.locator("section, main").get_by_role("listitem").filter(has_text=story.purpose)
    expect(exports).to_contain_text("Sarah Booth")
    axe_check(page, "DSL: who has opened the records")
    screens.take(page, "dsl-who-viewed")

    # An action for the teaching assistant who knows her best, from her file.
    page.goto(f"/children/{story.child_uuid}/")
    page.locator("summary", has_text="Give someone an action").click()
    give = page.locator("form", has=page.get_by_role("button", name="Give the action"))
    give.get_by_label("What is to be done").fill("Check in with her at break on Monday and note who she is with")
    give.get_by_label("Who does it").select_option(label="Daniel Okafor")
    give.get_by_label("Due on").fill((datetime.now() + timedelta(days=3)).strftime("%Y-%m-%d"))
    axe_check(page, "DSL: giving an action")
    give.get_by_role("button", name="Give the action").click()
    expect(page.locator(".messages")).to_contain_text("Action given to Daniel Okafor")
    given = page.locator("section", has=page.get_by_role("heading", name="Actions"))
    expect(given).to_contain_text("Check in with her")
    story.action_given = True
    dsl.assert_no_problems()


TRUST_LEAD = "trustlead@northfield.example"
TEACHER2 = "teacher2@northfield.example"


def test_the_teaching_assistant_does_the_action_on_a_phone(site, open_browser, screens, story, authenticator):
    carried_on_from(story, "action_given")
    assistant = open_browser(TEACHER2, phone=True)
    page = assistant.page
    sign_in(assistant, code=authenticator.fresh_code(TEACHER2))
    actions = page.locator("section", has=page.get_by_role("heading", name=re.compile("Actions for you")))
    expect(actions).to_contain_text("Check in with her at break")
    axe_check(page, "teaching assistant: home with an action")
    screens.take(page, "assistant-home-action")
    actions.get_by_role("link", name=re.compile("Check in with her")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Action")
    page.get_by_label("What was done").fill("Saw her at break with two friends from her form; she seemed fine.")
    axe_check(page, "teaching assistant: the action")
    page.get_by_role("button", name="Mark done").click()
    expect(page.locator(".messages")).to_contain_text("Marked done")
    expect(page.locator("main")).to_contain_text("Done")
    assert page.request.get(f"/children/{story.child_uuid}/").status == 404
    assistant.assert_no_problems()


def test_the_trust_lead_filters_the_queue_by_school(site, open_browser, screens, authenticator):
    lead = open_browser(TRUST_LEAD)
    page = lead.page
    sign_in(lead, code=authenticator.fresh_code(TRUST_LEAD))
    page.get_by_role("link", name="Queue", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review queue")
    axe_check(page, "trust lead: queue, every school")

    page.get_by_label("School").select_option(label="Riverside Primary")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("#queue-table tbody tr")
    expect(rows.first).to_be_visible()
    expect(rows.filter(has_text="Northfield Academy")).to_have_count(0)
    expect(page.get_by_label("School").locator("option:checked")).to_have_text("Riverside Primary")
    expect(rows.first.get_by_role("button", name=re.compile("Acknowledge"))).to_have_count(0)
    axe_check(page, "trust lead: queue, one school")
    screens.take(page, "trustlead-queue-riverside")
    lead.assert_no_problems()


class Counted:
    """Does what a teacher does and counts it: a click, tap, tick, option chosen or file picked is one tap; a field
    typed into is one typed field."""

    def __init__(self, page):
        self.page = page
        self.taps = 0
        self.typed = 0

    def tap(self, locator) -> None:
        locator.click()
        self.taps += 1

    def choose(self, select, label: str) -> None:
        select.select_option(label=label)
        self.taps += 1

    def pick_file(self, field, path) -> None:
        field.set_input_files(path)
        self.taps += 1

    def type(self, field, text: str) -> None:
        field.fill(text)
        self.typed += 1


def test_a_teacher_logs_a_concern_with_two_signs_and_a_photo_in_a_few_taps_from_her_home_page(
    site, open_browser, screens, tmp_path, authenticator
):
    child = site.python(
        "from referrals.models import Child\n"
        "print(Child.objects.filter(school__name='Northfield Academy', concerns__isnull=True)"
        ".order_by('-legal_last_name').first().display_name)"
    )
    teacher = open_browser(TEACHER, phone=True)
    page = teacher.page
    sign_in(teacher, code=authenticator.fresh_code(TEACHER))
    photo = tmp_path / "bruise-on-arm.jpg"
    Image.new("RGB", (64, 48), (120, 90, 100)).save(photo, format="JPEG")
    counted = Counted(page)
    assert small_targets(page, "body") == [], "targets under 44x44 on the staff home page"

    counted.tap(page.get_by_role("link", name="Log a concern about a child"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Log a concern")
    counted.type(page.get_by_label("Find a child by name"), child)
    counted.tap(page.get_by_role("button", name=f"Add {child}"))
    expect(page.locator(".chosen-children")).to_contain_text(child)
    counted.type(
        page.get_by_label("What did you see or hear?"),
        f"{child} was collected from the gate by a man in a silver car and had a new phone.",
    )
    counted.tap(page.get_by_text("Today", exact=True))
    for group, (sign, _code, _basis, choice) in list(SIGNS.items())[:2]:
        counted.tap(page.locator("summary", has_text=group))
        box = page.get_by_label(sign, exact=True)
        counted.tap(box)
        counted.tap(page.locator("[data-sign]", has=box).locator("label.btn", has_text=choice))
    counted.pick_file(page.get_by_label("Add pictures, PDFs or Word documents"), photo)
    counted.tap(page.get_by_role("button", name="Send to the safeguarding team"))

    expect(page.get_by_role("heading", level=1)).to_have_text("Your concern has been sent")
    expect(page.locator("main li", has_text=child)).to_contain_text("Today")
    assert small_targets(page, "body") == [], "targets under 44x44 on the receipt"
    JOURNEY_COUNTS["A concern with two signs and a photo, from the staff home page to the receipt (390x844)"] = (
        counted.taps,
        counted.typed,
    )
    print(f"\nFrom the staff home page to the receipt: {counted.taps} taps, {counted.typed} typed fields")
    assert counted.taps <= 14, f"{counted.taps} taps"
    assert counted.typed <= 4, f"{counted.typed} typed fields"
    axe_check(page, "teacher: concern sent, counted")
    teacher.assert_no_problems()


def test_a_disclosure_of_sexual_violence_and_a_known_fgm_case_reach_the_dsl_with_what_they_ask(
    site, open_browser, screens, authenticator
):
    """A teacher on a phone records a girl's disclosure of an assault by another pupil, and that FGM appears to have
    been done; her home page keeps her own police duty in front of her until she records the reference. The DSL
    finds the concern immediate, with the referral prompt, the assessment it needs, and whether the duty is done."""
    child = site.python(
        "from referrals.models import Child\n"
        "print(Child.objects.filter(school__name='Northfield Academy', sex='F', concerns__isnull=True)"
        ".order_by('legal_last_name').first().display_name)"
    )
    teacher = open_browser(TEACHER2, phone=True)
    page = teacher.page
    sign_in(teacher, code=authenticator.fresh_code(TEACHER))
    page.get_by_role("link", name="Log a concern about a child").click()
    page.get_by_label("Find a child by name").fill(child)
    page.get_by_role("button", name=f"Add {child}").click()
    page.get_by_label("What did you see or hear?").fill(
        f"{child} told me at break that a boy in Year 10 touched her under her clothes in the changing rooms "
        "yesterday. She also said she was cut when she was taken abroad last summer."
    )
    page.get_by_text("Routine", exact=True).click()
    for group, sign, choice in (
        ("The child told me", "The child disclosed harm or abuse", "I was told"),
        ("Child-on-child abuse", "Sexual violence by another child", "I was told"),
        ("Domestic abuse and so-called honour-based abuse", "Female genital mutilation (FGM)", "I was told"),
    ):
        page.locator("summary", has_text=group).click()
        box = page.get_by_label(sign, exact=True)
        box.check()
        page.locator("[data-sign]", has=box).locator("label.btn", has_text=choice).click()
    expect(
        page.locator("[data-sign]", has=page.get_by_label("Sexual violence by another child", exact=True))
    ).to_contain_text("Sign of harm")
    page.get_by_label("It has been done: she told me, or I saw signs of it").check()
    axe_check(page, "teacher: concern form, FGM known case")
    page.get_by_role("button", name="Send to the safeguarding team").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your concern has been sent")
    expect(page.locator("main li", has_text=child)).to_contain_text("Immediate risk")

    page.goto(site.url + "/")
    duty = page.locator("section", has=page.get_by_role("heading", name="Your own duty: report FGM to the police"))
    expect(duty).to_contain_text(child)
    assert small_targets(page, "body") == [], "targets under 44x44 on the staff home page with the duty"
    axe_check(page, "teacher: home, FGM duty to report")
    screens.take(page, "teacher-fgm-duty")
    duty.get_by_role("link", name=re.compile(child)).click()
    page.get_by_label("Police reference").fill("WY-2026-118")
    axe_check(page, "teacher: her concern, recording the police reference")
    page.get_by_role("button", name="Record the police reference").click()
    expect(page.locator(".messages")).to_contain_text("the police reference is recorded")
    page.goto(site.url + "/")
    expect(page.get_by_role("heading", name="Your own duty: report FGM to the police")).to_have_count(0)
    teacher.assert_no_problems()

    dsl = open_browser(DSL)
    page = dsl.page
    sign_in(dsl, code=authenticator.fresh_code(DSL), paste_code=True)
    page.get_by_role("link", name="Queue", exact=True).click()
    page.locator("#queue-table tbody tr", has_text=child).first.get_by_role("link", name=child, exact=True).click()
    expect(page.locator(".floor")).to_contain_text("Refer to children's social care and the police today")
    expect(page.locator(".risk-assessment")).to_contain_text("Required before closing")
    expect(page.locator("main")).to_contain_text("reported to the police by")
    harm = page.locator("dd", has=page.locator(".signs-harm"))
    expect(harm).to_contain_text("Sexual violence by another child")
    axe_check(page, "DSL: concern with a disclosure of sexual violence")
    screens.take(page, "dsl-sexual-violence-concern")
    page.get_by_role("button", name="Acknowledge", exact=True).click()
    card = page.locator(".risk-assessment")
    card.get_by_label("Risks").fill("The boy named is in her PE group; she is frightened of seeing him.")
    card.get_by_label("Support and arrangements").fill("Separate PE groups from today; daily check-in with her tutor.")
    card.get_by_role("button", name="Record the assessment").click()
    expect(page.locator(".messages")).to_contain_text("Risk and needs assessment recorded.")
    expect(page.locator(".risk-assessment")).to_contain_text("Separate PE groups from today")
    dsl.assert_no_problems()
