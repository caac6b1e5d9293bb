"""The review queue of files at the end of their keeping period, for the DSL, the trust lead and the trust's data
protection officer (REQUIREMENTS.md R9.1, R9.2)."""

import uuid
from dataclasses import dataclass

from django.db.models import Count, Max, Q
from django.http import Http404

from referrals.models import Concern, DisposalCertificate, FileHold, RetentionReview, ReviewStatus
from referrals.selectors.access import Kind, record_view
from safeguarding.accounts.models import User
from safeguarding.accounts.permissions import Capability, schools_where
from safeguarding.audit.context import RequestContext
from safeguarding.audit.events import EventType
from safeguarding.audit.record import record_shown

REVIEW = Kind("retention_review", "No such review.")
# A disclosure of sexual abuse: IICSA recommended such records be kept far longer (R9.2).
DISCLOSURE = "DISC-ABUSE"
SEXUAL_ABUSE = ("ABUSE-SEXUAL", "COC-SEXUAL-VIOLENCE", "COC-NO-CONSENT", "EXP-CSE")


@dataclass
class FileSummary:
    concerns: int
    last_concern: object
    holds: list
    sexual_abuse_disclosed: bool


def file_summary(child) -> FileSummary:
    concerns = Concern.objects.filter(child=child)
    totals = concerns.aggregate(count=Count("pk"), last=Max("observed_at"))
    disclosed = concerns.filter(indicators__indicator__code=DISCLOSURE).filter(
        pk__in=concerns.filter(indicators__indicator__code__in=SEXUAL_ABUSE).values("pk")
    )
    return FileSummary(
        concerns=totals["count"],
        last_concern=totals["last"],
        holds=list(FileHold.objects.filter(child=child, lifted_at__isnull=True)),
        sexual_abuse_disclosed=disclosed.exists(),
    )


def retention_queue(*, user: User, context: RequestContext) -> list[RetentionReview]:
    """The open reviews of the person's schools, the oldest due first; the list is recorded with the children."""
    schools = schools_where(user, Capability.REVIEW_RETENTION)
    reviews = list(
        RetentionReview.objects.filter(school__in=schools, status__in=[ReviewStatus.DUE, ReviewStatus.PROPOSED])
        .select_related("school", "child", "proposed_by")
        .annotate(holds=Count("child__holds", filter=Q(child__holds__lifted_at__isnull=True)))
        .order_by("due_on", "pk")
    )
    record_shown(
        reviews,
        event_type=EventType.LIST,
        user=user,
        context=context,
        object_type=REVIEW.object_type,
        detail={"children": sorted({str(review.child_uuid) for review in reviews})},
    )
    return reviews


def retention_decided(*, user: User) -> list[RetentionReview]:
    """The latest decisions of the person's schools: ids, dates and who decided, no child named after disposal."""
    schools = schools_where(user, Capability.REVIEW_RETENTION)
    return list(
        RetentionReview.objects.filter(school__in=schools)
        .exclude(status__in=[ReviewStatus.DUE, ReviewStatus.PROPOSED])
        .select_related("school", "child", "decided_by", "certificate")
        .order_by("-decided_at")[:20]
    )


def access_review(*, user: User, context: RequestContext, review_uuid: uuid.UUID, record_read: bool = True):
    """One review, for those who review files at its school; 404 for anyone else."""
    review = (
        RetentionReview.objects.filter(uuid=review_uuid, school__in=schools_where(user, Capability.REVIEW_RETENTION))
        .select_related("school__trust", "child__school__trust", "proposed_by", "decided_by", "certificate")
        .first()
    )
    if review is None:
        raise Http404(REVIEW.missing)
    if record_read:
        record_view(review, REVIEW, user=user, context=context, child_uuids=[review.child_uuid])
    return review


def certificates_for(child_uuids) -> dict:
    """The disposal certificate of each disposed child among `child_uuids`, for the trail and who-viewed."""
    return {c.child_uuid: c for c in DisposalCertificate.objects.filter(child_uuid__in=list(child_uuids))}
