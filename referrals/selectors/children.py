"""Finding children: the safeguarding team's pupil search, the school's roll, the concern form's type-ahead and
chosen children, a child by UPN, and the records later moved into a child's file."""

import uuid

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet

from referrals.models import (
    Attachment,
    Child,
    Concern,
    ConcernMove,
    ConcernStatus,
    RollStatus,
)
from referrals.upn import normalise_upn
from safeguarding.accounts.models import School, User
from safeguarding.accounts.permissions import Capability, schools_where
from safeguarding.audit.context import RequestContext
from safeguarding.audit.events import EventType
from safeguarding.audit.record import record_shown


def children_matching(children: QuerySet[Child], *, text: str = "", year_group: str = "", date_of_birth=None):
    """Of `children`, those matching every word of `text` (a name or a UPN), the year group and the date of birth;
    every part is optional. Sorted by surname."""
    for word in text.replace("\x00", "").split():
        upn = normalise_upn(word)
        children = children.filter(
            Q(legal_first_name__icontains=word)
            | Q(legal_last_name__icontains=word)
            | Q(preferred_name__icontains=word)
            | Q(upn=upn)
        )
    if year_group:
        children = children.filter(year_group=year_group)
    if date_of_birth:
        children = children.filter(date_of_birth=date_of_birth)
    return children.order_by("legal_last_name", "legal_first_name", "pk")


def roster_search(*, school: School, text: str = "", year_group: str = "") -> QuerySet[Child]:
    """The school's children matching a name, a UPN and a year group; every part is optional."""
    return children_matching(Child.objects.filter(school=school), text=text, year_group=year_group)


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
    record_shown(
        page,
        EventType.SEARCH if searched else EventType.LIST,
        user=user,
        context=context,
        school=school,
        object_type="child",
        search_term=text if text.strip() else None,
        detail={"year_group": year_group} if year_group else None,
    )
    return page


def school_child_by_upn(*, school: School, upn: str) -> Child | None:
    """The child of `school` with this UPN (already normalised), or None."""
    return Child.objects.filter(school=school, upn=upn).first() if upn else None


TYPEAHEAD_LIMIT = 10


def children_typeahead(*, user: User, context: RequestContext, school: School, text: str) -> list[Child]:
    """Children on the school's roll matching a name, for picking who a concern is about. Only names and year
    groups are shown; the search is recorded as its count and a keyed hash of the term."""
    text = text.replace("\x00", "").strip()[:100]
    if len(text) < 2:
        return []
    children = list(
        roster_search(school=school, text=text)
        .filter(roll_status=RollStatus.ON_ROLL)
        .only("uuid", "legal_first_name", "legal_last_name", "preferred_name", "year_group")[:TYPEAHEAD_LIMIT]
    )
    record_shown(
        children,
        EventType.SEARCH,
        user=user,
        context=context,
        school=school,
        object_type="child_typeahead",
        search_term=text,
    )
    return children


def children_selected(*, school: School, uuids: list[str]) -> list[Child]:
    """The chosen children, kept to the school: a UUID from anywhere else is simply not found."""
    valid = []
    for value in uuids:
        try:
            valid.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    children = Child.objects.filter(school=school, uuid__in=valid, roll_status=RollStatus.ON_ROLL)
    return list(children.order_by("legal_last_name", "legal_first_name"))


def children_on_form(*, user: User, context: RequestContext, school: School, uuids: list[str]) -> list[Child]:
    """The children chosen in the person's draft, as the concern form shows them; showing them is recorded as a
    list of their UUIDs (nothing is recorded when none is chosen)."""
    children = children_selected(school=school, uuids=uuids)
    if children:
        record_shown(
            children,
            user=user,
            context=context,
            school=school,
            object_type="concern_draft_children",
        )
    return children


def records_moved_into(*, child: Child) -> tuple[set[uuid.UUID], set[uuid.UUID]]:
    """For who-viewed: the UUIDs of the records moved into `child` from another child (the concerns and their
    files), and the UUIDs of every child they were recorded against on the way, whose events name them."""
    moved = list(ConcernMove.objects.filter(concern__in=ConcernMove.objects.filter(to_child=child).values("concern")))
    if not moved:
        return set(), set()
    concerns = Concern.objects.filter(pk__in={move.concern_id for move in moved})
    records = set(concerns.values_list("uuid", flat=True))
    records |= set(Attachment.objects.filter(incident__concerns__in=concerns).values_list("uuid", flat=True))
    on_the_way = {m.from_child_id for m in moved if m.from_child_id} | {m.to_child_id for m in moved}
    children = set(Child.objects.filter(pk__in=on_the_way).values_list("uuid", flat=True))
    return records, children


CHILD_SEARCH_LIMIT = 50


def children_find(
    *, user: User, context: RequestContext, text: str = "", year_group: str = "", date_of_birth=None
) -> list[Child]:
    """Pupils whose files the person may read (the DSL, deputies and the trust lead, in their schools), on the roll
    or not, with or without an open concern: at most `CHILD_SEARCH_LIMIT`, each with its number of open concerns.
    The search is recorded with the children it showed and a keyed hash of its text, never the text itself."""
    schools = list(schools_where(user, Capability.READ_CHILD_FILE))
    if not schools:
        raise PermissionDenied
    children = list(
        children_matching(
            Child.objects.filter(school__in=schools), text=text, year_group=year_group, date_of_birth=date_of_birth
        )
        .select_related("school")
        .annotate(open_concerns=Count("concerns", filter=~Q(concerns__status=ConcernStatus.CLOSED)))[
            :CHILD_SEARCH_LIMIT
        ]
    )
    record_shown(
        children,
        EventType.SEARCH,
        user=user,
        context=context,
        school=schools[0] if len(schools) == 1 else None,
        object_type="child",
        search_term=" ".join(part for part in (text, year_group, str(date_of_birth or "")) if part),
    )
    return children
