"""The audit layer's one generic read: the events about a subject, which the domain narrows and names."""

import uuid

from django.db.models import Q, QuerySet

from safeguarding.audit.models import AuditEvent


def events_about(*, child_uuid: uuid.UUID, also: Q | None = None) -> QuerySet[AuditEvent]:
    """Every event that names the child (also when the child is the object itself), and those `also` selects: the
    events about the child that its domain knows of but that do not name it."""
    about = Q(child_uuid=child_uuid)
    if also:
        about |= also
    return AuditEvent.objects.filter(about)
