"""The safeguarding domain: children, indicators, concerns, reviews, decisions and referrals."""

from referrals.models.children import Child, RollStatus, SendStatus, Sex, YearGroup
from referrals.models.concerns import (
    AUTHOR_STATUS,
    Addendum,
    Attachment,
    Basis,
    Concern,
    ConcernDraft,
    ConcernIndicator,
    ConcernStatus,
    Escalation,
    Incident,
    Notification,
    Urgency,
)
from referrals.models.indicators import Indicator, IndicatorCategory, IndicatorKind, SeedSign
from referrals.models.reviews import (
    CaseNote,
    Closure,
    Decision,
    DecisionOutcome,
    Outcome,
    PatternAlert,
    Threshold,
)

__all__ = [
    "AUTHOR_STATUS",
    "Addendum",
    "Attachment",
    "Basis",
    "CaseNote",
    "Child",
    "Closure",
    "Concern",
    "ConcernDraft",
    "ConcernIndicator",
    "ConcernStatus",
    "Decision",
    "DecisionOutcome",
    "Escalation",
    "Incident",
    "Indicator",
    "IndicatorCategory",
    "IndicatorKind",
    "Notification",
    "Outcome",
    "PatternAlert",
    "RollStatus",
    "SeedSign",
    "SendStatus",
    "Sex",
    "Threshold",
    "Urgency",
    "YearGroup",
]
