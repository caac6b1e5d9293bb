"""The acknowledgement clocks of DESIGN.md §4, with the dates written out."""

from datetime import date, datetime, time

import pytest

from referrals.clocks import LONDON, SchoolCalendar
from referrals.models import Urgency
from safeguarding.accounts.models import ClosureDay, School


def at(year, month, day, hour, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


@pytest.fixture
def school(db):
    from tests.factories import SchoolFactory

    return SchoolFactory(day_starts=time(8, 30), day_ends=time(15, 30))


def due(school, urgency, raised):
    return SchoolCalendar(school).acknowledgement_due(urgency=urgency, raised_at=raised)


def test_immediate_risk_is_due_in_15_minutes_at_any_hour(school):
    assert due(school, Urgency.IMMEDIATE, at(2026, 12, 5, 23, 50)) == at(2026, 12, 6, 0, 5)


def test_routine_raised_on_the_friday_before_a_bank_holiday_is_due_at_the_end_of_tuesday(school):
    # Friday 22 May 2026; Monday 25 May is the spring bank holiday.
    assert due(school, Urgency.ROUTINE, at(2026, 5, 22, 15, 0)) == at(2026, 5, 26, 15, 30)


def test_today_raised_half_an_hour_before_the_end_is_due_90_minutes_into_the_next_school_day(school):
    # Thursday 3 December 2026, 15:00; the day ends at 15:30 and Friday starts at 08:30.
    assert due(school, Urgency.TODAY, at(2026, 12, 3, 15, 0)) == at(2026, 12, 4, 10, 0)


def test_today_raised_in_the_morning_is_due_at_the_end_of_the_day(school):
    assert due(school, Urgency.TODAY, at(2026, 12, 3, 9, 0)) == at(2026, 12, 3, 15, 30)


def test_today_raised_in_the_evening_is_due_at_the_end_of_the_next_school_day(school):
    assert due(school, Urgency.TODAY, at(2026, 12, 4, 19, 0)) == at(2026, 12, 7, 15, 30)


def test_closure_days_are_not_working_days(school):
    ClosureDay.objects.create(school=school, date=date(2026, 12, 7), description="INSET day")

    assert due(school, Urgency.ROUTINE, at(2026, 12, 4, 10, 0)) == at(2026, 12, 8, 15, 30)


def test_christmas_and_boxing_day_substitutes_are_skipped(school):
    # Thursday 24 December 2026: 25th is Friday, the 28th is Boxing Day (substitute day).
    assert due(school, Urgency.ROUTINE, at(2026, 12, 24, 10, 0)) == at(2026, 12, 29, 15, 30)


def test_a_school_may_set_its_own_numbers(school):
    school.sla_immediate_minutes = 5
    school.sla_routine_working_days = 2
    School.save(school)

    assert due(school, Urgency.IMMEDIATE, at(2026, 12, 3, 10, 0)) == at(2026, 12, 3, 10, 5)
    assert due(school, Urgency.ROUTINE, at(2026, 12, 3, 10, 0)) == at(2026, 12, 7, 15, 30)


def test_a_referral_is_due_one_working_day_later_to_the_minute(school):
    calendar = SchoolCalendar(school)

    assert calendar.referral_acknowledgement_due(at(2026, 5, 22, 11, 17)) == at(2026, 5, 26, 11, 17)


def test_clocks_follow_british_summer_time(school):
    # Friday 23 October 2026 to Monday 26 October: the clocks go back on Sunday the 25th.
    assert due(school, Urgency.ROUTINE, at(2026, 10, 23, 10, 0)) == at(2026, 10, 26, 15, 30)
