"""Dates as the school sees them: UK time, and dates typed into forms and filters."""

from datetime import date
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def date_or_none(value: str | None) -> date | None:
    """An ISO date from a filter or form value; anything else (empty, malformed, a NUL byte) is no date."""
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None
