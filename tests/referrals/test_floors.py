"""Floors under a concern's urgency: a disclosure, and sexual activity involving a child under 13, are always
immediate and prompt a referral to children's social care and the police; a sign of harm for a child with a learning
disability is one step more urgent than chosen."""

import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from referrals.floors import SEXUAL_ACTIVITY, urgency_floor
from referrals.models import IndicatorKind, Urgency
from tests.concerns import concern_by
from tests.factories import ChildFactory
from tests.personas import signed_in_client

KINDS = [kind.value for kind in IndicatorKind]
OTHER_CODES = ["SIG-GIFTS", "SIG-CARS", "ABUSE-NEGLECT", "WB-YOUNG-CARER", "ONL-CONTENT", "DISC-THIRD"]
signs = st.lists(st.tuples(st.sampled_from(sorted(SEXUAL_ACTIVITY) + OTHER_CODES), st.sampled_from(KINDS)), max_size=6)
urgencies = st.sampled_from([u.value for u in Urgency])


@settings(max_examples=300, deadline=None)
@given(
    chosen=urgencies,
    ticked=signs,
    sexual=st.sampled_from(sorted(SEXUAL_ACTIVITY)),
    age=st.integers(4, 12),
    learning=st.booleans(),
)
def test_sexual_activity_with_a_child_under_13_is_always_immediate_with_the_referral_prompt(
    chosen, ticked, sexual, age, learning
):
    floor = urgency_floor(
        chosen=chosen, signs=[*ticked, (sexual, "sign_of_harm")], age=age, learning_disability=learning
    )

    assert floor.urgency == Urgency.IMMEDIATE and floor.refer
    assert any("under 13" in reason for reason in floor.reasons)


@settings(max_examples=300, deadline=None)
@given(chosen=urgencies, ticked=signs, age=st.one_of(st.none(), st.integers(2, 19)), learning=st.booleans())
def test_a_disclosure_is_always_immediate_with_the_referral_prompt(chosen, ticked, age, learning):
    floor = urgency_floor(
        chosen=chosen, signs=[*ticked, ("DISC-ABUSE", "disclosure")], age=age, learning_disability=learning
    )

    assert floor.urgency == Urgency.IMMEDIATE and floor.refer


@settings(max_examples=300, deadline=None)
@given(chosen=urgencies, ticked=signs, age=st.one_of(st.none(), st.integers(2, 19)), learning=st.booleans())
def test_a_floor_never_lowers_what_the_author_chose(chosen, ticked, age, learning):
    floor = urgency_floor(chosen=chosen, signs=ticked, age=age, learning_disability=learning)
    order = [Urgency.ROUTINE, Urgency.TODAY, Urgency.IMMEDIATE]

    assert order.index(floor.urgency) >= order.index(chosen)


@settings(max_examples=200, deadline=None)
@given(
    chosen=urgencies,
    codes=st.lists(st.sampled_from(sorted(SEXUAL_ACTIVITY) + OTHER_CODES), max_size=6),
    age=st.integers(13, 19),
)
def test_without_a_disclosure_a_child_of_13_or_more_keeps_the_urgency_chosen(chosen, codes, age):
    floor = urgency_floor(chosen=chosen, signs=[(code, "sign_of_harm") for code in codes], age=age)

    assert floor.urgency == chosen and not floor.refer


@pytest.mark.parametrize(
    ("chosen", "raised"),
    [(Urgency.ROUTINE, Urgency.TODAY), (Urgency.TODAY, Urgency.IMMEDIATE), (Urgency.IMMEDIATE, Urgency.IMMEDIATE)],
)
def test_a_sign_of_harm_for_a_child_with_a_learning_disability_is_one_step_more_urgent(chosen, raised):
    assert urgency_floor(chosen=chosen, signs=[("ABUSE-NEGLECT", "sign_of_harm")], age=15, learning_disability=True)
    floor = urgency_floor(chosen=chosen, signs=[("ABUSE-NEGLECT", "sign_of_harm")], age=15, learning_disability=True)
    assert floor.urgency == raised
    risk_only = urgency_floor(chosen=chosen, signs=[("SIG-GIFTS", "risk_indicator")], age=15, learning_disability=True)
    assert risk_only.urgency == chosen


def _born_years_ago(years: int, days: int = 0) -> datetime.date:
    today = datetime.date.today()
    return today.replace(year=today.year - years) - datetime.timedelta(days=days)


@pytest.mark.parametrize(
    ("born", "urgency"),
    [
        (_born_years_ago(12, days=300), Urgency.IMMEDIATE),  # 12: under 13
        (_born_years_ago(13), Urgency.ROUTINE),  # 13 today
    ],
)
def test_a_concern_about_sexual_activity_is_immediate_for_a_child_under_13(world, born, urgency):
    child = ChildFactory(school=world.northfield, date_of_birth=born)

    concern = concern_by(world.teacher, child, indicators=("SIG-RISKY-SEX",), with_file=False)

    assert concern.urgency == urgency
    page = signed_in_client(world.dsl).get(f"/queue/{concern.uuid}/").content.decode()
    assert ("Refer to children's social care and the police today" in page) == (urgency == Urgency.IMMEDIATE)


def test_a_disclosure_is_immediate_and_the_review_page_prompts_the_referral(world):
    child = ChildFactory(school=world.northfield)

    concern = concern_by(world.teacher, child, indicators=("DISC-ABUSE",), with_file=False)

    assert concern.urgency == Urgency.IMMEDIATE
    page = signed_in_client(world.dsl).get(f"/queue/{concern.uuid}/").content.decode()
    assert "The child disclosed harm" in page
    harm = page[page.index("Signs of harm and disclosures") : page.index("Risk indicators and vulnerabilities")]
    assert "The child disclosed harm or abuse" in harm


def test_a_child_with_a_learning_disability_raises_a_sign_of_harm_one_step(world):
    child = ChildFactory(school=world.northfield, date_of_birth=_born_years_ago(15), learning_disability=True)

    concern = concern_by(world.teacher, child, indicators=("ABUSE-NEGLECT",), with_file=False)

    assert concern.urgency == Urgency.TODAY
