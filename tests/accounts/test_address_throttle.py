"""Failed sign-ins from one address, across any accounts, are throttled (REQUIREMENTS.md R12.7); correct sign-ins
from the same address, a staff room behind one router, never are."""

from django.test import Client

from safeguarding.accounts.models import User
from safeguarding.audit.models import AuditEvent
from tests.factories import PASSWORD, MembershipFactory, totp_device_for
from tests.personas import current_code

STAFF_ROOM = "203.0.113.7"


def attempt(email: str, password: str, address: str = STAFF_ROOM):
    client = Client(REMOTE_ADDR=address)
    return client, client.post("/accounts/login/", {"email": email, "password": password})


def test_failures_from_one_address_across_accounts_are_throttled_at_the_configured_count(world, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "signin_failures": (6, 15 * 60)}
    people = [MembershipFactory(school=world.northfield, role="staff").user for _ in range(6)]

    for person in people:  # one failure each: no account reaches its own lock-out
        _, response = attempt(person.email, "not the password")
        assert response.status_code == 200

    _, refused = attempt(world.teacher.email, PASSWORD)
    assert refused.status_code == 429
    assert "Too many failed sign-ins from this network" in refused.content.decode()
    assert int(refused["Retry-After"]) > 0
    # Another address is not affected.
    _, response = attempt(world.teacher.email, PASSWORD, address="198.51.100.4")
    assert response["Location"] == "/accounts/login/code/"
    assert AuditEvent.objects.filter(reason="rate limit: failed sign-ins from one address").count() == 1


def test_fifty_correct_sign_ins_from_one_address_are_never_slowed(world, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "signin_failures": (30, 15 * 60)}
    people = [MembershipFactory(school=world.northfield, role="staff").user for _ in range(50)]
    for person in people:
        totp_device_for(person)

    for person in people:  # the password, then the code: both from the staff room's one address
        client, response = attempt(person.email, PASSWORD)
        assert response["Location"] == "/accounts/login/code/", person.email
        response = client.post("/accounts/login/code/", {"code": current_code(person)})
        assert response.status_code == 302, person.email
        assert "_auth_user_id" in client.session

    assert User.objects.count() >= 50
