"""Reads of children's records, always scoped by the person asking.

A child outside the person's reach answers 404, exactly like a child who does not exist.
"""

import uuid

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.http import Http404

from referrals.models import Child
from referrals.upn import normalise_upn
from safeguarding.accounts.access import ROSTER_ROLES, school_get_for_user
from safeguarding.accounts.models import School, User
from safeguarding.audit.context import RequestContext
from safeguarding.audit.events import EventType
from safeguarding.audit.record import record


def roster_school_get(*, user: User, school_uuid: uuid.UUID) -> School:
    """The school whose roster `user` keeps: 404 for strangers, 403 for its members without the role."""
    return school_get_for_user(user=user, school_uuid=school_uuid, roles=ROSTER_ROLES)


def roster_search(*, school: School, text: str = "", year_group: str = "") -> QuerySet[Child]:
    """The school's children matching a name, a UPN and a year group; every part is optional."""
    children = Child.objects.filter(school=school)
    for word in text.split():
        upn = normalise_upn(word)
        children = children.filter(
            Q(legal_first_name__icontains=word)
            | Q(legal_last_name__icontains=word)
            | Q(preferred_name__icontains=word)
            | Q(upn=upn)
        )
    if year_group:
        children = children.filter(year_group=year_group)
    return children.order_by("legal_last_name", "legal_first_name", "pk")


def roster_page(
    *,
    user: User,
    context: RequestContext,
    school: School,
    text: str = "",
    year_group: str = "",
    page_number=1,
    per_page: int,
) -> Page:
    """One page of the roster, recorded as a list (or a search) with the pupils it shows."""
    page = Paginator(roster_search(school=school, text=text, year_group=year_group), per_page).get_page(page_number)
    searched = bool(text.strip() or year_group)
    record(
        EventType.SEARCH if searched else EventType.LIST,
        user=user,
        context=context,
        school=school,
        object_type="child",
        shown_ids=[child.uuid for child in page],
        row_count=page.paginator.count,
        search_term=text if text.strip() else None,
        detail={"year_group": year_group} if year_group else None,
    )
    return page


def roster_child_get(*, school: School, child_uuid: uuid.UUID) -> Child:
    child = Child.objects.filter(school=school, uuid=child_uuid).select_related("school").first()
    if child is None:
        raise Http404("No such pupil.")
    return child


def roster_child_view(*, user: User, context: RequestContext, school: School, child_uuid: uuid.UUID) -> Child:
    child = roster_child_get(school=school, child_uuid=child_uuid)
    record(
        EventType.VIEW,
        user=user,
        context=context,
        school=school,
        object_type="child_roster",
        object_uuid=child.uuid,
        child_uuid=child.uuid,
    )
    return child
