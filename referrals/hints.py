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
# Words that make a child responsible for the harm done to them (REQUIREMENTS.md R8.5: children do not "put
# themselves at risk"). Each is a pattern over lower-case text, so that its variants are caught too.
_SELF = r"(?:her|him|them|my|your|our)sel(?:f|ves)"
BLAMING_PATTERNS = (
    # "put herself at risk", "putting themselves in sexual danger", "puts himself into harm's way"
    rf"\bput(?:s|ting)?\s+{_SELF}\s+(?:\w+\s+){{0,2}}(?:at\s+(?:\w+\s+)?risk|in(?:to)?\s+(?:\w+\s+)?(?:danger|harm|risk)|in\s+harm.s\s+way)",
    # "putting them or others at risk" said of the child's own behaviour
    r"\b(?:own|child.s)\s+(?:\w+\s+){0,3}(?:behaviou?r|actions?|choices?)\s+(?:is\s+|are\s+)?"
    r"put(?:s|ting)?\s+(?:her|him|them)\b",
    rf"\b(?:placing|places|placed|exposing|exposes|exposed)\s+{_SELF}\s+(?:to|at|in)\b",
    r"\b(?:choos(?:e|es|ing)|chose|chosen)\s+to\b",
    r"(?<!not )(?<!never )(?<!n't )\bconsent(?:s|ed|ing)\s+to\b",
    r"\b(?:she|he|they)\s+consented\b",
    r"(?<!non-)(?<!non)\bconsensual(?:ly)?\b",
    r"\bpromiscu",
    r"\bprostitut",
    r"\basking\s+for\s+it\b",
    r"\blifestyle\s+choice",
    r"\bwilling(?:ly)?\s+(?:participant|went|took\s+part|involved)",
    r"\bsexually\s+active\b",
    r"\brisk[- ]taking\s+behaviou?r",
)
BLAMING = re.compile("|".join(f"(?:{pattern})" for pattern in BLAMING_PATTERNS))
BLAMING_HINT = (
    "Avoid words that make the child responsible (such as “putting herself at risk” or “chose to”): "
    "a child cannot consent to their own abuse or exploitation. Say what happened, and who did it."
)


def blaming_words(text: str) -> list[str]:
    """The words in `text` that make a child responsible for harm done to them, as written."""
    return [match.group(0) for match in BLAMING.finditer(" ".join(text.lower().split()))]


FACT_MARKERS = ("said", "told", "saw", "heard", "noticed", "watched", '"', "“")


def writing_hints(*, account: str, child_words: str, disclosure_ticked: bool) -> list[str]:
    hints = []
    text = account.lower()
    if INITIALS.search(account):
        hints.append("Use full names rather than initials, so the record is clear to whoever reads it later.")
    if any(word in text for word in OPINION_WORDS) and not any(marker in text for marker in FACT_MARKERS):
        hints.append("Say what you saw or heard. If you add your view, say it is your view and what it is based on.")
    if blaming_words(account):
        hints.append(BLAMING_HINT)
    if disclosure_ticked and not child_words.strip():
        hints.append("You ticked that the child told you something: write their exact words in their own box.")
    return hints
