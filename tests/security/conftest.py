import pytest


@pytest.fixture(autouse=True)
def generous_rate_limits(settings):
    """The tests here send hundreds of requests as one person to probe forms and permissions; they must reach the
    forms, not the rate limiter. test_rate_limits.py sets its own small limits on top of these."""
    settings.RATE_LIMITS = {action: (100_000, seconds) for action, (_, seconds) in settings.RATE_LIMITS.items()}
