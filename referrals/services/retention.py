"""Keeping records as long as the schedule says (safeguarding.core.retention; REQUIREMENTS.md §9).

`retention_run` applies the short periods: unsent drafts, export files, read notifications, ended sessions, old
sign-in attempts and anonymous tallies, and finished background jobs go. It never deletes a child protection file or
a record of a concern about an adult: those reach a person's review. Running it twice does what running it once does.
"""

from datetime import date, timedelta
from pathlib import Path

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from referrals.attachments import ATTACHMENTS
from referrals.models import (
    AccessRequest,
    Action,
    Addendum,
    AgencyDecisionEntry,
    Attachment,
    BodyMark,
    CaseNote,
    Child,
    Closure,
    Concern,
    ConcernDraft,
    ConcernIndicator,
    ConcernMove,
    ContextAlert,
    ContextEntity,
    ContextLink,
    ContextMention,
    Decision,
    DecisionOutcome,
    DisposalCertificate,
    DisposalUnderway,
    Escalation,
    ExportRecord,
    FileHold,
    HoldReason,
    Incident,
    InformationRequest,
    Notification,
    PatternAlert,
    Referral,
    ReferralEscalation,
    ReferralMeeting,
    RetentionReview,
    ReviewStatus,
    RiskNeedsAssessment,
    Screening,
    ScreeningAnswer,
    Transfer,
)
from referrals.selectors.exports import EXPORTS
from referrals.services.access_requests import ACCESS_PACKS, packs_expire
from referrals.services.context import context_alert_evaluate
from referrals.services.drafts import drafts_tidy
from referrals.services.exports import exports_expire
from referrals.transfer_package import TRANSFERS
from safeguarding.accounts.models import RetainedCopy, Trust, User, UserSession
from safeguarding.accounts.permissions import Capability, can
from safeguarding.audit.context import RequestContext
from safeguarding.audit.events import EventType
from safeguarding.audit.models import AnonymousRequestTally
from safeguarding.audit.record import record
from safeguarding.core.files import file_delete

NOTIFICATION_DAYS = 90
SIGN_IN_ATTEMPT_DAYS = 90
TALLY_DAYS = 90
TASK_RESULT_DAYS = 7


def retention_run(*, now=None) -> dict[str, int]:
    """Apply the schedule's short periods; returns how many rows of each kind went."""
    now = now or timezone.now()
    done = {}
    done.update({f"drafts_{key}": value for key, value in drafts_tidy(now=now).items()})
    done["export_files"] = exports_expire(now=now)
    done["access_packs"] = packs_expire(now=now)
    with transaction.atomic():
        done["notifications"] = Notification.objects.filter(
            read_at__lt=now - timedelta(days=NOTIFICATION_DAYS)
        ).delete()[0]
        done["sessions"] = Session.objects.filter(expire_date__lt=now).delete()[0]
        done["open_sessions"] = UserSession.objects.exclude(
            session_key__in=Session.objects.values("session_key")
        ).delete()[0]
        before = now - timedelta(days=SIGN_IN_ATTEMPT_DAYS)
        done["sign_in_attempts"] = sum(
            model.objects.filter(attempt_time__lt=before).delete()[0]
            for model in (AccessAttempt, AccessLog, AccessFailureLog)
        )
        done["anonymous_tallies"] = AnonymousRequestTally.objects.filter(
            minute__lt=now - timedelta(days=TALLY_DAYS)
        ).delete()[0]
        done["task_results"] = DBTaskResult.objects.filter(
            finished_at__lt=now - timedelta(days=TASK_RESULT_DAYS)
        ).delete()[0]
    done["reviews_queued"] = reviews_queue(now=now)
    return done


# Reviews of a child's file (R9.1, R9.2, R9.6) -----------------------------------------------------------------------


class RetentionRefused(ValueError):
    """The step cannot be taken as asked; the message says why."""


def file_review_date(child: Child) -> date:
    """When the file of `child` is reviewed: the date a review set, else, for the copy left after a transfer under a
    "remove" policy, the date the policy set, else the date of birth plus the trust's years."""
    if child.review_on is not None:
        return child.review_on
    copy = (
        Transfer.objects.filter(child=child, copy_policy=RetainedCopy.REMOVE, copy_review_on__isnull=False)
        .order_by("copy_review_on")
        .values_list("copy_review_on", flat=True)
        .first()
    )
    if copy is not None and child.transferred_at is not None:
        return copy
    years = child.school.trust.file_review_years
    born = child.date_of_birth
    try:
        return born.replace(year=born.year + years)
    except ValueError:  # born on 29 February
        return born.replace(year=born.year + years, day=28)


def reviews_queue(*, now=None) -> int:
    """Put on the review queue every file that has reached its review date and is not on it; returns how many."""
    today = timezone.localdate(now or timezone.now())
    queued = 0
    open_files = RetentionReview.objects.filter(status__in=[ReviewStatus.DUE, ReviewStatus.PROPOSED])
    for trust in Trust.objects.all():
        born_by = _years_before(today, trust.file_review_years)
        due = (
            Child.objects.filter(school__trust=trust)
            .filter(
                Q(review_on__isnull=True, date_of_birth__lte=born_by)
                | Q(review_on__lte=today)
                # The sending school's copy of a file that went to the next school, under a "remove" policy (R7.6).
                | Q(
                    transfers__copy_policy=RetainedCopy.REMOVE,
                    transfers__copy_review_on__lte=today,
                    transferred_at__isnull=False,
                )
            )
            .distinct()
            .exclude(uuid__in=open_files.values("child_uuid"))
            .select_related("school__trust")
        )
        for child in due:
            with transaction.atomic():
                review = RetentionReview.objects.create(
                    school=child.school, child=child, child_uuid=child.uuid, due_on=file_review_date(child)
                )
                record(
                    EventType.CREATE,
                    school=child.school,
                    object_type="retention_review",
                    object_uuid=review.uuid,
                    child_uuid=child.uuid,
                    detail={"action": "queued", "due_on": review.due_on.isoformat()},
                )
                queued += 1
    return queued


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _locked_review(review: RetentionReview, *, actor: User) -> RetentionReview:
    review = (
        RetentionReview.objects.select_for_update(of=("self",))
        .select_related("school__trust", "child__school__trust")
        .get(pk=review.pk)
    )
    if not can(actor, Capability.REVIEW_RETENTION, review.school):
        raise PermissionDenied
    if not review.is_open:
        raise RetentionRefused("This review was decided already.")
    return review


def _review_event(review: RetentionReview, event_type=EventType.UPDATE, *, actor, context, action: str, **detail):
    record(
        event_type,
        user=actor,
        context=context,
        school=review.school,
        object_type="retention_review",
        object_uuid=review.uuid,
        child_uuid=review.child_uuid,
        detail={"action": action, **detail},
    )


def standing_holds(child: Child) -> list[FileHold]:
    return list(FileHold.objects.filter(child=child, lifted_at__isnull=True))


@transaction.atomic
def file_retain(
    *, actor: User, context: RequestContext | None, review: RetentionReview, retain_until: date, reason: str
) -> RetentionReview:
    """Keep the file, with the date of its next review and the reason."""
    review = _locked_review(review, actor=actor)
    if not reason.strip():
        raise RetentionRefused("Give the reason for keeping the file.")
    if retain_until <= timezone.localdate():
        raise RetentionRefused("The next review date must be in the future.")
    Child.objects.filter(pk=review.child_id).update(review_on=retain_until)
    review.status = ReviewStatus.RETAINED
    review.decided_by, review.decided_at = actor, timezone.now()
    review.retain_until, review.reason = retain_until, reason.strip()
    review.save()
    _review_event(review, actor=actor, context=context, action="retained", until=retain_until.isoformat())
    return review


@transaction.atomic
def file_disposal_propose(
    *, actor: User, context: RequestContext | None, review: RetentionReview, rationale: str
) -> RetentionReview:
    """Propose disposing of the file, with the rationale: a second person confirms it."""
    review = _locked_review(review, actor=actor)
    if not rationale.strip():
        raise RetentionRefused("Give the rationale for disposing of the file.")
    if holds := standing_holds(review.child):
        raise RetentionRefused(f"The file is held ({holds[0].get_reason_display().lower()}): lift the hold first.")
    review.status = ReviewStatus.PROPOSED
    review.proposed_by, review.proposed_at, review.rationale = actor, timezone.now(), rationale.strip()
    review.save()
    _review_event(review, actor=actor, context=context, action="disposal_proposed")
    return review


@transaction.atomic
def file_disposal_confirm(
    *, actor: User, context: RequestContext | None, review: RetentionReview
) -> DisposalCertificate:
    """A second person confirms the disposal: the file goes, and the certificate stays."""
    review = _locked_review(review, actor=actor)
    if review.status != ReviewStatus.PROPOSED:
        raise RetentionRefused("Nobody has proposed disposing of this file.")
    if review.proposed_by_id == actor.pk:
        raise RetentionRefused("A second person confirms a disposal: someone other than who proposed it.")
    child = Child.objects.select_for_update().select_related("school").get(pk=review.child_id)
    if holds := standing_holds(child):
        raise RetentionRefused(f"The file is held ({holds[0].get_reason_display().lower()}): lift the hold first.")
    counts, files = _dispose(child)
    certificate = DisposalCertificate.objects.create(
        school=review.school,
        child_uuid=review.child_uuid,
        counts=counts,
        files_removed=len(files),
        rationale=review.rationale,
        proposed_by=review.proposed_by,
        confirmed_by=actor,
    )
    review.status = ReviewStatus.DISPOSED
    review.child = None  # the review stays, knowing the child by its id alone
    review.decided_by, review.decided_at, review.certificate = actor, timezone.now(), certificate
    review.save()
    _review_event(
        review, EventType.DELETE, actor=actor, context=context, action="disposed", certificate=certificate.number
    )
    # The stored files go with the records, in this transaction.
    for kind, name in files:
        file_delete(kind, name)
    return certificate


@transaction.atomic
def file_hold_place(*, actor: User, context: RequestContext | None, child: Child, note: str) -> FileHold:
    """A legal hold (litigation, a police or LADO investigation, an inquiry): nothing of the file is disposed of."""
    if not can(actor, Capability.REVIEW_RETENTION, child.school):
        raise PermissionDenied
    if not note.strip():
        raise RetentionRefused("Say what the hold is for: the case, the investigation or the inquiry.")
    if FileHold.objects.filter(child=child, reason=HoldReason.LEGAL, lifted_at__isnull=True).exists():
        raise RetentionRefused("The file is under a legal hold already.")
    hold = FileHold.objects.create(child=child, reason=HoldReason.LEGAL, note=note.strip(), placed_by=actor)
    record(
        EventType.CREATE,
        user=actor,
        context=context,
        school=child.school,
        object_type="file_hold",
        object_uuid=hold.uuid,
        child_uuid=child.uuid,
        detail={"action": "hold_placed", "reason": hold.reason},
    )
    return hold


@transaction.atomic
def file_hold_lift(*, actor: User, context: RequestContext | None, hold: FileHold, note: str) -> FileHold:
    hold = FileHold.objects.select_for_update().select_related("child__school").get(pk=hold.pk)
    if not can(actor, Capability.REVIEW_RETENTION, hold.child.school):
        raise PermissionDenied
    if hold.lifted_at is not None:
        raise RetentionRefused("The hold was lifted already.")
    if not note.strip():
        raise RetentionRefused("Say why the hold is lifted.")
    hold.lifted_at, hold.lifted_by, hold.lift_note = timezone.now(), actor, note.strip()
    hold.save(update_fields=["lifted_at", "lifted_by", "lift_note"])
    record(
        EventType.UPDATE,
        user=actor,
        context=context,
        school=hold.child.school,
        object_type="file_hold",
        object_uuid=hold.uuid,
        child_uuid=hold.child.uuid,
        detail={"action": "hold_lifted", "reason": hold.reason},
    )
    return hold


# How a disposal certificate names the links between records, which have no name of their own.
PLURALS = {
    "referrals.Child_carers": "carers",
    "referrals.ExportRecord_children": "export listings",
    "referrals.PatternAlert_concerns": "alert links",
    "referrals.Decision_relies_on": "decision links",
    "referrals.Referral_shared_concerns": "referral links",
    "referrals.AdultRecord_children": "links from concerns about adults",
    "referrals.AccessRequest": "subject access requests",
    "referrals.ContextMention": "people, vehicles, places and accounts recorded",
    "referrals.ContextLink": "links to people, vehicles, places and accounts",
    "referrals.ContextEntity": "people, vehicles, places and accounts known to the trust",
    "referrals.ContextAlert": "alerts of one person, vehicle, place or account linked to several children",
    "referrals.ContextAlert_children": "children named in such alerts",
    "referrals.ContextAlert_concerns": "concerns named in such alerts",
    "referrals.ContextAlert_schools": "schools named in such alerts",
    "referrals.AccessRequestPause": "pauses of a subject access request's clock",
    "referrals.Redaction": "redactions for a subject access request",
    "referrals.Screening": "exploitation screenings",
    "referrals.ScreeningAnswer": "items of exploitation screenings",
    "referrals.ScreeningAnswer_concerns": "links from screening items to concerns",
    "referrals.ScreeningAnswer_entities": "links from screening items to people, vehicles, places and accounts",
}


def _dispose(child: Child) -> tuple[dict[str, int], list[Path]]:
    """Delete the file of `child`: every record of it, the drafts naming it, and (returned, to unlink once committed)
    the stored files of its attachments, the packages it sent and the exports that listed it. Counts by kind."""
    counts: dict[str, int] = {}

    def gone(queryset) -> None:
        deleted = queryset.delete()[1]
        for label, number in deleted.items():
            if number:
                name = PLURALS.get(label, str(apps.get_model(label)._meta.verbose_name_plural))
                counts[name] = counts.get(name, 0) + number

    files: list[tuple[str, str]] = []  # (kind, name) of each stored file to delete
    DisposalUnderway.objects.create()
    concerns = Concern.objects.filter(child=child)
    referrals = Referral.objects.filter(Q(child=child) | Q(decision__concern__in=concerns))
    gone(AgencyDecisionEntry.objects.filter(referral__in=referrals))
    gone(ReferralEscalation.objects.filter(referral__in=referrals))
    gone(ReferralMeeting.objects.filter(referral__in=referrals))
    gone(referrals)
    gone(ScreeningAnswer.objects.filter(screening__child=child))
    gone(Screening.objects.filter(child=child))
    gone(Action.objects.filter(Q(child=child) | Q(concern__in=concerns)))
    gone(PatternAlert.objects.filter(child=child))
    gone(CaseNote.objects.filter(child=child))
    ConcernMove.objects.filter(from_child=child).exclude(concern__in=concerns).update(from_child=None)
    ConcernMove.objects.filter(to_child=child).exclude(concern__in=concerns).update(to_child=None)
    gone(ConcernMove.objects.filter(concern__in=concerns))
    mentions = ContextMention.objects.filter(concern__in=concerns)
    linked = set(ContextLink.objects.filter(mention__in=mentions).values_list("entity", flat=True))
    gone(ContextLink.objects.filter(mention__in=mentions))
    gone(mentions)
    # An entity goes with the last file it appears in, its alerts with it; another's alert is looked at again.
    orphans = ContextEntity.objects.filter(pk__in=linked).exclude(links__isnull=False)
    gone(ContextAlert.objects.filter(entity__in=orphans))
    gone(orphans)
    for entity in ContextEntity.objects.filter(pk__in=linked):
        context_alert_evaluate(entity=entity, actor=None, context=None)
    decisions = Decision.objects.filter(concern__in=concerns)
    gone(DecisionOutcome.objects.filter(decision__in=decisions))
    gone(decisions)
    for model in (Addendum, ConcernIndicator, BodyMark, Escalation, InformationRequest, RiskNeedsAssessment, Closure):
        gone(model.objects.filter(concern__in=concerns))
    incidents = list(concerns.values_list("incident", flat=True).distinct())
    gone(concerns)
    emptied = Incident.objects.filter(pk__in=incidents).exclude(concerns__isnull=False)
    attachments = Attachment.objects.filter(incident__in=emptied)
    files += [(ATTACHMENTS, name) for name in attachments.values_list("stored_name", flat=True)]
    gone(attachments)
    gone(emptied)
    drafts = ConcernDraft.objects.filter(data__children__contains=[str(child.uuid)])
    draft_files = Attachment.objects.filter(draft__in=drafts)
    files += [(ATTACHMENTS, name) for name in draft_files.values_list("stored_name", flat=True)]
    gone(draft_files)
    gone(drafts)
    Transfer.objects.filter(received_child=child).update(received_child=None)
    sent = Transfer.objects.filter(child=child)
    files += [(TRANSFERS, name) for name in sent.exclude(package_name="").values_list("package_name", flat=True)]
    gone(sent)
    gone(FileHold.objects.filter(child=child))
    requests = AccessRequest.objects.filter(child=child)
    files += [(ACCESS_PACKS, name) for name in requests.exclude(pack_name="").values_list("pack_name", flat=True)]
    gone(requests)
    for export in ExportRecord.objects.filter(children=child).exclude(file_name=""):
        files.append((EXPORTS, export.file_name))
        ExportRecord.objects.filter(pk=export.pk).update(file_name="")
        counts["export files"] = counts.get("export files", 0) + 1
    # The carers go with the child; its own notifications, its reviews' link (not the reviews) too.
    gone(Child.objects.filter(pk=child.pk))
    DisposalUnderway.objects.all().delete()
    return counts, files
