from datetime import datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from referrals.clocks import LONDON
from referrals.models import Concern, Escalation, Notification, Urgency
from referrals.services.reviews import ConcernConflict, concern_acknowledge
from safeguarding.audit.events import EventType
from safeguarding.audit.models import AuditEvent
from tests.concerns import concern_by
from tests.factories import ChildFactory, ReferralFactory
from tests.personas import signed_in_client
from tests.referrals.test_child_file import many_concerns

MONDAY_10AM = datetime(2026, 11, 30, 10, 0, tzinfo=LONDON)


@pytest.fixture
def pupil(world):
    return ChildFactory(school=world.northfield, legal_first_name="Jade", legal_last_name="Turner")


def test_an_immediate_concern_unacknowledged_after_15_minutes_escalates_once(world, pupil, run_tasks):
    world.northfield.headteacher_email = "head@safeguard.example"
    world.northfield.save()
    with time_machine.travel(MONDAY_10AM, tick=False):
        concern = concern_by(world.teacher, pupil, urgency=Urgency.IMMEDIATE, with_file=False)
    run_tasks()
    mail.outbox.clear()
    with time_machine.travel(MONDAY_10AM + timedelta(minutes=14), tick=False):
        call_command("escalate_overdue", stdout=StringIO())
    assert not Escalation.objects.exists()

    with time_machine.travel(MONDAY_10AM + timedelta(minutes=16), tick=False):
        call_command("escalate_overdue", stdout=StringIO())
        call_command("escalate_overdue", stdout=StringIO())

    (escalation,) = Escalation.objects.all()
    assert (escalation.concern, escalation.level) == (concern, Escalation.Level.TEAM)
    run_tasks()
    (email,) = mail.outbox
    assert email.subject.startswith("[OVERDUE]")
    assert set(email.to) == {"dsl@safeguard.example", "deputy@safeguard.example"}
    assert "Jade" not in email.body + email.subject and "Turner" not in email.body
    assert Notification.objects.filter(kind=Notification.Kind.ESCALATION).count() == 2

    with time_machine.travel(MONDAY_10AM + timedelta(minutes=31), tick=False):
        call_command("escalate_overdue", stdout=StringIO())
    run_tasks()
    assert Escalation.objects.filter(level=Escalation.Level.HEADTEACHER).count() == 1
    assert "head@safeguard.example" in mail.outbox[-1].to


def test_an_immediate_concern_raised_at_night_goes_to_the_headteacher_at_once(world, pupil, run_tasks):
    world.northfield.headteacher_email = "head@safeguard.example"
    world.northfield.save()
    night = datetime(2026, 11, 30, 22, 0, tzinfo=LONDON)
    with time_machine.travel(night, tick=False):
        concern = concern_by(world.teacher, pupil, urgency=Urgency.IMMEDIATE, with_file=False)
    run_tasks()
    mail.outbox.clear()
    with time_machine.travel(night + timedelta(minutes=1), tick=False):  # the scheduler's next round
        call_command("escalate_overdue", stdout=StringIO())
        page = signed_in_client(world.dsl).get("/queue/").content.decode()

    assert set(Escalation.objects.values_list("level", flat=True)) == {1, 2}
    assert concern.ack_due_at == night + timedelta(minutes=15), "15 minutes to acknowledge, at any hour"
    assert "Due in 14m" in page
    run_tasks()
    subjects = {email.subject for email in mail.outbox}
    assert subjects == {"[URGENT] Safeguard: an immediate-risk concern at Northfield Academy, out of hours"}
    assert "head@safeguard.example" in mail.outbox[-1].to
    assert "needs acknowledging by 22:15" in mail.outbox[-1].body


def test_an_immediate_concern_in_school_hours_is_not_escalated_before_its_time(world, pupil):
    with time_machine.travel(MONDAY_10AM, tick=False):
        concern_by(world.teacher, pupil, urgency=Urgency.IMMEDIATE, with_file=False)
    with time_machine.travel(MONDAY_10AM + timedelta(minutes=1), tick=False):
        call_command("escalate_overdue", stdout=StringIO())

    assert not Escalation.objects.exists()


def test_an_acknowledged_concern_does_not_escalate(world, pupil):
    with time_machine.travel(MONDAY_10AM, tick=False):
        concern = concern_by(world.teacher, pupil, urgency=Urgency.IMMEDIATE, with_file=False)
        concern_acknowledge(actor=world.deputy, context=None, concern=concern)
    with time_machine.travel(MONDAY_10AM + timedelta(hours=2), tick=False):
        call_command("escalate_overdue", stdout=StringIO())

    assert not Escalation.objects.exists()


def test_the_queue_puts_the_most_urgent_first_then_the_oldest(world, pupil):
    with time_machine.travel(MONDAY_10AM, tick=False):
        old_routine = concern_by(world.teacher, pupil, with_file=False)
    with time_machine.travel(MONDAY_10AM + timedelta(hours=1), tick=False):
        newer_routine = concern_by(world.teacher2, pupil, with_file=False)
        immediate = concern_by(world.teacher, pupil, urgency=Urgency.IMMEDIATE, with_file=False)
        page = signed_in_client(world.dsl).get("/queue/").content.decode()

    positions = [page.index(concern.reference) for concern in (immediate, old_routine, newer_routine)]
    assert positions == sorted(positions)
    assert "Due in 15m" in page
    event = AuditEvent.objects.filter(event_type=EventType.LIST, object_type="concern").latest("id")
    assert event.shown_ids == [str(c.uuid) for c in (immediate, old_routine, newer_routine)]


@pytest.mark.parametrize(("person", "status"), [("deputy", 200), ("trustlead", 200), ("teacher", 403), ("office", 403)])
def test_who_opens_the_queue(world, person, status):
    assert signed_in_client(world.people[person]).get("/queue/").status_code == status


def test_another_schools_team_does_not_see_the_concern(world, pupil):
    concern = concern_by(world.teacher, pupil, with_file=False)

    page = signed_in_client(world.riverside_dsl).get("/queue/").content.decode()
    response = signed_in_client(world.riverside_dsl).post(f"/queue/{concern.uuid}/acknowledge/", {"version": "0"})

    assert concern.reference not in page
    assert response.status_code == 404
    concern.refresh_from_db()
    assert concern.status == "submitted"


def test_the_trust_lead_reads_the_queue_but_cannot_acknowledge(world, pupil):
    concern = concern_by(world.teacher, pupil, with_file=False)
    client = signed_in_client(world.trustlead)

    page = client.get("/queue/").content.decode()
    response = client.post(f"/queue/{concern.uuid}/acknowledge/", {"version": "0"})

    assert concern.reference in page and "Acknowledge" not in page
    assert response.status_code == 404


def test_acknowledging_shows_the_author_acknowledged(world, pupil):
    concern = concern_by(world.teacher, pupil, with_file=False)

    signed_in_client(world.dsl).post(f"/queue/{concern.uuid}/acknowledge/", {"version": str(concern.version)})

    concern.refresh_from_db()
    assert (concern.status, concern.acknowledged_by) == ("in_review", world.dsl)
    assert "Acknowledged" in signed_in_client(world.teacher).get("/concerns/mine/").content.decode()


def test_the_second_of_two_acknowledgements_is_told_and_changes_nothing(world, pupil):
    concern = concern_by(world.teacher, pupil, with_file=False)
    version = concern.version
    concern_acknowledge(actor=world.dsl, context=None, concern=concern, expected_version=version)

    with pytest.raises(ConcernConflict):
        concern_acknowledge(actor=world.deputy, context=None, concern=concern, expected_version=version)

    response = signed_in_client(world.deputy).post(
        f"/queue/{concern.uuid}/acknowledge/", {"version": str(version)}, follow=True
    )
    assert "Someone else changed this concern" in response.content.decode()
    concern.refresh_from_db()
    assert concern.acknowledged_by == world.dsl


def test_the_queue_runs_a_fixed_number_of_queries(world, pupil):
    client = signed_in_client(world.dsl)

    def count():
        client.get("/queue/")  # the first request of a session also writes the session; measure the next one
        with CaptureQueriesContext(connection) as queries:
            client.get("/queue/")
        return len(queries)

    for _ in range(10):
        concern_by(world.teacher, pupil, indicators=("SIG-GIFTS", "SIG-CARS", "ABUSE-NEGLECT"), with_file=False)
    few = count()
    many_concerns(world, pupil, 990)
    many = count()

    assert few == many
    assert Concern.objects.count() == 1000


def test_the_immediate_clock_counts_real_minutes_when_the_clocks_go_back(world):
    from referrals.clocks import SchoolCalendar

    raised = datetime(2026, 10, 25, 1, 50, tzinfo=LONDON)  # British summer time ends at 02:00 that night
    due = SchoolCalendar(world.northfield).acknowledgement_due(urgency=Urgency.IMMEDIATE, raised_at=raised)

    assert due.timestamp() - raised.timestamp() == 15 * 60


def test_the_trust_lead_reads_a_concern_but_cannot_act_on_it(world, pupil):
    concern = concern_by(world.teacher, pupil, with_file=False)
    client = signed_in_client(world.trustlead)

    page = client.get(f"/queue/{concern.uuid}/")
    acted = client.post(f"/queue/{concern.uuid}/", {"action": "acknowledge", "version": "0"})

    assert page.status_code == 200 and "Saw a new phone" in page.content.decode()
    assert acted.status_code == 403
    concern.refresh_from_db()
    assert concern.status == "submitted"


def test_a_name_typed_into_the_queues_category_filter_never_reaches_the_audit_trail(world, pupil):
    client = signed_in_client(world.dsl)

    client.get("/queue/", {"category": "Jade Turner"})
    client.get("/queue/", {"category": "EXPLOITATION"})

    listed = AuditEvent.objects.filter(user_uuid=world.dsl.uuid, event_type=EventType.LIST).order_by("id")
    assert [event.detail.get("category") for event in listed] == [None, "EXPLOITATION"]


def test_the_queue_records_the_referrals_to_chase_and_the_children_they_name(world, pupil):
    referral = ReferralFactory(child=pupil, author=world.teacher, dsl=world.dsl)

    page = signed_in_client(world.deputy).get("/queue/").content.decode()

    assert pupil.display_name in page
    listed = AuditEvent.objects.get(event_type=EventType.LIST, object_type="referral", user_uuid=world.deputy.uuid)
    assert listed.shown_ids == [str(referral.uuid)]
    assert listed.detail["children"] == [str(pupil.uuid)]
