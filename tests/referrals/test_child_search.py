"""Any pupil's file, one search away, for the safeguarding team only."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from referrals.upn import make_upn
from safeguarding.audit.events import EventType
from safeguarding.audit.models import AuditEvent
from tests.concerns import concern_by
from tests.factories import ChildFactory
from tests.personas import signed_in_client

UPN = make_upn(la_code=886, establishment=4001, year=13, serial=417)


@pytest.fixture
def quiet_child(world):
    """A pupil nobody has raised a concern about."""
    return ChildFactory(
        school=world.northfield,
        legal_first_name="Marisol",
        legal_last_name="Quennell",
        year_group="8",
        date_of_birth="2013-05-02",
        upn=UPN,
    )


def test_the_dsl_finds_a_child_with_no_open_concern_by_name_and_opens_the_file(world, quiet_child):
    client = signed_in_client(world.dsl)

    page = client.post("/children/", {"text": "quenn"}).content.decode()
    opened = client.get(f"/children/{quiet_child.uuid}/")

    assert "Quennell, Marisol" in page and f"/children/{quiet_child.uuid}/" in page
    assert opened.status_code == 200 and "No concerns recorded." in opened.content.decode()
    search = AuditEvent.objects.get(event_type=EventType.SEARCH, object_type="child", user_uuid=world.dsl.uuid)
    assert search.shown_ids == [str(quiet_child.uuid)] and search.search_hash
    assert "quenn" not in str(search.__dict__).lower()


@pytest.mark.parametrize(
    "criteria", [{"text": UPN}, {"text": UPN.lower()}, {"year_group": "8"}, {"date_of_birth": "2013-05-02"}]
)
def test_a_upn_a_year_group_or_a_date_of_birth_finds_the_child_too(world, quiet_child, criteria):
    page = signed_in_client(world.deputy).post("/children/", criteria).content.decode()
    assert "Quennell, Marisol" in page


def test_the_trust_lead_finds_children_of_every_school_of_the_trust(world, quiet_child):
    ChildFactory(school=world.riverside, legal_first_name="Tomasz", legal_last_name="Quennell")
    page = signed_in_client(world.trustlead).post("/children/", {"text": "Quennell"}).content.decode()
    assert "Quennell, Marisol" in page and "Quennell, Tomasz" in page


def test_the_other_schools_dsl_does_not_find_the_child(world, quiet_child):
    page = signed_in_client(world.riverside_dsl).post("/children/", {"text": "Quennell"}).content.decode()
    assert "Quennell" not in page.split("<tbody>")[1]


def test_a_teacher_gets_403_on_the_search_and_404_on_the_file(world, quiet_child):
    client = signed_in_client(world.teacher)
    assert client.get("/children/").status_code == 403
    assert client.post("/children/", {"text": "Quennell"}).status_code == 403
    assert client.get(f"/children/{quiet_child.uuid}/").status_code == 404


def test_an_empty_search_asks_for_something_to_search_by(world):
    response = signed_in_client(world.dsl).post("/children/", {"text": " "})
    assert response.status_code == 400 and "Type a name or a UPN" in response.content.decode()


def test_the_file_lists_every_concern_open_and_closed(world, quiet_child):
    from referrals.services.reviews import concern_acknowledge, concern_close, decision_record

    closed = concern_by(world.teacher, quiet_child, with_file=False)
    concern_acknowledge(actor=world.dsl, context=None, concern=closed)
    decision_record(
        actor=world.dsl,
        context=None,
        concern=closed,
        outcomes=["nfa"],
        rationale="Fine",
        threshold="",
        next_review=timezone.localdate() + timedelta(weeks=6),
    )
    concern_close(actor=world.dsl, context=None, concern=closed, summary="a", follow_up="b", outcome="c")
    still_open = concern_by(world.teacher, quiet_child, with_file=False)

    page = signed_in_client(world.dsl).get(f"/children/{quiet_child.uuid}/").content.decode()

    concerns = page.split('id="concerns-heading"')[1].split("</section>")[0]
    assert closed.reference in concerns and still_open.reference in concerns and "(closed)" in concerns


def test_the_search_costs_the_same_queries_for_three_pupils_as_for_sixty(world):
    client = signed_in_client(world.dsl)
    for n in range(3):
        ChildFactory(school=world.northfield, legal_last_name=f"Ashdown{n}")
    client.post("/children/", {"text": "Ashdown"})
    with CaptureQueriesContext(connection) as few:
        response = client.post("/children/", {"text": "Ashdown"})
    assert response.status_code == 200
    for n in range(3, 60):
        ChildFactory(school=world.northfield, legal_last_name=f"Ashdown{n}")
    with CaptureQueriesContext(connection) as many:
        response = client.post("/children/", {"text": "Ashdown"})
    assert response.status_code == 200 and response.content.decode().count("Ashdown") >= 50
    assert len(many) == len(few)
