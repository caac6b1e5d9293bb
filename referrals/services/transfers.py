"""A child moving school (KCSIE Annex C; REQUIREMENTS.md §7): the leaver's task, sending the whole file to the next
school on its own (never in the pupil record), and the confirmation of receipt that completes it.

- Recording a leaver with a destination makes a task to send the file, due five days after leaving (or after the
  first day of the new term). With no destination, a children missing education task and a hold on the file.
- The file goes to a school on Safeguard (its DSL accepts it and the child's file then exists there, its history
  marked as received), by a secure link opened with a code given by phone, or by hand on paper.
- Receipt confirmed, the sending school's copy is read only and marked transferred.
- A task not sent by its due date escalates; a file sent and not confirmed by then raises a follow-up, once.

Every step is recorded in the audit trail of the sending school and, on Safeguard, of the receiving one too.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from referrals.clocks import SchoolCalendar, transfer_due
from referrals.models import (
    OPEN_TRANSFER_STATUSES,
    Action,
    Carer,
    CaseNote,
    Child,
    Closure,
    Concern,
    ConcernStatus,
    FileHold,
    HoldReason,
    Notification,
    PatternAlert,
    Referral,
    RollStatus,
    Transfer,
    TransferKind,
    TransferRoute,
    TransferStatus,
)
from referrals.transfer_package import package_build, package_store
from safeguarding.accounts.access import school_dsl, school_safeguarding_team
from safeguarding.accounts.models import RetainedCopy, School, User
from safeguarding.accounts.permissions import Capability, can
from safeguarding.audit.context import RequestContext
from safeguarding.audit.events import EventType, Outcome
from safeguarding.audit.record import record
from safeguarding.core.dates import LONDON
from safeguarding.core.emails import email_enqueue


class FileReadOnly(ValueError):
    """The child's file went to another school: this copy is kept as it was, read only."""


class TransferRefused(ValueError):
    """The step cannot be taken as asked; the message says why and what to do."""


def file_must_be_open(child: Child | None) -> None:
    """Refuse a change to the file of a child whose file has gone to another school (R7.6)."""
    if child is not None and child.transferred_at is not None:
        raise FileReadOnly(
            f"This file was sent to {child.display_name}'s new school on "
            f"{timezone.localtime(child.transferred_at):%d %B %Y}. This copy is read only."
        )


def _audit(transfer: Transfer, event_type=EventType.UPDATE, *, actor, context, action: str, both=True, **detail):
    """Record a step in the sending school's trail and, for a new school on Safeguard (unless the file went to it
    another way), in the receiving school's too."""
    record(
        event_type,
        user=actor,
        context=context,
        school=transfer.school,
        object_type="transfer",
        object_uuid=transfer.uuid,
        child_uuid=transfer.child.uuid,
        detail={"action": action, **detail},
    )
    if both and transfer.to_school_id and transfer.route in (TransferRoute.SAFEGUARD, ""):
        record(
            event_type,
            user=actor,
            context=context,
            school=transfer.to_school,
            object_type="transfer",
            object_uuid=transfer.uuid,
            child_uuid=transfer.received_child.uuid if transfer.received_child_id else None,
            detail={"action": action, "direction": "incoming", **detail},
        )


def _notify_team(school: School, *, kind: str, transfer: Transfer, child: Child | None, subject: str, body: str):
    """Tell a school's DSL and deputies in Safeguard, and by an email that names no child."""
    team = list(school_safeguarding_team(school=school))
    Notification.objects.bulk_create(
        Notification(recipient_id=member.user_id, school=school, kind=kind, transfer=transfer, child=child)
        for member in team
    )
    email_enqueue(
        to=[member.user.email for member in team],
        subject=f"Safeguard: {subject}",
        body=f"{body}\n\nSign in to Safeguard ({settings.SITE_URL}/transfers/) to see it. "
        "This email holds no names or details, on purpose.\n",
    )
    return team


def _locked(transfer: Transfer, *, actor: User | None, at_receiving: bool = False) -> Transfer:
    transfer = (
        Transfer.objects.select_for_update(of=("self",))
        .select_related("school__trust", "child__school", "to_school", "received_child")
        .get(pk=transfer.pk)
    )
    school = transfer.to_school if at_receiving else transfer.school
    if actor is not None and (school is None or not can(actor, Capability.TRANSFER_FILE, school)):
        raise PermissionDenied
    return transfer


# The leaver's task ---------------------------------------------------------------------------------------------


@transaction.atomic(savepoint=False)  # part of the caller's transaction when it has one, never a savepoint of it
def leaver_recorded(*, child: Child, actor: User | None, context: RequestContext | None) -> Transfer | None:
    """Make (or bring up to date) the task a leaver needs: sending the file when the destination is known, the
    children missing education task and a hold on the file when it is not. Called in the transaction that recorded
    the leaver (roster, import or the child's file). Returns the task, or none for a child who has not left."""
    if child.roll_status != RollStatus.LEFT or child.left_on is None or child.transferred_at is not None:
        return None
    school = child.school
    if not (child.destination.strip() or child.destination_urn):
        return _missing_education(child=child, actor=actor, context=context)
    to_school = (
        School.objects.filter(urn=child.destination_urn).exclude(pk=school.pk).first()
        if child.destination_urn
        else None
    )
    destination = child.destination.strip() or (to_school.name if to_school else "")
    task = _task_for(child, TransferKind.SEND_FILE)
    due_on = transfer_due(school, child.left_on)
    if task is not None:
        if task.status == TransferStatus.TO_SEND:
            task.destination, task.destination_urn, task.to_school = destination, child.destination_urn, to_school
            task.left_on, task.due_on = child.left_on, due_on
            task.save(update_fields=["destination", "destination_urn", "to_school", "left_on", "due_on"])
        return task
    receiving_dsl = school_dsl(school=to_school) if to_school else None
    task = Transfer.objects.create(
        school=school,
        child=child,
        kind=TransferKind.SEND_FILE,
        left_on=child.left_on,
        due_on=due_on,
        destination=destination,
        destination_urn=child.destination_urn,
        to_school=to_school,
        receiving_dsl_name=receiving_dsl.user.full_name if receiving_dsl else "",
    )
    _audit(task, EventType.CREATE, actor=actor, context=context, action="task_created")
    _notify_team(
        school,
        kind=Notification.Kind.TRANSFER_TASK,
        transfer=task,
        child=child,
        subject=f"a leaver's child protection file to send from {school.name}",
        body=f"A pupil has left {school.name}. Their child protection file is due at the new school by "
        f"{due_on:%A %d %B %Y}.",
    )
    return task


@transaction.atomic
def child_leaving_record(
    *, actor: User, context: RequestContext | None, child: Child, left_on, destination: str, destination_urn: str
) -> Transfer | None:
    """The DSL records, from the child's file, that the child has left and where to: the roll says so too, and the
    leaver's task follows."""
    if not can(actor, Capability.TRANSFER_FILE, child.school):
        raise PermissionDenied
    child = Child.objects.select_for_update().select_related("school__trust").get(pk=child.pk)
    file_must_be_open(child)
    child.roll_status, child.left_on = RollStatus.LEFT, left_on
    child.destination, child.destination_urn = destination.strip(), destination_urn.strip()
    child.full_clean()
    child.save(update_fields=["roll_status", "left_on", "destination", "destination_urn", "updated_at"])
    record(
        EventType.UPDATE,
        user=actor,
        context=context,
        school=child.school,
        object_type="child_roster",
        object_uuid=child.uuid,
        child_uuid=child.uuid,
        detail={"fields": ["destination", "destination_urn", "left_on", "roll_status"]},
    )
    return leaver_recorded(child=child, actor=actor, context=context)


def _task_for(child: Child, kind: str) -> Transfer | None:
    """The child's task of this kind: an open one, or one already done for this leaving date (so that recording the
    same leaver again, as a re-import does, makes nothing new)."""
    tasks = Transfer.objects.select_for_update().filter(child=child, kind=kind).exclude(status=TransferStatus.CANCELLED)
    return (
        tasks.filter(status__in=OPEN_TRANSFER_STATUSES).first()
        or tasks.filter(left_on=child.left_on).order_by("-created_at").first()
    )


def _missing_education(*, child: Child, actor: User | None, context: RequestContext | None) -> Transfer:
    """A leaver nobody knows the destination of: the children missing education task, with the local authority's
    contact, and a hold on the file so that it is never disposed of (R7.7)."""
    school = child.school
    if not FileHold.objects.filter(child=child, reason=HoldReason.DESTINATION_UNKNOWN, lifted_at__isnull=True).exists():
        hold = FileHold.objects.create(child=child, reason=HoldReason.DESTINATION_UNKNOWN, placed_by=actor)
        record(
            EventType.CREATE,
            user=actor,
            context=context,
            school=school,
            object_type="file_hold",
            object_uuid=hold.uuid,
            child_uuid=child.uuid,
            detail={"reason": hold.reason},
        )
    task = _task_for(child, TransferKind.MISSING_EDUCATION)
    if task is not None:
        return task
    task = Transfer.objects.create(
        school=school,
        child=child,
        kind=TransferKind.MISSING_EDUCATION,
        left_on=child.left_on,
        due_on=transfer_due(school, child.left_on),
    )
    _audit(task, EventType.CREATE, actor=actor, context=context, action="task_created", both=False)
    _notify_team(
        school,
        kind=Notification.Kind.MISSING_EDUCATION,
        transfer=task,
        child=child,
        subject=f"a leaver from {school.name} whose destination is unknown",
        body=f"A pupil has left {school.name} and nobody has recorded where they went. The local authority's "
        "children missing education procedure applies, and the child's file is held.",
    )
    return task


def file_has_records(child: Child) -> bool:
    """Whether the child has a child protection file at all: anything the safeguarding team has recorded."""
    return (
        Concern.objects.filter(child=child).exists()
        or CaseNote.objects.filter(child=child).exists()
        or Action.objects.filter(child=child).exists()
        or Referral.objects.filter(child=child).exists()
        or PatternAlert.objects.filter(child=child).exists()
        or Transfer.objects.filter(received_child=child).exists()
    )


# Before sending ------------------------------------------------------------------------------------------------


@transaction.atomic
def transfer_checklist_save(
    *,
    actor: User,
    context: RequestContext | None,
    transfer: Transfer,
    advance_sharing: str,
    advance_note: str,
    receiving_dsl_name: str,
    receiving_dsl_email: str,
    receiving_dsl_phone: str,
) -> Transfer:
    transfer = _locked(transfer, actor=actor)
    if transfer.status != TransferStatus.TO_SEND:
        raise TransferRefused("The file has been sent: the checklist is kept as it was when it went.")
    transfer.advance_sharing = advance_sharing
    transfer.advance_note = advance_note.strip()
    transfer.receiving_dsl_name = receiving_dsl_name.strip()
    transfer.receiving_dsl_email = receiving_dsl_email.strip()
    transfer.receiving_dsl_phone = receiving_dsl_phone.strip()
    transfer.save()
    _audit(transfer, actor=actor, context=context, action="checklist_saved", both=False)
    return transfer


def checklist_missing(transfer: Transfer) -> list[str]:
    """What the checklist still needs before the file can go."""
    missing = []
    if not transfer.advance_sharing:
        missing.append("whether anything needs sharing before the file arrives")
    if not transfer.receiving_dsl_name:
        missing.append("the new school's DSL")
    if transfer.route == TransferRoute.LINK and not transfer.receiving_dsl_email:
        missing.append("the new school's DSL's email address")
    return missing


@dataclass(frozen=True)
class LinkSecrets:
    """What the sending DSL is shown once: the link went by email, the code goes by phone."""

    link: str
    code: str


def _digest(value: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


def _new_link(transfer: Transfer) -> LinkSecrets:
    token = secrets.token_urlsafe(32)
    code = f"{secrets.randbelow(10**8):08d}"
    transfer.link_digest = _digest(f"link:{token}")
    transfer.code_digest = _digest(f"code:{transfer.uuid}:{code}")
    transfer.link_expires_at = timezone.now() + timedelta(days=settings.TRANSFER_LINK_DAYS)
    transfer.wrong_codes = 0
    return LinkSecrets(link=f"{settings.SITE_URL}/transfer/{token}/", code=f"{code[:4]} {code[4:]}")


@transaction.atomic
def transfer_send(
    *, actor: User, context: RequestContext | None, transfer: Transfer, route: str
) -> tuple[Transfer, LinkSecrets | None]:
    """Send the whole file, as a signed package built now: to a school on Safeguard, by a secure link, or for a
    hand-over on paper (the package's PDF is what is printed). Returns the task and, for a link, the link and the
    code to give by phone, shown once and kept only as digests."""
    transfer = _locked(transfer, actor=actor)
    if transfer.kind != TransferKind.SEND_FILE or transfer.status != TransferStatus.TO_SEND:
        raise TransferRefused("This file has already been sent, or the task is closed.")
    route = TransferRoute(route)
    if route == TransferRoute.SAFEGUARD and transfer.to_school_id is None:
        raise TransferRefused("The new school is not on Safeguard: send the file by a secure link, or by hand.")
    transfer.route = route
    missing = checklist_missing(transfer)
    if missing:
        raise TransferRefused("Before sending, record " + ", ".join(missing) + ".")
    transfer.sent_at, transfer.sent_by = timezone.now(), actor
    package = package_build(transfer=transfer, user=actor)
    transfer.package_name = package_store(package.content)
    transfer.package_sha256, transfer.manifest_sha256 = package.sha256, package.manifest_sha256
    transfer.item_count = package.item_count
    transfer.status = TransferStatus.SENT
    secrets_shown = _new_link(transfer) if route == TransferRoute.LINK else None
    transfer.save()
    _audit(
        transfer,
        actor=actor,
        context=context,
        action="sent",
        route=route,
        items=package.item_count,
        manifest_sha256=package.manifest_sha256,
    )
    if route == TransferRoute.SAFEGUARD:
        _notify_team(
            transfer.to_school,
            kind=Notification.Kind.TRANSFER_IN,
            transfer=transfer,
            child=None,
            subject=f"a child protection file sent to {transfer.to_school.name}",
            body=f"{transfer.school.name} has sent the child protection file of a pupil joining "
            f"{transfer.to_school.name}. Review it and accept it.",
        )
    elif route == TransferRoute.LINK:
        email_enqueue(
            to=[transfer.receiving_dsl_email],
            subject=f"A child protection file from {transfer.school.name}",
            body=(
                f"Dear {transfer.receiving_dsl_name},\n\n"
                f"{actor.full_name}, the designated safeguarding lead's team at {transfer.school.name}, has sent you "
                "the child protection file of a pupil who is joining your school.\n\n"
                f"Open it here: {secrets_shown.link}\n\n"
                f"You need the code {transfer.school.name} gives you by phone. The link works for "
                f"{settings.TRANSFER_LINK_DAYS} days. Please confirm receipt on the page once you have the file.\n"
                "This email holds no names or details, on purpose.\n"
            ),
        )
    return transfer, secrets_shown


@transaction.atomic
def transfer_new_link(*, actor: User, context: RequestContext | None, transfer: Transfer) -> LinkSecrets:
    """A fresh link and code for a file sent by link (the first expired, was closed by wrong codes, or the code was
    lost); the old link stops working."""
    transfer = _locked(transfer, actor=actor)
    if transfer.status != TransferStatus.SENT or transfer.route != TransferRoute.LINK:
        raise TransferRefused("Only a file sent by link and not yet received gets a new link.")
    secrets_shown = _new_link(transfer)
    transfer.save(update_fields=["link_digest", "code_digest", "link_expires_at", "wrong_codes"])
    _audit(transfer, actor=actor, context=context, action="new_link")
    email_enqueue(
        to=[transfer.receiving_dsl_email],
        subject=f"A new link to the child protection file from {transfer.school.name}",
        body=(
            f"Dear {transfer.receiving_dsl_name},\n\n{transfer.school.name} has sent you a new link to the child "
            f"protection file it sent; the earlier link no longer works.\n\nOpen it here: {secrets_shown.link}\n\n"
            "You need the new code they give you by phone.\nThis email holds no names or details, on purpose.\n"
        ),
    )
    return secrets_shown


# Receiving -----------------------------------------------------------------------------------------------------


def transfer_by_link(token: str) -> Transfer | None:
    """The sent transfer a link leads to, while it still works; none for a wrong, old or finished link."""
    if not token or len(token) > 100:
        return None
    transfer = (
        Transfer.objects.filter(link_digest=_digest(f"link:{token}"), route=TransferRoute.LINK)
        .select_related("school", "child", "sent_by")
        .first()
    )
    if transfer is None or transfer.status not in (TransferStatus.SENT, TransferStatus.RECEIVED):
        return None
    if transfer.status == TransferStatus.SENT and transfer.link_expires_at <= timezone.now():
        return None
    return transfer


def link_closed(transfer: Transfer) -> bool:
    return transfer.wrong_codes >= settings.TRANSFER_LINK_WRONG_CODES


def transfer_code_check(*, transfer: Transfer, code: str, context: RequestContext | None) -> bool:
    """Whether `code` opens the link. A wrong one is counted on the link (which closes after a few) and recorded;
    the right one on a closed link is refused too."""
    typed = "".join(ch for ch in code if ch.isdigit())
    with transaction.atomic():
        transfer = (
            Transfer.objects.select_for_update(of=("self",)).select_related("school", "child").get(pk=transfer.pk)
        )
        right = hmac.compare_digest(_digest(f"code:{transfer.uuid}:{typed}"), transfer.code_digest)
        if right and not link_closed(transfer):
            first = transfer.link_opened_at is None
            if first:
                transfer.link_opened_at = timezone.now()
                transfer.save(update_fields=["link_opened_at"])
            record(
                EventType.VIEW,
                context=context,
                school=transfer.school,
                object_type="transfer_link",
                object_uuid=transfer.uuid,
                child_uuid=transfer.child.uuid,
                detail={"action": "opened"},
            )
            return True
        transfer.wrong_codes += 1
        transfer.save(update_fields=["wrong_codes"])
    record(
        EventType.ACCESS_REFUSED,
        context=context,
        school=transfer.school,
        outcome=Outcome.REFUSED,
        object_type="transfer_link",
        object_uuid=transfer.uuid,
        reason="wrong code" if not right else "link closed",
        detail={"wrong_codes": transfer.wrong_codes},
    )
    return False


def transfer_link_downloaded(*, transfer: Transfer, context: RequestContext | None) -> None:
    """Record that the package was downloaded through the link, before a byte of it goes."""
    Transfer.objects.filter(pk=transfer.pk, downloaded_at__isnull=True).update(downloaded_at=timezone.now())
    record(
        EventType.DOWNLOAD,
        context=context,
        school=transfer.school,
        object_type="transfer_package",
        object_uuid=transfer.uuid,
        child_uuid=transfer.child.uuid,
        detail={"via": "link", "sha256": transfer.package_sha256},
    )


@transaction.atomic
def transfer_link_confirm(
    *, transfer: Transfer, context: RequestContext | None, received_by_name: str, received_by_role: str
) -> Transfer:
    """The receiving DSL confirms, on the link's page, that they have the file: the transfer is complete."""
    transfer = _locked(transfer, actor=None)
    if transfer.status != TransferStatus.SENT or transfer.route != TransferRoute.LINK:
        raise TransferRefused("Receipt of this file is already confirmed.")
    if not received_by_name.strip():
        raise TransferRefused("Give your name.")
    name = received_by_name.strip()
    if received_by_role.strip():
        name = f"{name} ({received_by_role.strip()})"
    return _complete(transfer, actor=None, context=context, received_by_name=name[:150], how="link")


@transaction.atomic
def transfer_paper_receipt(
    *, actor: User, context: RequestContext | None, transfer: Transfer, received_by_name: str, received_on
) -> Transfer:
    """A file handed over on paper: who received it, and when. That is the confirmation of receipt."""
    transfer = _locked(transfer, actor=actor)
    if transfer.status != TransferStatus.SENT or transfer.route != TransferRoute.PAPER:
        raise TransferRefused("Only a file sent on paper, not yet received, takes a hand-over.")
    if not received_by_name.strip():
        raise TransferRefused("Give the name and role of the person who received the file.")
    if received_on is None or received_on > timezone.localdate() or received_on < timezone.localdate(transfer.sent_at):
        raise TransferRefused("The hand-over falls between the day the file was prepared and today.")
    return _complete(
        transfer,
        actor=actor,
        context=context,
        received_by_name=received_by_name.strip()[:150],
        how="paper",
        received_on=received_on,
    )


@transaction.atomic
def transfer_accept(
    *, actor: User, context: RequestContext | None, transfer: Transfer, existing: Child | None = None
) -> Transfer:
    """The receiving school's DSL (or a deputy) accepts a file sent on Safeguard: the child's record at the new
    school (the pupil already on its roll, or a new record from the file's details) gets the whole history, marked
    as received, and the receiving DSL is given the task of telling key staff such as the SENCO (R7.5)."""
    transfer = _locked(transfer, actor=actor, at_receiving=True)
    if transfer.status != TransferStatus.SENT or transfer.route != TransferRoute.SAFEGUARD:
        raise TransferRefused("This file has already been accepted, or was not sent to your school.")
    sent_child = transfer.child
    if existing is not None and existing.school_id != transfer.to_school_id:
        raise PermissionDenied
    child = existing or _child_from(sent_child, school=transfer.to_school)
    transfer.received_child = child
    transfer.received_by = actor
    transfer = _complete(transfer, actor=actor, context=context, received_by_name=actor.full_name, how="safeguard")
    calendar = SchoolCalendar(transfer.to_school)
    senco = Action.objects.create(
        school=transfer.to_school,
        child=child,
        what=(
            f"Tell the staff who need to know, such as the SENCO and {child.display_name}'s head of year, what the "
            f"file received from {transfer.school.name} means for them"
        )[:300],
        owner=actor,
        due_on=calendar.school_days_after(timezone.localdate(), 2),
        assigned_by=actor,
    )
    record(
        EventType.CREATE,
        user=actor,
        context=context,
        school=transfer.to_school,
        object_type="action",
        object_uuid=senco.uuid,
        child_uuid=child.uuid,
        detail={"from": "transfer"},
    )
    return transfer


def _child_from(sent: Child, *, school: School) -> Child:
    """The child's record at the new school, on its roll, from the roster details and flags the file carries."""
    from referrals.services.children import CARER_FIELDS, LEAVING_FIELDS, ROSTER_FIELDS

    details = [name for name in ROSTER_FIELDS if name not in LEAVING_FIELDS] + ["looked_after", "cp_plan"]
    child = Child(school=school, **{name: getattr(sent, name) for name in details})
    if child.upn and Child.objects.filter(school=school, upn=child.upn).exists():
        raise TransferRefused("A pupil with this UPN is already on your roll: choose them.")
    child.full_clean()
    child.save()
    Carer.objects.bulk_create(
        Carer(child=child, position=carer.position, **{name: getattr(carer, name) for name in CARER_FIELDS})
        for carer in sent.carers.all()
    )
    return child


def _complete(transfer: Transfer, *, actor, context, received_by_name: str, how: str, received_on=None) -> Transfer:
    """Receipt is confirmed: the task is done, and the sending school's copy becomes read only, marked transferred,
    under the trust's recorded policy for it (R7.6). Its open concerns and actions are closed as transferred, since
    nobody there can act on them now, and a hold for an unknown destination is lifted: the destination is known."""
    now = timezone.now()
    transfer.status = TransferStatus.RECEIVED
    transfer.received_at = now if received_on is None else _at_noon(received_on)
    transfer.received_by_name = received_by_name
    trust = transfer.school.trust
    transfer.copy_policy = trust.transfer_copy
    if trust.transfer_copy == RetainedCopy.REMOVE:
        transfer.copy_review_on = timezone.localdate(now) + timedelta(days=round(trust.transfer_copy_months * 30.44))
    transfer.save()
    child = Child.objects.select_for_update().get(pk=transfer.child_id)
    child.transferred_at = now
    child.save(update_fields=["transferred_at", "updated_at"])
    transfer.child = child
    closer = transfer.sent_by or actor
    where = transfer.received_child.school.name if transfer.received_child_id else transfer.destination
    note = (
        f"The child moved to {where}. The whole file was sent on {timezone.localtime(transfer.sent_at):%d %B %Y} and "
        f"its receipt confirmed by {received_by_name} on {timezone.localtime(transfer.received_at):%d %B %Y}."
    )
    for concern in Concern.objects.select_for_update().filter(child=child).exclude(status=ConcernStatus.CLOSED):
        Closure.objects.create(
            concern=concern,
            closed_by=closer,
            summary="Open when the child left the school; sent to the new school with the whole file.",
            follow_up=note,
            outcome="Transferred: the new school's designated safeguarding lead holds the file now.",
        )
        Concern.objects.filter(pk=concern.pk).update(status=ConcernStatus.CLOSED, version=concern.version + 1)
        record(
            EventType.UPDATE,
            user=actor,
            context=context,
            school=transfer.school,
            object_type="concern",
            object_uuid=concern.uuid,
            child_uuid=child.uuid,
            detail={"action": "closed_on_transfer"},
        )
    Action.objects.filter(child=child, completed_at__isnull=True).update(
        completed_at=now, completed_by=closer, completion_note=f"Closed when the file was transferred. {note}"
    )
    for hold in FileHold.objects.filter(child=child, reason=HoldReason.DESTINATION_UNKNOWN, lifted_at__isnull=True):
        hold.lifted_at, hold.lifted_by, hold.lift_note = now, actor, f"Destination known: {note}"
        hold.save(update_fields=["lifted_at", "lifted_by", "lift_note"])
    _audit(
        transfer,
        actor=actor,
        context=context,
        action="receipt_confirmed",
        how=how,
        manifest_sha256=transfer.manifest_sha256,
        copy_policy=transfer.copy_policy,
    )
    return transfer


def _at_noon(day):
    return datetime.combine(day, time(12), tzinfo=LONDON)


# Closing a task another way ------------------------------------------------------------------------------------


@transaction.atomic
def transfer_close(*, actor: User, context: RequestContext | None, transfer: Transfer, how: str, note: str) -> Transfer:
    """Close a task without a transfer: there is no child protection file to send (only for a child with nothing on
    file), the local authority has been told of a child missing education, or the task was made in error."""
    transfer = _locked(transfer, actor=actor)
    if transfer.status != TransferStatus.TO_SEND:
        raise TransferRefused("This task is already sent or closed.")
    note = note.strip()
    if how == TransferStatus.NO_FILE:
        if transfer.kind != TransferKind.SEND_FILE or file_has_records(transfer.child):
            raise TransferRefused("There is a file to send: send it.")
    elif how == TransferStatus.DONE:
        if transfer.kind != TransferKind.MISSING_EDUCATION:
            raise TransferRefused("Only a children missing education task is closed by telling the local authority.")
        if not note:
            raise TransferRefused("Say whom at the local authority you told, when and how.")
    elif how == TransferStatus.CANCELLED:
        if not note:
            raise TransferRefused("Say why the task is cancelled.")
    else:
        raise TransferRefused("Choose how the task ends.")
    transfer.status = how
    transfer.closed_at, transfer.closed_by, transfer.close_note = timezone.now(), actor, note
    transfer.save(update_fields=["status", "closed_at", "closed_by", "close_note"])
    _audit(transfer, actor=actor, context=context, action=f"closed_{how}", both=False)
    return transfer


# What the scheduler does ---------------------------------------------------------------------------------------


def transfers_follow_up(*, now=None) -> int:
    """A file sent and not confirmed received by its due date raises a follow-up, once: an action for the person who
    sent it, to chase the new school, and a notice to the safeguarding team (R7.2). Returns how many were raised."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    raised = 0
    waiting = Transfer.objects.filter(status=TransferStatus.SENT, due_on__lte=today, follow_up_raised_at__isnull=True)
    for transfer in waiting.select_related("school", "child", "sent_by"):
        with transaction.atomic():
            if not Transfer.objects.filter(pk=transfer.pk, follow_up_raised_at__isnull=True).update(
                follow_up_raised_at=now
            ):
                continue
            action = Action.objects.create(
                school=transfer.school,
                child=transfer.child,
                what=f"Chase {transfer.destination or 'the new school'} to confirm they received the file sent on "
                f"{timezone.localtime(transfer.sent_at):%d %B}"[:300],
                owner=transfer.sent_by,
                due_on=today,
                assigned_by=transfer.sent_by,
            )
            _notify_team(
                transfer.school,
                kind=Notification.Kind.TRANSFER_FOLLOW_UP,
                transfer=transfer,
                child=transfer.child,
                subject=f"a file sent by {transfer.school.name} is not yet confirmed received",
                body=f"A child protection file sent by {transfer.school.name} was due at the new school by "
                f"{transfer.due_on:%A %d %B} and its receipt is not yet confirmed. Chase the new school.",
            )
            record(
                EventType.CREATE,
                school=transfer.school,
                object_type="action",
                object_uuid=action.uuid,
                child_uuid=transfer.child.uuid,
                detail={"from": "transfer_follow_up", "transfer": str(transfer.uuid)},
            )
            raised += 1
    return raised


HEADTEACHER_AFTER_DAYS = 2


def transfers_escalate(*, now=None) -> int:
    """A leaver's task not done by its due date escalates as a concern does: a marked notice to the DSL and
    deputies the day after, then to the headteacher too two days later. Each level is sent once."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    sent = 0
    late = Transfer.objects.filter(status=TransferStatus.TO_SEND, due_on__lt=today, escalation_level__lt=2)
    for transfer in late.select_related("school", "child"):
        level = 2 if transfer.due_on < today - timedelta(days=HEADTEACHER_AFTER_DAYS) else 1
        if level <= transfer.escalation_level:
            continue
        try:
            with transaction.atomic():
                if not Transfer.objects.filter(
                    pk=transfer.pk, status=TransferStatus.TO_SEND, escalation_level__lt=level
                ).update(escalation_level=level):
                    continue
                what = (
                    "the child protection file of a leaver"
                    if transfer.kind == TransferKind.SEND_FILE
                    else "the children missing education procedure for a leaver whose destination is unknown"
                )
                team = _notify_team(
                    transfer.school,
                    kind=Notification.Kind.TRANSFER_OVERDUE,
                    transfer=transfer,
                    child=transfer.child,
                    subject=f"[OVERDUE] a leaver's task at {transfer.school.name}",
                    body=f"OVERDUE. At {transfer.school.name}, {what} was due by {transfer.due_on:%A %d %B} "
                    "and is not done.",
                )
                if level == 2 and transfer.school.headteacher_email:
                    email_enqueue(
                        to=[transfer.school.headteacher_email],
                        subject=f"[OVERDUE] Safeguard: a leaver's task at {transfer.school.name}",
                        body=f"OVERDUE. At {transfer.school.name}, {what} was due by {transfer.due_on:%A %d %B} "
                        f"and is not done. The safeguarding team ({len(team)}) has been told.\n"
                        "This email holds no names or details, on purpose.\n",
                    )
                record(
                    EventType.UPDATE,
                    school=transfer.school,
                    object_type="transfer",
                    object_uuid=transfer.uuid,
                    child_uuid=transfer.child.uuid,
                    reason="escalated",
                    detail={"action": "escalated", "level": level},
                )
                sent += 1
        except IntegrityError:
            continue
    return sent
