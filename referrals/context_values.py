"""The people, vehicles, places and online handles around a child, as staff type them and as Safeguard compares them.

Two reporters seldom type a thing the same way: "ab12 cde" and "AB12CDE" are one car, "@Jay_99" and "jay_99" one
account, "NF4 2QP" and "NF4" one district. Each kind has one key: what two mentions share when they may be the same
entity. A key is offered to the DSL as a match; it never links anything by itself.
"""

import re

from django.db import models


class ContextKind(models.TextChoices):
    PERSON = "person", "A person of concern"
    VEHICLE = "vehicle", "A vehicle"
    PLACE = "place", "A place"
    HANDLE = "handle", "An online account"


# A UK postcode: the outward code (the district, such as NF4 or SW1A) and, optionally, the inward code.
_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})?$")


def registration_key(text: str) -> str:
    """A vehicle registration upper-cased, with spaces and punctuation taken out: "ab12 cde" is "AB12CDE"."""
    return re.sub(r"[^A-Z0-9]", "", text.upper())


def handle_key(platform: str, handle: str) -> str:
    """An online account as "platform:handle", lower-cased, without a leading @ or spaces."""
    name = re.sub(r"\s+", "", handle).lstrip("@").casefold()
    return f"{' '.join(platform.split()).casefold()}:{name}" if name else ""


def postcode_district(text: str) -> str:
    """The district of a UK postcode ("NF4 2QP" and "nf4" give "NF4"); empty when the text is not a postcode."""
    match = _POSTCODE.match(" ".join(text.upper().split()))
    return match.group(1) if match else ""


def name_key(text: str) -> str:
    """A name or nickname, or a named place, compared without case and with single spaces."""
    return " ".join(text.split()).casefold()


def context_key(
    kind: str, *, name: str = "", registration: str = "", platform: str = "", handle: str = "", postcode: str = ""
) -> str:
    """The key two mentions of the same kind share when they may be the same entity; empty when there is
    nothing to compare by. A place is known by its name, or, with none, by its postcode district."""
    if kind == ContextKind.VEHICLE:
        return registration_key(registration)
    if kind == ContextKind.HANDLE:
        return handle_key(platform, handle)
    if kind == ContextKind.PLACE and not name_key(name):
        district = postcode_district(postcode)
        return f"district:{district}" if district else ""
    return name_key(name)
