"""The people, vehicles, places and accounts around children, as the safeguarding team reads them: the matches offered
for what staff typed, an entity's page, the network, and the alerts. A reader sees the names and concerns of the
children of their own schools; a child elsewhere in the trust is "a child at <school>". Every read is recorded."""

import uuid
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse

from referrals.models import Child, ContextAlert, ContextEntity, ContextLink, ContextMention
from referrals.selectors.access import Kind
from safeguarding.accounts.models import School, User
from safeguarding.accounts.permissions import Capability, schools_where
from safeguarding.audit.context import RequestContext
from safeguarding.audit.events import EventType
from safeguarding.audit.record import record, record_shown

ENTITY = Kind("context_entity", "No such person, vehicle, place or account.")
LINKS = ContextLink.objects.select_related(
    "entity", "mention__school", "mention__concern__child__school", "mention__typed_by", "linked_by", "undone_by"
)


def context_matches(*, user: User, context: RequestContext | None, mention_uuid) -> tuple[ContextMention, list]:
    """A mention on a concern of the person's school, and the entities of its trust with the same key: offered, never
    linked by themselves. Showing them is recorded with the child."""
    schools = schools_where(user, Capability.ACT_ON_CONCERN)
    mention = (
        ContextMention.objects.filter(uuid=mention_uuid, school__in=schools)
        .select_related("school__trust", "concern__child")
        .first()
    )
    if mention is None:
        raise Http404("No such mention.")
    matches = list(
        ContextEntity.objects.filter(trust=mention.school.trust_id, kind=mention.kind, key=mention.key).order_by("pk")
    )
    record_shown(
        matches,
        user=user,
        context=context,
        school=mention.school,
        object_type="context_match",
        object_uuid=mention.uuid,
        child_uuid=mention.concern.child.uuid if mention.concern.child_id else None,
    )
    return mention, matches


def concern_context(*, concern, user: User) -> list[dict]:
    """The mentions on a concern as its review page shows them: what was typed, the standing link and its history,
    and the matches offered while unlinked (the review page's own view of the concern records the read)."""
    mentions = list(
        ContextMention.objects.filter(concern=concern).select_related("typed_by", "school").order_by("created_at")
    )
    links = list(LINKS.filter(mention__in=mentions).order_by("linked_at"))
    keys = {(mention.kind, mention.key) for mention in mentions}
    trust = concern.school.trust_id
    offered = list(ContextEntity.objects.filter(trust=trust).filter(_any_key(keys))) if keys else []
    rows = []
    for mention in mentions:
        history = [link for link in links if link.mention_id == mention.pk]
        rows.append(
            {
                "mention": mention,
                "standing": next((link for link in history if link.standing), None),
                "history": history,
                "matches": [e for e in offered if (e.kind, e.key) == (mention.kind, mention.key)],
            }
        )
    return rows


def _any_key(keys) -> Q:
    condition = Q(pk__in=[])
    for kind, key in keys:
        condition |= Q(kind=kind, key=key)
    return condition


def own_mentions(*, concern, user: User) -> list[ContextMention]:
    """What this person typed on their own concern: staff see nothing of anyone else's."""
    return list(ContextMention.objects.filter(concern=concern, typed_by=user).order_by("created_at"))


# An entity and the network ---------------------------------------------------------------------------------------


def _readable(user: User) -> QuerySet[School]:
    return schools_where(user, Capability.READ_CHILD_FILE)


def entity_get(*, user: User, context: RequestContext, entity_uuid, record_read: bool = True) -> ContextEntity:
    """An entity linked (now or before) at one of the person's schools; 404 for anyone else, recorded."""
    schools = _readable(user)
    entity = (
        ContextEntity.objects.filter(uuid=entity_uuid, links__mention__school__in=schools)
        .select_related("trust")
        .distinct()
        .first()
    )
    if entity is None:
        raise Http404(ENTITY.missing)
    if record_read:
        children = ContextLink.objects.filter(entity=entity, mention__school__in=schools).values_list(
            "mention__concern__child__uuid", flat=True
        )
        # One event, naming the children of the reader's schools it showed, however many there are.
        record(
            EventType.VIEW,
            user=user,
            context=context,
            object_type=ENTITY.object_type,
            object_uuid=entity.uuid,
            detail={"children": sorted({str(each) for each in children if each})},
        )
    return entity


@dataclass
class LinkRow:
    link: ContextLink
    visible: bool

    @property
    def child_label(self) -> str:
        child = self.link.mention.concern.child
        if child is None:
            return "A child not on the roll"
        return child.display_name if self.visible else f"A child at {child.school.name}"


def entity_links(*, user: User, entity: ContextEntity) -> list[LinkRow]:
    """Every link of the entity, standing and undone, oldest first; each says whether the reader may see its child."""
    schools = {school.pk for school in _readable(user)}
    return [
        LinkRow(link, link.mention.school_id in schools)
        for link in LINKS.filter(entity=entity).order_by("linked_at", "pk")
    ]


@dataclass
class Network:
    nodes: list[dict] = field(default_factory=list)
    edges: list[dict] = field(default_factory=list)


def _network(links, *, schools: set[int]) -> Network:
    """Entities, concerns and children as nodes; "seen in" (entity to concern) and "about" (concern to child) as
    edges. What the reader may not see is named by its school only."""
    network = Network()
    seen = set()

    def node(node_id: str, kind: str, label: str, url: str = "") -> None:
        if node_id not in seen:
            seen.add(node_id)
            network.nodes.append({"id": node_id, "kind": kind, "label": label, "url": url})

    for link in links:
        concern = link.mention.concern
        visible = link.mention.school_id in schools
        entity_id, concern_id = f"e-{link.entity.uuid}", f"c-{concern.uuid}"
        node(entity_id, "entity", link.entity.label, reverse("context_entity", args=[link.entity.uuid]))
        node(
            concern_id,
            "concern",
            concern.reference if visible else f"A concern at {concern.school.name}",
            reverse("concern_review", args=[concern.uuid]) if visible else "",
        )
        network.edges.append({"from": entity_id, "to": concern_id, "label": "seen in"})
        if concern.child is not None:
            child = concern.child
            child_id = f"k-{child.uuid}" if visible else f"k-hidden-{child.uuid}"
            label = child.display_name if visible else f"A child at {child.school.name}"
            node(child_id, "child", label, reverse("child_file", args=[child.uuid]) if visible else "")
            edge = {"from": concern_id, "to": child_id, "label": "about"}
            if edge not in network.edges:
                network.edges.append(edge)
    return network


def _standing(links: QuerySet) -> list[ContextLink]:
    return list(
        LINKS.filter(undone_at__isnull=True)
        .filter(pk__in=links.values("pk"))
        .select_related("mention__concern__school")
        .order_by("linked_at", "pk")
    )


def entity_network(*, user: User, entity: ContextEntity) -> Network:
    schools = {school.pk for school in _readable(user)}
    return _network(_standing(ContextLink.objects.filter(entity=entity)), schools=schools)


def child_network(*, user: User, context: RequestContext, child: Child) -> Network:
    """The entities linked to the child's concerns, and every other concern and child they are linked to."""
    schools = {school.pk for school in _readable(user)}
    entities = ContextLink.objects.filter(mention__concern__child=child, undone_at__isnull=True).values("entity")
    network = _network(_standing(ContextLink.objects.filter(entity__in=entities)), schools=schools)
    record(
        EventType.VIEW,
        user=user,
        context=context,
        school=child.school,
        object_type="context_network",
        object_uuid=child.uuid,
        child_uuid=child.uuid,
    )
    return network


def trust_network(*, user: User, context: RequestContext) -> Network:
    """Every standing link in the trusts the person oversees, for the trust lead."""
    schools = _readable(user)
    trusts = School.objects.filter(pk__in=schools_where(user, Capability.SEE_TRUST_NETWORK)).values("trust")
    links = _standing(ContextLink.objects.filter(entity__trust__in=trusts))
    network = _network(links, schools={school.pk for school in schools})
    record_shown(
        [link.entity for link in links],
        user=user,
        context=context,
        object_type="context_network",
        detail={
            "children": sorted({str(link.mention.concern.child.uuid) for link in links if link.mention.concern.child})
        },
    )
    return network


# Alerts --------------------------------------------------------------------------------------------------------


@dataclass
class AlertRow:
    alert: ContextAlert
    named: list[Child]
    others: int
    concerns: list


def open_alerts(*, user: User, context: RequestContext | None, schools=None, child: Child | None = None) -> list:
    """The open alerts about children of the person's schools (or of one child), each naming only the children the
    person may see; the rest are counted. Recorded with the children named."""
    readable = list(schools if schools is not None else _readable(user))
    alerts = (
        ContextAlert.objects.filter(closed_at__isnull=True, schools__in=readable)
        .distinct()
        .select_related("entity")
        .prefetch_related("children__school", "concerns__child")
        .order_by("-fired_at")
    )
    if child is not None:
        alerts = alerts.filter(children=child)
    ids = {school.pk for school in readable}
    rows = []
    for alert in alerts:
        # A child whose file went to another school is off this school's desk, as its concerns are.
        named = [each for each in alert.children.all() if each.school_id in ids and each.transferred_at is None]
        if not named:
            continue
        concerns = [c for c in alert.concerns.all() if c.school_id in ids and c.child in named]
        rows.append(AlertRow(alert, named, len(alert.children.all()) - len(named), concerns))
    if rows:
        record_shown(
            [row.alert for row in rows],
            user=user,
            context=context,
            object_type="context_alert",
            detail={"children": sorted({str(each.uuid) for row in rows for each in row.named})},
        )
    return rows


def child_get_for_network(*, user: User, child_uuid: uuid.UUID) -> Child:
    child = Child.objects.filter(uuid=child_uuid, school__in=_readable(user)).select_related("school").first()
    if child is None:
        raise Http404("No such child.")
    return child
