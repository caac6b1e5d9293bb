"""The review clocks of DESIGN.md §4: when a concern must be acknowledged.

Two calendars. The school's: Monday to Friday, except bank holidays in England and Wales and the school's closure
days, in the school's hours; it runs the school's own clocks in term. Working days: Monday to Friday less bank
holidays, whatever the school's closures; they run every agency's clock (the local authority's one working day),
and the school's own clocks while the school is closed (a concern raised in the holidays goes to the holiday cover
and is due on working days, at the school's usual closing time). "The end of the school day" is its closing time.

- Immediate risk: within the school's immediate minutes (15), at any hour.
- Today: by the end of the school day; when raised in the last hours of it (2), within that many working hours;
  raised outside school hours, by the end of the next school day.
- Routine: by the end of the next working day.
- A children's social care referral: acknowledged one working day after it was made, to the minute.
"""

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

import holidays

from referrals.models import Urgency
from safeguarding.accounts.models import School, TransferDays
from safeguarding.core.dates import LONDON


@lru_cache(maxsize=32)
def _bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=[year]))


def is_working_day(day: date) -> bool:
    """Monday to Friday, not a bank holiday in England and Wales: the days every agency's clock counts."""
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def next_working_day(day: date) -> date:
    day += timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def agency_acknowledgement_due(made_at: datetime, working_days: int = 1) -> datetime:
    """An agency's acknowledgement is due `working_days` working days after the referral, to the minute: the
    school's closures do not stop the local authority's clock."""
    moment = made_at.astimezone(LONDON)
    day = moment.date()
    for _ in range(working_days):
        day = next_working_day(day)
    return datetime.combine(day, moment.time(), tzinfo=LONDON)


class SchoolCalendar:
    """Working days and hours of one school. Closure days are read once, when the calendar is made."""

    def __init__(self, school: School, closure_days: set[date] | None = None):
        self.school = school
        if closure_days is None:
            closure_days = set(school.closure_days.values_list("date", flat=True))
        self.closure_days = closure_days

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in _bank_holidays(day.year) and day not in self.closure_days

    def next_working_day(self, day: date) -> date:
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def opens(self, day: date) -> datetime:
        return datetime.combine(day, self.school.day_starts, tzinfo=LONDON)

    def closes(self, day: date) -> datetime:
        return datetime.combine(day, self.school.day_ends, tzinfo=LONDON)

    def add_working_time(self, start: datetime, amount: timedelta) -> datetime:
        """`amount` of school hours on working days after `start`."""
        moment = start.astimezone(LONDON)
        day = moment.date()
        if not self.is_working_day(day) or moment >= self.closes(day):
            day = self.next_working_day(day)
            moment = self.opens(day)
        elif moment < self.opens(day):
            moment = self.opens(day)
        while True:
            left_today = self.closes(day) - moment
            if amount <= left_today:
                return moment + amount
            amount -= left_today
            day = self.next_working_day(day)
            moment = self.opens(day)

    def is_closed_for_holiday(self, moment: datetime) -> bool:
        """Whether the school is shut for a holiday or closure at `moment`: the next weekday it would open (today,
        when still before its closing time) is one of its closure days."""
        local = moment.astimezone(LONDON)
        day = local.date()
        if not (is_working_day(day) and local < self.closes(day)):
            day = next_working_day(day)
        return day in self.closure_days

    def acknowledgement_due(self, *, urgency: str, raised_at: datetime) -> datetime:
        if self.closure_days and self.is_closed_for_holiday(raised_at):
            # Out of term the clock runs on working days, with the holiday cover (not next term).
            return SchoolCalendar(self.school, closure_days=set())._due(urgency=urgency, raised_at=raised_at)
        return self._due(urgency=urgency, raised_at=raised_at)

    def _due(self, *, urgency: str, raised_at: datetime) -> datetime:
        raised = raised_at.astimezone(LONDON)
        school = self.school
        if urgency == Urgency.IMMEDIATE:
            # Elapsed minutes, in UTC: the clocks going back must not add an hour.
            return (raised.astimezone(UTC) + timedelta(minutes=school.sla_immediate_minutes)).astimezone(LONDON)
        day = raised.date()
        in_hours = self.is_working_day(day) and self.opens(day) <= raised < self.closes(day)
        if urgency == Urgency.TODAY:
            late_window = timedelta(hours=school.sla_today_late_hours)
            if in_hours and raised >= self.closes(day) - late_window:
                return self.add_working_time(raised, late_window)
            if self.is_working_day(day) and raised < self.closes(day):
                return self.closes(day)
            return self.closes(self.next_working_day(day))
        # Routine: the end of the next working day (or of several, as the school sets).
        for _ in range(school.sla_routine_working_days):
            day = self.next_working_day(day)
        return self.closes(day)

    def school_days_after(self, day: date, school_days: int) -> date:
        """The school day `school_days` school days after `day`: weekends, bank holidays and the school's closures
        (its holidays) do not count."""
        for _ in range(school_days):
            day = self.next_working_day(day)
        return day

    def referral_review_due(self, made_at: datetime) -> date:
        """When a referral with nothing back is to be reviewed: the school's interval (20 by default) in school
        days (REQUIREMENTS.md R4.4)."""
        return self.school_days_after(made_at.astimezone(LONDON).date(), self.school.referral_review_school_days)

    def referral_acknowledgement_due(self, made_at: datetime) -> datetime:
        """One working day (or the school's number) after the referral was made, at the same time of day, on the
        agencies' working days: the school's closures do not count."""
        return agency_acknowledgement_due(made_at, self.school.referral_ack_working_days)


def out_of_school_hours(school: School, moment: datetime, calendar: SchoolCalendar | None = None) -> bool:
    calendar = calendar or SchoolCalendar(school)
    local = moment.astimezone(LONDON)
    day = local.date()
    return not (calendar.is_working_day(day) and calendar.opens(day) <= local < calendar.closes(day))


TRANSFER_DAYS = 5


def transfer_due(school: School, left_on: date, calendar: SchoolCalendar | None = None) -> date:
    """When a leaver's child protection file must be with the next school (KCSIE Annex C; REQUIREMENTS.md R7.1):
    five days after the leaving date in term, or, for a child who leaves as a holiday begins or during one, five days
    after the first day of the new term. The trust chooses calendar or school days; calendar by default.

    The school's closure days say when its holidays are: the leaving date is at a holiday when the school is shut for
    one on the next weekday after it. A school that has recorded no closures is always in term."""
    calendar = calendar or SchoolCalendar(school)
    start = left_on
    after = datetime.combine(left_on + timedelta(days=1), time.min, tzinfo=LONDON)
    if calendar.closure_days and calendar.is_closed_for_holiday(after):
        start = calendar.next_working_day(left_on)  # the first day of the new term
    if school.trust.transfer_days == TransferDays.SCHOOL:
        return calendar.school_days_after(start, TRANSFER_DAYS)
    return start + timedelta(days=TRANSFER_DAYS)
