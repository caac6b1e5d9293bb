"""Behind a reverse proxy, the audit trail records the client's address that the proxy passes on, never one the
client chose, and never the proxy's own."""

import pytest

from safeguarding.audit.models import AuditEvent
from tests.personas import signed_in_client

pytestmark = pytest.mark.django_db


def address_recorded(world, **headers):
    signed_in_client(world.dsl).get("/queue/", headers=headers, REMOTE_ADDR="127.0.0.1")
    return AuditEvent.objects.filter(user_uuid=world.dsl.uuid).latest("id").ip


def test_behind_a_proxy_the_trail_records_the_address_the_proxy_gives(world, settings):
    settings.CLIENT_ADDRESS_HEADER = "X-Real-IP"

    assert address_recorded(world, **{"X-Real-IP": "203.0.113.9"}) == "203.0.113.9"


def test_without_a_proxy_header_set_the_connection_address_is_recorded(world, settings):
    settings.CLIENT_ADDRESS_HEADER = ""

    assert address_recorded(world, **{"X-Real-IP": "203.0.113.9"}) == "127.0.0.1"


@pytest.mark.parametrize("value", ["203.0.113.9, 10.0.0.1", "not an address", ""])
def test_a_header_that_is_not_one_address_is_ignored(world, settings, value):
    settings.CLIENT_ADDRESS_HEADER = "X-Real-IP"

    assert address_recorded(world, **{"X-Real-IP": value}) == "127.0.0.1"
