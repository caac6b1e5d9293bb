"""Verifying outside a transaction (verify_audit, the scheduled check) reads the next batch of seals on a second
connection while it checks the current one: it must find exactly what the plain walk finds."""

import pytest
from django.db import connection, transaction

from safeguarding.audit import chain
from safeguarding.audit.events import EventType
from safeguarding.audit.models import AuditEvent, AuditSeal
from safeguarding.audit.record import record


@pytest.fixture
def small_batches(settings, tmp_path, monkeypatch):
    settings.AUDIT_ANCHOR_PATH = tmp_path / "anchor.json"
    monkeypatch.setattr(chain, "VERIFY_BATCH", 7)


@pytest.mark.django_db(transaction=True)
def test_an_untouched_chain_is_read_ahead_batch_by_batch(small_batches):
    for number in range(30):
        record(EventType.VIEW, object_type="page", reason=f"event {number}")
    chain.seal()

    verdict = chain.verify(anchor=chain.anchor_read())

    assert not connection.in_atomic_block
    assert verdict.ok, verdict.problem
    assert (verdict.checked, verdict.head.sequence) == (30, 30)


@pytest.mark.django_db(transaction=True)
def test_an_altered_event_in_a_later_batch_is_found_at_its_sequence(small_batches):
    for number in range(30):
        record(EventType.VIEW, object_type="page", reason=f"event {number}")
    chain.seal()
    altered = AuditEvent.objects.order_by("id")[19]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("UPDATE audit_auditevent SET reason = 'changed' WHERE id = %s", [altered.pk])

    verdict = chain.verify(anchor=None)

    assert verdict.problem.startswith(f"altered: event {altered.pk} at sequence 20")
    assert (verdict.checked, verdict.head.sequence) == (19, 19)


@pytest.mark.django_db(transaction=True)
def test_sealing_in_spans_of_ids_seals_every_event_once_in_id_order_across_gaps(small_batches, monkeypatch):
    """The sealer takes BATCH ids at a time after its first batch: ids used up by rolled-back transactions leave
    spans with fewer events, or none, and every event is still sealed once, in id order, and the chain verifies."""
    monkeypatch.setattr(chain, "BATCH", 5)
    for number in range(40):
        if number % 6 == 0:  # ids taken by transactions that rolled back: a gap longer than a batch
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence('audit_auditevent', 'id'), last_value + 7) "
                    "FROM audit_auditevent_id_seq"
                )
        record(EventType.VIEW, object_type="page", reason=f"event {number}")

    sealed, head = chain.seal()

    assert sealed == 40 == head.sequence
    in_chain = list(AuditSeal.objects.order_by("sequence").values_list("event_id", flat=True))
    assert in_chain == list(AuditEvent.objects.order_by("id").values_list("id", flat=True))
    assert chain.verify(anchor=chain.anchor_read()).ok
