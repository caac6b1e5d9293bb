"""The one function that writes the audit trail."""

import uuid
from collections.abc import Iterable
from functools import cache

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

from safeguarding.audit.context import RequestContext, keyed_hash
from safeguarding.audit.events import WRITE_EVENTS, EventType, Outcome
from safeguarding.audit.models import AuditEvent


class AuditWriteOutsideTransaction(RuntimeError):
    """A change event recorded outside the transaction of the change it records."""


def record(
    event_type: EventType,
    *,
    user=None,
    context: RequestContext | None = None,
    school=None,
    outcome: Outcome = Outcome.ALLOWED,
    object_type: str = "",
    object_uuid: uuid.UUID | None = None,
    child_uuid: uuid.UUID | None = None,
    shown_ids: Iterable[uuid.UUID] = (),
    row_count: int | None = None,
    search_term: str | None = None,
    reason: str = "",
    detail: dict | None = None,
) -> AuditEvent:
    """Write one audit event and return it.

    A change (see WRITE_EVENTS) is written on the default connection inside the change's own transaction, which
    must be open. Anything else (a read, a refusal, a sign-in) goes through the audit connection and is committed
    at once, so it stays even if the request fails afterwards. If the write fails, the exception propagates: the
    caller must not hand out data it could not record.
    """
    event_type = EventType(event_type)
    context = context or RequestContext()
    user = user if user is not None else context.user
    is_signed_in = user is not None and getattr(user, "is_authenticated", False)
    event = AuditEvent(
        occurred_at=timezone.now(),
        event_type=event_type,
        outcome=Outcome(outcome),
        user_uuid=user.uuid if is_signed_in else None,
        role=(context if context.user == user else RequestContext(user=user)).role_at(school) if is_signed_in else "",
        school_uuid=school.uuid if school is not None else None,
        ip=context.ip,
        session_hash=context.session_hash,
        user_agent=context.user_agent,
        request_id=context.request_id,
        method=context.method,
        route=context.route,
        object_type=object_type,
        object_uuid=object_uuid,
        child_uuid=child_uuid,
        shown_ids=[str(value) for value in shown_ids],
        row_count=row_count,
        search_hash=keyed_hash(search_term.strip().lower()) if search_term else "",
        reason=reason[:200],
        detail=detail or {},
    )
    if event_type in WRITE_EVENTS:
        if not transaction.get_connection().in_atomic_block:
            raise AuditWriteOutsideTransaction(f"A {event_type} event must be written in the change's transaction.")
        _insert(event, using="default")
    else:
        _insert(event, using=settings.AUDIT_DB_ALIAS)
    return event


def record_shown(rows, event_type: EventType = EventType.LIST, **fields) -> AuditEvent:
    """Record that the person was shown `rows` (a list, or one page of a longer list): the UUIDs of the rows shown,
    and how many there were in all. `fields` are the rest of `record`'s."""
    paginator = getattr(rows, "paginator", None)
    return record(
        event_type,
        shown_ids=[row.uuid for row in rows],
        row_count=paginator.count if paginator is not None else len(rows),
        **fields,
    )


_COLUMNS = [field for field in AuditEvent._meta.concrete_fields if not field.primary_key]


@cache
def _insert_sql(vendor: str) -> str:
    quote = connections["default"].ops.quote_name
    columns = ", ".join(quote(field.column) for field in _COLUMNS)
    placeholders = ", ".join(["%s"] * len(_COLUMNS))
    return f"INSERT INTO {quote(AuditEvent._meta.db_table)} ({columns}) VALUES ({placeholders}) RETURNING id"  # noqa: S608


def _insert(event: AuditEvent, *, using: str) -> None:
    """One plain INSERT: recording sits on the path of every page, so it skips the ORM's save machinery
    (signals, the update-or-insert dance), which roughly halves its cost."""
    connection = connections[using]
    params = [field.get_db_prep_save(getattr(event, field.attname), connection) for field in _COLUMNS]
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(connection.vendor), params)
        event.pk = cursor.fetchone()[0]
    event._state.adding = False
    event._state.db = using


def record_rule_refusal(request, *, school, object_type: str, object_uuid, child_uuid=None) -> AuditEvent:
    """A request a business rule turned down (as opposed to a 403 or 404, which the audit middleware records)."""
    request.audit_refusal_recorded = True
    return record(
        EventType.ACCESS_REFUSED,
        context=request.audit,
        school=school,
        outcome=Outcome.REFUSED,
        object_type=object_type,
        object_uuid=object_uuid,
        child_uuid=child_uuid,
        reason="refused by a rule",
    )
