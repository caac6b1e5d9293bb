import pytest

from referrals.models import Notification, Urgency
from safeguarding.audit.events import EventType, Outcome
from safeguarding.audit.models import AuditEvent
from tests.concerns import concern_by
from tests.factories import ChildFactory, NotificationFactory
from tests.personas import signed_in_client


@pytest.fixture
def pupil(world):
    return ChildFactory(school=world.northfield, legal_first_name="Jade", legal_last_name="Turner")


def unread(person) -> int:
    return Notification.objects.filter(recipient=person, read_at__isnull=True).count()


def test_a_dsl_keeps_an_unread_escalation_when_a_link_from_another_site_opens_her_notifications(world, pupil):
    concern_by(world.teacher, pupil, urgency=Urgency.IMMEDIATE)
    client = signed_in_client(world.dsl)

    page = client.get("/notifications/", HTTP_REFERER="https://elsewhere.example/")

    assert page.status_code == 200 and "Mark all as read" in page.content.decode()
    assert unread(world.dsl) == 1
    assert client.get("/notifications/read/").status_code == 405 and unread(world.dsl) == 1


def test_a_dsls_notifications_are_cleared_only_by_her_own_button_with_its_csrf_token(world, pupil):
    concern_by(world.teacher, pupil)
    client = signed_in_client(world.dsl)
    client.handler.enforce_csrf_checks = True

    forged = client.post("/notifications/read/")
    assert forged.status_code == 403 and unread(world.dsl) == 1

    token = client.get("/notifications/").context["csrf_token"]
    response = client.post("/notifications/read/", {"csrfmiddlewaretoken": str(token)})

    assert response.status_code == 302 and response["Location"] == "/notifications/"
    assert unread(world.dsl) == 0
    marked = AuditEvent.objects.get(event_type=EventType.UPDATE, object_type="notification")
    assert marked.user_uuid == world.dsl.uuid and marked.row_count == 1 and marked.detail == {"action": "marked_read"}


def test_a_dsl_opening_one_notification_marks_only_that_one_and_goes_to_its_concern(world, pupil):
    first = concern_by(world.teacher, pupil)
    concern_by(world.teacher, pupil)
    notification = Notification.objects.get(recipient=world.dsl, concern=first)

    response = signed_in_client(world.dsl).get(f"/notifications/{notification.uuid}/")

    assert response.status_code == 302 and response["Location"] == f"/queue/{first.uuid}/"
    notification.refresh_from_db()
    assert notification.read_at is not None and unread(world.dsl) == 1
    opened = AuditEvent.objects.get(event_type=EventType.VIEW, object_type="notification")
    assert opened.object_uuid == notification.uuid and opened.school_uuid == world.northfield.uuid
    assert AuditEvent.objects.get(event_type=EventType.UPDATE, object_type="notification").row_count == 1


def test_a_teacher_asked_about_her_concern_is_taken_to_her_own_page_of_it(world, pupil):
    concern = concern_by(world.teacher, pupil)
    asked = NotificationFactory(
        recipient=world.teacher, school=world.northfield, kind=Notification.Kind.INFORMATION_REQUEST, concern=concern
    )

    response = signed_in_client(world.teacher).get(f"/notifications/{asked.uuid}/")

    assert response["Location"] == f"/concerns/{concern.uuid}/" and unread(world.teacher) == 0


@pytest.mark.parametrize("person", ["deputy", "teacher", "riverside_dsl"])
def test_a_dsls_notification_cannot_be_opened_or_cleared_by_anyone_else(world, pupil, person):
    concern = concern_by(world.teacher, pupil)
    notification = Notification.objects.get(recipient=world.dsl, concern=concern)

    response = signed_in_client(world.people[person]).get(f"/notifications/{notification.uuid}/")

    assert response.status_code == 404 and unread(world.dsl) == 1
    refusal = AuditEvent.objects.get(event_type=EventType.ACCESS_REFUSED, user_uuid=world.people[person].uuid)
    assert refusal.outcome == Outcome.REFUSED and refusal.object_type == "notification"


def test_each_notification_names_its_child_and_links_to_its_record(world, pupil):
    from tests.factories import ReferralFactory

    concern = concern_by(world.teacher, pupil, with_file=False)
    referral = ReferralFactory(child=pupil, dsl=world.dsl)
    Notification.objects.create(
        recipient=world.dsl,
        school=world.northfield,
        kind=Notification.Kind.REFERRAL_OVERDUE,
        referral=referral,
        child=pupil,
    )
    Notification.objects.create(
        recipient=world.dsl, school=world.northfield, kind=Notification.Kind.PATTERN, child=pupil
    )
    client = signed_in_client(world.dsl)

    page = client.get("/notifications/").content.decode()

    assert f"New concern about Jade ({concern.reference})" in page
    assert "Pattern alert about Jade" in page and "Referral not yet acknowledged by the agency about Jade" in page
    assert "Turner" not in page  # the first name only
    targets = {}
    for item in Notification.objects.filter(recipient=world.dsl):
        targets[item.kind] = client.get(f"/notifications/{item.uuid}/").url
    assert targets[Notification.Kind.NEW_CONCERN] == f"/queue/{concern.uuid}/"
    assert targets[Notification.Kind.PATTERN] == f"/children/{pupil.uuid}/"
    assert targets[Notification.Kind.REFERRAL_OVERDUE] == f"/referrals/{referral.uuid}/"


def test_a_teacher_asked_a_question_gets_an_email_without_names(world, pupil, run_tasks):
    from django.core import mail

    from referrals.services.reviews import concern_acknowledge, information_request

    concern = concern_by(world.teacher, pupil, with_file=False)
    concern_acknowledge(actor=world.dsl, context=None, concern=concern)
    run_tasks()
    mail.outbox.clear()

    information_request(actor=world.dsl, context=None, concern=concern, question="Which car was it?")
    run_tasks()

    sent = [message for message in mail.outbox if world.teacher.email in message.to]
    assert len(sent) == 1 and "question" in sent[0].subject
    assert "Jade" not in sent[0].body and "car" not in sent[0].body.lower()


def test_the_phone_menu_button_shows_the_unread_count(world, pupil):
    concern_by(world.teacher, pupil, with_file=False)
    page = signed_in_client(world.dsl).get("/").content.decode()
    toggler = page.split('class="navbar-toggler"')[1].split("</button>")[0]
    assert ">1<" in toggler.replace(" ", "")
