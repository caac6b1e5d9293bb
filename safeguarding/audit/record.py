"""The one function that writes the audit trail."""

import uuid
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from safeguarding.audit.context import RequestContext, keyed_hash
from safeguarding.audit.events import WRITE_EVENTS, EventType, Outcome
from safeguarding.audit.models import AuditEvent


class AuditWriteOutsideTransaction(RuntimeError):
    pass


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
        event.save(using="default")
    else:
        event.save(using=settings.AUDIT_DB_ALIAS)
    return event


def role_for(user, school) -> str:
    """The role a person holds at a school right now, for events recorded outside a request."""
    return RequestContext(user=user).role_at(school)
