"""Retiring a month of the audit trail once the audit period has passed (docs/audit.md, "Retiring a month").

The month's partition is dropped whole, and the seals of its events with it. Those seals must be exactly the start
of the chain as it stands (the oldest seals left, in one run), so that what remains is still one unbroken chain; in
their place a checkpoint keeps the last of them (sequence, hash, time), signed with the audit key like a seal, and
verification starts from it. An audit event records the retirement, with figures only.

Runs as the tables' owner, like `migrate`: the application's role may neither drop a partition nor delete a seal.
The seals' trigger lets their DELETE through only in a transaction that has said `SET LOCAL safeguard.retiring`, and
only for seals the newest checkpoint covers (migration 0007).
"""

import logging
from datetime import date

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from safeguarding.audit import chain
from safeguarding.audit.events import EventType
from safeguarding.audit.models import AuditCheckpoint, AuditSeal
from safeguarding.audit.partitions import is_partitioned, month_add, month_partitions
from safeguarding.audit.record import record

logger = logging.getLogger("safeguarding.audit")


class RetireRefused(Exception):
    """The month cannot be retired: still inside the audit period, not a partition of its own, or its seals are not
    the start of the chain."""


def kept_until(month: date) -> date:
    """The first day a month of the trail may be retired: the audit period after the month ends."""
    end = month_add(month, 1)
    return end.replace(year=end.year + settings.AUDIT_RETENTION_YEARS)


def _month_seals(partition: str) -> tuple[int, int, int | None, int | None]:
    """How many events the partition holds, how many are sealed, and the lowest and highest of their sequences."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), count(s.sequence), min(s.sequence), max(s.sequence) FROM {partition} e "  # noqa: S608
            "LEFT JOIN audit_auditseal s ON s.event_id = e.id"
        )
        return cursor.fetchone()


def _check_prefix(name: str, start: int, seals: tuple) -> None:
    """Refuse unless the month's events are all sealed and their seals are exactly the chain's next `sealed` ones."""
    events, sealed, lowest, highest = seals
    if sealed < events:
        raise RetireRefused(
            f"{events - sealed} of the {events} events of {name} are not sealed: run `manage.py seal_audit` and "
            "`manage.py verify_audit`, and look into any problem they report, before retiring the month."
        )
    if sealed and (lowest != start + 1 or highest != start + sealed):
        raise RetireRefused(
            f"The seals of {name}'s events are not the start of the chain: the chain starts at sequence {start + 1}, "
            f"and this month's {sealed} seals run from sequence {lowest} to {highest}. Retire the months before it "
            "first; a month whose seals are mixed with a later month's cannot be retired whole."
        )


def _check_chain(name: str, start: chain.ChainStart, last: int) -> None:
    """The links of the seals about to go must hold: a checkpoint must not vouch for a chain already broken."""
    verdict = chain._walk(start.sequence, last, start, None)
    if verdict.problem:
        raise RetireRefused(f"The chain of {name}'s events does not verify ({verdict.problem}): look into it first.")


def _checkpoint_write(name: str, last: int, events: int) -> AuditCheckpoint:
    seal = AuditSeal.objects.get(sequence=last)
    signature = chain.checkpoint_signature(sequence=last, hash=seal.hash, sealed_at=seal.sealed_at, month=name)
    return AuditCheckpoint.objects.create(
        sequence=last, hash=seal.hash, sealed_at=seal.sealed_at, month=name, events=events, hmac=signature
    )


def audit_month_retire(*, month: date, now=None) -> AuditCheckpoint | None:
    """Drop the month's events and their seals, leaving a signed checkpoint of the chain at the cut; returns it
    (None for a month with no events). Raises RetireRefused, changing nothing, when the month cannot go."""
    name = f"{month:%Y-%m}"
    now = now or timezone.now()
    if not is_partitioned():
        raise RetireRefused("Months are retired only on PostgreSQL, where the audit trail is partitioned by month.")
    if (until := kept_until(month)) > now.date():
        raise RetireRefused(
            f"{name} is inside the audit period ({settings.AUDIT_RETENTION_YEARS} years after the month ends): "
            f"it is kept until {until:%-d %b %Y}."
        )
    partition = month_partitions().get(month)
    if partition is None:
        raise RetireRefused(
            f"{name} has no partition of its own (its events, if any, are in the default partition), so it cannot "
            "be retired whole."
        )
    with transaction.atomic():
        chain._lock_sealer()
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {partition} IN ACCESS EXCLUSIVE MODE")
        start, problem = chain.chain_start()
        if problem:
            raise RetireRefused(f"The chain's checkpoint does not verify ({problem}): look into it first.")
        seals = _month_seals(partition)
        _check_prefix(name, start.sequence - 1, seals)
        events, sealed, _, last = seals
        checkpoint = None
        if sealed:
            _check_chain(name, start, last)
            checkpoint = _checkpoint_write(name, last, events)
        with connection.cursor() as cursor:
            if sealed:
                # The one way round the seals' trigger, for this transaction only (SET LOCAL).
                cursor.execute("SELECT set_config('safeguard.retiring', %s, true)", [name])
                cursor.execute(
                    "DELETE FROM audit_auditseal WHERE sequence >= %s AND sequence <= %s", [start.sequence, last]
                )
                cursor.execute("SELECT set_config('safeguard.retiring', '', true)")
            cursor.execute(f"DROP TABLE {partition}")
        record(
            EventType.DELETE,
            object_type="audit_month",
            reason="retired after the audit period",
            detail={"month": name, "events": events, "checkpoint_sequence": last},
        )
    logger.warning(
        "Audit trail: the month %s was retired: %s events and their seals removed, checkpoint at sequence %s",
        name,
        events,
        last,
    )
    return checkpoint


def month_parse(text: str) -> date:
    """A month given as YYYY-MM."""
    year, _, month = text.partition("-")
    if not (len(year) == 4 and len(month) == 2 and year.isdigit() and month.isdigit() and 1 <= int(month) <= 12):
        raise ValueError(f"{text!r} is not a month written as YYYY-MM")
    return date(int(year), int(month), 1)
