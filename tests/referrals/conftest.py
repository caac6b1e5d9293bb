"""Every concern, decision and referral test also checks what it left in the audit trail: no event may carry a sign's
code, a sign's words or a category's name, which would put a kind of harm into a record kept indefinitely
(REQUIREMENTS.md R11.5)."""

import json

import pytest


@pytest.fixture(autouse=True)
def audit_free_of_harm_details(request):
    if not {"db", "world"} & set(request.fixturenames):
        yield
        return
    request.getfixturevalue("db")
    yield
    from referrals.models import Indicator, IndicatorCategory
    from safeguarding.audit.models import AuditEvent

    words = set(Indicator.objects.values_list("code", flat=True))
    words |= set(Indicator.objects.values_list("label", flat=True))
    words |= set(IndicatorCategory.objects.values_list("label", flat=True))
    found = []
    for event in AuditEvent.objects.only("pk", "event_type", "detail", "reason"):
        text = json.dumps(event.detail, ensure_ascii=False) + " " + event.reason
        found += [f"{event.event_type}: {word}" for word in words if word in text]
    assert not found, f"audit events name a kind of harm: {found[:5]}"
