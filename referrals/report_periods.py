"""The periods a safeguarding report covers: a term, a school year, or any dates chosen.

Terms here run 1 September to 31 December (autumn), 1 January to 31 March (spring) and 1 April to 31 August
(summer), so every day of the year falls in one term and a term compares with the same term a year before. A school
whose terms end elsewhere chooses its own dates. A period that has not ended yet is counted up to today, and the
year before is then the same dates a year earlier, so that a term so far is never set beside a whole term.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

LONDON = ZoneInfo("Europe/London")
# The longest period one report covers: three school years, month by month.
LONGEST = relativedelta(years=3)
TERMS = (("autumn", "Autumn term", 9, 12), ("spring", "Spring term", 1, 3), ("summer", "Summer term", 4, 8))


class PeriodRefused(ValueError):
    """The dates asked for do not make a period a report can cover; the message says why."""


@dataclass(frozen=True)
class Period:
    first: date
    last: date  # inclusive
    label: str
    key: str = ""
    so_far: bool = False  # the period has not ended: counted up to today

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.first, time.min, tzinfo=LONDON)

    @property
    def ends_at(self) -> datetime:
        """The first moment after the period (Europe/London midnight after its last day)."""
        return datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=LONDON)

    def counted_to(self, today: date) -> "Period":
        """The period as far as it has gone by `today`."""
        if self.last <= today:
            return self
        return Period(self.first, max(today, self.first), self.label, self.key, so_far=True)

    def year_before(self) -> "Period":
        return Period(self.first - relativedelta(years=1), self.last - relativedelta(years=1), "The year before")

    def months(self) -> list[date]:
        """The first day of each month the period touches, in order."""
        month, months = self.first.replace(day=1), []
        while month <= self.last:
            months.append(month)
            month += relativedelta(months=1)
        return months

    @property
    def query(self) -> str:
        """The period as the query string of a report's address (dates only: no one's details)."""
        if self.key:
            return f"period={self.key}"
        return f"from={self.first.isoformat()}&to={self.last.isoformat()}"

    @property
    def dates(self) -> str:
        return f"{self.first:%a %-d %b %Y} to {self.last:%a %-d %b %Y}"


def term(key: str) -> Period:
    """`autumn-2026` is the autumn term of the school year 2026 to 2027; `spring-2027` and `summer-2027` follow."""
    name, _, year_text = key.partition("-")
    found = next((t for t in TERMS if t[0] == name), None)
    if found is None or not year_text.isdigit():
        raise PeriodRefused("That term is not one Safeguard knows.")
    _, label, first_month, last_month = found
    year = int(year_text)
    first = date(year, first_month, 1)
    last = date(year, last_month, 1) + relativedelta(months=1) - timedelta(days=1)
    return Period(first, last, f"{label} {year}", key)


def school_year(start_year: int) -> Period:
    return Period(
        date(start_year, 9, 1),
        date(start_year + 1, 8, 31),
        f"School year {start_year} to {start_year + 1}",
        f"year-{start_year}",
    )


def term_of(day: date) -> Period:
    for name, _label, first_month, last_month in TERMS:
        if first_month <= day.month <= last_month:
            return term(f"{name}-{day.year}")
    raise AssertionError("every month is in a term")


def school_year_of(day: date) -> Period:
    return school_year(day.year if day.month >= 9 else day.year - 1)


def period_choices(today: date) -> list[Period]:
    """What the report's period list offers: this term and the five before it, this school year and the last."""
    terms, day = [], today
    for _ in range(6):
        found = term_of(day)
        terms.append(found)
        day = found.first - timedelta(days=1)
    this_year = school_year_of(today)
    return [*terms, this_year, school_year(this_year.first.year - 1)]


def period_from(params, *, today: date) -> Period:
    """The period a report's query string names: `period=autumn-2026` or `year-2026`, or `from` and `to` dates;
    this term when none is named. Raises PeriodRefused for a period a report cannot cover."""
    key = params.get("period", "")
    if key.startswith("year-"):
        year = key.removeprefix("year-")
        if not year.isdigit():
            raise PeriodRefused("That school year is not one Safeguard knows.")
        return school_year(int(year))
    if key:
        return term(key)
    if not params.get("from") and not params.get("to"):
        return term_of(today)
    try:
        first, last = date.fromisoformat(params.get("from", "")), date.fromisoformat(params.get("to", ""))
    except ValueError:
        raise PeriodRefused("Give both dates of the period, as day, month and year.") from None
    if last < first:
        raise PeriodRefused("The period ends before it starts.")
    if last >= first + LONGEST:
        raise PeriodRefused("A report covers three years at most.")
    if first.year < 2000:
        raise PeriodRefused("The period starts before Safeguard holds records.")
    return Period(first, last, "Chosen dates")
