"""The acknowledgement clocks of DESIGN.md §4, with the dates written out."""

from datetime import date, datetime, time, timedelta

import pytest
import time_machine

from referrals.clocks import LONDON, SchoolCalendar
from referrals.models import Urgency
from referrals.services.concerns import concern_submit
from safeguarding.accounts.models import ClosureDay, HolidayCover, School
from tests.concerns import concern_submission
from tests.factories import ChildFactory


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


def _summer_holiday(school):
    """Closed from Saturday 18 July to Tuesday 1 September 2026 (weekdays listed, as a school enters them)."""
    day = date(2026, 7, 20)
    while day <= date(2026, 9, 1):
        if day.weekday() < 5:
            ClosureDay.objects.create(school=school, date=day, description="Summer holiday")
        day += timedelta(days=1)


def test_the_local_authoritys_clock_runs_on_working_days_whatever_the_schools_holidays(school):
    _summer_holiday(school)
    for day in (25, 26, 27, 28, 29):
        ClosureDay.objects.create(school=school, date=date(2026, 5, day), description="Half term")
    calendar = SchoolCalendar(school)

    # Made on the last afternoon of the summer term: due the Monday after, not in September.
    assert calendar.referral_acknowledgement_due(at(2026, 7, 17, 14, 0)) == at(2026, 7, 20, 14, 0)
    # Made on the Friday before half term, Monday 25 May a bank holiday: due the Tuesday, not 1 June.
    assert calendar.referral_acknowledgement_due(at(2026, 5, 22, 16, 0)) == at(2026, 5, 26, 16, 0)


def test_a_concern_raised_in_the_holidays_goes_to_the_weeks_cover_and_is_due_on_working_days(
    world, run_tasks, mailoutbox
):

    school = world.northfield
    _summer_holiday(school)
    deputy = world.membership("deputy")
    HolidayCover.objects.create(school=school, week_starting=date(2026, 8, 3), covered_by=deputy, set_by=world.dsl)
    child = ChildFactory(school=school)

    with time_machine.travel(at(2026, 8, 5, 11, 0), tick=False):
        incident = concern_submit(**concern_submission(world.teacher, child, urgency=Urgency.ROUTINE, with_file=False))
    run_tasks()

    concern = incident.concerns.get()
    assert concern.assigned_to == deputy.user
    assert concern.ack_due_at == datetime.combine(date(2026, 8, 6), school.day_ends, tzinfo=LONDON)
    (to_cover,) = [message for message in mailoutbox if "covering" in message.subject]
    assert to_cover.to == [deputy.user.email]
    assert "Thursday 06 August" in to_cover.body and child.legal_first_name not in to_cover.body


def test_in_term_a_concern_is_not_given_to_the_holiday_cover(world):

    HolidayCover.objects.create(
        school=world.northfield,
        week_starting=date(2026, 7, 13),
        covered_by=world.membership("deputy"),
        set_by=world.dsl,
    )
    with time_machine.travel(at(2026, 7, 15, 11, 0), tick=False):
        incident = concern_submit(**concern_submission(world.teacher, ChildFactory(school=world.northfield)))

    assert incident.concerns.get().assigned_to is None


def test_the_staff_form_says_who_covers_while_the_school_is_closed(world):
    from tests.personas import signed_in_client

    _summer_holiday(world.northfield)
    deputy = world.membership("deputy")
    HolidayCover.objects.create(
        school=world.northfield, week_starting=date(2026, 8, 3), covered_by=deputy, set_by=world.dsl
    )

    with time_machine.travel(at(2026, 8, 5, 11, 0), tick=False):
        page = signed_in_client(world.teacher).get("/concerns/new/").content.decode()
    with time_machine.travel(at(2026, 8, 12, 11, 0), tick=False):  # a week with no cover named
        uncovered = signed_in_client(world.teacher).get("/concerns/new/").content.decode()

    assert f"This week your concern goes to <strong>{deputy.user.full_name}" in page
    assert "is closed." in uncovered and "may not read it until the school opens" in uncovered


def test_the_dsl_names_a_weeks_cover_and_a_deputy_may_not(world):
    from tests.personas import signed_in_client

    school = world.northfield
    deputy = world.membership("deputy")
    url = f"/schools/{school.uuid}/holiday-cover/"
    form = {"week_starting": "2026-08-05", "covered_by": str(deputy.uuid)}

    response = signed_in_client(world.dsl).post(url, form)

    assert response.status_code == 302
    cover = HolidayCover.objects.get(school=school)
    assert cover.week_starting == date(2026, 8, 3) and cover.covered_by == deputy
    assert deputy.user.full_name in signed_in_client(world.dsl).get(url).content.decode()
    assert signed_in_client(world.deputy).post(url, form).status_code == 403
    nobody = signed_in_client(world.dsl).post(url, {"week_starting": "2026-08-10", "covered_by": ""})
    assert nobody.status_code == 400
    assert "give the out-of-hours team&#x27;s phone number" in nobody.content.decode()
    signed_in_client(world.dsl).post(
        url, {"week_starting": "2026-08-10", "team_name": "Northshire EDT", "team_phone": "0300 123 4567"}
    )
    assert HolidayCover.objects.get(week_starting=date(2026, 8, 10)).who == "Northshire EDT on 0300 123 4567"
