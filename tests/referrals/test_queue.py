import re
from datetime import datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from referrals.clocks import LONDON
from referrals.models import (
    Concern,
    ConcernStatus,
    Decision,
    Escalation,
    Incident,
    InformationRequest,
    Notification,
    Urgency,
)
from referrals.services.reviews import ConcernConflict, concern_acknowledge
from safeguarding.audit.events import EventType
from safeguarding.audit.models import AuditEvent
from tests.concerns import concern_by
from tests.factories import ChildFactory, PatternAlertFactory, ReferralFactory
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

    assert concern.reference in page and f"/queue/{concern.uuid}/acknowledge/" not in page
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


def mixed_queue(world, count=300):
    """`count` open concerns about 30 children, in every state the queue meets, straight into the tables; the
    first five children have an open pattern alert."""
    now = timezone.now()
    children = [ChildFactory(school=world.northfield) for _ in range(30)]
    for child in children[:5]:
        PatternAlertFactory(child=child)
    incident = Incident.objects.create(school=world.northfield, author=world.teacher, submission_key="mixed")
    kinds = [
        "overdue",
        "to_acknowledge",
        "today",
        "escalated",
        "in_review",
        "review_later",
        "review_missed",
        "question",
        "review_today",
        "in_review",
    ]
    concerns = []
    for n in range(count):
        kind = kinds[n % len(kinds)]
        submitted = kind in {"overdue", "to_acknowledge", "today"}
        concerns.append(
            Concern(
                reference=f"M-{n:05d}",
                incident=incident,
                school=world.northfield,
                child=children[n % len(children)],
                author=world.teacher,
                author_role="staff",
                urgency=Urgency.TODAY if kind == "today" else Urgency.ROUTINE,
                observed_at=now - timedelta(days=200 - n % 200),
                recorded_at=now - timedelta(days=200 - n % 200),
                account="Account",
                status=(
                    ConcernStatus.SUBMITTED
                    if submitted
                    else ConcernStatus.DECIDED
                    if kind.startswith("review")
                    else ConcernStatus.IN_REVIEW
                ),
                ack_due_at=now + (timedelta(hours=-3) if kind == "overdue" else timedelta(hours=5 + n)),
                acknowledged_at=None if submitted else now - timedelta(days=100),
                acknowledged_by=None if submitted else world.dsl,
            )
        )
    concerns = Concern.objects.bulk_create(concerns)
    today = timezone.localdate()
    reviews = {"review_later": today + timedelta(days=20), "review_missed": today - timedelta(days=3)}
    for n, concern in enumerate(concerns):
        kind = kinds[n % len(kinds)]
        if kind == "escalated":
            Escalation.objects.create(concern=concern, level=Escalation.Level.TEAM)
        elif kind.startswith("review"):
            Decision.objects.create(
                concern=concern,
                decided_by=world.dsl,
                rationale="Watch and review",
                threshold="universal",
                next_review=reviews.get(kind, today),
            )
        elif kind == "question":
            InformationRequest.objects.create(
                concern=concern, asked_by=world.dsl, question="Who else was there?", asked_at=now - timedelta(days=5)
            )
    return concerns


def overdue_or_escalated(concern) -> bool:
    return (
        concern.escalations.exists()
        or (concern.status == ConcernStatus.SUBMITTED and concern.ack_due_at < timezone.now())
        or (
            concern.status == ConcernStatus.DECIDED
            and concern.decisions.filter(next_review__lt=timezone.localdate()).exists()
        )
    )


def test_the_queue_puts_overdue_and_escalated_first_then_open_alerts_before_routine_work(world):
    mixed_queue(world)
    client = signed_in_client(world.dsl)

    references = []
    for number in range(1, 14):
        page = client.get(f"/queue/?page={number}").content.decode()
        references += re.findall(r"M-\d{5}", page)
    shown = [Concern.objects.get(reference=reference) for reference in dict.fromkeys(references)]

    assert len(shown) == 300
    late = [overdue_or_escalated(concern) for concern in shown]
    assert sum(late) == 90 and late == sorted(late, reverse=True)  # 30 overdue, 30 escalated, 30 missed reviews
    alerted = [concern.child.pattern_alerts.filter(acknowledged_at__isnull=True).exists() for concern in shown]
    routine = [i for i, c in enumerate(shown) if not late[i] and not alerted[i] and c.urgency == Urgency.ROUTINE]
    assert max(i for i, flag in enumerate(alerted) if flag and not late[i]) < min(routine)


def test_each_row_of_the_queue_says_what_is_due_next(world):
    concerns = mixed_queue(world, count=10)
    page = signed_in_client(world.dsl).get("/queue/").content.decode()

    def row(reference):
        return re.search(rf"{reference}.*?</tr>", page, re.S).group(0)

    assert "Acknowledge" in row(concerns[0].reference) and "Overdue 3h" in row(concerns[0].reference)
    assert "Chase the author" in row(concerns[7].reference)
    assert "Review" in row(concerns[6].reference) and "was due" in row(concerns[6].reference)
    assert "Decide" in row(concerns[4].reference)


def test_acknowledging_from_a_filtered_queue_comes_back_to_the_same_filters(world, pupil):
    concern = concern_by(world.teacher, pupil, with_file=False)
    client = signed_in_client(world.trustlead)
    filtered = client.get(f"/queue/?school={world.northfield.uuid}&urgency=routine").content.decode()
    assert pupil.display_name in filtered
    assert "Riverside" not in filtered.split("<tbody>")[1]

    response = signed_in_client(world.dsl).post(
        f"/queue/{concern.uuid}/acknowledge/", {"version": "0", "filters": "urgency=routine&status=submitted&x=1"}
    )

    assert response.status_code == 302
    assert response.url == "/queue/?status=submitted&urgency=routine"
