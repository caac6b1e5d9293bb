"""Writes of the roster: the details a school admin keeps. The safeguarding flags are not among them."""

from django.core.exceptions import PermissionDenied
from django.db import transaction

from referrals.models import Child
from safeguarding.accounts.access import ROSTER_ROLES, user_has_role_at
from safeguarding.accounts.models import School, User

# The only fields the roster may write; looked_after and cp_plan belong to the DSL.
ROSTER_FIELDS = (
    "legal_first_name",
    "legal_last_name",
    "preferred_name",
    "date_of_birth",
    "upn",
    "year_group",
    "sex",
    "gender",
    "send",
    "roll_status",
    "left_on",
    "destination",
)


def _roster_values(values: dict) -> dict:
    unknown = set(values) - set(ROSTER_FIELDS)
    if unknown:
        raise ValueError(f"Not roster fields: {', '.join(sorted(unknown))}")
    return values


@transaction.atomic
def child_create(*, actor: User, school: School, values: dict) -> Child:
    if not user_has_role_at(user=actor, school=school, roles=ROSTER_ROLES):
        raise PermissionDenied
    child = Child(school=school, **_roster_values(values))
    child.full_clean()
    child.save()
    return child


@transaction.atomic
def child_update_roster(*, actor: User, child: Child, values: dict) -> Child:
    if not user_has_role_at(user=actor, school=child.school, roles=ROSTER_ROLES):
        raise PermissionDenied
    child = Child.objects.select_for_update().get(pk=child.pk)
    for field, value in _roster_values(values).items():
        setattr(child, field, value)
    child.full_clean()
    child.save(update_fields=[*values, "updated_at"])
    return child
