"""Noticing unusual access in the trail, and telling people about it by email (never with a child's details)."""

from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from safeguarding.accounts.models import Membership, School
from safeguarding.accounts.roles import Role
from safeguarding.audit.chain import chain_head
from safeguarding.audit.models import AuditAlert, AuditEvent
from safeguarding.core.dates import LONDON
from safeguarding.core.emails import email_enqueue

WINDOW = timedelta(minutes=10)


def is_out_of_hours(school: School, moment) -> bool:
    local = moment.astimezone(LONDON)
    if local.weekday() >= 5:
        return True
    return not school.access_hours_start <= local.time() < school.access_hours_end


def unusual_access_check(*, now=None) -> int:
    """Look at the last ten minutes of each school's trail, a sliding window checked every minute; record and
    email each new alert. Returns how many were raised. Only what people did through the site counts: events
    written by a command (an import, the demo, a scheduled job) carry no session and are left out."""
    now = now or timezone.now()
    window_start = now - WINDOW
    events = (
        AuditEvent.objects.filter(occurred_at__gte=window_start, child_uuid__isnull=False, user_uuid__isnull=False)
        .exclude(school_uuid__isnull=True)
        .exclude(session_hash="")
        .values_list("school_uuid", "user_uuid", "child_uuid", "occurred_at")
    )
    children = defaultdict(set)
    late = defaultdict(set)
    schools = {school.uuid: school for school in School.objects.all()}
    for school_uuid, user_uuid, child_uuid, occurred_at in events:
        school = schools.get(school_uuid)
        if school is None:
            continue
        children[school_uuid, user_uuid].add(child_uuid)
        if is_out_of_hours(school, occurred_at):
            late[school_uuid, user_uuid].add(child_uuid)
    created = 0
    for (school_uuid, user_uuid), seen in children.items():
        if len(seen) > schools[school_uuid].unusual_access_children:
            created += _alert(schools[school_uuid], user_uuid, AuditAlert.Kind.MANY_RECORDS, window_start, len(seen))
    for (school_uuid, user_uuid), seen in late.items():
        created += _alert(schools[school_uuid], user_uuid, AuditAlert.Kind.OUT_OF_HOURS, window_start, len(seen))
    return created


def _already_alerted(school: School, user_uuid, kind, window_start) -> bool:
    """One alert per person and kind for overlapping windows: ten minutes for a burst, the day for late access."""
    if kind == AuditAlert.Kind.OUT_OF_HOURS:
        since = timezone.localtime(window_start, LONDON).replace(hour=0, minute=0, second=0, microsecond=0)
    else:
        since = window_start
    return AuditAlert.objects.filter(
        school_uuid=school.uuid, user_uuid=user_uuid, kind=kind, window_start__gt=since - WINDOW
    ).exists()


def _alert(school: School, user_uuid, kind, window_start, count) -> int:
    if _already_alerted(school, user_uuid, kind, window_start):
        return 0
    try:
        with transaction.atomic():
            alert = AuditAlert.objects.create(
                school_uuid=school.uuid, user_uuid=user_uuid, kind=kind, window_start=window_start, children=count
            )
            dsl = Membership.objects.active().filter(school=school, role=Role.DSL).select_related("user").first()
            person = Membership.objects.filter(user__uuid=user_uuid).select_related("user").first()
            if dsl is not None:
                body = render_to_string(
                    "audit/email/unusual_access.txt",
                    {
                        "alert": alert,
                        "school": school,
                        "person": person.user if person else None,
                        "site_url": settings.SITE_URL,
                    },
                )
                email_enqueue(to=[dsl.user.email], subject=f"Safeguard: unusual access at {school.name}", body=body)
    except IntegrityError:
        return 0
    return 1


def anchor_email_send() -> None:
    head = chain_head()
    if head is None:
        return
    body = render_to_string("audit/email/anchor.txt", {"head": head, "site_url": settings.SITE_URL})
    # One email each: auditors of different trusts never see each other's addresses.
    emails = Membership.objects.active().filter(role=Role.AUDITOR).values_list("user__email", flat=True).distinct()
    for email in emails:
        email_enqueue(to=[email], subject="Safeguard: today's audit chain head", body=body)
