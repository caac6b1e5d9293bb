"""The one spelling of an email address that storage, sign-in and the lock-out all use.

If the lock-out counted failures under one spelling and the account were found under another (PostgreSQL's
upper-casing takes a dotless ı for an I), a locked account could be opened again by writing its address with
look-alike letters. So every path turns the address into this spelling first and compares it exactly.
"""

import re
import unicodedata

# Printable ASCII without spaces. The `user_email_plain` constraint in the database holds the same rule.
PLAIN_EMAIL = r"^[!-~]+$"
_PLAIN = re.compile(PLAIN_EMAIL)

NOT_PLAIN_MESSAGE = (
    "Write the email address with the letters a to z, digits and the usual signs such as . - _ and @. "
    "Letters with accents or from other alphabets cannot be used in an address here."
)


class EmailNotPlain(ValueError):
    """An address with no single safe spelling."""


def email_normalise(address: str) -> str:
    """The address as it is stored, looked up and counted for lock-outs: NFKC, case-folded and trimmed.

    Raises EmailNotPlain when what is left is not plain ASCII (a dotless ı stays non-ASCII under case-folding
    while the database reads it as an I) or would change if normalised again.
    """
    normalised = _fold(address)
    if not _PLAIN.fullmatch(normalised) or _fold(normalised) != normalised:
        raise EmailNotPlain(NOT_PLAIN_MESSAGE)
    return normalised


def _fold(address: str) -> str:
    return unicodedata.normalize("NFKC", address).casefold().strip()
