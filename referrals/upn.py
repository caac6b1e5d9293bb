"""Unique Pupil Numbers: 13 characters, a check letter then 12 characters (DfE's UPN guidance).

The check letter is worked out from the other twelve: each is weighted by its position (2 to 13), the
weighted values are summed, and the remainder after dividing by 23 picks a letter from a 23-letter alphabet
that leaves out I, O and S. A temporary UPN ends in a letter instead of a digit; that letter counts as its
place in the same alphabet.
"""

import re

CHECK_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
UPN_PATTERN = re.compile(r"^[A-Z][0-9]{11}[0-9A-Z]$")  # ASCII digits: \d would take any script's


def check_letter(body: str) -> str:
    """The check letter for the twelve characters after it."""
    total = 0
    for weight, character in enumerate(body, start=2):
        value = int(character) if character.isdigit() else CHECK_LETTERS.index(character)
        total += value * weight
    return CHECK_LETTERS[total % 23]


def upn_problem(upn: str) -> str | None:
    """Why `upn` is not a valid UPN, or None when it is."""
    if len(upn) != 13:
        return "must be 13 characters"
    if not UPN_PATTERN.match(upn):
        return "must be a letter, 11 digits, then a digit or letter"
    last = upn[-1]
    if not last.isdigit() and last not in CHECK_LETTERS:
        return "ends in a letter that is not used in UPNs"
    if upn[0] != check_letter(upn[1:]):
        return "has the wrong check letter"
    return None


def normalise_upn(raw: str) -> str:
    return raw.strip().upper().replace(" ", "")


def make_upn(*, la_code: int, establishment: int, year: int, serial: int) -> str:
    body = f"{la_code:03d}{establishment:04d}{year % 100:02d}{serial:03d}"
    return check_letter(body) + body
