"""A report of sexual violence between children asks the DSL for an immediate risk and needs assessment before the
concern can close; sexual harassment prompts them to consider one, and the prompt stays in the concern's history."""

from datetime import timedelta

import pytest
from django.utils import timezone

from referrals.models import RiskNeedsAssessment
from referrals.services.reviews import (
    ClosureIncomplete,
    concern_acknowledge,
    concern_close,
    decision_record,
    risk_assessment_record,
)
from tests.concerns import concern_by
from tests.factories import ChildFactory
from tests.personas import signed_in_client

CLOSING = {"summary": "Reported at lunch.", "follow_up": "Both children seen.", "outcome": "Monitored; resolved."}


def decided(world, code):
    concern = concern_by(world.teacher, ChildFactory(school=world.northfield), indicators=(code,), with_file=False)
    concern_acknowledge(actor=world.dsl, context=None, concern=concern)
    decision_record(
        actor=world.dsl,
        context=None,
        concern=concern,
        outcomes=["monitor"],
        rationale="Both children supported in school.",
        threshold="",
        next_review=timezone.localdate() + timedelta(weeks=2),
    )
    concern.refresh_from_db()
    return concern


def test_a_sexual_violence_concern_cannot_close_before_its_assessment(world):
    concern = decided(world, "COC-SEXUAL-VIOLENCE")
    assert concern.risk_assessment.required

    with pytest.raises(ClosureIncomplete, match="risk and needs assessment"):
        concern_close(actor=world.dsl, context=None, concern=concern, **CLOSING)
    with pytest.raises(ValueError, match="cannot be set aside"):
        risk_assessment_record(actor=world.dsl, context=None, concern=concern, not_needed_reason="Low level")

    client = signed_in_client(world.dsl)
    page = client.get(f"/queue/{concern.uuid}/").content.decode()
    assert "Required before closing" in page and "why no assessment is needed" not in page
    refused = client.post(f"/queue/{concern.uuid}/", {"action": "close", "version": str(concern.version), **CLOSING})
    assert "risk and needs assessment" in refused.content.decode()
    recorded = client.post(
        f"/queue/{concern.uuid}/",
        {
            "action": "assess",
            "version": str(concern.version),
            "risks": "The reported child is in the same form group.",
            "needs_and_arrangements": "Timetables changed so they are not in lessons together; weekly check-ins.",
        },
    )
    assert recorded.status_code == 302
    concern.refresh_from_db()
    concern_close(actor=world.dsl, context=None, concern=concern, **CLOSING)
    assert RiskNeedsAssessment.objects.get().recorded_by == world.dsl


def test_a_sexual_harassment_concern_can_close_and_the_prompt_stays_in_its_history(world):
    concern = decided(world, "COC-SEXUAL-HARASSMENT")
    assessment = concern.risk_assessment
    assert not assessment.required and not assessment.done

    concern_close(actor=world.dsl, context=None, concern=concern, **CLOSING)

    page = signed_in_client(world.dsl).get(f"/queue/{concern.uuid}/").content.decode()
    assert "consider whether a risk and needs assessment is needed" in page
    assert f"Prompted {timezone.localtime(assessment.prompted_at):%a %-d %b %Y}" in page


def test_other_concerns_ask_for_no_assessment(world):
    concern = decided(world, "SIG-GIFTS")

    assert not RiskNeedsAssessment.objects.filter(concern=concern).exists()
    concern_close(actor=world.dsl, context=None, concern=concern, **CLOSING)
