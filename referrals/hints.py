"""Gentle hints on how a concern is written. They are shown beside the form and never stop anyone submitting."""

import re

INITIALS = re.compile(r"\b[A-Z]\.\s?[A-Z]\.?(?=\W|$)|\b[A-Z]{2}\b(?!\w)")
OPINION_WORDS = (
    "i think",
    "i feel",
    "i believe",
    "seems",
    "seemed",
    "probably",
    "obviously",
    "clearly",
    "attention seeking",
    "attention-seeking",
    "lying",
    "manipulative",
    "drama",
)
BLAMING_PHRASES = (
    "putting herself at risk",
    "putting himself at risk",
    "putting themselves at risk",
    "put herself at risk",
    "put himself at risk",
    "promiscuous",
    "prostitut",
    "asking for it",
    "lifestyle choice",
    "she consented",
    "he consented",
    "willing participant",
)
FACT_MARKERS = ("said", "told", "saw", "heard", "noticed", "watched", '"', "“")


def writing_hints(*, account: str, child_words: str, disclosure_ticked: bool) -> list[str]:
    hints = []
    text = account.lower()
    if INITIALS.search(account):
        hints.append("Use full names rather than initials, so the record is clear to whoever reads it later.")
    if any(word in text for word in OPINION_WORDS) and not any(marker in text for marker in FACT_MARKERS):
        hints.append("Say what you saw or heard. If you add your view, say it is your view and what it is based on.")
    if any(phrase in text for phrase in BLAMING_PHRASES):
        hints.append(
            "Avoid words that suggest the child is to blame (such as “putting herself at risk”): a child cannot "
            "consent to their own exploitation. Describe what happened instead."
        )
    if disclosure_ticked and not child_words.strip():
        hints.append("You ticked that the child told you something: write their exact words in their own box.")
    return hints
