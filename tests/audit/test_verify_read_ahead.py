"""Verifying outside a transaction (verify_audit, the scheduled check) reads the next batch of seals on a second
connection while it checks the current one: it must find exactly what the plain walk finds."""

import pytest
from django.db import connection, transaction

from safeguarding.audit import chain
from safeguarding.audit.events import EventType
from safeguarding.audit.models import AuditEvent
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
