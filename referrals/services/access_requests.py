"""Subject access requests, step by step (REQUIREMENTS.md R10.6, R10.7; docs/access-requests.md).

Logged by the DSL or the data protection officer; the file is gathered and redacted with reasons; a second person
signs the redactions off, which makes the pack; the pack is released with how it went. Each step is one audit event
that names the request and the child, never what was withheld. A change to the redactions after the request went
for sign-off takes the sign-off back, and the pack with it.
"""

import hashlib
import secrets
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from referrals.access_clock import REMINDER_DAYS, request_clock
from referrals.access_pack import file_for_request, file_state, other_children_names, passage_found
from referrals.models import (
    AccessRequest,
    AccessRequestPause,
    Child,
    ContextMention,
    Notification,
    Redaction,
    RequestStatus,
    WithheldBecause,
)
from safeguarding.accounts.models import Membership, School, User
from safeguarding.accounts.permissions import Capability, can, holding
from safeguarding.audit.context import RequestContext
from safeguarding.audit.events import EventType
from safeguarding.audit.record import record
from safeguarding.core.emails import email_enqueue
from safeguarding.core.files import file_created_at, file_delete, file_names, file_open, file_read, file_save

OBJECT_TYPE = "access_request"
# Packs are stored under this kind (safeguarding/core/files.py).
ACCESS_PACKS = "access-packs"


class RequestRefused(ValueError):
    """The step cannot be taken as asked; the message says why."""


def _event(access_request: AccessRequest, event_type=EventType.UPDATE, *, actor, context, action: str, **detail):
    record(
        event_type,
        user=actor,
        context=context,
        school=access_request.school,
        object_type=OBJECT_TYPE,
        object_uuid=access_request.uuid,
        child_uuid=access_request.child_uuid,
        detail={"action": action, **detail},
    )


def _locked(access_request: AccessRequest, *, actor: User) -> AccessRequest:
    """The request, locked for the change, for a person who handles requests at its school."""
    access_request = (
        AccessRequest.objects.select_for_update(of=("self",))
        .select_related("school", "child")
        .get(pk=access_request.pk)
    )
    if not can(actor, Capability.HANDLE_ACCESS_REQUESTS, access_request.school):
        raise PermissionDenied
    if not access_request.is_open:
        raise RequestRefused("This request was released already: nothing of it can change.")
    return access_request


def _next_reference(school: School) -> str:
    """The school's next number: one more than the highest it holds, so that no two requests share one."""
    School.objects.select_for_update().filter(pk=school.pk).first()
    prefix = f"SAR-{school.urn}-"
    numbers = [
        int(reference.removeprefix(prefix))
        for reference in AccessRequest.objects.filter(school=school).values_list("reference", flat=True)
        if reference.removeprefix(prefix).isdigit()
    ]
    return f"{prefix}{max(numbers, default=0) + 1:03d}"


@transaction.atomic
def access_request_log(
    *,
    actor: User,
    context: RequestContext | None,
    child: Child,
    requester_name: str,
    requester: str,
    requester_address: str,
    identity_check: str,
    received_on: date,
    identity_confirmed_on: date | None,
    fee_received_on: date | None,
    fee_requested: bool = False,
) -> AccessRequest:
    """Log a request about `child`; the names of other children in concerns shared with the child are proposed
    for redaction at once."""
    if not can(actor, Capability.HANDLE_ACCESS_REQUESTS, child.school):
        raise PermissionDenied
    access_request = AccessRequest.objects.create(
        school=child.school,
        reference=_next_reference(child.school),
        child=child,
        child_uuid=child.uuid,
        requester_name=requester_name,
        requester=requester,
        requester_address=requester_address,
        identity_check=identity_check,
        received_on=received_on,
        identity_confirmed_on=identity_confirmed_on,
        fee_received_on=fee_received_on,
        fee_requested=fee_requested,
        logged_by=actor,
    )
    proposed = _propose_other_children(access_request)
    _event(access_request, EventType.CREATE, actor=actor, context=context, action="logged", proposed=proposed)
    return access_request


def _propose_other_children(access_request: AccessRequest) -> int:
    """Withhold everywhere the names of other children in concerns shared with the child, but those already
    withheld and those a person took back; returns how many were added."""
    present = {r.passage.casefold() for r in access_request.redactions.all() if r.everywhere}
    declined = {name.casefold() for name in access_request.declined_names}
    names = [
        name
        for name in other_children_names(access_request.child)
        if name.casefold() not in present and name.casefold() not in declined
    ]
    Redaction.objects.bulk_create(
        Redaction(
            request=access_request,
            passage=name,
            reason=WithheldBecause.THIRD_PARTY,
            note="Another child named in a concern shared with this child.",
            proposed_automatically=True,
        )
        for name in names
    )
    # The people, vehicles, places and accounts recorded around the child are other people's data: withheld whole
    # unless a person decides otherwise.
    withheld = {(r.item_kind, r.item_uuid) for r in access_request.redactions.all() if r.whole_item}
    context = [
        mention
        for mention in ContextMention.objects.filter(concern__child=access_request.child)
        if ("context", mention.uuid) not in withheld and f"item:context:{mention.uuid}" not in declined
    ]
    Redaction.objects.bulk_create(
        Redaction(
            request=access_request,
            item_kind="context",
            item_uuid=mention.uuid,
            reason=WithheldBecause.THIRD_PARTY,
            note="Someone or something around the child: another person's data.",
            proposed_automatically=True,
        )
        for mention in context
    )
    return len(names) + len(context)


def _preparing(access_request: AccessRequest, actor: User) -> None:
    if actor.pk not in access_request.preparers:
        access_request.preparers = [*access_request.preparers, actor.pk]


@transaction.atomic
def access_request_dates(
    *,
    actor: User,
    context: RequestContext | None,
    access_request: AccessRequest,
    identity_confirmed_on: date | None,
    fee_received_on: date | None,
    fee_requested: bool = False,
) -> AccessRequest:
    """Record proof of identity, or a fee, arriving after the request: the clock starts from the later date."""
    access_request = _locked(access_request, actor=actor)
    for arrived in (identity_confirmed_on, fee_received_on):
        if arrived and arrived < access_request.received_on:
            raise RequestRefused("Proof of identity or a fee cannot arrive before the request itself.")
    access_request.identity_confirmed_on = identity_confirmed_on
    access_request.fee_received_on = fee_received_on
    access_request.fee_requested = fee_requested
    access_request.save(update_fields=["identity_confirmed_on", "fee_received_on", "fee_requested"])
    _event(access_request, actor=actor, context=context, action="dates")
    return access_request


@transaction.atomic
def clarification_ask(
    *, actor: User, context: RequestContext | None, access_request: AccessRequest, asked_on: date, question: str
) -> AccessRequestPause:
    """The school asked the requester to clarify: the clock waits until the answer arrives."""
    access_request = _locked(access_request, actor=actor)
    if access_request.pauses.filter(answered_on__isnull=True).exists():
        raise RequestRefused("A question is already waiting for its answer: record that answer first.")
    if asked_on < access_request.received_on:
        raise RequestRefused("The question cannot be asked before the request arrived.")
    answered = [p.answered_on for p in access_request.pauses.all() if p.answered_on]
    if answered and asked_on < max(answered):
        raise RequestRefused("A new question is asked after the answer to the last one arrived.")
    due = request_clock(access_request).due
    if due is not None and asked_on > due:
        raise RequestRefused(f"The request was due on {due:%d %B %Y}: a question asked after it cannot stop the clock.")
    pause = AccessRequestPause.objects.create(
        request=access_request, asked_on=asked_on, question=question, recorded_by=actor
    )
    _event(access_request, actor=actor, context=context, action="clarification_asked")
    return pause


@transaction.atomic
def clarification_answered(
    *, actor: User, context: RequestContext | None, access_request: AccessRequest, answered_on: date
) -> AccessRequestPause:
    access_request = _locked(access_request, actor=actor)
    pause = access_request.pauses.filter(answered_on__isnull=True).first()
    if pause is None:
        raise RequestRefused("No question is waiting for an answer.")
    if answered_on < pause.asked_on:
        raise RequestRefused("The answer cannot arrive before the question was asked.")
    pause.answered_on = answered_on
    pause.save(update_fields=["answered_on"])
    _event(access_request, actor=actor, context=context, action="clarification_answered")
    return pause


@transaction.atomic
def access_request_extend(
    *, actor: User, context: RequestContext | None, access_request: AccessRequest, reason: str, requester_told_on: date
) -> AccessRequest:
    """Extend a complex request by two further months, once, on or before its first due date, with the reason and
    the day the requester was told."""
    access_request = _locked(access_request, actor=actor)
    clock = request_clock(access_request)
    today = timezone.localdate()
    if access_request.extended_at is not None:
        raise RequestRefused("This request was extended already: it can be extended only once.")
    if not clock.may_extend(today):
        if clock.first_due is None:
            raise RequestRefused("The clock has not started (or is paused), so there is no due date to extend.")
        raise RequestRefused(
            f"An extension must be agreed by the first due date, {clock.first_due:%d %B %Y}: it has passed."
        )
    if requester_told_on > today or (clock.first_due and requester_told_on > clock.first_due):
        raise RequestRefused("The requester must be told of the extension by the first due date.")
    access_request.extension_reason = reason
    access_request.requester_told_on = requester_told_on
    access_request.extended_by = actor
    access_request.extended_at = timezone.now()
    access_request.save(update_fields=["extension_reason", "requester_told_on", "extended_by", "extended_at"])
    _event(access_request, actor=actor, context=context, action="extended")
    return access_request


# Redaction -----------------------------------------------------------------------------------------------------------


def _redactions_open(access_request: AccessRequest) -> None:
    if access_request.child is None:
        raise RequestRefused("The child's file is no longer held.")
    if access_request.status == RequestStatus.SIGNED_OFF:
        raise RequestRefused("The redactions are signed off: nothing withheld can change now.")


def _signed_off_no_longer(access_request: AccessRequest) -> None:
    """A change to what is withheld after the request went for sign-off: back to being prepared, pack gone."""
    if access_request.status == RequestStatus.PREPARING:
        return
    _pack_remove(access_request)
    access_request.status = RequestStatus.PREPARING
    access_request.sent_for_sign_off_by = None
    access_request.sent_for_sign_off_at = None
    access_request.signed_off_by = None
    access_request.signed_off_at = None
    access_request.signed_items = {}
    access_request.save()


@transaction.atomic
def redaction_add(
    *,
    actor: User,
    context: RequestContext | None,
    access_request: AccessRequest,
    item_key: str,
    passage: str,
    reason: str,
    note: str,
) -> Redaction:
    """Withhold a passage of one item, a whole item (no passage), or a passage everywhere in the file (no item)."""
    access_request = _locked(access_request, actor=actor)
    _redactions_open(access_request)
    items = file_for_request(access_request.child)
    item = None
    if item_key:
        item = next((each for each in items if each.key == item_key), None)
        if item is None:
            raise RequestRefused("That item is not in the child's file.")
        if item.kind == "child" and not passage:
            raise RequestRefused("The child's details cannot be withheld whole: mark the passages to withhold.")
    elif not passage.strip():
        raise RequestRefused("Say what to withhold everywhere: a name or a phrase.")
    passage = " ".join(passage.split())
    if passage and not passage_found(items, passage, item=item):
        where = "this item" if item else "the file (as a whole word or phrase)"
        raise RequestRefused(f"That passage is not in {where}. Copy it exactly as it is written.")
    redaction = Redaction.objects.create(
        request=access_request,
        item_kind=item.kind if item else "",
        item_uuid=item.uuid if item else None,
        passage=passage,
        reason=reason,
        note=note,
        made_by=actor,
    )
    _preparing(access_request, actor)
    access_request.save(update_fields=["preparers"])
    _signed_off_no_longer(access_request)
    scope = "everywhere" if item is None else ("item" if not passage else "passage")
    _event(access_request, actor=actor, context=context, action="redaction_added", scope=scope, reason=reason)
    return redaction


@transaction.atomic
def redaction_remove(
    *, actor: User, context: RequestContext | None, access_request: AccessRequest, redaction: Redaction
) -> None:
    access_request = _locked(access_request, actor=actor)
    _redactions_open(access_request)
    if redaction.request_id != access_request.pk:
        raise RequestRefused("That redaction is not part of this request.")
    automatic = redaction.proposed_automatically
    if automatic:
        declined = redaction.passage or f"item:{redaction.item_kind}:{redaction.item_uuid}"
        access_request.declined_names = [*access_request.declined_names, declined]
    redaction.delete()
    _preparing(access_request, actor)
    access_request.save(update_fields=["preparers", "declined_names"])
    _signed_off_no_longer(access_request)
    _event(access_request, actor=actor, context=context, action="redaction_removed", proposed=automatic)


# Sign-off, the pack and its release ------------------------------------------------------------------------------


@transaction.atomic
def sign_off_ask(*, actor: User, context: RequestContext | None, access_request: AccessRequest) -> AccessRequest:
    access_request = _locked(access_request, actor=actor)
    if access_request.status != RequestStatus.PREPARING:
        raise RequestRefused("This request is already with a second person, or signed off.")
    if access_request.child is None:
        raise RequestRefused("The child's file is no longer held.")
    # A concern shared with another child since the request was logged: its names are withheld before anyone signs.
    proposed = _propose_other_children(access_request)
    access_request.status = RequestStatus.SIGN_OFF
    access_request.sent_for_sign_off_by = actor
    access_request.sent_for_sign_off_at = timezone.now()
    _preparing(access_request, actor)
    access_request.save(update_fields=["status", "sent_for_sign_off_by", "sent_for_sign_off_at", "preparers"])
    _event(access_request, actor=actor, context=context, action="sent_for_sign_off", proposed=proposed)
    _notify(access_request, kind=Notification.Kind.ACCESS_SIGN_OFF, leaving_out=actor)
    return access_request


@transaction.atomic
def sign_off(*, actor: User, context: RequestContext | None, access_request: AccessRequest, seen: str) -> AccessRequest:
    """A second person, who prepared none of the redactions, signs them off as they read them (`seen` is the
    `file_state` of the page they read); the pack is made from exactly that."""
    access_request = _locked(access_request, actor=actor)
    if access_request.status != RequestStatus.SIGN_OFF:
        raise RequestRefused("The redactions have not been sent for sign-off.")
    if actor.pk in access_request.preparer_ids():
        raise RequestRefused(
            "You prepared these redactions, so you cannot sign them off: a second person who handles requests must."
        )
    items = file_for_request(access_request.child)
    if seen != file_state(items, list(access_request.redactions.all())):
        raise RequestRefused("The file or its redactions changed while you were reading: read it again, then sign off.")
    access_request.status = RequestStatus.SIGNED_OFF
    access_request.signed_off_by = actor
    access_request.signed_off_at = timezone.now()
    access_request.signed_items = {item.key: item.digest for item in items}
    _pack_make(access_request, items=items, user=actor)
    access_request.save()
    _event(access_request, actor=actor, context=context, action="signed_off", sha256=access_request.pack_sha256)
    return access_request


@transaction.atomic
def sign_off_refuse(
    *, actor: User, context: RequestContext | None, access_request: AccessRequest, note: str
) -> AccessRequest:
    """The second person sends the redactions back to be looked at again; the note says what to change."""
    access_request = _locked(access_request, actor=actor)
    if access_request.status != RequestStatus.SIGN_OFF:
        raise RequestRefused("The redactions have not been sent for sign-off.")
    if actor.pk in access_request.preparer_ids():
        raise RequestRefused("You prepared these redactions: a second person reviews them.")
    access_request.status = RequestStatus.PREPARING
    access_request.sent_for_sign_off_by = None
    access_request.sent_for_sign_off_at = None
    access_request.sent_back_by = actor
    access_request.sent_back_at = timezone.now()
    access_request.sent_back_note = note
    access_request.save()
    _event(access_request, actor=actor, context=context, action="sign_off_refused")
    _notify(access_request, kind=None, leaving_out=actor)
    return access_request


def pack_open(name: str):
    """The stored pack, open for reading; FileNotFoundError when it is gone."""
    return file_open(ACCESS_PACKS, name)


def pack_read(name: str) -> bytes:
    return file_read(ACCESS_PACKS, name)


def _pack_make(access_request: AccessRequest, *, items, user: User) -> None:
    from referrals.pdfs import access_pack_pdf

    signed = access_request.signed_items
    content = access_pack_pdf(
        access_request=access_request,
        items=[item for item in items if signed.get(item.key) == item.digest],
        redactions=list(access_request.redactions.all()),
        user=user,
    )
    _pack_remove(access_request)
    name = file_save(ACCESS_PACKS, f"{secrets.token_hex(16)}.pdf", content)
    access_request.pack_name = name
    access_request.pack_sha256 = hashlib.sha256(content).hexdigest()
    access_request.pack_made_at = timezone.now()
    access_request.pack_expires_at = timezone.now() + timedelta(days=settings.ACCESS_PACK_DAYS)


def _pack_remove(access_request: AccessRequest) -> None:
    """Forget the request's pack; its file goes with the change, so a rolled-back change keeps it."""
    if access_request.pack_name:
        file_delete(ACCESS_PACKS, access_request.pack_name)
    access_request.pack_name = ""
    access_request.pack_sha256 = ""
    access_request.pack_made_at = None
    access_request.pack_expires_at = None


@transaction.atomic
def pack_remake(*, actor: User, context: RequestContext | None, access_request: AccessRequest) -> bool:
    """Make the signed-off pack again once its file has expired, from the same items and redactions. When an item
    signed off has changed since (an address, say), nothing unread goes out: the request goes back to being prepared
    for a new sign-off, and this returns False."""
    access_request = _locked(access_request, actor=actor)
    if access_request.status != RequestStatus.SIGNED_OFF:
        raise RequestRefused("Only a signed-off request has a pack to make.")
    items = file_for_request(access_request.child)
    now = {item.key: item.digest for item in items}
    if any(now.get(key) != digest for key, digest in access_request.signed_items.items()):
        _pack_remove(access_request)
        access_request.status = RequestStatus.PREPARING
        access_request.sent_for_sign_off_by = None
        access_request.sent_for_sign_off_at = None
        access_request.signed_off_by = None
        access_request.signed_off_at = None
        access_request.signed_items = {}
        access_request.save()
        _event(access_request, actor=actor, context=context, action="sign_off_lapsed")
        return False
    _pack_make(access_request, items=items, user=actor)
    access_request.save()
    _event(access_request, actor=actor, context=context, action="pack_remade", sha256=access_request.pack_sha256)
    return True


@transaction.atomic
def access_request_release(
    *, actor: User, context: RequestContext | None, access_request: AccessRequest, delivered: str, note: str
) -> AccessRequest:
    """Record that the signed-off pack went to the requester, and how."""
    access_request = _locked(access_request, actor=actor)
    if access_request.status != RequestStatus.SIGNED_OFF:
        raise RequestRefused("The pack cannot be released before a second person has signed off the redactions.")
    if not access_request.pack_available:
        raise RequestRefused("The pack's file has expired: make it again before releasing it.")
    access_request.status = RequestStatus.RELEASED
    access_request.released_by = actor
    access_request.released_at = timezone.now()
    access_request.delivered = delivered
    access_request.delivery_note = note
    access_request.save(update_fields=["status", "released_by", "released_at", "delivered", "delivery_note"])
    _event(
        access_request,
        actor=actor,
        context=context,
        action="released",
        delivered=delivered,
        sha256=access_request.pack_sha256,
    )
    return access_request


def packs_expire(*, now=None) -> int:
    """Delete the files of packs past their expiry, and any pack file a failed sign-off left behind; returns how
    many went."""
    now = now or timezone.now()
    gone: set[str] = set()
    expired = AccessRequest.objects.filter(pack_expires_at__lte=now).exclude(pack_name="")
    for pk in expired.values_list("pk", flat=True):
        with transaction.atomic():
            access_request = expired.select_for_update().filter(pk=pk).first()
            if access_request is None:
                continue  # made again meanwhile
            gone.add(access_request.pack_name)
            _pack_remove(access_request)
            access_request.save(update_fields=["pack_name", "pack_made_at", "pack_expires_at", "pack_sha256"])
    kept = set(AccessRequest.objects.exclude(pack_name="").values_list("pack_name", flat=True))
    stale = now - timedelta(hours=24)
    for name in file_names(ACCESS_PACKS):
        if name not in kept | gone and file_created_at(ACCESS_PACKS, name) < stale:
            file_delete(ACCESS_PACKS, name)
            gone.add(name)
    return len(gone)


# Reminders ----------------------------------------------------------------------------------------------------------


def _handlers(school: School) -> list[User]:
    """Those who handle requests at `school`: its DSL, and the data protection officer of its trust."""
    memberships = (
        Membership.objects.active()
        .filter(holding(Capability.HANDLE_ACCESS_REQUESTS))
        .filter(school=school)
        .select_related("user")
    )
    trust = (
        Membership.objects.active()
        .filter(holding(Capability.HANDLE_ACCESS_REQUESTS))
        .filter(trust=school.trust_id, trust__isnull=False)
        .select_related("user")
    )
    return list({m.user_id: m.user for m in [*memberships, *trust]}.values())


def _notify(access_request: AccessRequest, *, kind: str | None, leaving_out: User | None = None) -> None:
    """Tell those who handle requests at the school, in Safeguard and by an email that names no one."""
    people = [person for person in _handlers(access_request.school) if person != leaving_out]
    if kind is not None:
        Notification.objects.bulk_create(
            Notification(recipient=person, school=access_request.school, kind=kind, access_request=access_request)
            for person in people
        )
    subject = {
        Notification.Kind.ACCESS_DUE: "a subject access request is due soon",
        Notification.Kind.ACCESS_OVERDUE: "a subject access request is overdue",
        Notification.Kind.ACCESS_SIGN_OFF: "redactions are ready for a second person's sign-off",
        None: "redactions sent back to be looked at again",
    }[kind]
    email_enqueue(
        to=[person.email for person in people],
        subject=f"Safeguard: {subject} ({access_request.reference})",
        body=f"Request {access_request.reference} at {access_request.school.name}: {subject}.\n\n"
        f"Sign in to Safeguard ({settings.SITE_URL}/access-requests/) to see it. "
        "This email holds no names or details, on purpose.\n",
    )


def access_requests_remind(*, now=None) -> dict[str, int]:
    """Remind those who handle requests a week before each due date, and tell them once when one is overdue."""
    today = timezone.localdate(now or timezone.now())
    done = {"reminded": 0, "overdue": 0}
    for access_request in (
        AccessRequest.objects.exclude(status=RequestStatus.RELEASED).select_related("school").prefetch_related("pauses")
    ):
        due = request_clock(access_request).due
        if due is None:
            continue
        with transaction.atomic():
            if due < today and access_request.overdue_notified_for != due:
                _notify(access_request, kind=Notification.Kind.ACCESS_OVERDUE)
                access_request.overdue_notified_for = due
                access_request.save(update_fields=["overdue_notified_for"])
                done["overdue"] += 1
            elif today <= due <= today + timedelta(days=REMINDER_DAYS) and access_request.reminded_for != due:
                _notify(access_request, kind=Notification.Kind.ACCESS_DUE)
                access_request.reminded_for = due
                access_request.save(update_fields=["reminded_for"])
                done["reminded"] += 1
    return done
