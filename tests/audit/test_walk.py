"""The guard that keeps the audit trail complete: every URL pattern, tried as every persona.

A request by a signed-in person that reaches safeguarding data must leave at least one event; a refusal must
leave a refusal. A new page joins this walk by itself; the few patterns that touch no safeguarding data are
named below with the reason.
"""

import pytest
from django.test import Client

from safeguarding.audit.events import EventType, Outcome
from safeguarding.audit.models import AuditEvent
from tests.personas import signed_in_client
from tests.urlmap import PERSONAS, POST_BODIES, build_scene, site_patterns

EXEMPT = {
    "healthz": "health check: no login, no data about anyone",
    "home": "the person's own roles and the names of their safeguarding team; no child data",
    "login": "the sign-in form; its own events come from the sign-in flow",
    "second_factor": "the code form of the sign-in flow, which records its own events",
    "second_factor_setup": "the authenticator set-up form of the sign-in flow, which records its own events",
    "logout": "records a logout event itself when someone is signed in",
    "my_sessions": "the person's own sessions (browser, address, times); ending them records a logout event",
    "password_reset": "a form asking for an email address",
    "password_reset_done": "a fixed message",
    "password_reset_confirm": "the new-password form, reached from an emailed link",
    "password_reset_complete": "a fixed message",
    "school_list": "the names of the person's own schools",
    "staff_invite": "an empty form (what it adds is recorded by the service)",
    "roster_add": "an empty form (what it adds is recorded by the service)",
    "child_search": "an empty search form; a search is recorded with the children it shows",
    "access_request_new": (
        "an empty search form; a search is recorded with the children it shows, logging the request as a create"
    ),
    "concern_new": (
        "the author's own unsent draft (the children it names are recorded as a list when shown); finding a child "
        "is recorded as a search, sending as a create"
    ),
    "concern_draft_save": "saves the author's own unsent draft every few seconds as they type",
    "signs_guide": "the indicator guide and the school's public contact numbers; no child data",
    "screening_tools": "the screening tools loaded and the schools' choice of one; choosing one records an update",
    "local_arrangements": "the school's settings (front door contacts, levels of need); saving them records an update",
    "sign_in_rules": "the school's sign-in rule; changing it, or reading the change-over notice, records an update",
    "account_security": "the person's own passkeys and second factors; each change records its own event",
    "passkey_options": "a challenge for the person's own passkey; using it records its own events",
    "passkey_signin": "part of the sign-in flow, which records its own events",
    "passkey_add": "adds the person's own passkey, recorded as a second factor set up",
    "passkey_rename": "renames the person's own passkey, recorded as an update",
    "passkey_remove": "removes the person's own passkey, recorded as a second factor removed",
    "export_status": "the progress of one's own export; its start, finish and each download are recorded",
    "transfer_link": (
        "a receiving school's page for a file sent by link: no child data until the code opens it, and every code "
        "tried, right or wrong, is recorded against the link"
    ),
    "transfer_link_package": "opens only after the link's code; each download is recorded against the link",
    "transfer_key": "the deployment's public key: no data about anyone",
    "trust_moving_schools": "the trust's two moving-schools settings; saving them records an update",
    "reports": "the names of the schools and trust one may report on, with links; each report built is recorded",
    "adult_new": "an empty form with the names of the school's staff; raising a concern records a create",
}


def test_every_pattern_is_walked_or_exempt():
    names = {name for name, _ in site_patterns()}

    assert set(EXEMPT) <= names, "an exemption names a pattern that no longer exists"
    assert names - set(EXEMPT), "nothing left to walk"


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_request_that_touches_safeguarding_data_leaves_an_event(world, persona):
    scene = build_scene(world)
    client = Client() if persona == "anonymous" else signed_in_client(world.people[persona])
    missing = []
    for name, pattern in site_patterns():
        if name in EXEMPT:
            continue
        url = scene.url(pattern)
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
