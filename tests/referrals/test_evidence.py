"""A file a teacher attaches reaches the school's safeguarding team, and nobody else."""

import io

import pytest
from pypdf import PdfReader

from referrals.models import Attachment
from safeguarding.audit.events import EventType, Outcome
from safeguarding.audit.models import AuditEvent
from tests.concerns import concern_by
from tests.factories import ChildFactory, ReferralFactory
from tests.personas import signed_in_client


@pytest.fixture
def concern(world):
    pupil = ChildFactory(school=world.northfield, legal_first_name="Jade", legal_last_name="Turner")
    return concern_by(world.teacher, pupil)


def download_url(concern) -> str:
    return f"/attachments/{Attachment.objects.get(incident=concern.incident).uuid}/"


def test_the_dsl_sees_the_teachers_photo_on_the_review_page_and_the_file_and_opens_it(world, concern):
    client = signed_in_client(world.dsl)
    url = download_url(concern)

    review = client.get(f"/queue/{concern.uuid}/").content.decode()
    child_file = client.get(f"/children/{concern.child.uuid}/").content.decode()
    download = client.get(url)

    assert url in review and "photo.jpg" in review and "Picture" in review
    assert url in child_file and concern.reference in child_file
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"\xff\xd8")
    event = AuditEvent.objects.get(event_type=EventType.DOWNLOAD, user_uuid=world.dsl.uuid)
    assert event.child_uuid == concern.child.uuid and event.object_type == "attachment"
    who_viewed = client.get(f"/children/{concern.child.uuid}/access/").content.decode()
    assert "Downloaded" in who_viewed


@pytest.mark.parametrize("persona", ["deputy", "trustlead"])
def test_the_deputy_and_the_trust_lead_open_it_too(world, concern, persona):
    assert signed_in_client(getattr(world, persona)).get(download_url(concern)).status_code == 200


@pytest.mark.parametrize("persona", ["riverside_dsl", "teacher2", "admin", "auditor"])
def test_anyone_else_gets_404_and_the_refusal_is_recorded(world, concern, persona):
    person = getattr(world, persona)

    response = signed_in_client(person).get(download_url(concern))

    assert response.status_code == 404
    assert AuditEvent.objects.filter(user_uuid=person.uuid, outcome=Outcome.REFUSED).exists()
    assert not AuditEvent.objects.filter(user_uuid=person.uuid, event_type=EventType.DOWNLOAD).exists()


def test_the_author_still_opens_their_own(world, concern):
    assert signed_in_client(world.teacher).get(download_url(concern)).status_code == 200


def pdf_text(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_the_whole_file_pdf_lists_the_photo_and_shows_it(world, concern):
    response = signed_in_client(world.dsl).get(f"/children/{concern.child.uuid}/pdf/")

    text = pdf_text(response)
    assert "Files attached" in text and "photo.jpg" in text and "Picture" in text
    assert world.teacher.full_name in text
    content = b"".join(response.streaming_content) if response.streaming else response.content
    # Beyond each page's watermark, the photo itself.
    assert any(len(page.images) > 1 for page in PdfReader(io.BytesIO(content)).pages)


def test_the_referral_pdf_lists_the_files_it_shares(world):
    referral = ReferralFactory(child=ChildFactory(school=world.northfield), dsl=world.dsl, with_file=True)
    response = signed_in_client(world.dsl).get(f"/referrals/{referral.uuid}/pdf/")

    text = pdf_text(response)
    assert "Files shared" in text
    shared = Attachment.objects.get(incident__concerns__in=referral.shared_concerns.all())
    assert shared.original_name in text and "Listed only" in text


def test_the_form_warns_against_nude_images_before_the_file_input(world):
    page = signed_in_client(world.teacher).get("/concerns/new/").content.decode()

    warning = page.find("Never take, upload, copy or forward a picture that may show a child nude or semi-nude")
    assert 0 < warning < page.find('type="file"')
