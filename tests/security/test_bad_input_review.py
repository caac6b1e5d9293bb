"""Generated bad input for the safeguarding team's work: the queue, the review's actions, the child's file and
referrals. Never a server error; a refused action leaves every record as it was."""

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from referrals.models import (
    AgencyDecision,
    CaseNote,
    Child,
    Closure,
    Concern,
    ConcernMove,
    ConcernStatus,
    Decision,
    DecisionOutcome,
    InformationRequest,
    Outcome,
    Referral,
    Threshold,
    Urgency,
)
from referrals.services.agency_referrals import referral_create
from referrals.services.reviews import concern_acknowledge, concern_close, decision_record
from referrals.upn import make_upn
from tests.concerns import concern_by, referral_for
from tests.factories import ChildFactory, PatternAlertFactory
from tests.security.bad_input import answered, corrupted, counts, fuzz, posted, rolled_back

REVIEW_RECORDS = (Decision, DecisionOutcome, Closure, InformationRequest, ConcernMove, Referral)


def pupil(world, first, serial):
    return ChildFactory(
        school=world.northfield,
        legal_first_name=first,
        legal_last_name="Turner",
        upn=make_upn(la_code=123, establishment=4567, year=12, serial=serial),
    )


@pytest.fixture
def jade(world):
    return pupil(world, "Jade", 1)


@pytest.fixture
def kai(world):
    return pupil(world, "Kai", 2)


def concern_at(world, child, status: str) -> Concern:
    """A concern by the teacher about `child`, taken by the DSL as far as `status`."""
    concern = concern_by(world.teacher, child, with_file=False)
    if status == ConcernStatus.SUBMITTED:
        return concern
    concern_acknowledge(actor=world.dsl, context=None, concern=concern)
    if status == ConcernStatus.IN_REVIEW:
        return Concern.objects.get(pk=concern.pk)
    decision_record(
        actor=world.dsl,
        context=None,
        concern=concern,
        outcomes=["social_care"],
        rationale="Risk",
        threshold="child_in_need",
        next_review=timezone.localdate() + timedelta(weeks=6),
    )
    if status == ConcernStatus.DECIDED:
        return Concern.objects.get(pk=concern.pk)
    referral_create(
        actor=world.dsl,
        context=None,
        decision=concern.decisions.get(),
        agency="social_care",
        purpose="Risk",
        parents_informed=True,
    )
    concern_close(actor=world.dsl, context=None, concern=concern, summary="S", follow_up="F", outcome="O")
    return Concern.objects.get(pk=concern.pk)


def review_state(concern: Concern) -> tuple:
    concern = Concern.objects.get(pk=concern.pk)
    return concern.status, concern.assigned_to_id, concern.child_id, concern.version, counts(*REVIEW_RECORDS)


def reason():
    return st.sampled_from(["Logged against the wrong child", "New information from the police"])


# Each action of the review page: the state its concern starts in, and the fields that make it go through.
REVIEW_ACTIONS = {
    "acknowledge": (ConcernStatus.SUBMITTED, lambda world, kai: {}),
    "assign": (ConcernStatus.IN_REVIEW, lambda world, kai: {"to": st.just(str(world.deputy.uuid))}),
    "ask": (ConcernStatus.IN_REVIEW, lambda world, kai: {"question": st.just("Which car was it?")}),
    "decide": (
        ConcernStatus.IN_REVIEW,
        lambda world, kai: {
            "outcomes": st.lists(st.sampled_from(Outcome.values), min_size=1, max_size=3),
            "rationale": st.just("She is at risk of exploitation."),
            "threshold": st.sampled_from(Threshold.values),
            "next_review": st.sampled_from(["", "2027-01-15"]),
        },
    ),
    "close": (
        ConcernStatus.DECIDED,
        lambda world, kai: {"summary": st.just("S"), "follow_up": st.just("F"), "outcome": st.just("O")},
    ),
    "reopen": (ConcernStatus.CLOSED, lambda world, kai: {"reason": reason()}),
    "move": (ConcernStatus.IN_REVIEW, lambda world, kai: {"reason": reason(), "to_upn": st.just(kai.upn)}),
}
ALL_REVIEW_FIELDS = ("action", "version", "to", "question", "outcomes", "rationale", "threshold", "next_review")
ALL_REVIEW_FIELDS += ("summary", "follow_up", "outcome", "reason", "to_upn")
# The records each action adds, one each (a decision may have several outcomes).
ACTION_WRITES = {
    "acknowledge": set(),
    "assign": set(),
    "ask": {"InformationRequest"},
    "decide": {"Decision", "DecisionOutcome"},
    "close": {"Closure"},
    "reopen": set(),
    "move": {"ConcernMove"},
}


@pytest.fixture
def under_review(world, jade, action):
    return concern_at(world, jade, REVIEW_ACTIONS[action][0])


@pytest.mark.parametrize("action", list(REVIEW_ACTIONS))
@fuzz
@given(data=st.data())
def test_review_action(world, signed_in, kai, action, under_review, data):
    concern = under_review
    valid = {
        "action": st.just(action),
        "version": st.just(str(concern.version)),
        **REVIEW_ACTIONS[action][1](world, kai),
    }
    body = data.draw(corrupted(valid, extra=ALL_REVIEW_FIELDS), label="body")
    client = signed_in("dsl")
    with rolled_back():
        before = review_state(concern)
        response = client.post(f"/queue/{concern.uuid}/", body)
        done = answered(response) == 302
        after = review_state(concern)
        if not done:
            # Refused: the page again with the reason (400), someone else's change (409) or no such action (403).
            assert response.status_code in (400, 403, 409)
            assert after == before
        else:
            changed = {name for name, count in after[4].items() if count != before[4][name]}
            assert changed <= ACTION_WRITES[action]
            assert all(after[4][name] == before[4][name] + 1 for name in changed - {"DecisionOutcome"})
            assert after[3] >= before[3]


@pytest.fixture
def submitted(world, jade):
    return concern_at(world, jade, ConcernStatus.SUBMITTED)


@fuzz
@given(body=corrupted({"version": st.sampled_from(["0", "1"])}, extra=("action",)))
def test_queue_acknowledge(world, signed_in, submitted, body):
    client = signed_in("deputy")
    with rolled_back():
        before = review_state(submitted)
        response = client.post(f"/queue/{submitted.uuid}/acknowledge/", body)
        assert answered(response) == 302
        after = review_state(submitted)
        assert after == before or (after[0] == ConcernStatus.IN_REVIEW and after[4] == before[4])


@fuzz
@given(
    query=corrupted(
        {
            "status": st.sampled_from(["", *ConcernStatus.values]),
            "urgency": st.sampled_from(["", *Urgency.values]),
            "category": st.sampled_from(["", "EXPLOITATION", "SIGNS-MONEY"]),
            "mine": st.sampled_from(["", "1"]),
            "page": st.sampled_from(["", "1", "2"]),
        }
    ),
    htmx=st.booleans(),
)
def test_queue_filters(world, signed_in, submitted, query, htmx):
    client = signed_in("dsl")
    headers = {"HX-Request": "true"} if htmx else {}
    with rolled_back():
        before = review_state(submitted)
        assert answered(client.get("/queue/", query, headers=headers)) == 200
        assert review_state(submitted) == before


@fuzz
@given(
    query=corrupted(
        {
            "type": st.lists(st.sampled_from(["concern", "addendum", "decision", "referral", "note"]), max_size=3),
            "from": st.sampled_from(["", "2025-01-01"]),
            "to": st.sampled_from(["", "2030-12-31"]),
            "category": st.sampled_from(["", "SIGNS-MONEY"]),
            "page": st.sampled_from(["", "1", "2"]),
        }
    )
)
def test_child_file_filters(world, signed_in, submitted, query):
    client = signed_in("dsl")
    with rolled_back():
        before = review_state(submitted)
        assert answered(client.get(f"/children/{submitted.child.uuid}/", query)) == 200
        assert review_state(submitted) == before


@fuzz
@given(body=corrupted({"text": st.just("Called the front door"), "kind": st.sampled_from(CaseNote.Kind.values)}))
def test_child_note(world, signed_in, jade, body):
    client = signed_in("dsl")
    with rolled_back():
        before = counts(CaseNote)
        status = answered(client.post(f"/children/{jade.uuid}/notes/", body))
        after = counts(CaseNote)
        # Saved and back to the file, or the file again with the error and what was typed, and nothing saved.
        assert (status, after["CaseNote"] - before["CaseNote"]) in ((302, 1), (400, 0))
        for note in CaseNote.objects.filter(child=jade):
            assert "\x00" not in note.text and note.text.strip() and len(note.text) <= 20_000


@fuzz
@given(body=corrupted({"cp_plan": st.sampled_from(["on", ""]), "looked_after": st.sampled_from(["on", ""])}))
def test_child_flags(world, signed_in, jade, body):
    client = signed_in("dsl")
    with rolled_back():
        assert answered(client.post(f"/children/{jade.uuid}/flags/", body)) == 302
        child = Child.objects.get(pk=jade.pk)
        assert child.cp_plan == ticked(posted(body, "cp_plan"))
        assert child.looked_after == ticked(posted(body, "looked_after"))


def ticked(value) -> bool:
    """A tick box is ticked when its value is sent and is not empty or "false", as Django reads a checkbox."""
    return bool(value) and value.lower() != "false"


@pytest.fixture
def alert(world, jade):
    return PatternAlertFactory(child=jade)


@fuzz
@given(body=corrupted({"note": st.just("Spoke to Jade; monitoring")}))
def test_alert_acknowledgement(world, signed_in, alert, body):
    client = signed_in("deputy")
    with rolled_back():
        response = client.post(f"/children/{alert.child.uuid}/alerts/{alert.uuid}/acknowledge/", body)
        assert answered(response) in (302, 400)
        alert.refresh_from_db()
        assert bool(alert.acknowledged_at) == (response.status_code == 302)
        if alert.acknowledged_at:
            assert alert.acknowledgement_note.strip() and "\x00" not in alert.acknowledgement_note
            assert len(alert.acknowledgement_note) <= 2000


@pytest.fixture
def decided(world, jade):
    return concern_at(world, jade, ConcernStatus.DECIDED)


@fuzz
@given(
    body=corrupted(
        {
            "agency": st.sampled_from(["social_care", "police"]),
            "purpose": st.just("Risk of exploitation"),
            "parents_informed": st.sampled_from(["yes", "no"]),
            "parents_not_informed_reason": st.sampled_from(["", "It could put her at risk"]),
            "agency_reference": st.sampled_from(["", "MASH-1"]),
            "agency_contact": st.sampled_from(["", "Duty social worker"]),
        }
    )
)
def test_referral_new(world, signed_in, decided, body):
    client = signed_in("dsl")
    with rolled_back():
        before = counts(Referral)
        response = client.post(f"/queue/{decided.uuid}/referral/", body)
        # Made, refused by a rule (sent back with a message), or the form back with its errors.
        assert answered(response) in (302, 400)
        made = response.status_code == 302 and response["Location"].startswith("/referrals/")
        assert counts(Referral) == {"Referral": before["Referral"] + made}
        if made:
            referral = Referral.objects.get(decision__concern=decided)
            for value in (referral.purpose, referral.parents_not_informed_reason, referral.agency_reference):
                assert "\x00" not in value
            assert len(referral.parents_not_informed_reason) <= 5000


@pytest.fixture
def referral(world, kai):
    return referral_for(world, kai)


REFERRAL_FIELDS = ("action", "by_name", "reference", "agency_decision", "follow_up_on", "reason")


@fuzz
@given(
    data=st.data(),
    action=st.sampled_from(["acknowledged", "outcome", "escalate"]),
)
def test_referral_updates(world, signed_in, referral, data, action):
    valid = {
        "action": st.just(action),
        "by_name": st.just("Sam Lee, MASH"),
        "reference": st.sampled_from(["", "REF-9"]),
        "agency_decision": st.sampled_from(AgencyDecision.values),
        "follow_up_on": st.sampled_from(["", "2027-02-01"]),
        "reason": st.just("We disagree with no further action"),
    }
    body = data.draw(corrupted(valid, extra=REFERRAL_FIELDS), label="body")
    client = signed_in("dsl")
    fields = ("acknowledged_by_name", "agency_reference", "agency_decision", "follow_up_on")
    with rolled_back():
        before = Referral.objects.values(*fields).get(pk=referral.pk)
        response = client.post(f"/referrals/{referral.uuid}/", body)
        assert answered(response) in (302, 400, 403)
        after = Referral.objects.values(*fields).get(pk=referral.pk)
        escalations = list(referral.escalations.values_list("reason", flat=True))
        if response.status_code in (400, 403):
            assert after == before and not escalations
        for name, value in after.items():
            assert value is None or "\x00" not in str(value), name
        assert all(len(reason) <= 5000 and "\x00" not in reason for reason in escalations)
