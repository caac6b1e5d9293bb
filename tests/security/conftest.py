import pytest
from django.contrib.auth.hashers import make_password

from safeguarding.accounts.models import User
from tests.factories import PASSWORD


@pytest.fixture(autouse=True)
def generous_rate_limits(settings):
    """The tests here send hundreds of requests as one person to probe forms and permissions; they must reach the
    forms, not the rate limiter. test_rate_limits.py sets its own small limits on top of these."""
    settings.RATE_LIMITS = {action: (100_000, seconds) for action, (_, seconds) in settings.RATE_LIMITS.items()}


@pytest.fixture
def cheap_passwords(settings, world):
    """A fast hasher for tests that sign in hundreds of times: Argon2 is slow on purpose, which is not their subject.
    The personas keep their password, hashed the fast way."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *settings.PASSWORD_HASHERS]
    User.objects.filter(pk__in=[user.pk for user in world.people.values()]).update(password=make_password(PASSWORD))


@pytest.fixture
def signed_in(world):
    """A signed-in client for each person, made once for a test and used by every example it runs."""
    from tests.personas import signed_in_client

    clients = {}

    def client(person: str):
        if person not in clients:
            clients[person] = signed_in_client(world.people[person])
        return clients[person]

    return client
