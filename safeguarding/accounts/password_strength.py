"""Refusing passwords that are easy to guess (REQUIREMENTS.md R12), beside Django's own validators.

zxcvbn (MIT licence) estimates how many guesses a password would take, from the frequency lists it ships with: common
passwords, English words from Wikipedia and film and television, first names and surnames, keyboard patterns, dates
and repeats. It runs here, with no network. A password must score at least MINIMUM_SCORE of 4: "safely unguessable"
against an attacker who can make many guesses offline.
"""

from django.core.exceptions import ValidationError
from zxcvbn import zxcvbn

MINIMUM_SCORE = 3
CHECKED_LENGTH = 72  # zxcvbn refuses longer input (it slows sharply); a longer password is not weaker for it


class GuessablePasswordValidator:
    """Refuse a password zxcvbn scores under MINIMUM_SCORE, saying why in plain words."""

    def validate(self, password, user=None):
        hints = []
        if user is not None:
            email = getattr(user, "email", "") or ""
            hints = [part for part in (email, email.split("@")[0], getattr(user, "full_name", "")) if part]
            hints += (getattr(user, "full_name", "") or "").split()
        result = zxcvbn(password[:CHECKED_LENGTH], user_inputs=[hint[:CHECKED_LENGTH] for hint in hints])
        if result["score"] >= MINIMUM_SCORE:
            return
        warning = result["feedback"].get("warning") or "It would be easy to guess."
        suggestions = " ".join(result["feedback"].get("suggestions") or [])
        message = f"This password is too easy to guess. {warning} {suggestions}".strip()
        raise ValidationError(
            message + " A few unrelated words together make a strong password that is easy to remember.",
            code="password_guessable",
        )

    def get_help_text(self):
        return "It must not be easy to guess: a few unrelated words together work well."
