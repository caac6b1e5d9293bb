"""Someone holding the database superuser cuts or rebuilds the end of the audit trail and waits for the sealer to
run again. The sealer starts from the anchor it last wrote and refuses; verify_audit never passes without an anchor
unless told to skip it."""

import json
import logging

import pytest
from django.core.management import CommandError, call_command

from safeguarding.audit import chain
from safeguarding.audit.events import EventType
from safeguarding.audit.models import AuditSeal
from safeguarding.audit.record import record
from safeguarding.audit.tasks import audit_seal
from safeguarding.core.heartbeats import SCHEDULER, WORKER, heartbeat_record
from tests.audit.test_chain import tamper, verify


@pytest.fixture
def anchor_path(settings):
    return settings.AUDIT_ANCHOR_PATH


@pytest.fixture
def ten_sealed(db, anchor_path):
    """Ten events, sealed, with the anchor written."""
    events = [record(EventType.VIEW, object_type="page", reason=f"event {n}") for n in range(10)]
    assert chain.seal()[1].sequence == 10
    return events


def cut_after(events, kept: int) -> None:
    """Delete every event after the first `kept`, and its seal, around the triggers."""
    for event in events[kept:]:
        tamper("DELETE FROM audit_auditseal WHERE event_id = %s", [event.pk])
        tamper("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])


def test_a_dsl_relying_on_the_trail_sees_a_cut_tail_even_after_the_sealer_runs_again(
    ten_sealed, anchor_path, caplog, jobs
):
    anchor = anchor_path.read_text()
    cut_after(ten_sealed, 7)
    record(EventType.VIEW, object_type="page")

    with pytest.raises(chain.SealRefused, match="ends at sequence 7, behind the anchor at sequence 10"):
        chain.seal()

    assert anchor_path.read_text() == anchor
    assert AuditSeal.objects.count() == 7
    (refusal,) = [line for line in caplog.records if line.levelno == logging.CRITICAL]
    assert "sealing refused" in refusal.getMessage() and "sequence 7" in refusal.getMessage()
    with pytest.raises(CommandError, match="Sealing refused: the chain in the database ends at sequence 7"):
        call_command("seal_audit")
    with pytest.raises(CommandError, match="cut: the anchor names sequence 10 but the chain ends at 7"):
        verify(jobs=jobs)


def test_a_dsl_relying_on_the_trail_is_not_given_a_rewritten_chain_to_extend(ten_sealed, anchor_path):
    anchor = anchor_path.read_text()
    tamper("UPDATE audit_auditseal SET hash = %s WHERE sequence = 10", ["f" * 64])
    record(EventType.VIEW, object_type="page")

    with pytest.raises(chain.SealRefused, match="the seal at sequence 10 differs from the anchor"):
        chain.seal()

    assert anchor_path.read_text() == anchor
    assert AuditSeal.objects.count() == 10


def test_a_child_whose_access_record_was_rewritten_is_not_hidden_by_sealing_the_trail_again(
    ten_sealed, anchor_path, jobs
):
    anchor = anchor_path.read_text()
    tamper("UPDATE audit_auditevent SET reason = 'nothing to see' WHERE id = %s", [ten_sealed[3].pk])
    tamper("DELETE FROM audit_auditseal")

    with pytest.raises(chain.SealRefused, match="the anchor names sequence 10 but the database holds no seals"):
        chain.seal()

    assert AuditSeal.objects.count() == 0
    assert anchor_path.read_text() == anchor
    with pytest.raises(CommandError, match="cut: the anchor names sequence 10 but the chain ends at 0"):
        verify(jobs=jobs)


def test_an_auditor_is_not_shown_a_clean_trail_when_the_anchor_is_missing(ten_sealed, anchor_path, jobs):
    anchor_path.unlink()

    with pytest.raises(CommandError, match=r"No anchor at .*--skip-anchor"):
        verify(jobs=jobs)
    output = verify("--skip-anchor", jobs=jobs)
    assert "Audit trail intact: 10 events checked" in output
    assert "the anchor was skipped (--skip-anchor), so a cut tail was not checked" in output

    record(EventType.VIEW, object_type="page")
    with pytest.raises(chain.SealRefused, match="seals up to sequence 10 but there is no anchor") as refusal:
        chain.seal()
    assert "daily anchor email" in str(refusal.value) and "--accept-database-head" in str(refusal.value)
    assert not anchor_path.exists()
    assert AuditSeal.objects.count() == 10


def test_an_operator_can_accept_the_database_head_and_it_is_logged(ten_sealed, anchor_path, caplog, jobs):
    from io import StringIO

    anchor_path.unlink()
    record(EventType.VIEW, object_type="page")
    out = StringIO()

    with caplog.at_level(logging.WARNING, logger="safeguarding.audit"):
        call_command("seal_audit", "--accept-database-head", stdout=out)

    assert "Sealed 1 events; chain head: sequence 11" in out.getvalue()
    assert json.loads(anchor_path.read_text())["sequence"] == 11
    assert any(
        line.levelno == logging.WARNING and "accepted in place of the anchor" in line.getMessage()
        for line in caplog.records
    )
    assert "matches the anchor at sequence 11" in verify(jobs=jobs)


def test_an_operator_setting_up_a_new_school_sees_the_chain_start_in_the_log(db, anchor_path, caplog):
    record(EventType.VIEW, object_type="page")
    record(EventType.LIST, object_type="page")

    with caplog.at_level(logging.INFO, logger="safeguarding.audit"):
        count, head = chain.seal()

    assert (count, head.sequence) == (2, 2)
    assert "a new chain starts at sequence 1" in caplog.text
    assert json.loads(anchor_path.read_text())["sequence"] == 2


def test_a_sealer_that_stopped_between_its_seals_and_its_anchor_carries_on(ten_sealed, anchor_path, monkeypatch, jobs):
    record(EventType.VIEW, object_type="page")
    record(EventType.VIEW, object_type="page")

    def crash(head):
        raise OSError("disk gone")

    with monkeypatch.context() as patched:
        patched.setattr(chain, "anchor_write", crash)
        with pytest.raises(OSError, match="disk gone"):
            chain.seal()
    assert AuditSeal.objects.count() == 12
    assert json.loads(anchor_path.read_text())["sequence"] == 10

    assert chain.seal() == (0, chain.chain_head())  # nothing new, but the anchor catches up
    assert json.loads(anchor_path.read_text())["sequence"] == 12
    record(EventType.VIEW, object_type="page")
    assert chain.seal()[0] == 1
    assert "13 events checked" in verify(jobs=jobs)


def test_an_operator_watching_healthz_sees_the_sealer_refuse(ten_sealed, client):
    heartbeat_record(name=WORKER)
    heartbeat_record(name=SCHEDULER)
    cut_after(ten_sealed, 8)

    with pytest.raises(chain.SealRefused):
        audit_seal.call()
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["sealer"] == "refused to seal"
    assert response.json()["down"] == ["sealer"]

    call_command("seal_audit", "--accept-database-head")
    record(EventType.VIEW, object_type="page")
    assert audit_seal.call() == 1
    assert client.get("/healthz").json()["sealer"] == "ok"
