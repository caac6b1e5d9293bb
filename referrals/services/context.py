"""The people, vehicles, places and accounts around children (referrals.models.context): staff record what they
saw; a DSL confirms which entity of the trust a mention is, or that it is a new one; a wrong link is undone with a
reason. Nothing is ever linked by matching alone. Audit events carry ids and the kind, never what was typed.
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from referrals.context_values import ContextKind, context_key, name_key, postcode_district
from referrals.models import Concern, ContextAlert, ContextEntity, ContextLink, ContextMention, Notification
from safeguarding.accounts.access import school_safeguarding_team
from safeguarding.accounts.models import Membership, User
from safeguarding.accounts.permissions import Capability, can
from safeguarding.accounts.roles import Role
from safeguarding.audit.context import RequestContext
from safeguarding.audit.events import EventType
from safeguarding.audit.record import record
from safeguarding.core.emails import email_enqueue

FIELDS = {
    ContextKind.PERSON: ("name", "approximate_age", "description", "how_known"),
    ContextKind.VEHICLE: ("registration", "make", "colour"),
    ContextKind.PLACE: ("name", "postcode_district"),
    ContextKind.HANDLE: ("platform", "handle"),
}


class ContextRefused(ValueError):
    """The step cannot be taken as asked; the message says why."""


def _event(event_type, *, actor, context, concern: Concern, object_type: str, object_uuid, **detail) -> None:
    record(
        event_type,
        user=actor,
        context=context,
        school=concern.school,
        object_type=object_type,
        object_uuid=object_uuid,
        child_uuid=concern.child.uuid if concern.child_id else None,
        detail=detail,
    )


def _home_of(concern: Concern) -> str:
    return name_key(concern.child.address) if concern.child_id else ""


@transaction.atomic
def context_mention_add(
    *, actor: User, context: RequestContext | None, concern: Concern, kind: str, values: dict[str, str]
) -> ContextMention:
    """Record something around the child that the concern's author (or the school's safeguarding team) saw."""
    if actor != concern.author and not can(actor, Capability.ACT_ON_CONCERN, concern.school):
        raise PermissionDenied
    kind = ContextKind(kind)
    typed = {field: " ".join(str(values.get(field, "")).split()) for field in FIELDS[kind]}
    if kind == ContextKind.PLACE:
        typed["postcode_district"] = postcode_district(typed["postcode_district"]) or ""
        home = _home_of(concern)
        if typed["name"] and home and name_key(typed["name"]) in home:
            raise ContextRefused("That is the child's own home: record places away from it.")
    key = context_key(
        kind,
        name=typed.get("name", ""),
        registration=typed.get("registration", ""),
        platform=typed.get("platform", ""),
        handle=typed.get("handle", ""),
        postcode=typed.get("postcode_district", ""),
    )
    if not key:
        raise ContextRefused("Say enough to know it again: a name, a registration, a handle or a place.")
    mention = ContextMention.objects.create(
        school=concern.school, concern=concern, kind=kind, key=key, typed_by=actor, **typed
    )
    _event(
        EventType.CREATE,
        actor=actor,
        context=context,
        concern=concern,
        object_type="context_mention",
        object_uuid=mention.uuid,
        kind=kind,
    )
    return mention


def _label(mention: ContextMention) -> str:
    if mention.kind == ContextKind.VEHICLE:
        return " ".join(part for part in (mention.key, mention.colour, mention.make) if part)
    if mention.kind == ContextKind.HANDLE:
        return f"{mention.handle} on {mention.platform}" if mention.platform else mention.handle
    return mention.name or mention.postcode_district


@transaction.atomic
def context_link_confirm(
    *,
    actor: User,
    context: RequestContext | None,
    mention: ContextMention,
    entity: ContextEntity | None = None,
) -> ContextLink:
    """The DSL confirms that `mention` is `entity` (one of the trust's, offered as a match), or, with none, a new
    entity known by the mention's key. A mention has one standing link at a time."""
    locking = ContextMention.objects.select_for_update(of=("self",)).select_related("concern__child", "school__trust")
    mention = locking.get(pk=mention.pk)
    concern = mention.concern
    if not can(actor, Capability.ACT_ON_CONCERN, mention.school):
        raise PermissionDenied
    if mention.links.filter(undone_at__isnull=True).exists():
        raise ContextRefused("This is linked already: undo that link first, with the reason.")
    trust = mention.school.trust
    if entity is None:
        entity, _ = ContextEntity.objects.get_or_create(
            trust=trust,
            kind=mention.kind,
            key=mention.key,
            defaults={"label": _label(mention), "created_by": actor},
        )
    elif entity.trust_id != trust.pk or entity.kind != mention.kind:
        raise ContextRefused("That entity is not one of this trust's, or not of this kind.")
    link = ContextLink.objects.create(entity=entity, mention=mention, linked_by=actor)
    _event(
        EventType.CREATE,
        actor=actor,
        context=context,
        concern=concern,
        object_type="context_link",
        object_uuid=link.uuid,
        entity=str(entity.uuid),
        kind=mention.kind,
    )
    context_alert_evaluate(entity=entity, actor=actor, context=context)
    return link


@transaction.atomic
def context_link_undo(*, actor: User, context: RequestContext | None, link: ContextLink, reason: str) -> ContextLink:
    """Undo a wrong link, with the reason; the link and its undoing both stay."""
    locking = ContextLink.objects.select_for_update(of=("self",))
    link = locking.select_related("entity", "mention__concern__child", "mention__school").get(pk=link.pk)
    if not can(actor, Capability.ACT_ON_CONCERN, link.mention.school):
        raise PermissionDenied
    if link.undone_at is not None:
        raise ContextRefused("This link was undone already.")
    if not reason.strip():
        raise ContextRefused("Give the reason the link was wrong.")
    link.undone_by = actor
    link.undone_at = timezone.now()
    link.undo_reason = reason.strip()
    link.save(update_fields=["undone_by", "undone_at", "undo_reason"])
    _event(
        EventType.UPDATE,
        actor=actor,
        context=context,
        concern=link.mention.concern,
        object_type="context_link",
        object_uuid=link.uuid,
        action="undone",
        entity=str(link.entity.uuid),
    )
    context_alert_evaluate(entity=link.entity, actor=actor, context=context)
    return link


# The alert -----------------------------------------------------------------------------------------------------


def _linked_together(entity: ContextEntity) -> list[ContextLink]:
    """The largest set of the entity's standing links whose concerns fall within the trust's window of each other
    and name two or more different children; empty when there is none."""
    links = sorted(
        ContextLink.objects.filter(
            entity=entity, undone_at__isnull=True, mention__concern__child__isnull=False
        ).select_related("mention__concern__child__school"),
        key=lambda link: link.mention.concern.observed_at,
    )
    window = timedelta(days=entity.trust.context_window_days)
    best: list[ContextLink] = []
    for index, first in enumerate(links):
        start = first.mention.concern.observed_at
        group = [link for link in links[index:] if link.mention.concern.observed_at - start <= window]
        if len({link.mention.concern.child_id for link in group}) >= 2 and len(group) > len(best):
            best = group
    return best


def _tell(alert: ContextAlert, schools, *, trust_leads: bool) -> None:
    """Tell the safeguarding team of each school in `schools` (and the trust leads), by an email naming no one."""
    people = {}
    for school in schools:
        for member in school_safeguarding_team(school=school):
            people.setdefault(member.user_id, (member.user, school))
    if trust_leads:
        first = next(iter(schools))
        for member in (
            Membership.objects.active().filter(role=Role.TRUST_LEAD, trust=alert.trust).select_related("user")
        ):
            people.setdefault(member.user_id, (member.user, first))
    Notification.objects.bulk_create(
        Notification(recipient=user, school=school, kind=Notification.Kind.CONTEXT_ALERT, context_alert=alert)
        for user, school in people.values()
    )
    email_enqueue(
        to=[user.email for user, _school in people.values()],
        subject="Safeguard: one person, vehicle, place or account is linked to several children",
        body="A DSL confirmed a link that joins two or more children through the same person, vehicle, place or "
        f"account.\n\nSign in to Safeguard ({settings.SITE_URL}/) to see it. This email holds no names or details, "
        "on purpose.\n",
    )


@transaction.atomic(savepoint=False)
def context_alert_evaluate(*, entity: ContextEntity, actor: User | None, context: RequestContext | None):
    """Open, widen or close the entity's alert after a link changed; returns the open alert, if any."""
    group = _linked_together(entity)
    alert = ContextAlert.objects.select_for_update().filter(entity=entity, closed_at__isnull=True).first()
    if not group:
        if alert is not None:
            alert.closed_at = timezone.now()
            alert.close_reason = "A link was undone: fewer than two children are linked within the window."
            alert.save(update_fields=["closed_at", "close_reason"])
            for child in alert.children.all():
                _alert_event(alert, EventType.UPDATE, child=child, actor=actor, context=context, action="closed")
        return None
    children = {link.mention.concern.child for link in group}
    schools = {child.school for child in children}
    before_schools = set(alert.schools.all()) if alert else set()
    before_children = set(alert.children.all()) if alert else set()
    if alert is None:
        alert = ContextAlert.objects.create(trust=entity.trust, entity=entity)
    alert.children.set(children)
    alert.concerns.set({link.mention.concern for link in group})
    alert.schools.set(schools)
    for child in children - before_children:
        _alert_event(alert, EventType.CREATE, child=child, actor=actor, context=context, action="fired")
    new_schools = schools - before_schools
    across = len(schools) > 1 and len(before_schools) < len(schools)
    if new_schools or across:
        _tell(alert, new_schools or schools, trust_leads=across)
    return alert


def _alert_event(alert, event_type, *, child, actor, context, action: str) -> None:
    record(
        event_type,
        user=actor,
        context=context,
        school=child.school,
        object_type="context_alert",
        object_uuid=alert.uuid,
        child_uuid=child.uuid,
        detail={"action": action, "entity": str(alert.entity.uuid)},
    )
