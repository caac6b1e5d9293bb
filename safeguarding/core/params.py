"""Values read straight from a request where a Django form would be too much: a filter, a note on a button.

Django's form fields refuse a NUL byte with a message; these helpers are for the values that do not go through a
form. PostgreSQL refuses a NUL byte in text, so a value that kept one would be a server error at the first query
that used it: it is removed (nobody types one on purpose, and no browser shows it).
"""

from django.http import QueryDict


class TextTooLong(ValueError):
    """Free text longer than its field holds; the message names the field and its limit."""


def filter_text(data: QueryDict, name: str, *, max_length: int) -> str:
    """A filter's value: without NUL bytes, cut to the longest value it could ever match."""
    return data.get(name, "").replace("\x00", "")[:max_length]


def posted_text(data: QueryDict, name: str, *, label: str, max_length: int) -> str:
    """Free text typed into a form, without NUL bytes and surrounding spaces; longer than `max_length`, it is
    refused with a message rather than cut short, so nothing is stored that the person did not see kept."""
    text = data.get(name, "").replace("\x00", "").strip()
    if len(text) > max_length:
        raise TextTooLong(f"{label} is too long: it can be at most {max_length:,} characters.")
    return text
