"""The guard that keeps the audit trail complete: every URL pattern, tried as every persona.

A request by a signed-in person that reaches safeguarding data must leave at least one event; a refusal must
leave a refusal. A new page joins this walk by itself; the few patterns that touch no safeguarding data are
named below with the reason.
"""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from referrals.models import Child, ExportRecord, PatternAlert
from safeguarding.audit.events import EventType, Outcome
from safeguarding.audit.models import AuditEvent
from tests.concerns import concern_by, referral_for
from tests.personas import SCHOOL_PEOPLE, signed_in_client

EXEMPT = {
    "healthz": "health check: no login, no data about anyone",
    "home": "the person's own roles and the names of their safeguarding team; no child data",
    "login": "the sign-in form; its own events come from the sign-in flow",
    "second_factor": "the code form of the sign-in flow, which records its own events",
    "second_factor_setup": "the authenticator set-up form of the sign-in flow, which records its own events",
    "logout": "records a logout event itself when someone is signed in",
    "password_reset": "a form asking for an email address",
    "password_reset_done": "a fixed message",
    "password_reset_confirm": "the new-password form, reached from an emailed link",
    "password_reset_complete": "a fixed message",
    "school_list": "the names of the person's own schools",
    "staff_invite": "an empty form (what it adds is recorded by the service)",
    "roster_add": "an empty form (what it adds is recorded by the service)",
    "concern_new": "the author's own unsent draft; finding a child is recorded as a search, sending as a create",
    "concern_draft_save": "saves the author's own unsent draft every few seconds as they type",
    "signs_guide": "the indicator guide and the school's public contact numbers; no child data",
    "export_status": "the progress of one's own export; its start, finish and each download are recorded",
}
# Patterns that only take POST, with a body that makes the action go through.
POST_BODIES = {
    "staff_role": {"role": "staff"},
    "staff_export": {"can_export": ""},
    "staff_hand_over": {},
    "staff_deactivate": {},
    "staff_reactivate": {},
    "staff_second_factor_reset": {},
    "concern_child_search": {"child_search": "Jade"},
    "queue_acknowledge": {},
    "child_flags": {},
    "child_note": {"text": "Called the front door", "kind": "call"},
    "child_alert_acknowledge": {"note": "Seen"},
    "exports": {"purpose": "", "format": "csv"},
    "referral_new": {"agency": "social_care", "purpose": "Risk of harm", "parents_informed": "yes"},
}
# Patterns answering GET and POST alike: walked with a GET.
PERSONAS = ["anonymous", *[name for name, *_ in SCHOOL_PEOPLE], "trustlead", "auditor"]


def site_patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if str(entry.pattern).startswith("admin/"):
                continue  # the operators' Django admin, served to verified superusers only
            yield from site_patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield entry.name, prefix + str(entry.pattern)


def concrete(pattern: str, world, pupil, concern, alert, referral, export_record) -> str:
    values = {
        "<uuid:school_uuid>": world.northfield.uuid,
        "<uuid:membership_uuid>": world.membership("teacher2").uuid,
        "<uuid:child_uuid>": pupil.uuid,
        "<uuid:incident_uuid>": concern.incident.uuid,
        "<uuid:concern_uuid>": concern.uuid,
        "<uuid:attachment_uuid>": concern.incident.attachments.get().uuid,
        "<uuid:alert_uuid>": alert.uuid,
        "<uuid:referral_uuid>": referral.uuid,
        "<uuid:export_uuid>": export_record.uuid,
        "<uidb64>": "MQ",
        "<token>": "set-password",
    }
    for placeholder, value in values.items():
        pattern = pattern.replace(placeholder, str(value))
    return "/" + pattern


def test_every_pattern_is_walked_or_exempt():
    names = {name for name, _ in site_patterns()}

    assert set(EXEMPT) <= names, "an exemption names a pattern that no longer exists"
    assert names - set(EXEMPT), "nothing left to walk"


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_request_that_touches_safeguarding_data_leaves_an_event(world, persona):
    pupil = Child.objects.create(
        school=world.northfield, legal_first_name="Jade", legal_last_name="Turner", date_of_birth="2012-03-14"
    )
    concern = concern_by(world.teacher, pupil)
    alert = PatternAlert.objects.create(child=pupil, rule="frequency", explanation="test", fingerprint="walk")
    referral = referral_for(world, pupil)
    export_record = ExportRecord.objects.create(
        user=world.dsl, school=world.northfield, purpose="walk", format="csv", in_background=True
    )
    client = Client() if persona == "anonymous" else signed_in_client(world.people[persona])
    missing = []
    for name, pattern in site_patterns():
        if name in EXEMPT:
            continue
        url = concrete(pattern, world, pupil, concern, alert, referral, export_record)
        before = AuditEvent.objects.count()
        response = client.post(url, POST_BODIES[name]) if name in POST_BODIES else client.get(url)
        new = list(AuditEvent.objects.order_by("id")[before:])
        if persona == "anonymous":
            assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url
            assert not new, f"{url} recorded an anonymous request one by one"
            continue
        if response.status_code in (403, 404):
            refused = [e for e in new if e.event_type == EventType.ACCESS_REFUSED and e.outcome == Outcome.REFUSED]
            if not refused:
                missing.append(f"{name} ({response.status_code}) left no refusal")
        elif not new:
            missing.append(f"{name} ({response.status_code}) left no event")
    assert not missing, f"{persona}: " + "; ".join(missing)
