"""The school and child each of this app's URL keywords names, for recording a refused request against the school
whose record was asked for (safeguarding.audit.targets)."""

from safeguarding.audit.targets import Target, register


def _child(value):
    from referrals.models import Child

    child = Child.objects.filter(uuid=value).select_related("school").only("uuid", "school").first()
    return Target(school=child.school, child_uuid=child.uuid) if child else None


def _with_child(model, value):
    """A record with a school and (perhaps) a child."""
    row = model.objects.filter(uuid=value).select_related("school", "child").first()
    if row is None:
        return None
    return Target(school=row.school, child_uuid=row.child.uuid if row.child_id else None)


def _with_school(model, value):
    row = model.objects.filter(uuid=value).select_related("school").first()
    return Target(school=row.school) if row is not None else None


def _alert(value):
    from referrals.models import PatternAlert

    alert = PatternAlert.objects.filter(uuid=value).select_related("child__school").first()
    return Target(school=alert.child.school, child_uuid=alert.child.uuid) if alert else None


def register_refusal_targets() -> None:
    from referrals.models import (
        AdultRecord,
        Attachment,
        Concern,
        ExportRecord,
        Incident,
        Notification,
        Referral,
        RetentionReview,
    )

    register("child_uuid", _child)
    register("concern_uuid", lambda value: _with_child(Concern, value))
    register("referral_uuid", lambda value: _with_child(Referral, value))
    register("incident_uuid", lambda value: _with_school(Incident, value))
    register("attachment_uuid", lambda value: _with_school(Attachment, value))
    register("export_uuid", lambda value: _with_school(ExportRecord, value))
    register("alert_uuid", _alert)
    register("notification_uuid", lambda value: _with_school(Notification, value))
    register("adult_uuid", lambda value: _with_school(AdultRecord, value))
    register("review_uuid", lambda value: _with_school(RetentionReview, value))
