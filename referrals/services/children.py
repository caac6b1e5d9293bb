"""Writes of the roster: the details a school admin keeps. The safeguarding flags are not among them."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from referrals.models import Carer, Child
from referrals.services.transfers import leaver_recorded
from safeguarding.accounts.models import School, User
from safeguarding.accounts.permissions import Capability, can
from safeguarding.audit.context import RequestContext
from safeguarding.audit.events import EventType
from safeguarding.audit.record import record

# What a multi-agency referral form asks of the child's family and circumstances (R4.5).
FAMILY_FIELDS = (
    "address",
    "previous_address",
    "home_language",
    "interpreter_needed",
    "communication_needs",
    "ethnicity",
    "religion",
    "household",
    "gp",
    "other_agencies",
)
CARER_FIELDS = ("name", "relationship", "parental_responsibility", "lives_with_child", "phone", "email", "address")
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
    "learning_disability",
    "roll_status",
    "left_on",
    "destination",
    "destination_urn",
    *FAMILY_FIELDS,
)
LEAVING_FIELDS = {"roll_status", "left_on", "destination", "destination_urn"}
# What a pupil import sets; the rest (roll status, leaving details) stays as the roster has it.
IMPORT_FIELDS = (
    "upn",
    "legal_first_name",
    "legal_last_name",
    "preferred_name",
    "date_of_birth",
    "year_group",
    "sex",
    "send",
)


def _roster_values(values: dict) -> dict:
    unknown = set(values) - set(ROSTER_FIELDS)
    if unknown:
        raise ValueError(f"Not roster fields: {', '.join(sorted(unknown))}")
    return values


def _audit(event_type, *, actor, context, child: Child, fields, reason="") -> None:
    """Record a roster change: which fields changed, never their values."""
    record(
        event_type,
        user=actor,
        context=context,
        school=child.school,
        object_type="child_roster",
        object_uuid=child.uuid,
        child_uuid=child.uuid,
        reason=reason,
        detail={"fields": sorted(fields)},
    )


@transaction.atomic
def child_create(*, actor: User, context: RequestContext | None = None, school: School, values: dict) -> Child:
    if not can(actor, Capability.MANAGE_ROSTER, school):
        raise PermissionDenied
    child = Child(school=school, **_roster_values(values))
    child.full_clean()
    child.save()
    _audit(EventType.CREATE, actor=actor, context=context, child=child, fields=values)
    leaver_recorded(child=child, actor=actor, context=context)
    return child


@transaction.atomic
def child_update_roster(*, actor: User, context: RequestContext | None = None, child: Child, values: dict) -> Child:
    if not can(actor, Capability.MANAGE_ROSTER, child.school):
        raise PermissionDenied
    child = Child.objects.select_for_update().get(pk=child.pk)
    for field, value in _roster_values(values).items():
        setattr(child, field, value)
    child.full_clean()
    child.save(update_fields=[*values, "updated_at"])
    _audit(EventType.UPDATE, actor=actor, context=context, child=child, fields=values)
    if LEAVING_FIELDS & set(values):
        leaver_recorded(child=child, actor=actor, context=context)
    return child


def trust_siblings_by_upn(*, child: Child, upns: list[str]) -> tuple[list[Child], list[str]]:
    """The pupils of the child's trust with these UPNs, and the UPNs that match nobody there."""
    found = {
        sibling.upn: sibling
        for sibling in Child.objects.filter(school__trust_id=child.school.trust_id, upn__in=upns).exclude(pk=child.pk)
    }
    return [found[upn] for upn in upns if upn in found], [upn for upn in upns if upn not in found]


@transaction.atomic
def child_family_update(
    *,
    actor: User | None,
    context: RequestContext | None = None,
    child: Child,
    carers: list[dict] | None = None,
    siblings: list[Child] | None = None,
    reason: str = "",
) -> Child:
    """Replace the child's parents and carers, or the links to brothers and sisters at the trust's schools (both
    sides of each link), or both. The audit event names what changed, never the people."""
    if actor is not None and not can(actor, Capability.MANAGE_ROSTER, child.school):
        raise PermissionDenied
    changed = []
    if carers is not None:
        child.carers.all().delete()
        Carer.objects.bulk_create(
            Carer(child=child, position=number, **{name: values[name] for name in CARER_FIELDS if name in values})
            for number, values in enumerate(carers)
        )
        changed.append("carers")
    if siblings is not None:
        if any(s.school.trust_id != child.school.trust_id or s.pk == child.pk for s in siblings):
            raise ValueError("A brother or sister must be a pupil of one of the trust's schools.")
        child.siblings.set(siblings)
        changed.append("siblings")
    if changed:
        _audit(EventType.UPDATE, actor=actor, context=context, child=child, fields=changed, reason=reason)
    return child


@dataclass
class ImportCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _carer_rows(child: Child) -> list[dict]:
    return [{name: getattr(carer, name) for name in CARER_FIELDS} for carer in child.carers.all()]


@transaction.atomic
def roster_import(*, school: School, rows: list[dict], progress=None) -> ImportCounts:
    """Create or update the school's pupils from checked rows, matching existing pupils by UPN.

    A row sets only the columns the file has: a file without the family columns leaves them as they are. A row
    that names parents or carers replaces the pupil's list of them. All in one transaction: a failure part-way
    leaves the roster as it was.
    """
    counts = ImportCounts()
    existing = {
        child.upn: child
        for child in Child.objects.select_for_update().filter(school=school).exclude(upn="").prefetch_related("carers")
    }
    to_create, to_update, carers = [], [], []
    fields = set(IMPORT_FIELDS)
    for number, row in enumerate(rows, start=1):
        row = dict(row)
        row_carers = row.pop("carers", None) or None
        fields.update(row)
        child = existing.get(row["upn"])
        if child is None:
            child = Child(school=school, **_roster_values(row))
            to_create.append(child)
            counts.created += 1
        else:
            carers_differ = row_carers is not None and row_carers != _carer_rows(child)
            if not carers_differ and all(getattr(child, name) == value for name, value in row.items()):
                counts.unchanged += 1
                row_carers = None
            else:
                for name, value in row.items():
                    setattr(child, name, value)
                child.updated_at = timezone.now()
                to_update.append(child)
                counts.updated += 1
        if row_carers is not None:
            carers.append((child, row_carers))
        if progress is not None:
            progress(number, len(rows))
    Child.objects.bulk_create(to_create, batch_size=500)
    if to_update:
        Child.objects.bulk_update(to_update, fields=[*sorted(fields), "updated_at"], batch_size=500)
    if carers:
        Carer.objects.filter(child__in=[child for child, _ in carers]).delete()
        Carer.objects.bulk_create(
            (
                Carer(child=child, position=position, **values)
                for child, listed in carers
                for position, values in enumerate(listed)
            ),
            batch_size=500,
        )
    replaced = {child.pk for child, _ in carers}
    for event_type, children in ((EventType.CREATE, to_create), (EventType.UPDATE, to_update)):
        for child in children:
            named = sorted(fields | ({"carers"} if child.pk in replaced else set()))
            _audit(event_type, actor=None, context=None, child=child, fields=named, reason="import_pupils")
            if LEAVING_FIELDS & set(named):
                leaver_recorded(child=child, actor=None, context=None)
    return counts
