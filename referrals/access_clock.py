"""The clock of a subject access request (REQUIREMENTS.md R10.6, from the ICO's guidance on time limits).

The clock starts on the latest of the day the request arrived, the day proof of identity arrived and the day any fee
arrived. The school has one calendar month: the same date of the next month, or that month's last day when it has no
such date. While the school waits for an answer to a request for clarification the clock stops, and the days it
already ran still count: the due date moves on by the days paused. A due date on a weekend or a bank holiday moves to
the next working day. A complex request may be extended once, by two further months, before the first due date.
"""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from referrals.clocks import is_working_day, next_working_day

EXTENSION_MONTHS = 2
REMINDER_DAYS = 7


def months_on(day: date, months: int) -> date:
    """The corresponding date `months` calendar months after `day`, or the last day of that month when it is
    shorter (31 January plus one month is 28 February, or 29 in a leap year)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def working_day_from(day: date) -> date:
    """`day`, or the next working day when it is a weekend or a bank holiday in England."""
    return day if is_working_day(day) else next_working_day(day)


def clock_start(
    *, received_on: date, identity_confirmed_on: date | None, fee_received_on: date | None, fee_requested: bool = False
) -> date | None:
    """The day the clock starts; None while proof of identity, or a fee that was asked for, is awaited."""
    if identity_confirmed_on is None or (fee_requested and fee_received_on is None):
        return None
    return max(day for day in (received_on, identity_confirmed_on, fee_received_on) if day is not None)


@dataclass(frozen=True)
class Pause:
    asked_on: date
    answered_on: date | None


def days_paused(start: date, pauses) -> int | None:
    """The days the clock stood still after it started, each day once however the pauses overlap; None while a
    question is still unanswered."""
    if any(pause.answered_on is None for pause in pauses):
        return None
    total, counted_to = 0, start
    for pause in sorted(pauses, key=lambda pause: pause.asked_on):
        begun = max(pause.asked_on, counted_to)
        if pause.answered_on > begun:
            total += (pause.answered_on - begun).days
            counted_to = pause.answered_on
    return total


@dataclass(frozen=True)
class Clock:
    start: date | None
    paused: bool
    first_due: date | None
    extended_due: date | None

    @property
    def due(self) -> date | None:
        return self.extended_due or self.first_due

    waiting_for_fee: bool = False

    @property
    def waiting_for(self) -> str:
        if self.start is None:
            return "the fee asked for" if self.waiting_for_fee else "proof of identity"
        if self.paused:
            return "an answer to the question asked"
        return ""

    def days_left(self, today: date) -> int | None:
        return None if self.due is None else (self.due - today).days

    def may_extend(self, today: date) -> bool:
        """An extension is for before the first due date (or on it), and only once."""
        return self.extended_due is None and self.first_due is not None and today <= self.first_due


def due_on(start: date, *, months: int = 1, paused_days: int = 0) -> date:
    return working_day_from(months_on(start, months) + timedelta(days=paused_days))


def clock_for(
    *, received_on, identity_confirmed_on, fee_received_on, pauses, extended: bool, fee_requested: bool = False
) -> Clock:
    start = clock_start(
        received_on=received_on,
        identity_confirmed_on=identity_confirmed_on,
        fee_received_on=fee_received_on,
        fee_requested=fee_requested,
    )
    if start is None:
        waiting_for_fee = identity_confirmed_on is not None
        return Clock(start=None, paused=False, first_due=None, extended_due=None, waiting_for_fee=waiting_for_fee)
    paused = days_paused(start, pauses)
    if paused is None:
        return Clock(start=start, paused=True, first_due=None, extended_due=None)
    first = due_on(start, paused_days=paused)
    extended_due = due_on(start, months=1 + EXTENSION_MONTHS, paused_days=paused) if extended else None
    return Clock(start=start, paused=False, first_due=first, extended_due=extended_due)


def request_clock(access_request) -> Clock:
    return clock_for(
        received_on=access_request.received_on,
        identity_confirmed_on=access_request.identity_confirmed_on,
        fee_received_on=access_request.fee_received_on,
        fee_requested=access_request.fee_requested,
        pauses=[Pause(p.asked_on, p.answered_on) for p in access_request.pauses.all()],
        extended=access_request.extended_at is not None,
    )
