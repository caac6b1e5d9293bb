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

__all__ = [
    "AUTHOR_STATUS",
    "Addendum",
    "Attachment",
    "Basis",
    "Child",
    "Concern",
    "ConcernDraft",
    "ConcernIndicator",
    "ConcernStatus",
    "Escalation",
    "Incident",
    "Indicator",
    "IndicatorCategory",
    "IndicatorKind",
    "Notification",
    "RollStatus",
    "SeedSign",
    "SendStatus",
    "Sex",
    "Urgency",
    "YearGroup",
]
