"""Floors under a concern's urgency (REQUIREMENTS.md R8.3): what makes a concern immediate whatever urgency its author
chose, and when the DSL is prompted to refer to children's social care and the police.

- A disclosure by the child.
- Sexual activity involving a child under 13: in law a child under 13 cannot consent to it.
- A child with a learning disability and a sign of harm: one step more urgent than chosen.

The rules are a pure function of the signs ticked, the child's age when it happened and the learning-disability flag,
so the queue, the form and the review page all give the same answer.
"""

from dataclasses import dataclass
from datetime import date

from referrals.models import IndicatorKind, Urgency

# Signs that involve a child in sexual activity, or point to it.
SEXUAL_ACTIVITY = frozenset(
    {
        "ABUSE-SEXUAL",
        "COC-SEXUAL-VIOLENCE",
        "COC-NO-CONSENT",
        "EXP-CSE",
        "SIG-RISKY-SEX",
        "SIG-SEXUAL-HEALTH",
    }
)
# Reports of sexual violence and of sexual harassment between children (KCSIE Part five; REQUIREMENTS.md R3.7).
SEXUAL_VIOLENCE = frozenset({"COC-SEXUAL-VIOLENCE", "COC-NO-CONSENT"})
SEXUAL_HARASSMENT = frozenset({"COC-SEXUAL-HARASSMENT", "COC-UPSKIRTING"})
AGE_OF_NO_CONSENT = 13  # Sexual Offences Act 2003, sections 5 to 8
ORDER = (Urgency.ROUTINE, Urgency.TODAY, Urgency.IMMEDIATE)


@dataclass(frozen=True)
class Floor:
    urgency: str
    reasons: tuple[str, ...] = ()
    refer: bool = False  # prompt a referral to children's social care and the police


def age_on(born: date | str, day: date) -> int:
    """Whole years from `born` to `day` (a date given as text, as an unsaved form gives it, is read first)."""
    born = date.fromisoformat(born) if isinstance(born, str) else born
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _higher(one: str, other: str) -> str:
    return max(one, other, key=ORDER.index)


def urgency_floor(
    *, chosen: str, signs: list[tuple[str, str]], age: int | None, learning_disability: bool = False
) -> Floor:
    """The concern's urgency with its floors applied, why, and whether a referral is prompted. `signs` are
    (code, kind) pairs; `age` is the child's age when it happened (None for a child not on the roll)."""
    codes = {code for code, _kind in signs}
    kinds = {kind for _code, kind in signs}
    urgency, reasons, refer = chosen, [], False
    if IndicatorKind.DISCLOSURE in kinds:
        urgency, refer = Urgency.IMMEDIATE, True
        reasons.append("The child disclosed harm: refer to children's social care, and to the police if a crime.")
    if age is not None and age < AGE_OF_NO_CONSENT and codes & SEXUAL_ACTIVITY:
        urgency, refer = Urgency.IMMEDIATE, True
        reasons.append(
            "Sexual activity involving a child under 13, who cannot consent in law: refer to children's social care "
            "and the police."
        )
    if learning_disability and IndicatorKind.SIGN_OF_HARM in kinds and urgency != Urgency.IMMEDIATE:
        raised = ORDER[min(ORDER.index(chosen) + 1, len(ORDER) - 1)]
        if ORDER.index(raised) > ORDER.index(urgency):
            urgency = raised
            reasons.append("A sign of harm for a child with a learning disability: one step more urgent.")
    return Floor(urgency=_higher(urgency, chosen), reasons=tuple(reasons), refer=refer)


def concern_floor(concern) -> Floor:
    """The floor of a recorded concern, from its signs as ticked and its child as the roll has them."""
    child = concern.child
    age = age_on(child.date_of_birth, concern.observed_at.date()) if child is not None else None
    signs = [(row.indicator.code, row.indicator.kind) for row in concern.indicators.all()]
    return urgency_floor(
        chosen=concern.urgency,
        signs=signs,
        age=age,
        learning_disability=bool(child and child.learning_disability),
    )
