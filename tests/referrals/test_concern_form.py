import io
import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone
from PIL import Image

from referrals.models import Attachment, Concern, ConcernDraft, Indicator, IndicatorCategory, Notification
from referrals.selectors.concerns import indicator_categories
from safeguarding.audit.events import EventType, Outcome
from safeguarding.audit.models import AuditEvent
from tests.concerns import concern_by, jpeg_bytes
from tests.documents import pdf
from tests.factories import ChildFactory
from tests.personas import sign_in_with_code, signed_in_client
from tests.stored import attachment as attachment_path


@pytest.fixture
def pupils(world):
    def pupil(first, last, school=None):
        return ChildFactory(
            school=school or world.northfield,
            legal_first_name=first,
            legal_last_name=last,
            date_of_birth="2011-05-05",
            year_group="9",
        )

    return {
        "jade": pupil("Jade", "Turner"),
        "kai": pupil("Kai", "Turner"),
        "ben": pupil("Ben", "Cole"),
        "other": pupil("Ola", "Nowak", world.riverside),
    }


def form_data(**overrides):
    data = {
        "school": "",
        "observed_at": (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "location": "Bus stop outside the main gate",
        "account": "At 15:20 I saw Jade and Kai Turner get into a silver car driven by a man of about 30.",
        "child_words": "He's my boyfriend, he buys me stuff",
        "people_present": "Mr Reid",
        "action_taken": "Told the DSL at the end of the day.",
        "urgency": "today",
        "ind_SIG-CARS": "seen",
        "ind_SIG-OLDER-PARTNER": "told",
        "ind_SIG-GIFTS": "professional",
    }
    data.update(overrides)
    return data


def start(client, world, *children):
    """Open the form and pick the children with the type-ahead, as a teacher does."""
    page = client.get("/concerns/new/").content.decode()
    key = page.split('name="submission_key" value="')[1].split('"')[0]
    for child in children:
        found = client.post(
            "/concerns/children/", {"child_search": child.legal_first_name, "school": str(world.northfield.uuid)}
        ).content.decode()
        assert child.display_name in found
        client.post(
            "/concerns/new/",
            {"school": str(world.northfield.uuid), "submission_key": key, "add_child": str(child.uuid)},
        )
    return key


def test_a_teacher_logs_a_concern_about_two_children_with_indicators_and_a_picture(world, pupils, run_tasks):
    client = signed_in_client(world.teacher)
    key = start(client, world, pupils["jade"], pupils["kai"])
    photo = io.BytesIO(jpeg_bytes(gps=True))
    photo.name = "IMG_2041.jpg"

    response = client.post(
        "/concerns/new/", {**form_data(school=str(world.northfield.uuid), submission_key=key), "attachments": photo}
    )

    assert response.status_code == 302
    concerns = list(Concern.objects.order_by("reference"))
    assert [c.child for c in concerns] == [pupils["jade"], pupils["kai"]]
    assert concerns[0].incident == concerns[1].incident
    for concern in concerns:
        assert dict(concern.indicators.values_list("indicator__code", "basis")) == {
            "SIG-CARS": "seen",
            "SIG-OLDER-PARTNER": "told",
            "SIG-GIFTS": "professional",
        }
        assert concern.author_role == "staff"
        assert concern.child_words == "He's my boyfriend, he buys me stuff"
    (attachment,) = Attachment.objects.all()
    assert attachment.incident == concerns[0].incident
    stored = Image.open(io.BytesIO(attachment_path(attachment.stored_name).read_bytes()))
    assert not stored.getexif()  # no camera, no location
    assert not ConcernDraft.objects.filter(author=world.teacher).exists()
    creates = AuditEvent.objects.filter(event_type=EventType.CREATE, object_type="concern")
    assert {event.child_uuid for event in creates} == {pupils["jade"].uuid, pupils["kai"].uuid}
    assert AuditEvent.objects.filter(event_type=EventType.SEARCH, object_type="child_typeahead").count() == 2

    again = client.post("/concerns/new/", form_data(school=str(world.northfield.uuid), submission_key=key))

    assert again.status_code == 302 and again["Location"] == response["Location"]
    assert Concern.objects.count() == 2


def test_the_team_is_told_without_names_or_details(world, pupils, run_tasks):
    client = signed_in_client(world.teacher)
    key = start(client, world, pupils["jade"])
    client.post("/concerns/new/", form_data(school=str(world.northfield.uuid), submission_key=key))
    run_tasks()

    (email,) = mail.outbox
    assert set(email.to) == {"dsl@safeguard.example", "deputy@safeguard.example"}
    assert "Today" in email.subject and "Northfield Academy" in email.subject
    for secret in ("Jade", "Turner", "silver car", "boyfriend", "Teacher"):
        assert secret not in email.subject + email.body
    assert Notification.objects.filter(recipient=world.dsl, read_at__isnull=True).count() == 1
    page = signed_in_client(world.dsl).get("/").content.decode()
    assert "Notifications" in page


def test_a_disclosure_makes_the_concern_immediate(world, pupils):
    client = signed_in_client(world.teacher)
    key = start(client, world, pupils["ben"])

    client.post(
        "/concerns/new/",
        form_data(
            school=str(world.northfield.uuid), submission_key=key, urgency="routine", **{"ind_DISC-ABUSE": "told"}
        ),
    )

    assert Concern.objects.get().urgency == "immediate"


def test_a_child_not_on_the_roll_can_be_named(world):
    client = signed_in_client(world.teacher)
    key = start(client, world)

    client.post(
        "/concerns/new/",
        form_data(
            school=str(world.northfield.uuid),
            submission_key=key,
            unlisted_child_name="Mia (Jade's younger sister)",
            unlisted_child_details="Year 4 at Riverside, I think",
        ),
    )

    concern = Concern.objects.get()
    assert concern.child is None and concern.unlisted_child_name == "Mia (Jade's younger sister)"


def test_a_draft_survives_a_forced_session_expiry(world):
    start_time = timezone.now()
    with time_machine.travel(start_time, tick=False):
        client = Client()
        sign_in_with_code(client, world.teacher)
        client.post(
            "/concerns/draft/",
            {
                "school": str(world.northfield.uuid),
                "account": "She told me about the man in the car",
                "location": "Hall",
            },
        )
    with time_machine.travel(start_time + timedelta(minutes=45), tick=False):
        assert client.get("/concerns/new/")["Location"].startswith("/accounts/login/")
        sign_in_with_code(client, world.teacher)
        page = client.get("/concerns/new/").content.decode()

    assert "She told me about the man in the car" in page
    assert 'value="Hall"' in page


def test_the_draft_save_answers_with_hints(world):
    client = signed_in_client(world.teacher)

    response = client.post(
        "/concerns/draft/",
        {
            "school": str(world.northfield.uuid),
            "account": "JT is putting herself at risk, I think.",
            "ind_DISC-ABUSE": "told",
        },
    )

    page = response.content.decode()
    assert "Draft saved" in page
    assert "full names rather than initials" in page
    assert "putting herself at risk" in page
    assert "write their exact words" in page


def test_a_teacher_cannot_open_another_teachers_concern_or_file(world, pupils):
    concern = concern_by(world.teacher, pupils["jade"])
    attachment = concern.incident.attachments.get()
    client = signed_in_client(world.teacher2)

    assert client.get(f"/concerns/{concern.uuid}/").status_code == 404
    assert client.get(f"/attachments/{attachment.uuid}/").status_code == 404
    assert client.get(f"/concerns/submitted/{concern.incident.uuid}/").status_code == 404
    refusals = AuditEvent.objects.filter(
        user_uuid=world.teacher2.uuid, event_type=EventType.ACCESS_REFUSED, outcome=Outcome.REFUSED
    )
    assert {event.object_uuid for event in refusals} == {concern.uuid, attachment.uuid, concern.incident.uuid}


def test_the_author_reads_their_concern_and_downloads_the_file(world, pupils):
    concern = concern_by(world.teacher, pupils["jade"])
    attachment = concern.incident.attachments.get()
    client = signed_in_client(world.teacher)

    page = client.get(f"/concerns/{concern.uuid}/").content.decode()
    download = client.get(f"/attachments/{attachment.uuid}/")

    assert "Saw a new phone and a bracelet." in page and "Received" in page
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert "no-store" in download["Cache-Control"]
    assert AuditEvent.objects.filter(event_type=EventType.DOWNLOAD, child_uuid=pupils["jade"].uuid).exists()


def test_my_concerns_shows_status_but_nothing_of_the_dsls_work(world, pupils):
    concern = concern_by(world.teacher, pupils["jade"])
    Concern.objects.filter(pk=concern.pk).update(status="decided")

    page = signed_in_client(world.teacher).get("/concerns/mine/").content.decode()

    assert "Jade Turner" in page and "Acted on" in page


def test_an_addendum_is_added_and_the_original_kept(world, pupils):
    concern = concern_by(world.teacher, pupils["jade"])
    client = signed_in_client(world.teacher)

    client.post(f"/concerns/{concern.uuid}/", {"reason": "I remembered more", "text": "The car was silver."})

    concern.refresh_from_db()
    assert concern.account == "Saw a new phone and a bracelet."
    assert concern.addenda.get().text == "The car was silver."
    assert AuditEvent.objects.filter(event_type=EventType.ADDENDUM, object_uuid=concern.uuid).exists()


def test_a_failing_mail_server_loses_no_concern_and_the_email_goes_on_retry(world, pupils, run_tasks, monkeypatch):
    import smtplib

    calls = {"n": 0}
    real_send = mail.send_mail

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise smtplib.SMTPServerDisconnected("mail server down")
        return real_send(*args, **kwargs)

    monkeypatch.setattr("safeguarding.core.emails.send_mail", flaky)
    client = signed_in_client(world.teacher)
    key = start(client, world, pupils["jade"])
    client.post("/concerns/new/", form_data(school=str(world.northfield.uuid), submission_key=key))
    run_tasks()

    assert Concern.objects.count() == 1
    assert mail.outbox == []
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        run_tasks()
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"observed_at": (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")}, "in the future"),
        ({"account": "a" * 100_000}, "at most 20000 characters"),
        ({"account": "bad \x00 byte"}, "Null characters are not allowed"),
        ({"location": "x\x00"}, "Null characters are not allowed"),
        ({"account": ""}, "This field is required"),
    ],
)
def test_bad_input_gets_a_clear_message_and_nothing_is_stored(world, pupils, overrides, message):
    client = signed_in_client(world.teacher)
    key = start(client, world, pupils["jade"])

    response = client.post(
        "/concerns/new/", form_data(school=str(world.northfield.uuid), submission_key=key, **overrides)
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Concern.objects.exists()


def test_a_child_of_another_school_cannot_be_chosen(world, pupils):
    client = signed_in_client(world.teacher)
    key = start(client, world)
    client.post(
        "/concerns/new/",
        {"school": str(world.northfield.uuid), "submission_key": key, "add_child": str(pupils["other"].uuid)},
    )
    ConcernDraft.objects.filter(author=world.teacher).update(data={"children": [str(pupils["other"].uuid)]})

    response = client.post("/concerns/new/", form_data(school=str(world.northfield.uuid), submission_key=key))

    assert response.status_code == 400
    assert "not on your school&#x27;s roll" in response.content.decode()
    assert not Concern.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("big.jpg", b"\xff\xd8\xff" + b"0" * (15 * 1024 * 1024), "larger than 10 MB"),
        ("holiday.jpg", b"MZ\x90\x00" + b"\x00" * 2000, "not a picture, a PDF or a Word document"),
        ("broken.jpg", b"\xff\xd8\xff\xe0" + b"junk" * 100, "could not be read"),
    ],
)
def test_bad_files_are_refused_with_a_message(world, pupils, name, content, message):
    client = signed_in_client(world.teacher)
    key = start(client, world, pupils["jade"])
    upload = io.BytesIO(content)
    upload.name = name

    response = client.post(
        "/concerns/new/", {**form_data(school=str(world.northfield.uuid), submission_key=key), "attachments": upload}
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Concern.objects.exists() and not Attachment.objects.exists()


def test_pdf_and_word_documents_are_accepted_by_content(world):
    import zipfile

    from referrals.attachments import DOCX, PDF, attachment_check

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")

    plain = pdf(b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>")
    assert attachment_check(name="notes.pdf", content=plain).content_type == PDF
    assert attachment_check(name="notes", content=buffer.getvalue()).content_type == DOCX


def test_the_fgm_duty_is_shown_and_recorded(world, pupils):
    client = signed_in_client(world.teacher)
    key = start(client, world, pupils["jade"])
    page = client.get("/concerns/new/").content.decode()
    # On the page from the start, shown by the stylesheet as soon as FGM is chosen.
    assert 'id="fgm-duty"' in page and "your own duty to report" in page
    assert 'name="fgm_police_reported"' in page

    client.post(
        "/concerns/new/",
        form_data(
            school=str(world.northfield.uuid),
            submission_key=key,
            fgm_known_case="yes",
            fgm_police_reported="on",
            fgm_police_reference="WY-123",
            **{"ind_HOME-FGM": "told"},
        ),
    )

    concern = Concern.objects.get()
    assert (concern.fgm_police_reported, concern.fgm_police_reference) == (True, "WY-123")
    assert concern.fgm_known_case is True


def test_the_form_and_its_submit_run_a_fixed_number_of_queries(world, pupils, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = signed_in_client(world.teacher)

    def measure():
        key = start(client, world, pupils["jade"])
        with CaptureQueriesContext(connection) as page:
            client.get("/concerns/new/")
        with CaptureQueriesContext(connection) as submit:
            client.post("/concerns/new/", form_data(school=str(world.northfield.uuid), submission_key=key))
        return len(page), len(submit)

    small = measure()
    for number in range(60):
        ChildFactory(
            school=world.northfield,
            legal_first_name=f"Extra{number}",
            legal_last_name="Pupil",
            date_of_birth="2012-01-01",
        )
    category = IndicatorCategory.objects.first()
    for number in range(10):
        Indicator.objects.create(
            code=f"EXTRA-{number}",
            category=category,
            label=f"Extra sign {number}",
            guidance="For the query count only.",
            kind="risk_indicator",
            source="test",
            valid_from="2025-09-01",
        )
    big = measure()

    assert small == big
    assert small[0] <= 20 and small[1] <= 45


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.pdf", pdf(b"<< /Type /Catalog /OpenAction << /JS (app.alert(1)) >> >>"), "scripts, actions or files"),
        ("setup.jpg", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "not a picture, a PDF or a Word"),
        ("page.pdf", b"%PDF-<html><script>alert(1)</script>", "not a complete PDF"),
    ],
)
def test_active_or_disguised_documents_are_refused(name, content, message):
    from referrals.attachments import AttachmentRefused, attachment_check

    with pytest.raises(AttachmentRefused, match=message):
        attachment_check(name=name, content=content)


def test_a_word_document_with_macros_is_refused():
    import zipfile

    from referrals.attachments import AttachmentRefused, attachment_check

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
        archive.writestr("word/vbaProject.bin", "macro")

    with pytest.raises(AttachmentRefused, match="macros"):
        attachment_check(name="letter.docx", content=buffer.getvalue())


def test_nul_bytes_in_searches_and_keys_are_not_server_errors(world):
    client = signed_in_client(world.teacher)
    school = str(world.northfield.uuid)

    assert client.post("/concerns/children/", {"child_search": "Ja\x00de", "school": school}).status_code == 200
    response = client.post("/concerns/new/", {"school": school, "submission_key": "a\x00b", "find_child": "1"})
    assert response.status_code == 200
    assert signed_in_client(world.office).post(f"/schools/{school}/pupils/", {"text": "x\x00y"}).status_code == 200


def test_a_child_chosen_in_a_saved_draft_is_recorded_each_time_the_form_shows_them(world, pupils):
    client = signed_in_client(world.teacher)
    shown = AuditEvent.objects.filter(event_type=EventType.LIST, object_type="concern_draft_children")
    client.get("/concerns/new/")
    assert not shown.exists()  # an empty draft names no one
    start(client, world, pupils["jade"], pupils["kai"])
    before = shown.count()

    page = client.get("/concerns/new/").content.decode()

    assert "Jade" in page and "Kai" in page
    [event] = shown.order_by("-id")[: shown.count() - before]
    assert sorted(event.shown_ids) == sorted([str(pupils["jade"].uuid), str(pupils["kai"].uuid)])
    assert event.row_count == 2 and event.school_uuid == world.northfield.uuid
    assert event.user_uuid == world.teacher.uuid and event.child_uuid is None


def test_a_submit_with_three_missing_answers_names_each_and_links_to_it(world, pupils):
    client = signed_in_client(world.teacher)
    key = start(client, world, pupils["jade"])

    response = client.post(
        "/concerns/new/",
        form_data(school=str(world.northfield.uuid), submission_key=key, observed_at="", account="", urgency=""),
    )

    page = response.content.decode()
    summary = page.split('class="alert alert-danger error-summary"')[1].split("</div>")[0]
    links = dict(re.findall(r'<a href="#([^"]+)"><strong>([^<]+)</strong>', summary))
    assert set(links.values()) == {"When did you see or hear it?", "What did you see or hear?", "How urgent is it?"}
    for target in links:
        assert f'id="{target}"' in page, target
    assert "There is a problem with 3 answers" in summary


def test_a_sign_ticked_without_saying_how_it_is_known_is_asked_about_never_given_a_basis(world, pupils):
    client = signed_in_client(world.teacher)
    key = start(client, world, pupils["jade"])
    data = form_data(school=str(world.northfield.uuid), submission_key=key)
    data["sign"] = ["SIG-CARS", "SIG-TRUANCY"]  # SIG-CARS has its basis in form_data; SIG-TRUANCY has none

    response = client.post("/concerns/new/", data)

    assert response.status_code == 400
    page = response.content.decode()
    summary = page.split('class="alert alert-danger error-summary"')[1].split("</div>")[0]
    label = Indicator.objects.get(code="SIG-TRUANCY").label
    assert f'<a href="#id_ind_SIG-TRUANCY_0"><strong>{label}</strong> Choose how you know it' in summary
    assert 'id="id_ind_SIG-TRUANCY_0"' in page
    assert 'id="sign-SIG-TRUANCY" checked' in page  # the tick is kept, the question left open
    assert not Concern.objects.exists()


def test_the_signs_form_starts_with_nothing_ticked_and_no_basis_chosen(world):
    client = signed_in_client(world.teacher)

    page = client.get("/concerns/new/").content.decode()

    assert 'name="sign"' in page
    signs = sum(len(category.current_indicators) for category in indicator_categories())
    assert page.count('type="radio" class="btn-check"') == 3 * signs
    assert " checked" not in page.split('id="signs"')[1].split("</fieldset>\n\n")[0]


def test_ticked_signs_come_back_with_the_draft_and_count_in_their_group(world):
    client = signed_in_client(world.teacher)
    client.post(
        "/concerns/draft/",
        {"school": str(world.northfield.uuid), "sign": ["SIG-CARS", "SIG-GIFTS"], "ind_SIG-GIFTS": "seen"},
    )

    page = client.get("/concerns/new/").content.decode()

    assert 'id="sign-SIG-CARS" checked' in page
    assert 'id="sign-SIG-GIFTS" checked' in page
    assert 'value="seen" id="id_ind_SIG-GIFTS_0" autocomplete="off" checked' in page
    assert "1 chosen" in page
