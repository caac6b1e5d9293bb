"""The safeguarding domain: children, indicators, concerns, reviews, decisions and referrals."""
