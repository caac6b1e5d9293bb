import pytest


@pytest.fixture(params=[1, 2], ids=["one job", "two jobs"])
def jobs(request):
    """verify_audit in one job, and in two, each checking half the chain: both must find the same first problem."""
    return request.param
