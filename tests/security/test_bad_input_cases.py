"""The named kinds of bad input, one by one, where a form or a page shows what it does with them: NUL bytes,
100,000 characters, malformed UUIDs and dates, odd numbers, markup, file names with path tricks and disguised
files. The property tests in the other test_bad_input files throw generated input at the same forms."""

import io

import pytest
from django.test import Client

from referrals.models import (
    Addendum,
    Attachment,
    CaseNote,
    Child,
    Concern,
    ConcernStatus,
    Decision,
    ExportRecord,
    PatternAlert,
    Referral,
)
from referrals.services.reviews import concern_acknowledge
from referrals.upn import make_upn
from safeguarding.accounts.models import Membership, User
from safeguarding.core.files import file_names
from tests.concerns import concern_by, jpeg_bytes, referral_for
from tests.factories import ChildFactory, PatternAlertFactory
from tests.personas import current_code, sign_in_with_code, signed_in_client

NUL_REFUSED = "Null characters are not allowed"
HUGE = "x" * 100_000
SCRIPT = "<script>alert('owned')</script>"
ESCAPED = "&lt;script&gt;alert(&#x27;owned&#x27;)&lt;/script&gt;"


@pytest.fixture
def jade(world):
    return ChildFactory(
        school=world.northfield,
        legal_first_name="Jade",
        legal_last_name="Turner",
        upn=make_upn(la_code=123, establishment=4567, year=12, serial=1),
    )


@pytest.fixture
def writing(world, jade):
    """The teacher has opened the concern form and chosen Jade."""
    client = signed_in_client(world.teacher)
    page = client.get("/concerns/new/").content.decode()
    key = page.split('name="submission_key" value="')[1].split('"')[0]
    client.post("/concerns/new/", {"school": str(world.northfield.uuid), "submission_key": key, "add_child": jade.uuid})
    return client, key


def concern_form(world, key, **overrides):
    from django.utils import timezone

    return {
        "school": str(world.northfield.uuid),
        "submission_key": key,
        "observed_at": (timezone.localtime() - timezone.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "account": "Saw Jade get into a silver car.",
        "urgency": "today",
        "ind_SIG-CARS": "seen",
        **overrides,
    }


def upload(name: str, content: bytes) -> io.BytesIO:
    file = io.BytesIO(content)
    file.name = name
    return file


# --- NUL bytes ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "field",
    [
        "unlisted_child_name",
        "unlisted_child_details",
        "child_words",
        "people_present",
        "action_taken",
        "fgm_police_reference",
        "observed_at",
    ],
)
def test_a_nul_byte_in_any_field_of_the_concern_form_is_refused_and_nothing_is_stored(world, writing, field):
    client, key = writing

    response = client.post("/concerns/new/", concern_form(world, key, **{field: "before\x00after"}))

    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()
    assert not Concern.objects.exists()


@pytest.mark.parametrize(
    ("person", "url", "body"),
    [
        ("office", "/schools/{school}/staff/invite/", {"full_name": "Sam\x00 Lee", "email": "sam@safeguard.example"}),
        ("office", "/schools/{school}/pupils/new/", {"legal_first_name": "K\x00ai", "legal_last_name": "Turner"}),
        ("teacher", "/concerns/{concern}/", {"reason": "Forgot\x00", "text": "More"}),
        (None, "/accounts/login/", {"email": "teacher@safeguard.example\x00", "password": "x\x00"}),
        (None, "/accounts/password-reset/", {"email": "teacher\x00@safeguard.example"}),
    ],
)
def test_a_nul_byte_in_a_form_gets_the_forms_message(world, jade, person, url, body):
    concern = concern_by(world.teacher, jade, with_file=False)
    client = signed_in_client(world.people[person]) if person else Client()
    users, children, addenda = User.objects.count(), Child.objects.count(), Addendum.objects.count()

    response = client.post(url.format(school=world.northfield.uuid, concern=concern.uuid), body)

    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert (User.objects.count(), Child.objects.count(), Addendum.objects.count()) == (users, children, addenda)


@pytest.mark.parametrize(
    ("action", "fields"),
    [
        ("decide", {"outcomes": "monitor", "threshold": "universal", "rationale": "Seen\x00 twice"}),
        ("ask", {"question": "Which\x00 car?"}),
        ("move", {"reason": "Wrong\x00 child", "to_upn": "x\x00"}),
    ],
)
def test_a_nul_byte_in_a_review_form_is_refused_with_the_page_again(world, jade, action, fields):
    concern = concern_by(world.teacher, jade, with_file=False)
    concern_acknowledge(actor=world.dsl, context=None, concern=concern)

    response = signed_in_client(world.dsl).post(f"/queue/{concern.uuid}/", {"action": action, **fields})

    assert response.status_code == 400
    assert not Decision.objects.exists() and not concern.information_requests.exists()
    assert Concern.objects.get(pk=concern.pk).child == jade


def test_nul_bytes_in_notes_and_referral_details_are_dropped_before_they_are_stored(world, jade):
    alert = PatternAlertFactory(child=jade)
    referral = referral_for(world, jade)
    client = signed_in_client(world.dsl)

    client.post(f"/children/{jade.uuid}/notes/", {"text": "Called\x00 the front door", "kind": "call"})
    client.post(f"/children/{jade.uuid}/alerts/{alert.uuid}/acknowledge/", {"note": "Spoke\x00 to her"})
    client.post(
        f"/referrals/{referral.uuid}/", {"action": "acknowledged", "by_name": "Sam\x00 Lee", "reference": "R\x00"}
    )
    client.post(f"/referrals/{referral.uuid}/", {"action": "escalate", "reason": "We\x00 disagree"})

    assert CaseNote.objects.get().text == "Called the front door"
    assert PatternAlert.objects.get().acknowledgement_note == "Spoke to her"
    referral.refresh_from_db()
    assert (referral.acknowledged_by_name, referral.agency_reference) == ("Sam Lee", "R")
    assert referral.escalations.get().reason == "We disagree"


def test_nul_bytes_in_filters_are_not_server_errors(world, jade):
    client = signed_in_client(world.dsl)

    assert client.get("/queue/", {"category": "CSE\x00", "status": "\x00", "page": "1\x00"}).status_code == 200
    page = client.get(f"/children/{jade.uuid}/", {"category": "\x00", "from": "2025\x00", "type": "note\x00"})
    assert page.status_code == 200
    assert client.post("/audit/", {"child_upn": "A\x00", "person": "\x00", "date_from": "\x00"}).status_code == 200
    assert client.get("/accounts/login/", {"next": "/queue/\x00"}).status_code == 302


def test_a_nul_byte_in_the_browsers_description_is_not_a_server_error(world):
    client = signed_in_client(world.dsl)

    assert client.get("/queue/", headers={"User-Agent": "Mozilla/5.0\x00"}).status_code == 200
    signing_in = Client().post(
        "/accounts/login/", {"email": "x@y.example", "password": "z"}, headers={"User-Agent": "\x00", "Accept": "\x00"}
    )
    assert signing_in.status_code == 200
    assert "The email address or password is not right." in signing_in.content.decode()


def test_bytes_that_are_not_utf8_are_read_as_replacement_characters(world, writing):
    client, key = writing
    body = f"school={world.northfield.uuid}&submission_key={key}&account=%FF%FEsaw%C3%28it".encode()

    saved = client.post("/concerns/draft/", body, content_type="application/x-www-form-urlencoded")
    queue = signed_in_client(world.dsl).get("/queue/?category=%FF%00&status=%C0%AF")

    assert saved.status_code == 200 and queue.status_code == 200
    draft = client.get("/concerns/new/").content.decode()
    assert "\ufffd\ufffdsaw\ufffd(it" in draft


# --- 100,000 characters --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["child_words", "action_taken", "unlisted_child_details", "people_present"])
def test_a_100000_character_field_of_the_concern_form_is_refused_with_its_limit(world, writing, field):
    client, key = writing

    response = client.post("/concerns/new/", concern_form(world, key, **{field: HUGE}))

    assert response.status_code == 400
    assert "Ensure this value has at most" in response.content.decode()
    assert not Concern.objects.exists()


def test_a_100000_character_addendum_or_decision_is_refused_with_its_limit(world, jade):
    concern = concern_by(world.teacher, jade, with_file=False)
    response = signed_in_client(world.teacher).post(f"/concerns/{concern.uuid}/", {"reason": "More", "text": HUGE})
    assert "Ensure this value has at most 20000 characters" in response.content.decode()
    concern_acknowledge(actor=world.dsl, context=None, concern=concern)

    response = signed_in_client(world.dsl).post(
        f"/queue/{concern.uuid}/",
        {"action": "decide", "outcomes": "monitor", "threshold": "universal", "rationale": HUGE},
    )

    assert response.status_code == 400
    assert "Ensure this value has at most 20000 characters" in response.content.decode()
    assert not Addendum.objects.exists() and not Decision.objects.exists()


def test_100000_character_notes_and_referral_details_are_refused_with_a_message(world, jade):
    alert = PatternAlertFactory(child=jade)
    referral = referral_for(world, jade)
    client = signed_in_client(world.dsl)

    note = client.post(f"/children/{jade.uuid}/notes/", {"text": HUGE, "kind": "note"}, follow=True)
    ack = client.post(f"/children/{jade.uuid}/alerts/{alert.uuid}/acknowledge/", {"note": HUGE}, follow=True)
    escalation = client.post(f"/referrals/{referral.uuid}/", {"action": "escalate", "reason": HUGE}, follow=True)
    another = client.post(
        f"/queue/{referral.decision.concern.uuid}/referral/",
        {"agency": "social_care", "purpose": "Risk", "parents_informed": "no", "parents_not_informed_reason": HUGE},
        follow=True,
    )

    assert "The note is too long: it can be at most 20,000 characters." in note.content.decode()
    assert "The note is too long: it can be at most 2,000 characters." in ack.content.decode()
    assert "The reason is too long: it can be at most 5,000 characters." in escalation.content.decode()
    assert "The reason parents were not told is too long" in another.content.decode()
    assert not CaseNote.objects.exists() and not PatternAlert.objects.get().acknowledged_at
    assert Referral.objects.count() == 1 and not Referral.objects.get().escalations.exists()


# --- Malformed UUIDs -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/children/not-a-uuid/",
        "/children/12345678-1234-1234-1234-1234567890123/",
        "/queue/zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz/",
        "/referrals/%00/",
        "/schools/../../etc/passwd/staff/",
    ],
)
def test_a_malformed_uuid_in_an_address_is_not_found(world, path):
    assert signed_in_client(world.dsl).get(path).status_code == 404


def test_malformed_uuids_in_form_fields_are_refused_or_ignored(world, writing, jade):
    client, key = writing
    assert client.post("/concerns/new/", concern_form(world, key, school="not-a-uuid")).status_code == 404
    client.post("/concerns/new/", {"school": str(world.northfield.uuid), "submission_key": key, "add_child": "\x00"})
    assert not Concern.objects.exists()
    concern = concern_by(world.teacher, jade, with_file=False)
    concern_acknowledge(actor=world.dsl, context=None, concern=concern)
    dsl = signed_in_client(world.dsl)

    assign = dsl.post(f"/queue/{concern.uuid}/", {"action": "assign", "to": "not-a-uuid"})
    exports = dsl.post(
        "/exports/", {"purpose": "Board report", "school": "not-a-uuid", "code": current_code(world.dsl)}
    )
    audit = dsl.post("/audit/", {"person": "12345678-1234-1234-1234-123456789012"})

    assert assign.status_code == 400 and "Choose the DSL or a deputy" in assign.content.decode()
    assert exports.status_code == 400 and "Choose one of your schools." in exports.content.decode()
    assert audit.status_code == 200
    assert Concern.objects.get(pk=concern.pk).assigned_to == world.dsl and not ExportRecord.objects.exists()


# --- Invalid dates -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["2026-02-30T10:00", "0000-00-00T00:00", "99999-01-01T10:00", "yesterday"])
def test_an_impossible_date_on_the_concern_form_is_refused(world, writing, value):
    client, key = writing

    response = client.post("/concerns/new/", concern_form(world, key, observed_at=value))

    assert response.status_code == 400 and "Enter a valid date/time." in response.content.decode()
    assert not Concern.objects.exists()


@pytest.mark.parametrize(
    ("value", "message"),
    [("2012-02-30", "Enter a valid date."), ("9999-12-31", "in the future"), ("12/03/2012\x00", "Enter a valid date.")],
)
def test_an_impossible_date_of_birth_is_refused(world, value, message):
    response = signed_in_client(world.office).post(
        f"/schools/{world.northfield.uuid}/pupils/new/",
        {"legal_first_name": "Kai", "legal_last_name": "Turner", "date_of_birth": value, "sex": "U"},
    )

    assert message in response.content.decode()
    assert not Child.objects.exists()


def test_an_impossible_follow_up_date_is_refused_with_a_message(world, jade):
    referral = referral_for(world, jade)

    response = signed_in_client(world.dsl).post(
        f"/referrals/{referral.uuid}/",
        {"action": "outcome", "agency_decision": AGENCY_DECISION, "follow_up_on": "2027-02-30"},
        follow=True,
    )

    assert "Give the follow-up date as a date, or leave it empty." in response.content.decode()
    assert Referral.objects.get().agency_decision == ""


AGENCY_DECISION = "nfa_signpost"


@pytest.mark.parametrize(("date_from", "date_to"), [("0001-01-01", "9999-12-31"), ("9999-12-31", "0001-01-01")])
def test_the_audit_trail_takes_the_first_and_last_days_there_are(world, date_from, date_to):
    response = signed_in_client(world.dsl).post("/audit/", {"date_from": date_from, "date_to": date_to})

    assert response.status_code == 200


def test_an_export_with_a_filter_it_cannot_read_is_refused_rather_than_widened(world, jade):
    referral_for(world, jade)

    response = signed_in_client(world.dsl).post(
        "/exports/", {"purpose": "Board report", "date_from": "2026-02-30", "code": current_code(world.dsl)}
    )

    assert response.status_code == 400
    assert "not understood" in response.content.decode()
    assert not ExportRecord.objects.exists()


# --- Negative and huge numbers -------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["-1", "0", "99999999999999999999999999", "1e9", "9" * 5000, "NaN", "٣"])
def test_any_page_number_shows_a_page(world, jade, page):
    dsl, office, teacher = (signed_in_client(world.people[name]) for name in ("dsl", "office", "teacher"))

    assert dsl.get("/queue/", {"page": page}).status_code == 200
    assert dsl.get(f"/children/{jade.uuid}/", {"page": page}).status_code == 200
    assert dsl.get(f"/children/{jade.uuid}/access/", {"page": page}).status_code == 200
    assert dsl.post("/audit/", {"page": page}).status_code == 200
    assert office.post(f"/schools/{world.northfield.uuid}/pupils/", {"page": page}).status_code == 200
    assert office.get(f"/schools/{world.northfield.uuid}/staff/", {"page": page}).status_code == 200
    assert teacher.get("/concerns/mine/", {"page": page}).status_code == 200


@pytest.mark.parametrize("version", ["-1", "99999999999999999999999999", "9" * 5000, "1.5"])
def test_an_odd_version_number_is_told_apart_from_the_current_one(world, jade, version):
    concern = concern_by(world.teacher, jade, with_file=False)
    client = signed_in_client(world.dsl)

    client.post(f"/queue/{concern.uuid}/acknowledge/", {"version": version})
    response = client.post(f"/queue/{concern.uuid}/", {"action": "acknowledge", "version": version})

    assert response.status_code in (302, 409)
    assert Concern.objects.get(pk=concern.pk).status in (ConcernStatus.SUBMITTED, ConcernStatus.IN_REVIEW)


# --- Markup is shown as text ---------------------------------------------------------------------------------------


def assert_shown_as_text(response):
    page = response.content.decode()
    assert SCRIPT not in page
    assert ESCAPED in page


def test_markup_in_a_concern_is_shown_as_text_to_the_author_and_the_team(world, writing):
    client, key = writing
    client.post(
        "/concerns/new/",
        concern_form(world, key, account=SCRIPT, child_words=SCRIPT, unlisted_child_name=SCRIPT),
    )
    concern = Concern.objects.filter(child__isnull=False).get()

    assert_shown_as_text(client.get(f"/concerns/{concern.uuid}/"))
    assert_shown_as_text(signed_in_client(world.dsl).get(f"/queue/{concern.uuid}/"))
    assert_shown_as_text(signed_in_client(world.dsl).get("/queue/"))


def test_markup_in_notes_names_and_referrals_is_shown_as_text(world, jade):
    referral = referral_for(world, jade)
    dsl = signed_in_client(world.dsl)
    dsl.post(f"/children/{jade.uuid}/notes/", {"text": SCRIPT, "kind": "note"})
    dsl.post(f"/referrals/{referral.uuid}/", {"action": "acknowledged", "by_name": SCRIPT})
    office = signed_in_client(world.office)
    office.post(
        f"/schools/{world.northfield.uuid}/pupils/{jade.uuid}/",
        {"legal_first_name": "Jade", "legal_last_name": "Turner", "date_of_birth": "2012-03-14", "sex": "U"}
        | {"preferred_name": SCRIPT, "send": "none", "roll_status": "on_roll", "upn": jade.upn},
    )
    office.post(
        f"/schools/{world.northfield.uuid}/staff/invite/", {"full_name": SCRIPT, "email": "sam@safeguard.example"}
    )

    assert_shown_as_text(dsl.get(f"/children/{jade.uuid}/"))
    assert_shown_as_text(dsl.get(f"/referrals/{referral.uuid}/"))
    assert_shown_as_text(office.post(f"/schools/{world.northfield.uuid}/pupils/", {"text": "Turner"}))
    assert_shown_as_text(office.get(f"/schools/{world.northfield.uuid}/staff/"))


@pytest.mark.parametrize("next_address", ["queue", "a b", "\x00", "//evil.example/", "https://evil.example/"])
def test_a_next_address_that_is_not_a_path_on_this_site_goes_home(world, next_address):
    teacher = signed_in_client(world.teacher)

    response = teacher.get("/accounts/login/", {"next": next_address})
    signing_in = sign_in_with_code(Client(), world.teacher, next=next_address)

    assert (response.status_code, response["Location"]) == (302, "/")
    assert (signing_in.status_code, signing_in["Location"]) == (302, "/")


def test_markup_in_a_search_or_the_next_address_is_shown_as_text(world):
    office = signed_in_client(world.office)

    assert_shown_as_text(office.post(f"/schools/{world.northfield.uuid}/pupils/", {"text": SCRIPT}))
    assert_shown_as_text(signed_in_client(world.teacher).get("/guide/signs/", {"q": SCRIPT}))
    page = Client().get("/accounts/login/", {"next": '/"><script>alert(1)</script>'}).content.decode()
    assert "<script>alert(1)" not in page


# --- File names and uploads ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "stored_as"),
    [
        ("../../etc/passwd.jpg", "passwd.jpg"),
        ("..\\..\\windows\\win.ini.jpg", "windowswin.ini.jpg"),
        ("/etc/cron.d/evil.jpg", "evil.jpg"),
        ("photo\x00.php.jpg", "photo.php.jpg"),
        ("<script>alert(1)</script>.jpg", "scriptalert1script.jpg"),
        ("a" * 300 + ".jpg", "a" * 80 + ".jpg"),
        (".jpg", "file.jpg"),
    ],
)
def test_a_file_name_with_path_tricks_is_kept_as_a_plain_name_and_stored_under_a_random_one(
    world, writing, name, stored_as
):
    client, key = writing

    client.post("/concerns/new/", {**concern_form(world, key), "attachments": upload(name, jpeg_bytes())})

    attachment = Attachment.objects.get()
    assert "/" not in attachment.original_name and "\\" not in attachment.original_name
    assert "\x00" not in attachment.original_name and len(attachment.original_name) <= 200
    assert attachment.original_name.endswith(".jpg")
    assert file_names("attachments") == [attachment.stored_name]
    download = client.get(f"/attachments/{attachment.uuid}/")
    assert download.status_code == 200
    assert "/" not in download["Content-Disposition"].split("filename", 1)[1]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("photo.jpg", b"<html><script>alert(1)</script></html>", "not a picture, a PDF or a Word document"),
        ("logo.png", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "not a picture"),
        ("notes.pdf", b"#!/bin/sh\nrm -rf /\n", "not a picture, a PDF or a Word document"),
        ("letter.docx", b"PK\x03\x04" + b"\x00" * 100, "not a picture, a PDF or a Word document"),
        ("empty.jpg", b"", "The file is empty."),
    ],
)
def test_a_disguised_or_empty_file_is_refused_with_a_message(world, writing, name, content, message):
    client, key = writing

    response = client.post("/concerns/new/", {**concern_form(world, key), "attachments": upload(name, content)})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Attachment.objects.exists() and not Concern.objects.exists()


def test_more_files_than_the_limit_are_refused_with_a_message(world, writing):
    client, key = writing
    files = [upload(f"photo{number}.jpg", jpeg_bytes()) for number in range(11)]

    response = client.post("/concerns/new/", {**concern_form(world, key), "attachments": files})

    assert response.status_code == 400
    assert "Send at most 10 files at a time." in response.content.decode()
    assert not Attachment.objects.exists() and not Concern.objects.exists()


def test_a_form_larger_than_any_the_site_holds_is_refused_with_a_message(world, writing):
    client, key = writing

    response = client.post("/concerns/new/", concern_form(world, key, account="x" * (13 * 1024 * 1024)))

    assert response.status_code == 400
    assert "Shorten what you typed" in response.content.decode()
    assert not Concern.objects.exists()


def test_an_oversize_file_is_refused_before_it_is_read(world, writing):
    client, key = writing
    big = upload("scan.pdf", b"%PDF-1.7\n" + b"0" * (11 * 1024 * 1024) + b"\n%%EOF\n")

    response = client.post("/concerns/new/", {**concern_form(world, key), "attachments": big})

    assert response.status_code == 400
    assert "scan is larger than 10 MB." in response.content.decode()
    assert not Attachment.objects.exists() and not Concern.objects.exists()


# --- Unicode look-alikes -------------------------------------------------------------------------------------------


def test_a_upn_written_in_other_digits_is_refused(world):
    upn = make_upn(la_code=123, establishment=4567, year=12, serial=9)
    arabic = upn[0] + upn[1:12].translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")) + upn[12]

    response = signed_in_client(world.office).post(
        f"/schools/{world.northfield.uuid}/pupils/new/",
        {"legal_first_name": "Kai", "legal_last_name": "Turner", "date_of_birth": "2012-03-14", "sex": "U"}
        | {"upn": arabic, "send": "none", "roll_status": "on_roll"},
    )

    assert "There is a problem" in response.content.decode()
    assert not Child.objects.exists() and Membership.objects.exists()
