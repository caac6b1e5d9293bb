"""The trust's entities a DSL is offered as matches for what a member of staff typed (referrals.services.context)."""

from django.http import Http404

from referrals.models import ContextEntity, ContextMention
from safeguarding.accounts.models import User
from safeguarding.accounts.permissions import Capability, schools_where
from safeguarding.audit.context import RequestContext
from safeguarding.audit.record import record_shown


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
