import re
import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from referrals.models import Concern, ConcernMove, Decision
from referrals.services.reviews import (
    ClosureIncomplete,
    ConcernConflict,
    concern_acknowledge,
    concern_close,
    decision_record,
)
from safeguarding.audit.events import EventType
from safeguarding.audit.models import AuditEvent
from tests.concerns import concern_by
from tests.factories import ChildFactory, ReferralFactory
from tests.pages import beside
from tests.personas import build_world, signed_in_client


@pytest.fixture
def pupil(world):
    return ChildFactory(school=world.northfield, legal_first_name="Jade", legal_last_name="Turner")


def decided(world, pupil, outcome="monitor", threshold="universal"):
    concern = concern_by(world.teacher, pupil, with_file=False)
    concern_acknowledge(actor=world.dsl, context=None, concern=concern)
    decision_record(
        actor=world.dsl,
        context=None,
        concern=concern,
        outcomes=[outcome],
        rationale="Low risk",
        threshold=threshold,
        next_review=timezone.localdate() + timedelta(weeks=6),
    )
    concern.refresh_from_db()
    return concern


def test_a_decision_needs_its_reasons_and_is_recorded(world, pupil):
    concern = concern_by(world.teacher, pupil, with_file=False)
    client = signed_in_client(world.dsl)
    url = f"/queue/{concern.uuid}/"
    client.post(url, {"action": "acknowledge", "version": "0"})

    refused = client.post(url, {"action": "decide", "outcomes": ["nfa"], "threshold": "universal", "rationale": ""})
    assert refused.status_code == 400 and not Decision.objects.exists()

    client.post(
        url,
        {"action": "decide", "version": "1", "outcomes": ["nfa"], "threshold": "universal", "rationale": "Explained."},
    )
    decision = Decision.objects.get()
    assert [o.outcome for o in decision.outcomes.all()] == ["nfa"]
    assert AuditEvent.objects.filter(event_type=EventType.DECISION, object_uuid=concern.uuid).exists()


def test_closing_without_the_three_parts_is_refused_naming_what_is_missing(world, pupil):
    concern = decided(world, pupil)

    with pytest.raises(ClosureIncomplete, match="how it was followed up and resolved and the action, decisions and"):
        concern_close(actor=world.dsl, context=None, concern=concern, summary="Gifts seen", follow_up="", outcome="")

    page = signed_in_client(world.dsl).post(
        f"/queue/{concern.uuid}/", {"action": "close", "version": str(concern.version), "summary": "Gifts seen"}
    )
    assert page.status_code == 400
    text = page.content.decode()
    assert "To close, record how it was followed up and resolved and the action, decisions and outcome." in text
    assert "Gifts seen" in text  # what was typed is kept
    concern.refresh_from_db()
    assert concern.status == "decided"


def test_closing_with_all_three_closes(world, pupil):
    concern = decided(world, pupil)

    concern_close(actor=world.dsl, context=None, concern=concern, summary="a", follow_up="b", outcome="c")

    concern.refresh_from_db()
    assert concern.status == "closed"


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_decisions_one_wins_and_the_other_is_told():
    world = build_world()
    pupil = ChildFactory(school=world.northfield, legal_first_name="Jade", legal_last_name="Turner")
    concern = concern_by(world.teacher, pupil, with_file=False)
    concern_acknowledge(actor=world.dsl, context=None, concern=concern)
    version = Concern.objects.get(pk=concern.pk).version
    barrier = threading.Barrier(2)
    results = {}

    def decide(person, rationale):
        try:
            barrier.wait()
            decision_record(
                actor=person,
                context=None,
                concern=concern,
                outcomes=["monitor"],
                rationale=rationale,
                threshold="universal",
                expected_version=version,
                next_review=timezone.localdate() + timedelta(weeks=6),
            )
            results[rationale] = "won"
        except ConcernConflict as conflict:
            results[rationale] = str(conflict)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=decide, args=(world.dsl, "the DSL's reasons")),
        threading.Thread(target=decide, args=(world.deputy, "the deputy's reasons")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results.values())[-1] == "won"
    loser = next(value for value in results.values() if value != "won")
    assert "Someone else changed this concern" in loser
    (decision,) = Decision.objects.all()
    assert results[decision.rationale] == "won"


def test_the_author_sees_the_question_and_answers_with_an_addendum(world, pupil):
    concern = concern_by(world.teacher, pupil, with_file=False)
    signed_in_client(world.dsl).post(f"/queue/{concern.uuid}/", {"action": "ask", "question": "What time was it?"})
    teacher = signed_in_client(world.teacher)

    assert "Question for you" in teacher.get("/concerns/mine/").content.decode()
    assert "What time was it?" in teacher.get(f"/concerns/{concern.uuid}/").content.decode()
    teacher.post(f"/concerns/{concern.uuid}/", {"reason": "Answering the DSL", "text": "About 15:20."})

    assert concern.information_requests.get().answered_at is not None


def test_a_concern_is_moved_to_the_right_child_and_both_files_show_it(world, pupil):
    right = ChildFactory(
        school=world.northfield,
        legal_first_name="Jane",
        legal_last_name="Turner",
        upn="A123456789012",
    )
    concern = concern_by(world.teacher, pupil, with_file=False)
    client = signed_in_client(world.dsl)

    client.post(f"/queue/{concern.uuid}/", {"action": "move", "to_upn": "a123456789012", "reason": "Wrong Turner"})

    concern.refresh_from_db()
    assert concern.child == right
    assert ConcernMove.objects.get().from_child == pupil
    assert "Wrong Turner" in client.get(f"/children/{pupil.uuid}/").content.decode()
    assert "Wrong Turner" in client.get(f"/children/{right.uuid}/").content.decode()


def test_staff_and_the_other_school_cannot_open_the_review_page(world, pupil):
    concern = concern_by(world.teacher, pupil, with_file=False)

    assert signed_in_client(world.teacher).get(f"/queue/{concern.uuid}/").status_code == 404
    assert signed_in_client(world.riverside_dsl).get(f"/queue/{concern.uuid}/").status_code == 404
    assert signed_in_client(world.deputy).get(f"/queue/{concern.uuid}/").status_code == 200


def test_only_the_dsl_reopens_or_moves(world, pupil):
    from django.core.exceptions import PermissionDenied

    from referrals.services.reviews import concern_move, concern_reopen

    concern = decided(world, pupil)
    concern_close(actor=world.dsl, context=None, concern=concern, summary="a", follow_up="b", outcome="c")

    with pytest.raises(PermissionDenied):
        concern_reopen(actor=world.deputy, context=None, concern=concern, reason="More came to light")
    other = ChildFactory(school=world.northfield, legal_first_name="Kai", legal_last_name="Turner")
    with pytest.raises(PermissionDenied):
        concern_move(actor=world.deputy, context=None, concern=concern, to_child=other, reason="Wrong child")
    concern_reopen(actor=world.dsl, context=None, concern=concern, reason="More came to light")


def test_the_loser_of_a_race_is_told_and_keeps_the_reasons_typed(world, pupil):
    concern = concern_by(world.teacher, pupil, with_file=False)
    concern_acknowledge(actor=world.dsl, context=None, concern=concern)
    stale = Concern.objects.get(pk=concern.pk).version
    decision_record(
        actor=world.dsl,
        context=None,
        concern=concern,
        outcomes=["monitor"],
        rationale="First",
        threshold="universal",
        next_review=timezone.localdate() + timedelta(weeks=6),
    )

    response = signed_in_client(world.deputy).post(
        f"/queue/{concern.uuid}/",
        {
            "action": "decide",
            "version": str(stale),
            "outcomes": ["early_help"],
            "threshold": "early_help",
            "rationale": "My carefully written reasons",
            "next_review": (timezone.localdate() + timedelta(weeks=4)).isoformat(),
        },
    )

    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone else changed this concern" in page
    assert "My carefully written reasons" in page
    assert Decision.objects.count() == 1


def test_a_referral_without_a_reason_parents_were_not_told_comes_back_with_what_the_dsl_typed(world, pupil):
    concern = decided(world, pupil, outcome="social_care", threshold="child_protection")
    body = {
        "agency": "social_care",
        "purpose": "Jade told her teacher she is afraid to go home",
        "parents_informed": "no",
        "agency_contact": "Duty social worker Sam Patel",
    }

    response = signed_in_client(world.dsl).post(f"/queue/{concern.uuid}/referral/", body)

    page = response.content.decode()
    assert response.status_code == 400
    assert "Jade told her teacher she is afraid to go home" in page and "Duty social worker Sam Patel" in page
    assert beside(page, "parents_not_informed_reason", "Say why parents or carers were not told.")
    assert not concern.decisions.get().referrals.exists()


def test_a_move_to_an_unknown_upn_comes_back_with_the_reason_the_dsl_typed(world, pupil):
    concern = concern_by(world.teacher, pupil, with_file=False)
    body = {"action": "move", "to_upn": "Z999999999999", "reason": "Logged against her cousin by mistake"}

    response = signed_in_client(world.dsl).post(f"/queue/{concern.uuid}/", body)

    page = response.content.decode()
    assert response.status_code == 400
    assert "Logged against her cousin by mistake" in page and 'value="Z999999999999"' in page
    assert beside(page, "to_upn", "Give the UPN of a child of this school.")
    assert not ConcernMove.objects.exists()


def test_assigning_to_someone_off_the_team_comes_back_with_the_error_beside_the_choice(world, pupil):
    concern = concern_by(world.teacher, pupil, with_file=False)
    concern_acknowledge(actor=world.dsl, context=None, concern=concern)
    body = {"action": "assign", "to": str(world.teacher.uuid), "version": concern.version + 1}

    response = signed_in_client(world.dsl).post(f"/queue/{concern.uuid}/", body)

    page = response.content.decode()
    assert response.status_code == 400
    assert beside(page, "to", "Choose the DSL or a deputy of this school.")
    assert Concern.objects.get(pk=concern.pk).assigned_to == world.dsl


def test_every_field_on_a_closed_concerns_page_has_its_own_id(world, pupil):
    """The reopen and move forms both ask for a reason; each label must lead to its own box."""
    concern = decided(world, pupil)
    concern_close(actor=world.dsl, context=None, concern=concern, summary="a", follow_up="b", outcome="c")

    page = signed_in_client(world.dsl).get(f"/queue/{concern.uuid}/").content.decode()

    ids = Counter(re.findall(r'\sid="([^"]+)"', page))
    assert {"id_reopen_reason", "id_move_reason"} <= set(ids)
    assert [name for name, count in ids.items() if count > 1] == []


def test_the_review_page_of_a_childs_fifth_concern_lists_the_four_before_it(world, pupil):
    concerns = [concern_by(world.teacher, pupil, with_file=False) for _ in range(5)]
    decided_one = concerns[1]
    concern_acknowledge(actor=world.dsl, context=None, concern=decided_one)
    decision_record(
        actor=world.dsl,
        context=None,
        concern=decided_one,
        outcomes=["monitor"],
        rationale="Watch",
        threshold="",
        next_review=timezone.localdate() + timedelta(weeks=6),
    )

    page = signed_in_client(world.dsl).get(f"/queue/{concerns[4].uuid}/").content.decode()

    history = page.split('id="history-heading"')[1].split("</section>")[0]
    assert "Earlier concerns (4)" in history
    for earlier in concerns[:4]:
        assert f"/queue/{earlier.uuid}/" in history
    assert f"/queue/{concerns[4].uuid}/" not in history
    assert "Monitor in school" in history and "Submitted" in history


def test_the_first_concern_says_it_is_the_first(world, pupil):
    concern = concern_by(world.teacher, pupil, with_file=False)
    page = signed_in_client(world.dsl).get(f"/queue/{concern.uuid}/").content.decode()
    assert "Earlier concerns (0)" in page and "this is the first concern" in page


def selected_options(page: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}".*?</select>', page, re.S).group(0)
    return re.findall(r'<option value="([^"]*)"[^>]*selected', select)


def test_the_threshold_and_the_agencys_decision_start_with_nothing_chosen(world, pupil):
    concern = concern_by(world.teacher, pupil, with_file=False)
    client = signed_in_client(world.dsl)
    concern_acknowledge(actor=world.dsl, context=None, concern=concern)

    review = client.get(f"/queue/{concern.uuid}/").content.decode()
    assert "Next step: record a decision" in review
    assert selected_options(review, "threshold") in ([], [""])

    referral = ReferralFactory(child=pupil, dsl=world.dsl)
    detail = client.get(f"/referrals/{referral.uuid}/").content.decode()
    assert selected_options(detail, "agency_decision") in ([], [""])


def test_a_referral_outcome_without_a_threshold_is_refused_naming_the_field(world, pupil):
    concern = concern_by(world.teacher, pupil, with_file=False)
    concern_acknowledge(actor=world.dsl, context=None, concern=concern)

    response = signed_in_client(world.dsl).post(
        f"/queue/{concern.uuid}/",
        {"action": "decide", "version": "1", "outcomes": ["social_care"], "threshold": "", "rationale": "At risk."},
    )

    assert response.status_code == 400 and not Decision.objects.exists()
    assert beside(response.content.decode(), "threshold", "Choose the threshold applied: a referral needs one.")
    with pytest.raises(ValueError, match="threshold"):
        decision_record(
            actor=world.dsl,
            context=None,
            concern=concern,
            outcomes=["police"],
            rationale="At risk.",
            threshold="",
            next_review=timezone.localdate() + timedelta(weeks=6),
        )


def test_a_decided_concern_shows_its_decision_as_a_record_and_offers_the_referral_next(world, pupil):
    concern = decided(world, pupil, outcome="social_care", threshold="child_in_need")

    page = signed_in_client(world.dsl).get(f"/queue/{concern.uuid}/").content.decode()

    assert "Next step: make the referral" in page
    main = page.split('id="next-heading"')[1].split("</section>")[0]
    assert 'name="outcomes"' not in main  # the decision is not offered again as the next step
    assert "Record a new decision" in page.split("Other actions")[1]


def test_a_concern_decided_for_social_care_cannot_close_before_its_referral_is_recorded(world):
    from referrals.services.agency_referrals import referral_create

    concern = concern_by(world.teacher, ChildFactory(school=world.northfield), with_file=False)
    concern_acknowledge(actor=world.dsl, context=None, concern=concern)
    decision = decision_record(
        actor=world.dsl,
        context=None,
        concern=concern,
        outcomes=["social_care"],
        rationale="Significant harm is likely.",
        threshold="child_protection",
        next_review=timezone.localdate() + timedelta(weeks=6),
    )

    with pytest.raises(ClosureIncomplete, match=r"refer to Children's social care.*record the referral"):
        concern_close(actor=world.dsl, context=None, concern=concern, summary="a", follow_up="b", outcome="c")
    response = signed_in_client(world.dsl).post(
        f"/queue/{concern.uuid}/",
        {
            "action": "close",
            "summary": "a",
            "follow_up": "b",
            "outcome": "c",
            "version": Concern.objects.get(pk=concern.pk).version,
        },
    )
    assert "record the referral before closing" in response.content.decode()

    referral_create(
        actor=world.dsl, context=None, decision=decision, agency="social_care", purpose="Harm", parents_informed=True
    )
    concern_close(actor=world.dsl, context=None, concern=concern, summary="a", follow_up="b", outcome="c")


def test_every_decision_but_no_further_action_needs_a_next_review_date(world, pupil):
    concern = concern_by(world.teacher, pupil, with_file=False)
    concern_acknowledge(actor=world.dsl, context=None, concern=concern)
    body = {"action": "decide", "version": "1", "threshold": "universal", "rationale": "Watch over half term."}
    client = signed_in_client(world.dsl)

    refused = client.post(f"/queue/{concern.uuid}/", {**body, "outcomes": ["monitor"]})
    with pytest.raises(ValueError, match="next review"):
        decision_record(
            actor=world.dsl, context=None, concern=concern, outcomes=["monitor"], rationale="x", threshold=""
        )
    accepted = client.post(f"/queue/{concern.uuid}/", {**body, "outcomes": ["nfa"]})

    assert refused.status_code == 400
    assert beside(refused.content.decode(), "next_review", "Give the date of the next review")
    assert accepted.status_code == 302
