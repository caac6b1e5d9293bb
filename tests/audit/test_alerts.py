from datetime import datetime

import time_machine
from django.core import mail

from safeguarding.audit.models import AuditAlert
from safeguarding.trail.alerts import LONDON, unusual_access_check
from tests.factories import ChildFactory
from tests.personas import signed_in_client


def open_records(world, count):
    client = signed_in_client(world.office)
    for number in range(count):
        child = ChildFactory(
            school=world.northfield, legal_first_name=f"C{number}", legal_last_name="X", date_of_birth="2012-01-01"
        )
        client.get(f"/schools/{world.northfield.uuid}/pupils/{child.uuid}/")


def test_many_records_in_ten_minutes_are_flagged_and_emailed_to_the_dsl(world, run_tasks):
    monday_morning = datetime(2026, 11, 30, 10, 0, tzinfo=LONDON)
    with time_machine.travel(monday_morning, tick=False):
        open_records(world, world.northfield.unusual_access_children + 1)
        assert unusual_access_check() == 1
        assert unusual_access_check() == 0  # once per window

    (alert,) = AuditAlert.objects.all()
    assert (alert.kind, alert.children, alert.user_uuid) == ("many_records", 21, world.office.uuid)
    run_tasks()
    (email,) = mail.outbox
    assert email.to == ["dsl@safeguard.example"]
    assert "Office opened the records of 21 different children" in email.body
    assert "C1 " not in email.body
    page = signed_in_client(world.dsl).get("/audit/").content.decode()
    assert "Unusual access" in page


def test_a_few_records_in_school_hours_are_not_flagged(world):
    with time_machine.travel(datetime(2026, 11, 30, 10, 0, tzinfo=LONDON), tick=False):
        open_records(world, 3)
        assert unusual_access_check() == 0


def test_records_opened_at_night_are_flagged(world):
    with time_machine.travel(datetime(2026, 11, 30, 23, 30, tzinfo=LONDON), tick=False):
        open_records(world, 1)
        assert unusual_access_check() == 1

    assert AuditAlert.objects.get().kind == "out_of_hours"


def test_the_chain_head_is_emailed_to_the_auditors_once_a_day(world, run_tasks, settings, tmp_path):
    from safeguarding.audit.chain import seal
    from safeguarding.audit.events import EventType
    from safeguarding.audit.record import record
    from safeguarding.trail.tasks import audit_anchor_email

    settings.AUDIT_ANCHOR_PATH = tmp_path / "anchor.json"
    record(EventType.VIEW, object_type="page")
    _, head = seal()

    audit_anchor_email.call()
    run_tasks()

    (email,) = mail.outbox
    assert email.to == ["auditor@safeguard.example"]
    assert head.hash in email.body and f"sequence: {head.sequence}" in email.body


def test_a_burst_across_two_ten_minute_blocks_is_still_flagged(world):
    from datetime import timedelta

    start = datetime(2026, 11, 30, 10, 6, tzinfo=LONDON)
    with time_machine.travel(start, tick=False):
        open_records(world, 12)
    with time_machine.travel(start + timedelta(minutes=7), tick=False):
        open_records(world, 12)
        assert unusual_access_check() == 1
    with time_machine.travel(start + timedelta(minutes=8), tick=False):
        assert unusual_access_check() == 0  # the same burst, one alert


def test_what_a_command_records_at_night_is_not_flagged(world):
    """The demo seeded, or a roll imported, at night: events with no session, written by a command."""
    from safeguarding.audit.events import EventType
    from safeguarding.audit.record import record

    with time_machine.travel(datetime(2026, 11, 30, 23, 30, tzinfo=LONDON), tick=False):
        for number in range(30):
            child = ChildFactory(school=world.northfield, legal_first_name=f"C{number}")
            record(
                EventType.VIEW, user=world.dsl, school=world.northfield, object_type="concern", child_uuid=child.uuid
            )
        assert unusual_access_check() == 0
