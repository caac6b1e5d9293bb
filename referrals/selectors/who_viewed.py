"""Who viewed a child's records: every access to the child's file, to the records later moved into it, and the
exports that covered the child. The events come from the audit layer's generic query; what counts as being about
the child is the domain's to say."""

import uuid

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.http import Http404

from referrals.models import Child, DisposalCertificate, ExportRecord
from referrals.selectors.children import children_matching, records_moved_into
from referrals.upn import normalise_upn
from safeguarding.accounts.models import User
from safeguarding.accounts.permissions import Capability, schools_where
from safeguarding.audit.context import RequestContext
from safeguarding.audit.events import EventType
from safeguarding.audit.record import record
from safeguarding.audit.selectors import events_about
from safeguarding.audit.subjects import Subject, SubjectMatch, SubjectName


def moved_into(*, child: Child) -> Q:
    """The events about records later moved into `child`'s file, which name the child they were about at the time
    (through the index on child_uuid: each names one of the children the records passed through)."""
    records, children = records_moved_into(child=child)
    if not records:
        return Q()
    return Q(child_uuid__in=children, object_uuid__in=records)


def child_events(*, child: Child) -> QuerySet:
    """Every event about a child: those that name it, and those about records later moved into its file."""
    return events_about(child_uuid=child.uuid, also=moved_into(child=child))


def child_access_child_get(*, user: User, child_uuid: uuid.UUID) -> Child:
    """The child, if `user` may see who opened their records; 404 otherwise, exactly as if there were none."""
    schools = schools_where(user, Capability.READ_WHO_VIEWED)
    child = Child.objects.filter(uuid=child_uuid, school__in=schools).select_related("school").first()
    if child is None:
        raise Http404("No such child.")
    return child


def child_access_page(
    *, user: User, context: RequestContext, child_uuid: uuid.UUID, page_number, per_page: int = 100
) -> tuple[Child, Page]:
    """Everyone who opened this child's records, when and what they did, oldest first; the read is recorded."""
    child = child_access_child_get(user=user, child_uuid=child_uuid)
    record(
        EventType.AUDIT_READ,
        user=user,
        context=context,
        school=child.school,
        object_type="child_access",
        object_uuid=child.uuid,
        child_uuid=child.uuid,
    )
    events = child_events(child=child).order_by("occurred_at", "id")
    return child, Paginator(events, per_page).get_page(page_number)


def exports_covering(*, child: Child) -> QuerySet[ExportRecord]:
    """The exports whose rows included `child`, oldest first."""
    return ExportRecord.objects.filter(children=child).select_related("user").order_by("started_at")


class ChildSubjects:
    """The children of the audit trail (safeguarding.audit.subjects): found by UPN, named on the page, and only
    within the schools the reader may audit, so a trail names no child its reader may not see."""

    def find(self, *, term: str, schools) -> Subject | None:
        if not term:
            return None
        child = Child.objects.filter(school__in=schools, upn=normalise_upn(term)).first()
        if child is None:
            return None
        return Subject(uuid=child.uuid, also=moved_into(child=child))

    def named(self, uuids, *, schools) -> dict[uuid.UUID, SubjectName]:
        wanted = {value for value in uuids if value}
        children = Child.objects.filter(uuid__in=wanted, school__in=schools)
        named = {child.uuid: SubjectName(name=child.display_name, reference=child.upn) for child in children}
        # A file disposed of: its events keep the child's id, and say whose certificate proves the disposal.
        for certificate in DisposalCertificate.objects.filter(child_uuid__in=wanted - set(named)):
            if certificate.school_id in {school.pk for school in schools}:
                label = f"a disposed file (certificate {certificate.number})"
                named[certificate.child_uuid] = SubjectName(name=label, reference=label)
        return named

    def search(self, *, term: str, schools) -> list[SubjectMatch]:
        """Children of `schools` matching a name (or a UPN), for the trail's child filter: at most 20."""
        if not term.strip():
            return []
        children = children_matching(Child.objects.filter(school__in=schools), text=term).select_related("school")
        return [
            SubjectMatch(
                uuid=child.uuid,
                name=child.display_name,
                reference=child.upn,
                description=", ".join(
                    part for part in (child.get_year_group_display() or "", child.school.name) if part
                ),
            )
            for child in children[:20]
        ]
