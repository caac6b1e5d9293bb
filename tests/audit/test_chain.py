import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone

from safeguarding.audit.chain import link, seal, sealed_values
from safeguarding.audit.events import EventType
from safeguarding.audit.models import AuditEvent, AuditSeal
from safeguarding.audit.record import record


@pytest.fixture
def anchor_path(settings, tmp_path):
    settings.AUDIT_ANCHOR_PATH = tmp_path / "anchor.json"
    return settings.AUDIT_ANCHOR_PATH


@pytest.fixture
def sealed_chain(db, anchor_path):
    """Ten events, sealed, with the anchor written."""
    events = [record(EventType.VIEW, object_type="page", reason=f"event {n}") for n in range(10)]
    count, head = seal()
    assert (count, head.sequence) == (10, 10)
    return events


def verify(*args, jobs=1):
    from io import StringIO

    out = StringIO()
    call_command("verify_audit", *args, "--jobs", str(jobs), stdout=out)
    return out.getvalue()


def tamper(sql, params=()):
    """Go around the triggers, as someone holding the database superuser could."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")


def test_an_untouched_chain_with_fresh_unsealed_events_passes(sealed_chain, anchor_path, jobs):
    record(EventType.VIEW, object_type="page")
    record(EventType.LIST, object_type="page")

    output = verify(jobs=jobs)

    assert (
        "Audit trail intact: 10 events checked, 2 too recent to be sealed; matches the anchor at sequence 10" in output
    )
    assert json.loads(anchor_path.read_text())["sequence"] == 10


def test_sealing_continues_the_chain(sealed_chain):
    record(EventType.VIEW, object_type="page")

    count, head = seal()

    assert (count, head.sequence) == (1, 11)
    assert "11 events checked" in verify()


def test_an_altered_event_is_reported_with_its_sequence(sealed_chain, jobs):
    target = sealed_chain[3]
    tamper("UPDATE audit_auditevent SET reason = 'rewritten' WHERE id = %s", [target.pk])

    with pytest.raises(CommandError, match=f"altered: event {target.pk} at sequence 4 does not match its seal"):
        verify(jobs=jobs)


def test_a_removed_event_is_reported_with_its_sequence(sealed_chain, jobs):
    target = sealed_chain[6]
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [target.pk])

    with pytest.raises(CommandError, match=f"removed: event {target.pk}, sealed at sequence 7, is missing"):
        verify(jobs=jobs)


def test_a_removed_seal_is_reported(sealed_chain, jobs):
    tamper("DELETE FROM audit_auditseal WHERE sequence = 5")

    with pytest.raises(CommandError, match="removed: the seals of sequence 5 to 5 are missing"):
        verify(jobs=jobs)


def test_an_old_event_inserted_afterwards_is_reported(sealed_chain, jobs):
    inserted = AuditEvent.objects.create(
        event_type=EventType.VIEW, object_type="page", occurred_at=timezone.now() - timedelta(hours=2)
    )

    with pytest.raises(CommandError, match=f"inserted: event {inserted.pk}, dated .* was never sealed"):
        verify(jobs=jobs)


def test_an_old_event_sealed_long_after_its_time_is_reported(sealed_chain, settings, jobs):
    """Someone holding the key seals a back-dated event on to the chain; its late seal gives it away."""
    inserted = AuditEvent.objects.create(
        event_type=EventType.VIEW, object_type="page", occurred_at=timezone.now() - timedelta(hours=2)
    )
    (values,) = sealed_values(AuditEvent.objects.filter(pk=inserted.pk))
    forged = link(settings.AUDIT_KEY.encode(), values, AuditSeal.objects.get(sequence=10).hash)
    AuditSeal.objects.create(sequence=11, event_id=inserted.pk, hash=forged, sealed_at=timezone.now())

    with pytest.raises(CommandError, match=f"inserted: event {inserted.pk} at sequence 11 was sealed 1[12][0-9] min"):
        verify(jobs=jobs)


def test_cutting_off_the_newest_sealed_events_is_reported(sealed_chain, jobs):
    for event in sealed_chain[8:]:
        tamper("DELETE FROM audit_auditseal WHERE event_id = %s", [event.pk])
        tamper("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])

    with pytest.raises(CommandError, match="cut: the anchor names sequence 10 but the chain ends at 8"):
        verify(jobs=jobs)


def test_an_anchor_saved_elsewhere_can_be_given(sealed_chain, anchor_path, tmp_path, jobs):
    saved = tmp_path / "copy-from-email.json"
    saved.write_text(anchor_path.read_text())
    record(EventType.VIEW, object_type="page")
    seal()

    assert "matches the anchor at sequence 10" in verify("--anchor", str(saved), jobs=jobs)
    saved.write_text(json.dumps({"sequence": 10, "hash": "0" * 64, "sealed_at": ""}))
    with pytest.raises(CommandError, match="rewritten: the chain at sequence 10 differs from the anchor"):
        verify("--anchor", str(saved), jobs=jobs)


def test_seal_audit_command_reports_the_head(sealed_chain):
    from io import StringIO

    record(EventType.VIEW, object_type="page")
    out = StringIO()

    call_command("seal_audit", stdout=out)

    assert "Sealed 1 events; chain head: sequence 11" in out.getvalue()


def test_sealing_is_a_scheduled_job():
    from safeguarding.core.scheduling import periodic_jobs

    jobs = {job.name: job.every for job in periodic_jobs()}

    assert jobs["safeguarding.audit.tasks.audit_seal"] == timedelta(minutes=1)
    assert jobs["safeguarding.trail.tasks.audit_anchor_email"] == timedelta(days=1)


def test_a_sealer_stopped_for_an_hour_raises_no_false_alarm(db, anchor_path):
    start = timezone.now()
    import time_machine

    with time_machine.travel(start, tick=False):
        record(EventType.VIEW, object_type="page")
        seal()
    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        late = record(EventType.VIEW, object_type="page")
    # The scheduler was down: events wait an hour before the next sealing run.
    with time_machine.travel(start + timedelta(minutes=65), tick=False):
        assert "1 events checked, 1 too recent" in verify()
        count, _ = seal()
        assert count == 1
        assert "2 events checked" in verify()
    assert AuditSeal.objects.filter(event_id=late.pk).exists()


def test_an_event_committed_late_within_the_grace_is_still_sealed(db, anchor_path):
    start = timezone.now()
    import time_machine

    with time_machine.travel(start, tick=False):
        record(EventType.VIEW, object_type="page")
        seal()
    # Dated 20 minutes before the last sealed event: a transaction that committed late.
    AuditEvent.objects.create(event_type=EventType.VIEW, object_type="page", occurred_at=start - timedelta(minutes=20))
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        assert seal()[0] == 1
        assert "2 events checked" in verify()


def test_seals_removed_across_the_two_halves_are_reported_as_one_gap(sealed_chain, jobs):
    tamper("DELETE FROM audit_auditseal WHERE sequence BETWEEN 4 AND 7")

    with pytest.raises(CommandError, match="removed: the seals of sequence 4 to 7 are missing"):
        verify(jobs=jobs)


def test_of_two_altered_events_the_earlier_is_reported(sealed_chain, jobs):
    for target in (sealed_chain[8], sealed_chain[2]):
        tamper("UPDATE audit_auditevent SET reason = 'rewritten' WHERE id = %s", [target.pk])

    with pytest.raises(CommandError, match=f"altered: event {sealed_chain[2].pk} at sequence 3 "):
        verify(jobs=jobs)


def test_jobs_must_be_one_or_more(sealed_chain):
    with pytest.raises(CommandError, match="--jobs must be 1 or more"):
        verify(jobs=0)


@pytest.mark.django_db(transaction=True)
def test_verifying_in_separate_processes_finds_what_one_process_finds(anchor_path, monkeypatch):
    """Outside a transaction each job is a process of its own, reading its part of the chain on its own connection."""
    from safeguarding.audit import chain

    monkeypatch.setattr(chain, "VERIFY_BATCH", 4)
    for number in range(30):
        record(EventType.VIEW, object_type="page", reason=f"event {number}")
    seal()
    intact = [chain.verify(anchor=chain.anchor_read(), jobs=jobs) for jobs in (1, 2, 3, 7)]
    assert {(verdict.problem, verdict.checked, verdict.head) for verdict in intact} == {("", 30, intact[0].head)}

    events = list(AuditEvent.objects.order_by("id"))
    tamper("UPDATE audit_auditevent SET reason = 'changed' WHERE id IN (%s, %s)", [events[25].pk, events[17].pk])
    tamper("DELETE FROM audit_auditseal WHERE sequence IN (21, 22)")
    verdicts = [chain.verify(anchor=chain.anchor_read(), jobs=jobs) for jobs in (1, 2, 3, 7)]

    assert not connection.in_atomic_block
    assert {(verdict.problem, verdict.sequence, verdict.checked) for verdict in verdicts} == {
        (f"altered: event {events[17].pk} at sequence 18 does not match its seal", 18, 17)
    }
