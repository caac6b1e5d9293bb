"""The people, vehicles, places and accounts around children: recording one on a concern, the DSL's linking and
unlinking, an entity's page and the network (as a graph and as a table)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from referrals.forms.context import MentionForm, UnlinkForm
from referrals.models import ContextEntity, ContextLink
from referrals.selectors.access import access_concern, access_own_concern
from referrals.selectors.context import (
    child_get_for_network,
    child_network,
    context_matches,
    entity_get,
    entity_links,
    entity_network,
    trust_network,
)
from referrals.services.context import ContextRefused, context_link_confirm, context_link_undo, context_mention_add
from safeguarding.accounts.permissions import Capability, schools_where
from safeguarding.audit.record import record_rule_refusal


def _concern_for(request, concern_uuid):
    """The concern, as its author's own page or the safeguarding team's review reaches it; where to go back to."""
    team = schools_where(request.user, Capability.ACT_ON_CONCERN)
    try:
        concern = access_concern(user=request.user, context=request.audit, concern_uuid=concern_uuid, record_read=False)
    except Http404:
        concern = None
    if concern is not None and team.filter(pk=concern.school_id).exists():
        return concern, "concern_review"
    concern = access_own_concern(user=request.user, context=request.audit, concern_uuid=concern_uuid, record_read=False)
    return concern, "concern_detail"


@never_cache
@login_required
@require_POST
def context_mention_new(request, concern_uuid):
    """Record a person, vehicle, place or account seen around the concern's child."""
    concern, back = _concern_for(request, concern_uuid)
    form = MentionForm(request.POST)
    if form.is_valid():
        try:
            context_mention_add(
                actor=request.user,
                context=request.audit,
                concern=concern,
                kind=form.cleaned_data["kind"],
                values=form.values(),
            )
        except ContextRefused as refusal:
            _refused(request, concern)
            messages.error(request, str(refusal))
        else:
            messages.success(request, "Recorded. The safeguarding team sees it with the concern.")
    else:
        messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
    return redirect(f"{_url(back, concern.uuid)}#context")


def _refused(request, concern) -> None:
    child_uuid = concern.child.uuid if concern.child_id else None
    record_rule_refusal(
        request, school=concern.school, object_type="concern", object_uuid=concern.uuid, child_uuid=child_uuid
    )


def _url(name, value) -> str:
    return reverse(name, args=[value])


@never_cache
@login_required
@require_POST
def context_link(request, mention_uuid):
    """The DSL confirms what a mention is: one of the entities offered, or a new one."""
    mention, matches = context_matches(user=request.user, context=request.audit, mention_uuid=mention_uuid)
    chosen = request.POST.get("entity", "new")
    entity = None
    if chosen != "new":
        entity = next((each for each in matches if str(each.uuid) == chosen), None)
        if entity is None:
            raise PermissionDenied
    try:
        link = context_link_confirm(actor=request.user, context=request.audit, mention=mention, entity=entity)
    except ContextRefused as refusal:
        _refused(request, mention.concern)
        messages.error(request, str(refusal))
    else:
        messages.success(request, f"Linked to {link.entity.label}.")
    return redirect(f"{_url('concern_review', mention.concern.uuid)}#context")


@never_cache
@login_required
@require_POST
def context_unlink(request, link_uuid):
    """Undo a wrong link, with the reason; both stay in the history."""
    schools = schools_where(request.user, Capability.ACT_ON_CONCERN)
    link = (
        ContextLink.objects.filter(uuid=link_uuid, mention__school__in=schools)
        .select_related("mention__concern")
        .first()
    )
    if link is None:
        raise Http404("No such link.")
    form = UnlinkForm(request.POST)
    if form.is_valid():
        try:
            context_link_undo(actor=request.user, context=request.audit, link=link, reason=form.cleaned_data["reason"])
        except ContextRefused as refusal:
            _refused(request, link.mention.concern)
            messages.error(request, str(refusal))
        else:
            messages.success(request, "The link is undone; it stays in the history with your reason.")
    else:
        messages.error(request, "Give the reason the link was wrong.")
    return redirect(f"{_url('concern_review', link.mention.concern.uuid)}#context")


@never_cache
@login_required
@require_GET
def context_entity(request, entity_uuid):
    entity = entity_get(user=request.user, context=request.audit, entity_uuid=entity_uuid)
    rows = entity_links(user=request.user, entity=entity)
    return render(request, "referrals/context_entity.html", {"entity": entity, "rows": rows})


def _network_page(request, *, title: str, network, back: tuple[str, str] | None, about: ContextEntity | None = None):
    """The graph (drawn by the page's script from `network_data`) and the same nodes and links as a table."""
    nodes = {node["id"]: node for node in network.nodes}
    table = [{"from": nodes[edge["from"]], "to": nodes[edge["to"]], "label": edge["label"]} for edge in network.edges]
    context = {
        "title": title,
        "network_data": {"nodes": network.nodes, "edges": network.edges},
        "table": table,
        "back": back,
        "entity": about,
    }
    return render(request, "referrals/context_network.html", context)


@never_cache
@login_required
@require_GET
def context_entity_network(request, entity_uuid):
    entity = entity_get(user=request.user, context=request.audit, entity_uuid=entity_uuid)
    network = entity_network(user=request.user, entity=entity)
    back = (_url("context_entity", entity.uuid), entity.label)
    return _network_page(request, title=f"Network: {entity.label}", network=network, back=back, about=entity)


@never_cache
@login_required
@require_GET
def child_network_page(request, child_uuid):
    child = child_get_for_network(user=request.user, child_uuid=child_uuid)
    network = child_network(user=request.user, context=request.audit, child=child)
    back = (_url("child_file", child.uuid), f"{child.display_name}'s file")
    return _network_page(request, title=f"Network around {child.display_name}", network=network, back=back)


@never_cache
@login_required
@require_GET
def trust_network_page(request):
    if not schools_where(request.user, Capability.SEE_TRUST_NETWORK).exists():
        raise PermissionDenied
    network = trust_network(user=request.user, context=request.audit)
    return _network_page(request, title="Network across the trust", network=network, back=None)
