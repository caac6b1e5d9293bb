"""The screenshots in the guides (docs/guide-staff.md, docs/guide-dsl.md, docs/guide-admin.md), taken by walking
each person's tasks in Chromium against the demo site, as the journeys do, and saved under docs/img/.

`make screenshots` runs this module; `make test` does not, as pytest only collects it when it is named. Names are
stable (staff-05-find-child.png), so the guides keep pointing at them; the pictures change only with the pages and
with the clock, since the demo's concerns are dated from today. Each picture is reduced to 256 colours, which
keeps docs/img/ small without blurring the text.
"""

import io
import re
import warnings
from datetime import datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.e2e.conftest import ROOT
from tests.e2e.steps import give_code, give_password, referral_fill, saved_draft, sign_in, sign_tick

IMG = ROOT / "docs" / "img"
TEACHER = "teacher@northfield.example"
DSL = "dsl@northfield.example"
ADMIN = "admin@northfield.example"
# A phone for the teacher, a desktop for the DSL and the admin; one device pixel to a CSS pixel keeps files small.
PHONE_SCREEN = {"phone": True, "device_scale_factor": 1}
DESKTOP_SCREEN = {"viewport": {"width": 1280, "height": 800}, "device_scale_factor": 1}
ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Mobile Safari/537.36"
)

FIRST_ACCOUNT = (
    "At 15:20 at the school gate I saw {name} get into a silver car driven by a man who looked about 25. "
    "Her friend KB watched from the bus stop."
)
ACCOUNT = FIRST_ACCOUNT.replace("KB", "Kayla Brooks") + (
    " {name} had a new phone and new trainers this week and would not say where they came from."
)
CHILD_WORDS = "He's my boyfriend, he buys me stuff. Don't tell my mum, she'll go mad."
# The group to open, the sign, the code and basis the form sends, and the choice's label.
SIGNS = (
    ("Signs: possessions and money", "Unexplained gifts, money or new things", "SIG-GIFTS", "seen", "I saw it"),
    (
        "Signs: relationships and associations",
        "A significantly older boyfriend, girlfriend or 'friend', or lots of new friends",
        "SIG-OLDER-PARTNER",
        "told",
        "I was told",
    ),
    (
        "Signs: going missing and places",
        "Picked up or dropped off by unknown adults in cars",
        "SIG-CARS",
        "seen",
        "I saw it",
    ),
)


@pytest.fixture(scope="module")
def site_settings():
    """Exports of more than two rows are built in the background, so the demo shows that page too."""
    return {"EXPORT_BACKGROUND_ROWS": "2"}


@pytest.fixture(scope="module")
def story():
    """What one walk leaves for the next: the child, the concern's reference."""
    return SimpleNamespace()


class Album:
    """Screenshots saved under docs/img/ as 256-colour PNGs."""

    def __init__(self):
        IMG.mkdir(parents=True, exist_ok=True)
        self.taken: list[str] = []

    def page(self, page, name: str, *, full_page: bool = False) -> None:
        """What the screen shows now (or the whole page)."""
        self._save(name, page.screenshot(full_page=full_page, animations="disabled"))

    def at(self, page, name: str, locator, *, gap: int = 8) -> None:
        """The screen scrolled so that `locator` starts just below the top, or below the concern form's save state,
        which stays at the top as the form scrolls."""
        locator.evaluate(
            """(element, gap) => {
                const sticky = document.querySelector('#save-state');
                const under = sticky ? sticky.getBoundingClientRect().height : 0;
                const top = element.getBoundingClientRect().top + window.scrollY - under - gap;
                window.scrollTo({top: top, behavior: 'instant'});  // not Bootstrap's smooth scrolling
            }""",
            gap,
        )
        self.page(page, name)

    def part(self, page, name: str, first, last=None, *, margin: int = 12, most: int = 1400) -> None:
        """The part of the page from the top of `first` to the bottom of `last`, at most `most` pixels high."""
        page.evaluate("window.scrollTo({top: 0, behavior: 'instant'})")
        top, bottom = first.bounding_box(), (last or first).bounding_box()
        left = max(0, min(top["x"], bottom["x"]) - margin)
        right = max(top["x"] + top["width"], bottom["x"] + bottom["width"]) + margin
        high = max(0, top["y"] - margin)
        low = min(bottom["y"] + bottom["height"] + margin, high + most)
        clip = {"x": left, "y": high, "width": right - left, "height": low - high}
        self._save(name, page.screenshot(full_page=True, clip=clip, animations="disabled"))

    def _save(self, name: str, png: bytes) -> None:
        assert name not in self.taken, f"{name} taken twice"
        self.taken.append(name)
        picture = Image.open(io.BytesIO(png)).convert("RGB")
        reduced = picture.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        reduced.save(IMG / f"{name}.png", optimize=True)


@pytest.fixture(scope="module")
def album():
    album = Album()
    yield album
    stale = sorted(path.name for path in IMG.glob("*.png") if path.stem not in album.taken)
    if stale:
        warnings.warn(f"In docs/img/ but not taken by this run: {', '.join(stale)}", stacklevel=1)


def open_menu(page) -> None:
    """The phone's menu, opened and finished moving."""
    page.get_by_role("button", name="Show or hide the menu").click()
    expect(page.locator("#site-nav")).to_have_class(re.compile(r"(^|\s)show(\s|$)"))


# The teacher --------------------------------------------------------------------------------------------------


def test_a_teacher_logs_a_concern_on_her_phone(site, open_browser, album, story, authenticator):
    story.child_uuid, story.child, story.surname = site.python(
        "from referrals.models import Child\n"
        "child = Child.objects.filter(school__name='Northfield Academy', concerns__isnull=True, sex='F')"
        ".order_by('legal_last_name', 'legal_first_name').first()\n"
        "print(child.uuid, child.display_name, child.legal_last_name, sep='|')"
    ).split("|")
    teacher = open_browser(TEACHER, **PHONE_SCREEN)
    page = teacher.page
    sign_in(
        teacher,
        code=authenticator.fresh_code(TEACHER),
        before_sending=lambda step: album.page(page, "staff-01-sign-in") if step == "password" else None,
    )
    album.page(page, "staff-02-home")
    open_menu(page)
    album.page(page, "staff-03-menu")

    page.get_by_role("link", name="Log a concern", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log a concern")
    album.page(page, "staff-04-concern-form")

    search = page.get_by_label("Find a child by name")
    search.fill(story.surname)
    expect(page.get_by_role("button", name=f"Add {story.child}")).to_be_visible()
    album.at(page, "staff-05-find-child", page.locator("fieldset", has_text="Who is it about?"))
    page.get_by_role("button", name=f"Add {story.child}").click()
    expect(page.locator(".chosen-children")).to_contain_text(story.child)

    seen = datetime.now(ZoneInfo("Europe/London")) - timedelta(minutes=20)
    page.get_by_label("When did you see or hear it?").fill(seen.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Where?").fill("The school gate on Mill Lane")
    account = page.get_by_label("What did you see or hear?")
    saved_draft(page, account, lambda: account.fill(FIRST_ACCOUNT.format(name=story.child)), holding="KB watched")
    words = page.get_by_label("The child's own words (optional)")
    saved_draft(page, words, lambda: words.fill(CHILD_WORDS), holding="boyfriend")
    expect(page.locator(".writing-hints")).to_contain_text("full names rather than initials")
    album.at(page, "staff-06-what-happened", page.locator("#div_id_observed_at"))
    saved_draft(page, account, lambda: account.fill(ACCOUNT.format(name=story.child)), holding="Kayla")
    expect(page.locator(".writing-hints")).to_have_count(0)

    # Her session ends while she writes (a time-out, or her phone was off for a while).
    site.python(
        "from safeguarding.accounts.models import User\n"
        "from safeguarding.accounts.services import sessions_end_for_user\n"
        f"print(sessions_end_for_user(user=User.objects.get(email='{TEACHER}')))"
    )
    page.get_by_label("Who else was there?").fill("Mr Hill, the site manager")
    page.keyboard.press("Tab")
    expect(page.locator(".messages")).to_contain_text("You were signed out")
    album.page(page, "staff-07-signed-out")
    give_password(teacher)
    give_code(teacher, authenticator.fresh_code(TEACHER))
    expect(page.get_by_label("What did you see or hear?")).to_have_value(ACCOUNT.format(name=story.child))
    album.page(page, "staff-08-draft-back")

    page.get_by_label("Who else was there?").fill("Mr Hill, the site manager")
    page.get_by_label("What have you already done?").fill("Told Helen Marsh (DSL) at 15:30, at the gate.")
    page.get_by_label("I have told the DSL or a deputy in person").check()
    page.get_by_label("Immediate risk").check()
    album.at(page, "staff-09-urgency", page.locator("#div_id_people_present"))

    for group, sign, code, basis, choice in SIGNS:
        sign_tick(page, group=group, sign=sign, code=code, basis=basis, choice=choice)
    album.at(page, "staff-10-signs", page.locator("details", has_text="Signs: possessions and money"))

    page.locator("#body-map svg[data-side='front'] [data-region='right_forearm']").click()
    mark = page.locator("#marks [data-mark]").first
    mark.get_by_label("What kind of mark is mark 1?").select_option(label="Bruise")
    mark.get_by_label("Size").fill("2 cm")
    mark.get_by_label("Colour").fill("Blue and purple")
    album.at(page, "staff-10b-body-map", page.locator("#body-map"))

    photo = Image.new("RGB", (640, 480), (150, 160, 170))
    picture = io.BytesIO()
    photo.save(picture, format="JPEG")
    page.get_by_label("Add pictures, PDFs or Word documents, up to 10 MB each").set_input_files(
        {"name": "silver-car.jpg", "mimeType": "image/jpeg", "buffer": picture.getvalue()}
    )
    album.at(page, "staff-11-files", page.locator("fieldset", has_text="Photos or documents"))

    page.get_by_role("button", name="Send to the safeguarding team").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your concern has been sent")
    story.reference = page.locator("main li", has_text=story.child).locator("code").inner_text()
    album.page(page, "staff-12-sent")

    page.get_by_role("link", name="See my concerns").click()
    expect(page.locator("tbody tr", has_text=story.reference)).to_contain_text("Received")
    album.page(page, "staff-13-my-concerns")

    page.get_by_role("link", name=story.child).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(story.reference)
    page.get_by_label("Why are you adding to it?").fill("I remembered something else")
    page.get_by_label("What you want to add or correct").fill("The car's number plate began with KX.")
    album.at(page, "staff-14-add-to-concern", page.get_by_role("heading", name="Add to this concern"))
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Your addendum has been added")
    teacher.assert_no_problems()


# The DSL ------------------------------------------------------------------------------------------------------


def test_the_dsl_triages_decides_and_refers(site, open_browser, album, story, authenticator):
    assert hasattr(story, "reference"), "the teacher's walk did not get as far as sending her concern"
    dsl = open_browser(DSL, **DESKTOP_SCREEN)
    page = dsl.page

    def photograph(step: str) -> None:
        if step == "code":
            album.page(page, "dsl-01-code")

    sign_in(dsl, code=authenticator.fresh_code(DSL), before_sending=photograph)
    album.page(page, "dsl-02-home")

    page.get_by_role("link", name="Queue", exact=True).click()
    expect(page.locator("#queue-table tbody tr", has_text=story.child).first).to_be_visible()
    album.page(page, "dsl-03-queue")
    page.get_by_label("Status").select_option(label="Submitted")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#queue-table tbody tr").last).to_contain_text("Submitted")
    album.page(page, "dsl-04-queue-filtered")

    page.locator("#queue-table tbody tr").get_by_role("link", name=story.child, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(story.reference)
    album.page(page, "dsl-05-concern", full_page=True)
    page.get_by_role("button", name="Acknowledge", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Acknowledged.")

    page.locator("summary", has_text="Other actions").click()
    ask = page.locator("section", has=page.get_by_role("heading", name="Ask the author"))
    ask.get_by_label("Question for the author").fill("Did you see which way the car went, and was anyone else in it?")
    album.part(page, "dsl-06-ask", ask)
    ask.get_by_role("button", name="Send the question").click()
    expect(page.locator(".messages")).to_be_visible()

    decision = page.locator("section", has=page.get_by_role("heading", name="Next step: record a decision"))
    decision.get_by_label("Refer to children's social care").check()
    decision.get_by_label("Reasons for the decision").fill(
        "Three signs of sexual exploitation this week, reported by two members of staff, and what she said about "
        "an older boyfriend. The threshold for a strategy discussion is met."
    )
    decision.get_by_label("Threshold applied").select_option(label="Child protection (section 47)")
    decision.get_by_label("Next review").fill((datetime.now().date() + timedelta(weeks=4)).isoformat())
    album.part(page, "dsl-07-decision", decision)
    decision.get_by_role("button", name="Record the decision").click()
    expect(page.locator(".messages")).to_contain_text("Decision recorded.")

    referral = page.locator("section", has=page.get_by_role("heading", name="Next step: make the referral"))
    referral_fill(referral)
    album.part(page, "dsl-08-referral-form", referral)
    referral.get_by_role("button", name="Record the referral").click()
    expect(page.locator(".messages")).to_contain_text("Referral recorded.")
    album.page(page, "dsl-09-referral")

    page.get_by_label("Who (name and team)").fill("Sam Patel, Northshire front door duty team")
    page.get_by_label("Their reference").fill("NS-40417")
    page.get_by_role("button", name="Record", exact=True).click()
    expect(page.locator("dd", has_text="Sam Patel")).to_be_visible()
    page.get_by_label("Their decision").select_option(value="section_47")
    page.get_by_label("Follow up on").fill((datetime.now() + timedelta(days=7)).strftime("%Y-%m-%d"))
    page.get_by_role("button", name="Save").click()
    expect(page.locator("dd", has_text="Section 47 enquiries")).to_be_visible()
    album.page(page, "dsl-10-referral-reply")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the referral as a PDF").click()
    assert download.value.suggested_filename.endswith(".pdf")
    dsl.assert_no_problems()


def test_the_dsl_reads_a_childs_file_and_who_opened_it(site, open_browser, album, authenticator):
    # The demo's girl in Year 9 whose signs of exploitation built up over two months, from three members of staff.
    child_uuid = site.python(
        "from referrals.models import PatternAlert\n"
        "print(PatternAlert.objects.filter(child__school__name='Northfield Academy', rule='exploitation')"
        ".order_by('created_at').first().child.uuid)"
    )
    dsl = open_browser(DSL, **DESKTOP_SCREEN)
    page = dsl.page
    sign_in(dsl, code=authenticator.fresh_code(DSL))
    page.goto(f"/children/{child_uuid}/")
    expect(page.locator("#indicator-chart")).to_be_visible()
    page.wait_for_timeout(1500)  # the chart draws itself in a second
    album.page(page, "dsl-11-child-file")
    alerts = page.locator("section", has=page.get_by_role("heading", name="Pattern alerts"))
    album.part(page, "dsl-12-pattern-alert", alerts)
    album.part(
        page, "dsl-13-chronology", page.locator("section", has=page.get_by_role("heading", name="Chronology")), most=900
    )
    alerts.get_by_label("What you are doing about it").first.fill("Strategy discussion asked for; see the referral")
    alerts.get_by_role("button", name="Acknowledge").first.click()
    expect(page.locator(".messages")).to_be_visible()

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the file as a PDF").click()
    assert download.value.suggested_filename.endswith(".pdf")
    page.get_by_role("link", name="Who has opened these records").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Who has opened")
    album.page(page, "dsl-14-who-opened")

    page.get_by_role("link", name="Audit trail").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit trail")
    album.page(page, "dsl-15-audit-trail")
    dsl.assert_no_problems()


# The teacher again ----------------------------------------------------------------------------------------------


def test_the_teacher_answers_the_dsls_question_and_reads_the_signs(open_browser, album, story, authenticator):
    assert hasattr(story, "reference"), "the teacher's walk did not get as far as sending her concern"
    teacher = open_browser(TEACHER, **PHONE_SCREEN)
    page = teacher.page
    sign_in(teacher, code=authenticator.fresh_code(TEACHER))
    open_menu(page)
    page.get_by_role("link", name="My concerns").click()
    row = page.locator("tbody tr", has_text=story.reference)
    expect(row).to_contain_text("Question for you")
    # On a phone each concern is a card of its own, its status in view.
    expect(row.get_by_text("Question for you")).to_be_visible()
    album.page(page, "staff-15-question")

    row.get_by_role("link", name=story.child).click()
    question = page.locator(".alert", has_text="Question from the safeguarding team")
    page.get_by_label("Why are you adding to it?").fill("Answer to the DSL's question")
    page.get_by_label("What you want to add or correct").fill(
        "It turned left towards the ring road. There was another man in the back seat."
    )
    album.at(page, "staff-16-answer", question)
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Your addendum has been added")

    open_menu(page)
    page.get_by_role("link", name="Know the signs").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Know the signs")
    album.page(page, "staff-17-signs-guide")
    teacher.assert_no_problems()


# The school admin -----------------------------------------------------------------------------------------------


def test_the_admin_manages_staff_pupils_and_exports(site, open_browser, album, authenticator):
    # Signed in on her phone earlier in the day, so her sessions page has two browsers on it.
    phone = open_browser(ADMIN, **PHONE_SCREEN, user_agent=ANDROID)
    sign_in(phone, code=authenticator.fresh_code(ADMIN))
    admin = open_browser(ADMIN, **DESKTOP_SCREEN)
    page = admin.page
    sign_in(admin, code=authenticator.fresh_code(ADMIN))
    album.page(page, "admin-01-home")

    page.get_by_role("link", name="Staff", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Staff")
    album.page(page, "admin-02-staff")
    page.get_by_role("link", name="Add a member of staff").click()
    page.get_by_label("Full name").fill("Grace Whitfield")
    page.get_by_label("Email address").fill("grace.whitfield@northfield.example")
    page.get_by_label("Job title").fill("Science technician")
    album.page(page, "admin-03-invite")
    page.get_by_role("button", name="Add and send the invitation").click()
    expect(page.locator(".messages")).to_contain_text("has been added and sent an invitation")
    page.get_by_role("link", name="Daniel Okafor").click()
    album.page(page, "admin-04-member")

    page.get_by_role("link", name="Pupils").click()
    page.get_by_label("Year group").select_option(label="Year 9")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("caption")).to_contain_text("matching your search")
    album.page(page, "admin-05-pupils")
    page.locator("tbody tr").first.get_by_role("link").click()
    expect(page.get_by_role("button", name="Save changes")).to_be_visible()
    album.page(page, "admin-06-pupil")

    page.get_by_role("link", name="Exports").click()
    page.get_by_label("What is the export for?").fill("Termly return to the governors' safeguarding committee")
    page.get_by_label("Agency").select_option(label="Children's social care (front door / MASH)")
    page.get_by_label("CSV").check()
    page.get_by_label("Code from your authenticator app").fill(authenticator.fresh_code(ADMIN))
    album.page(page, "admin-07-export", full_page=True)
    with page.expect_download() as download:
        page.get_by_role("button", name="Export").click()
    assert download.value.suggested_filename.endswith(".csv")

    page.goto("/exports/")
    page.get_by_label("What is the export for?").fill("Every referral this year, for the trust's annual report")
    page.get_by_label("Excel").check()
    page.get_by_label("Code from your authenticator app").fill(authenticator.fresh_code(ADMIN))
    page.get_by_role("button", name="Export").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your export")
    album.page(page, "admin-08-export-building")
    site.manage("db_worker", "--queue-name", "*", "--batch", "--no-startup-delay")
    expect(page.get_by_role("link", name="Download")).to_be_visible(timeout=30_000)
    album.page(page, "admin-09-export-ready")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download").click()
    assert download.value.suggested_filename.endswith(".xlsx")

    page.goto("/")
    page.get_by_role("link", name="Where you are signed in").click()
    expect(page.get_by_text("Chrome on Android")).to_be_visible()
    album.page(page, "admin-10-sessions")
    admin.assert_no_problems()


# The DSL hands over ---------------------------------------------------------------------------------------------


def test_the_dsl_hands_her_role_over(open_browser, album, authenticator):
    dsl = open_browser(DSL, **DESKTOP_SCREEN)
    page = dsl.page
    sign_in(dsl, code=authenticator.fresh_code(DSL))
    page.get_by_role("link", name="Staff and roles").click()
    page.get_by_role("link", name="Tom Reid").click()
    hand_over = page.locator("section", has=page.get_by_role("heading", name="Hand the DSL role over"))
    expect(hand_over).to_be_visible()
    album.page(page, "dsl-16-hand-over")
    hand_over.get_by_role("button", name="Make Tom Reid the DSL").click()
    # She is a deputy now, and the page she is sent back to (Tom Reid's on the staff list) is not a deputy's:
    # it answers 403 under the message, so the browser's report of that refusal is expected here.
    expect(page.locator(".messages")).to_contain_text("Tom Reid is now the school's DSL")
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Deputy DSL")


# A first sign-in with a passkey ---------------------------------------------------------------------------------


def test_a_teacher_sets_up_a_passkey_at_her_first_sign_in(site, open_browser, album):
    """Served as localhost, which passkeys need, with Chromium's virtual authenticator as her phone's fingerprint."""
    from tests.e2e.test_passkeys import on_localhost, virtual_authenticator

    site.python(
        "from django_otp.plugins.otp_totp.models import TOTPDevice\n"
        "print(TOTPDevice.objects.filter(user__email='teacher3@northfield.example').delete()[0])"
    )
    teacher = open_browser("teacher3@northfield.example", base_url=on_localhost(site), **PHONE_SCREEN)
    page = teacher.page
    virtual_authenticator(page)
    page.goto("/accounts/login/")
    give_password(teacher)
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up a second factor")
    album.page(page, "staff-00-set-up-a-passkey")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    page.get_by_role("link", name="I have kept them: carry on").click()
    open_menu(page)
    page.get_by_role("link", name=re.compile("your account")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    album.page(page, "staff-00-your-account")
    teacher.assert_no_problems()
