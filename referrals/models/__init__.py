"""The safeguarding domain: children, indicators, concerns, reviews, decisions and referrals."""

from referrals.models.agency_referrals import OUTCOME_AGENCIES, Agency, AgencyDecision, Referral
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
from referrals.models.exports import ExportRecord
from referrals.models.indicators import Indicator, IndicatorCategory, IndicatorKind, SeedSign
from referrals.models.reviews import (
    CaseNote,
    Closure,
    ConcernMove,
    Decision,
    DecisionOutcome,
    InformationRequest,
    Outcome,
    PatternAlert,
    Threshold,
)

__all__ = [
    "AUTHOR_STATUS",
    "OUTCOME_AGENCIES",
    "Addendum",
    "Agency",
    "AgencyDecision",
    "Attachment",
    "Basis",
    "CaseNote",
    "Child",
    "Closure",
    "Concern",
    "ConcernDraft",
    "ConcernIndicator",
    "ConcernMove",
    "ConcernStatus",
    "Decision",
    "DecisionOutcome",
    "Escalation",
    "ExportRecord",
    "Incident",
    "Indicator",
    "IndicatorCategory",
    "IndicatorKind",
    "InformationRequest",
    "Notification",
    "Outcome",
    "PatternAlert",
    "Referral",
    "RollStatus",
    "SeedSign",
    "SendStatus",
    "Sex",
    "Threshold",
    "Urgency",
    "YearGroup",
]
