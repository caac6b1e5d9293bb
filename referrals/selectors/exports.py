"""Reads for exports of referral records: who may export from which schools, the referrals a set of filters
chooses, and one's own exports, each reached through one function that scopes it to the person."""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db.models import QuerySet
from django.http import Http404

from referrals.models import Child, ExportRecord, Referral
from safeguarding.accounts.models import School, User
from safeguarding.accounts.permissions import Capability, schools_where
from safeguarding.audit.context import RequestContext
from safeguarding.audit.events import EventType
from safeguarding.audit.record import record, record_shown
from safeguarding.core.files import file_exists, file_open

# Background exports are stored under this kind (safeguarding/core/files.py).
EXPORTS = "exports"


def export_schools(*, user: User) -> list[School]:
    """The schools whose referrals `user` may export: the DSL's school, a school admin's with the export permission,
    every school of the trust lead's trust. None is a 403."""
    schools = list(schools_where(user, Capability.EXPORT).order_by("name"))
    if not schools:
        raise PermissionDenied
    return schools


@dataclass
class ExportFilters:
    schools: list[School]
    date_from: date | None = None
    date_to: date | None = None
    agency: str = ""
    status: str = ""

    def as_dict(self) -> dict:
        values = {
            "schools": [str(school.uuid) for school in self.schools],
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
            "agency": self.agency,
            "status": self.status,
        }
        return {key: value for key, value in values.items() if value}

    @classmethod
    def from_dict(cls, values: dict) -> "ExportFilters":
        """The filters an export recorded (`as_dict`), read back."""
        return cls(
            schools=list(School.objects.filter(uuid__in=values.get("schools", []))),
            date_from=date.fromisoformat(values["date_from"]) if values.get("date_from") else None,
            date_to=date.fromisoformat(values["date_to"]) if values.get("date_to") else None,
            agency=values.get("agency", ""),
            status=values.get("status", ""),
        )


def referrals_for_export(filters: ExportFilters) -> QuerySet[Referral]:
    referrals = Referral.objects.filter(school__in=filters.schools)
    if filters.date_from:
        referrals = referrals.filter(made_at__date__gte=filters.date_from)
    if filters.date_to:
        referrals = referrals.filter(made_at__date__lte=filters.date_to)
    if filters.agency:
        referrals = referrals.filter(agency=filters.agency)
    if filters.status == "awaiting":
        referrals = referrals.filter(acknowledged_at__isnull=True)
    elif filters.status == "acknowledged":
        referrals = referrals.filter(acknowledged_at__isnull=False)
    return referrals.order_by("made_at", "pk")


def export_children_uuids(export: ExportRecord) -> list[str]:
    """The UUIDs of the children an export covered, in a fixed order."""
    children = Child.objects.filter(exports=export).order_by("uuid").values_list("uuid", flat=True)
    return [str(value) for value in children]


def export_file_open(name: str):
    """A background export's stored file, open for reading a chunk at a time."""
    return file_open(EXPORTS, name)


def exports_recent(*, user: User, context: RequestContext, schools: list[School]) -> list[ExportRecord]:
    """One's own last 20 exports, recorded as listed."""
    history = list(ExportRecord.objects.filter(user=user)[:20])
    record_shown(
        history,
        context=context,
        school=schools[0] if len(schools) == 1 else None,
        object_type="export",
    )
    return history


def access_export(*, user: User, export_uuid) -> ExportRecord:
    """One's own background export, while one may still export from all of its schools; else the same 404 as a
    missing one. Its progress holds nothing about a child, so reading it is not recorded (its start, finish and
    each download are)."""
    export = ExportRecord.objects.filter(uuid=export_uuid, user=user, in_background=True).first()
    if export is None:
        raise Http404("No such export.")
    allowed = {str(school.uuid) for school in export_schools(user=user)}
    if not set(export.filters.get("schools", [])) <= allowed:
        raise Http404("No such export.")
    return export


def access_export_file(*, user: User, context: RequestContext, export_uuid) -> tuple[ExportRecord, File]:
    """The file of one's own background export, open, while it is ready and kept; its download recorded first."""
    export = access_export(user=user, export_uuid=export_uuid)
    if not export.ready or export.expired or not export.file_name or not file_exists(EXPORTS, export.file_name):
        raise Http404("This export is not ready, or its file has expired.")
    record(
        EventType.DOWNLOAD,
        context=context,
        school=export.school,
        object_type="export",
        object_uuid=export.uuid,
        row_count=export.row_count,
        detail={"sha256": export.sha256},
    )
    return export, export_file_open(export.file_name)
