"""The safeguarding domain: children, indicators, concerns, reviews, decisions and referrals."""

from referrals.models.children import Child, RollStatus, SendStatus, Sex, YearGroup

__all__ = ["Child", "RollStatus", "SendStatus", "Sex", "YearGroup"]
