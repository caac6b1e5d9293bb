"""Reads that may go to a streaming replica, when one is configured (REPLICA_DATABASE_URL).

Only code that asks for it reads from the replica: a view or task wrapped in `replica_reads` (reports, the audit
trail's pages, background exports). Everything else, every write and every audit event stays on the primary.
Inside such a block a read still goes to the primary when it happens inside a transaction, or after the block has
written anything, so that a page never reads back an older copy of what it has just changed. Without a replica
the block does nothing.
"""

import time
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from functools import wraps

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

REPLICA = "replica"

# None outside a replica_reads block; inside, a dict saying whether the block has written yet.
_block: ContextVar[dict | None] = ContextVar("replica_reads", default=None)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def replica_reads():
    """Send this block's plain reads to the replica (when there is one)."""
    token = _block.set({"wrote": False})
    try:
        yield
    finally:
        _block.reset(token)


def reads_from_replica(function):
    """`replica_reads` around a view or task function."""

    @wraps(function)
    def wrapper(*args, **kwargs):
        with replica_reads():
            return function(*args, **kwargs)

    return wrapper


def replica_caught_up(*, timeout: float = 5.0) -> bool:
    """Whether the replica has replayed everything the primary had written when asked, waiting up to `timeout`
    seconds; False without a replica or when it cannot be reached."""
    if not replica_configured():
        return False
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        target = cursor.fetchone()[0]
    deadline = time.monotonic() + timeout
    try:
        while True:
            with connections[REPLICA].cursor() as cursor:
                cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
                if cursor.fetchone()[0]:
                    return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
    except DatabaseError:
        return False


def replica_reads_once_caught_up(*, timeout: float = 5.0):
    """`replica_reads` for work that must see rows written just before it started (a task reading the record its
    request made): only once the replica has them, else the primary."""
    return replica_reads() if replica_caught_up(timeout=timeout) else nullcontext()


class ReplicaRouter:
    """Routes the reads of a `replica_reads` block to the replica; keeps writes and migrations on the primary."""

    def db_for_read(self, model, **hints):
        block = _block.get()
        if block is None or block["wrote"] or not replica_configured():
            return None
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return None  # a transaction reads what it locks and writes, on the primary
        return REPLICA

    def db_for_write(self, model, **hints):
        block = _block.get()
        if block is not None:
            block["wrote"] = True
        instance = hints.get("instance")
        if instance is not None and instance._state.db == REPLICA:
            return DEFAULT_DB_ALIAS  # a row read from the replica is saved on the primary
        return None

    def allow_relation(self, obj1, obj2, **hints):
        both = {obj1._state.db or DEFAULT_DB_ALIAS, obj2._state.db or DEFAULT_DB_ALIAS}
        return True if both <= {DEFAULT_DB_ALIAS, REPLICA} else None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return False if db == REPLICA else None
