"""Sealing the audit trail into a hash chain, and checking it.

Sealing never touches an event. For each committed event not yet sealed, in id order within each run, a seal
row holds its place in the chain (the sequence) and hash_n = HMAC-SHA256(AUDIT_KEY, canonical(event_n) ||
hash_n-1). An event whose transaction committed late is simply sealed in the next run, so the chain's order is
the order of sealing. Each run writes the chain head to the anchor file and the log, outside the tables.

Each run also starts from that anchor: it refuses to extend a chain whose head in the database is behind the anchor,
or whose seal at the anchor's sequence has another hash, so that cutting the newest events and letting the sealer
run again cannot hide the cut.
"""

import hashlib
import hmac
import json
import logging
import multiprocessing
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import Exists, F, Func, Max, Min, OuterRef, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from safeguarding.audit.models import AuditCheckpoint, AuditEvent, AuditSeal

logger = logging.getLogger("safeguarding.audit")

GENESIS = "0" * 64
# The columns of an event that are sealed, in this order. Adding a column means adding it here at the end.
FIELDS = (
    "id",
    "occurred_at",
    "event_type",
    "outcome",
    "user_uuid",
    "role",
    "school_uuid",
    "ip",
    "session_hash",
    "user_agent",
    "request_id",
    "method",
    "route",
    "object_type",
    "object_uuid",
    "child_uuid",
    "shown_ids",
    "row_count",
    "search_hash",
    "reason",
    "detail",
)
BATCH = 5000
VERIFY_BATCH = 20000


def late_commit_window() -> timedelta:
    """How far back the sealer looks for events whose transactions committed late: as far as verification
    allows an event to wait for its seal, so that nothing verification would accept is left behind."""
    return timedelta(minutes=settings.AUDIT_SEAL_GRACE_MINUTES)


# A lock number that only the sealer takes, so two sealers never extend the chain at once.
SEAL_LOCK = 0x5AFE_A0D1


# JSON and UUID columns are sealed as the text the database gives for them, not parsed and re-encoded in
# Python: cheaper, and just as fixed for a given database.
_AS_TEXT = ("shown_ids", "detail", "user_uuid", "school_uuid", "object_uuid", "child_uuid")
_SEALED_COLUMNS = tuple(f"{name}_text" if name in _AS_TEXT else name for name in FIELDS)


class _UtcText(Func):
    """PostgreSQL: a moment as `canonical` writes it (UTC, to the microsecond, as Python's isoformat gives it),
    made by the database rather than by a datetime built and formatted in Python for each event."""

    template = "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"')"
    output_field = TextField()


def sealed_values(events) -> list[tuple]:
    """The values of `events` (a queryset) as a seal covers them, in FIELDS order."""
    texts = {f"{name}_text": Cast(name, TextField()) for name in _AS_TEXT}
    columns = _SEALED_COLUMNS
    if connections[events.db].vendor == "postgresql":
        texts["occurred_at_text"] = _UtcText("occurred_at")
        columns = tuple("occurred_at_text" if name == "occurred_at" else name for name in columns)
    return list(events.annotate(**texts).values_list(*columns))


_TIME = FIELDS.index("occurred_at")


# One encoder for every event: json.dumps would build a new one for each call with these options.
_ENCODER = json.JSONEncoder(separators=(",", ":"), sort_keys=True, default=str)


def canonical(values) -> bytes:
    """The bytes of an event that its seal covers: its values in FIELDS order, as compact JSON.

    The time is written in UTC to the microsecond; JSON and UUID values come as the database's text for them.
    """
    row = list(values)
    if not isinstance(row[_TIME], str):  # already written so by the database (see sealed_values)
        row[_TIME] = row[_TIME].astimezone(timezone.UTC).isoformat(timespec="microseconds")
    return _ENCODER.encode(row).encode()


def _moment(value) -> datetime:
    """An event's time as sealed_values gives it (the database's UTC text on PostgreSQL) as a datetime."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def link(key: bytes, values, previous: str) -> str:
    return hmac.digest(key, canonical(values) + previous.encode(), hashlib.sha256).hex()


@dataclass(frozen=True)
class Head:
    sequence: int
    hash: str
    sealed_at: str

    def as_dict(self):
        return {"sequence": self.sequence, "hash": self.hash, "sealed_at": self.sealed_at}


def _last_seal(using="default") -> AuditSeal | None:
    """The chain's newest seal. When every seal went with retired months, the newest checkpoint stands for it."""
    last = AuditSeal.objects.using(using).order_by("-sequence").first()
    if last is None and (checkpoint := AuditCheckpoint.objects.using(using).order_by("-sequence").first()):
        return AuditSeal(sequence=checkpoint.sequence, event_id=0, hash=checkpoint.hash, sealed_at=checkpoint.sealed_at)
    return last


def chain_head(using="default") -> Head | None:
    seal = _last_seal(using)
    if seal is None:
        return None
    return Head(seal.sequence, seal.hash, seal.sealed_at.isoformat())


def _unsealed_events(*, since=None):
    """Committed events with no seal yet (dated from `since`, when given)."""
    events = AuditEvent.objects.filter(~Exists(AuditSeal.objects.filter(event_id=OuterRef("pk"))))
    return events.filter(occurred_at__gte=since) if since is not None else events


def _unsealed_span(*, after_id: int, since=None) -> list[tuple]:
    """The sealed values of the unsealed events among the BATCH ids after `after_id`, oldest id first. (The table
    is partitioned by time, so "the next BATCH unsealed ids" would sort every unsealed event above `after_id`; a
    span of ids is read from each partition's index.)"""
    events = _unsealed_events(since=since).filter(pk__gt=after_id, pk__lte=after_id + BATCH)
    return sealed_values(events.order_by("pk"))


def _seals_insert(seals: list[tuple]) -> None:
    """Append seals, given as (sequence, event_id, hash, sealed_at); on PostgreSQL with COPY, which is several
    times faster than INSERT for a batch (and no model instance is made for each)."""
    if connection.vendor != "postgresql":
        AuditSeal.objects.bulk_create(
            [AuditSeal(sequence=seq, event_id=event, hash=digest, sealed_at=at) for seq, event, digest, at in seals],
            batch_size=BATCH,
        )
        return
    statement = "COPY audit_auditseal (sequence, event_id, hash, sealed_at) FROM STDIN"
    # COPY's text format written directly: numbers, hex digests and ISO times, none of which needs escaping. The
    # seals of a batch share their time, written once.
    stamps = {at: at.isoformat() for *_, at in seals}
    text = "".join(f"{sequence}\t{event}\t{digest}\t{stamps[at]}\n" for sequence, event, digest, at in seals)
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        copy.write(text)


class SealRefused(Exception):
    """The chain in the database does not carry on from the anchor the sealer last wrote, so sealing stops."""


# What an operator can do about a refusal; docs/audit.md, "When the sealer refuses", says more.
_NO_ANCHOR_ADVICE = (
    "Put the anchor back from a backup (the .anchor.json saved beside each dump) or from the daily anchor email. "
    "Only after checking the chain against a copy kept elsewhere (`manage.py verify_audit --anchor <copy>`), "
    "`manage.py seal_audit --accept-database-head` takes the database's head as the anchor."
)
_MISMATCH_ADVICE = (
    "Nothing more is sealed until this is looked into: run `manage.py verify_audit` and compare the anchors kept "
    "elsewhere (backups, the daily email). If the database was restored from a backup, put the anchor saved with "
    "that backup in place."
)


def _anchor_problem(last: AuditSeal | None, anchor: Head) -> str:
    """Why the chain in the database does not carry on from `anchor`; empty when it does.

    A database ahead of the anchor is fine if it passes through it: a run that committed its seals and stopped
    before writing the anchor, or two runs writing their heads out of order."""
    if last is None:
        return f"the anchor names sequence {anchor.sequence} but the database holds no seals"
    if last.sequence < anchor.sequence:
        return (
            f"the chain in the database ends at sequence {last.sequence}, behind the anchor at sequence "
            f"{anchor.sequence}: its tail was cut"
        )
    at_anchor = (
        last.hash
        if last.sequence == anchor.sequence
        else AuditSeal.objects.filter(sequence=anchor.sequence).values_list("hash", flat=True).first()
    )
    if at_anchor != anchor.hash:
        return f"the seal at sequence {anchor.sequence} differs from the anchor: the chain was rewritten"
    return ""


def _carry_on_from_anchor(last: AuditSeal | None, *, new_chain: bool, accept_database_head: bool) -> Head | None:
    """Check that the chain in the database carries on from the anchor; returns the anchor, or raises SealRefused.

    `new_chain` lets a database with no seals at all start a chain whatever the anchor says (a generated data set
    in a fresh database); `accept_database_head` takes whatever the database holds, as an operator asked."""
    anchor = anchor_read()
    if anchor is None and last is None:
        return None  # a new deployment: the first seal says so
    if anchor is not None and last is None and new_chain:
        logger.warning(
            "Audit chain: the database holds no seals; a new chain replaces the anchor at %s (sequence %s)",
            settings.AUDIT_ANCHOR_PATH,
            anchor.sequence,
        )
        return anchor
    if anchor is None:
        path = settings.AUDIT_ANCHOR_PATH
        problem = f"the database holds seals up to sequence {last.sequence} but there is no anchor at {path}"
        advice = _NO_ANCHOR_ADVICE
    else:
        problem, advice = _anchor_problem(last, anchor), _MISMATCH_ADVICE
    if not problem:
        return anchor
    if accept_database_head:
        logger.warning(
            "Audit chain: %s; the database's head (sequence %s) is accepted in place of the anchor, as asked "
            "(--accept-database-head)",
            problem,
            last.sequence if last else 0,
        )
        return anchor
    logger.critical("Audit chain: sealing refused: %s", problem)
    raise SealRefused(f"Sealing refused: {problem}. {advice}")


def _backlog(last: AuditSeal | None) -> tuple[list[tuple], int | None]:
    """The first batch of a run: from the newest sealed event's own time on, so that a sealer stopped for a while
    still seals the whole backlog, looking back a little for late commits. Returns its rows and the last id of
    its span (None when nothing is waiting)."""
    last_time = (
        AuditEvent.objects.filter(pk=last.event_id).values_list("occurred_at", flat=True).first() if last else None
    )
    since = last_time - late_commit_window() if last_time else None
    # The lowest unsealed id first (no sort of the whole backlog), then the span of BATCH ids from it. Min of pk + 0,
    # not of pk: PostgreSQL would answer MIN(pk) by walking the id index from the lowest id, through every older
    # event of the partition, rather than reading the backlog's span of time from its index.
    lowest = _unsealed_events(since=since).aggregate(lowest=Min(F("pk") + 0))["lowest"]
    if lowest is None:
        return [], None
    return _unsealed_span(after_id=lowest - 1, since=since), lowest - 1 + BATCH


def _lock_sealer() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEAL_LOCK])


def seal(*, now=None, new_chain: bool = False, accept_database_head: bool = False) -> tuple[int, Head | None]:
    """Seal every committed event not yet sealed; returns how many were sealed and the new chain head.

    Starts from the anchor it last wrote and raises SealRefused when the database's chain does not carry on from
    it (see _carry_on_from_anchor for the two ways to start otherwise). `now` is the time the seals record, the
    present by default; a generated history (`seed_scale`) is sealed as the sealer would have sealed it, a period
    at a time."""
    key = settings.AUDIT_KEY.encode()
    total = 0
    after_id = newest = None
    while True:
        with transaction.atomic():
            _lock_sealer()
            last = _last_seal()
            sequence, previous = (last.sequence, last.hash) if last else (0, GENESIS)
            if after_id is None:
                anchor = _carry_on_from_anchor(last, new_chain=new_chain, accept_database_head=accept_database_head)
                rows, after_id = _backlog(last)
                newest = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
            else:
                # Later batches of the same run: every unsealed event up to the previous span's end was in it, so
                # only higher ids are left to seal, a span of BATCH ids at a time.
                rows = _unsealed_span(after_id=after_id)
                after_id += BATCH
            sealed_at = now or timezone.now()
            seals = []
            for values in rows:
                sequence += 1
                previous = link(key, values, previous)
                seals.append((sequence, values[0], previous, sealed_at))
            if seals and seals[0][0] == 1:
                logger.warning(
                    "Audit chain: a new chain starts at sequence 1; its anchor is %s", settings.AUDIT_ANCHOR_PATH
                )
            _seals_insert(seals)
            total += len(seals)
        # Nothing waiting, or the spans have passed the newest event when the run began: events committed since
        # are the next run's.
        if after_id is None or after_id >= newest:
            break
    head = chain_head()
    # Also when nothing was sealed, if the anchor lags: a run that stopped before writing it, or an accepted head.
    if head is not None and (anchor is None or (anchor.sequence, anchor.hash) != (head.sequence, head.hash)):
        anchor_write(head)
    return total, head


def anchor_write(head: Head, path: Path | None = None) -> None:
    """Write the chain head outside the database: to the anchor file (replaced whole) and to the log."""
    path = Path(path or settings.AUDIT_ANCHOR_PATH)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, prefix=".anchor-") as handle:
        json.dump(head.as_dict(), handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(handle.name, path)
    logger.info("Audit chain head: sequence %s, hash %s, sealed at %s", head.sequence, head.hash, head.sealed_at)


def anchor_read(path: Path | None = None) -> Head | None:
    path = Path(path or settings.AUDIT_ANCHOR_PATH)
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    return Head(int(data["sequence"]), str(data["hash"]), str(data.get("sealed_at", "")))


def _events_by_id(ids: list[int]) -> dict[int, tuple]:
    """The events of one batch of seals. Seal order follows id order closely, so a range is usually the
    cheapest way to fetch them; a batch spread far apart (late commits) is fetched by id."""
    low, high = min(ids), max(ids)
    events = AuditEvent.objects.all()
    events = events.filter(pk__gte=low, pk__lte=high) if high - low < 2 * len(ids) else events.filter(pk__in=ids)
    return {values[0]: values for values in sealed_values(events)}


def _seal_batch(first: int, last: int | None = None) -> tuple[list[tuple], dict[int, tuple]]:
    """Up to VERIFY_BATCH seals from sequence `first` on (up to `last`, if given), in order, and their events."""
    seals = AuditSeal.objects.filter(sequence__gte=first)
    if last is not None:
        seals = seals.filter(sequence__lte=last)
    seals = list(seals.order_by("sequence").values_list("sequence", "event_id", "hash", "sealed_at")[:VERIFY_BATCH])
    return seals, (_events_by_id([seal[1] for seal in seals]) if seals else {})


def _seal_batches(first: int, last: int | None = None):
    """Every seal from sequence `first` on (up to `last`, if given), with its event, a batch at a time.

    Outside a transaction the next batch is read on a second connection while the caller checks this one, so
    that reading and hashing overlap; inside one (a test's, say) the batches are read in turn on its connection.
    """
    if connection.in_atomic_block:
        while (batch := _seal_batch(first, last))[0]:
            yield batch
            first = batch[0][-1][0] + 1
        return
    with ThreadPoolExecutor(max_workers=1) as reader:
        try:
            upcoming = reader.submit(_seal_batch, first, last)
            while (batch := upcoming.result())[0]:
                upcoming = reader.submit(_seal_batch, batch[0][-1][0] + 1, last)
                yield batch
        finally:
            reader.submit(connections.close_all)  # the reader thread's own connection


def checkpoint_signature(*, sequence: int, hash: str, sealed_at, month: str) -> str:
    """The HMAC of a checkpoint (the chain's last seal at a retired month's cut), under the audit key like a seal."""
    message = _ENCODER.encode(
        ["checkpoint", sequence, hash, sealed_at.astimezone(timezone.UTC).isoformat(timespec="microseconds"), month]
    )
    return hmac.digest(settings.AUDIT_KEY.encode(), message.encode(), hashlib.sha256).hex()


@dataclass(frozen=True)
class ChainStart:
    """Where the chain in the database starts: the sequence after the newest checkpoint and the hash it chains from,
    or sequence 1 from 64 zeros when no month was ever retired."""

    sequence: int = 1
    previous: str = GENESIS
    after_checkpoint: bool = False


def chain_start() -> tuple[ChainStart, str]:
    """The chain's start, and a problem when a checkpoint does not match its signature."""
    checkpoints = list(AuditCheckpoint.objects.order_by("sequence"))
    for checkpoint in checkpoints:
        signature = checkpoint_signature(
            sequence=checkpoint.sequence, hash=checkpoint.hash, sealed_at=checkpoint.sealed_at, month=checkpoint.month
        )
        if not hmac.compare_digest(signature, checkpoint.hmac):
            return ChainStart(), (
                f"forged: the checkpoint of the retired month {checkpoint.month} (sequence {checkpoint.sequence}) "
                "does not match its signature"
            )
    if not checkpoints:
        return ChainStart(), ""
    newest = checkpoints[-1]
    return ChainStart(newest.sequence + 1, newest.hash, True), ""


@dataclass
class Verdict:
    checked: int = 0
    too_recent: int = 0
    problem: str = ""
    sequence: int | None = None
    head: Head | None = None
    # The hash the walk computed at the anchor's sequence, when it passed there.
    at_anchor: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problem


def _just_before(first: int, start: ChainStart) -> tuple[str, object, object]:
    """What the walk from sequence `first` needs of the chain before it: the stored hash of the seal just before
    (each link is checked against its stored predecessor), the time of that seal's run and of the run before."""
    if first == start.sequence:
        return start.previous, None, None
    before = AuditSeal.objects.filter(sequence__gte=start.sequence, sequence__lt=first).order_by("-sequence")
    seal = before.values_list("hash", "sealed_at").first()
    if seal is None:
        return start.previous, None, None
    earlier_run = before.exclude(sealed_at=seal[1]).values_list("sealed_at", flat=True).first()
    return seal[0], seal[1], earlier_run


def _gap(expected: int, found: int, start: ChainStart) -> str:
    unaccounted = ", and no checkpoint of a retired month accounts for them" if expected == start.sequence == 1 else ""
    return f"removed: the seals of sequence {expected} to {found - 1} are missing{unaccounted}"


def _walk(first: int, last: int | None, start: ChainStart, anchor_sequence: int | None) -> Verdict:
    """Walk the seals from sequence `first` to `last` (the end of the chain if None) in order, recomputing each hash
    from the stored one before it; stop at the first problem."""
    key, grace = settings.AUDIT_KEY.encode(), timedelta(minutes=settings.AUDIT_SEAL_GRACE_MINUTES)
    verdict = Verdict()
    previous, run_at, previous_run_at = _just_before(first, start)
    expected = first
    # The time of the sealer's previous run: an event already older than the grace when that run sealed others
    # should have been sealed by it. A sealer that was stopped for a while raises no alarm this way.
    with closing(_seal_batches(first, last)) as batches:
        for seals, events in batches:
            checked_at = None  # the time of the last seal found good in this batch, for the verdict's head
            for sequence, event_id, stored_hash, sealed_at in seals:
                if sealed_at != run_at:
                    run_at, previous_run_at = sealed_at, run_at
                if sequence != expected:
                    verdict.problem, verdict.sequence = _gap(expected, sequence, start), expected
                    break
                values = events.get(event_id)
                if values is None:
                    verdict.problem = f"removed: event {event_id}, sealed at sequence {sequence}, is missing"
                elif (computed := link(key, values, previous)) != stored_hash:
                    verdict.problem = f"altered: event {event_id} at sequence {sequence} does not match its seal"
                elif previous_run_at is not None and previous_run_at - (at := _moment(values[_TIME])) > grace:
                    verdict.problem = (
                        f"inserted: event {event_id} at sequence {sequence} was sealed "
                        f"{int((sealed_at - at).total_seconds() // 60)} minutes after its own time, "
                        "though the sealer ran in between"
                    )
                if verdict.problem:
                    verdict.sequence = sequence
                    break
                previous, expected, checked_at = computed, sequence + 1, sealed_at
                if sequence == anchor_sequence:
                    verdict.at_anchor = computed
            verdict.checked = expected - first
            if checked_at is not None:
                verdict.head = Head(expected - 1, previous, checked_at.isoformat())
            if verdict.problem:
                return verdict
    if last is not None and expected <= last:
        # The range ended early: a gap, if the chain carries on after it.
        after = AuditSeal.objects.filter(sequence__gt=last).order_by("sequence").values_list("sequence", flat=True)
        if (found := after.first()) is not None:
            verdict.problem, verdict.sequence = _gap(expected, found, start), expected
    return verdict


def _walk_in_process(first: int, last: int | None, start: ChainStart, anchor_sequence: int | None) -> Verdict:
    try:
        return _walk(first, last, start, anchor_sequence)
    finally:
        connections.close_all()


def _ranges(first: int, last: int, jobs: int) -> list[tuple[int, int | None]]:
    """`jobs` contiguous ranges of sequences from `first` to `last`; the last range runs on to the chain's end."""
    size = max(1, -(-(last - first + 1) // jobs))
    starts = list(range(first, last + 1, size))[:jobs] or [first]
    return [(begin, end - 1) for begin, end in pairwise(starts)] + [(starts[-1], None)]


def _combined(verdicts: list[Verdict], start: ChainStart) -> Verdict:
    """The verdicts of contiguous ranges as one: the first problem is the one with the lowest sequence, as a walk of
    the whole chain in one go would stop at."""
    failed = [verdict for verdict in verdicts if verdict.problem]
    first_problem = min(failed, key=lambda verdict: verdict.sequence) if failed else None
    combined = Verdict()
    for verdict in verdicts:
        combined.head = verdict.head or combined.head
        combined.at_anchor = verdict.at_anchor or combined.at_anchor
        combined.checked += verdict.checked
        if verdict is first_problem:
            combined.problem, combined.sequence = verdict.problem, verdict.sequence
            combined.checked = verdict.sequence - start.sequence
            break
    return combined


def _chain_verdict(start: ChainStart, anchor: Head | None, jobs: int) -> Verdict:
    """Walk the chain from its start, in `jobs` contiguous ranges checked in separate processes.

    Inside a transaction (a test's), other processes cannot see its rows: the ranges are then walked in turn."""
    last = AuditSeal.objects.aggregate(last=Max("sequence"))["last"] or start.sequence
    ranges = _ranges(start.sequence, last, max(1, jobs))
    arguments = [(first, end, start, anchor.sequence if anchor else None) for first, end in ranges]
    if len(ranges) == 1 or connection.in_atomic_block:
        return _combined([_walk(*each) for each in arguments], start)
    connections.close_all()  # a forked process must not share the parent's connections
    with multiprocessing.get_context("fork").Pool(len(ranges)) as pool:
        return _combined(pool.starmap(_walk_in_process, arguments), start)


def _unsealed_problem(verdict: Verdict, now) -> None:
    """An event the sealer should have sealed by now but never did; the others are counted as too recent."""
    grace = timedelta(minutes=settings.AUDIT_SEAL_GRACE_MINUTES)
    has_seal = AuditSeal.objects.filter(event_id=OuterRef("pk"))
    unsealed = AuditEvent.objects.filter(~Exists(has_seal))
    # Suspicious only if the sealer has run since the event should have been sealed; otherwise it is pending.
    last_run = AuditSeal.objects.order_by("-sequence").values_list("sealed_at", flat=True).first()
    cutoff = min(now, last_run) - grace if last_run else None
    old = (
        unsealed.filter(occurred_at__lt=cutoff).order_by("pk").values_list("pk", "occurred_at").first()
        if cutoff
        else None
    )
    if old is not None:
        verdict.problem = f"inserted: event {old[0]}, dated {old[1]:%Y-%m-%d %H:%M:%S} UTC, was never sealed"
        return
    verdict.too_recent = unsealed.count()


def _anchor_compare(verdict: Verdict, anchor: Head, start: ChainStart) -> None:
    last = verdict.head.sequence if verdict.head else start.sequence - 1
    at_anchor = start.previous if anchor.sequence == start.sequence - 1 else verdict.at_anchor
    if anchor.sequence > last:
        verdict.problem = f"cut: the anchor names sequence {anchor.sequence} but the chain ends at {last}"
        verdict.sequence = last + 1
    elif anchor.sequence < start.sequence - 1:
        verdict.problem = (
            f"older anchor: the anchor names sequence {anchor.sequence}, a part of the chain since retired "
            f"(the checkpoint is at sequence {start.sequence - 1})"
        )
    elif at_anchor != anchor.hash:
        verdict.problem = f"rewritten: the chain at sequence {anchor.sequence} differs from the anchor"
        verdict.sequence = anchor.sequence


def verify(*, anchor: Head | None, now=None, jobs: int = 1) -> Verdict:
    """Recompute the chain from its start (after the newest checkpoint of a retired month, if any) and compare the
    anchor; the verdict names the first problem found. `jobs` processes share the walk, finding the same problem."""
    start, problem = chain_start()
    if problem:
        return Verdict(problem=problem)
    verdict = _chain_verdict(start, anchor, jobs)
    if verdict.problem:
        return verdict
    _unsealed_problem(verdict, now or timezone.now())
    if not verdict.problem and anchor is not None:
        _anchor_compare(verdict, anchor, start)
    return verdict
