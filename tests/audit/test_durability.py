"""Reads and refusals are committed through their own connection before any data leaves."""

import pytest
from django.db import DatabaseError, connections, transaction
from django.test import Client

from safeguarding.audit.events import EventType
from safeguarding.audit.models import AuditEvent
from safeguarding.audit.record import record
from tests.factories import ChildFactory
from tests.personas import build_world, signed_in_client

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "audit"])


def committed_events(**filters):
    """Read through a fresh connection, so only committed rows count."""
    connections["audit"].close()
    return AuditEvent.objects.using("audit").filter(**filters)


def test_a_read_survives_when_the_request_then_fails(audit_connection):
    with pytest.raises(RuntimeError), transaction.atomic():
        record(EventType.VIEW, object_type="page", reason="read before the failure")
        raise RuntimeError("the view failed after reading")

    assert committed_events(reason="read before the failure").exists()


def test_a_refused_request_leaves_its_event_although_the_view_raised(audit_connection):
    world = build_world()
    pupil = ChildFactory(school=world.northfield, legal_first_name="Jade", legal_last_name="Turner")

    response = signed_in_client(world.riverside_office).get(f"/schools/{world.northfield.uuid}/pupils/{pupil.uuid}/")

    assert response.status_code == 404
    (event,) = committed_events(event_type=EventType.ACCESS_REFUSED, user_uuid=world.riverside_office.uuid)
    assert event.object_uuid == pupil.uuid
    assert event.reason == "not found"


def test_a_failing_audit_write_gives_an_error_page_and_no_child_data(audit_connection, monkeypatch):
    world = build_world()
    pupil = ChildFactory(school=world.northfield, legal_first_name="Zebedee", legal_last_name="Quartermaine")
    client = signed_in_client(world.office)

    def broken_insert(event, *, using):
        raise DatabaseError("the audit database is unavailable")

    monkeypatch.setattr("safeguarding.audit.record._insert", broken_insert)
    client = Client(raise_request_exception=False)
    client.cookies = signed_in_client(world.office).cookies

    response = client.get(f"/schools/{world.northfield.uuid}/pupils/{pupil.uuid}/")

    assert response.status_code == 500
    page = response.content.decode()
    assert "Zebedee" not in page and "Quartermaine" not in page
    assert "Sorry, something went wrong" in page
