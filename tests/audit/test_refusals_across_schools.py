"""A refused probe of another school's record: attributed to that school, shown to its DSL, and shown to the person
refused exactly as a probe of a UUID that names nothing."""

import re
import uuid

import pytest

from referrals.services.reviews import concern_move
from referrals.upn import make_upn
from safeguarding.audit.events import EventType, Outcome
from safeguarding.audit.models import AuditEvent
from tests.concerns import concern_by
from tests.factories import ChildFactory
from tests.personas import signed_in_client


@pytest.fixture
def jade(world):
    return ChildFactory(school=world.northfield, legal_first_name="Jade", legal_last_name="Turner")


def refusal_rows(response) -> list[str]:
    """The trail's rows recording a refusal, without their time (the first cell)."""
    page = response.content.decode()
    body = page[page.index("<tbody>") : page.index("</tbody>")]
    rows = re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)
    return [re.sub(r"^\s*<td>.*?</td>", "", row, count=1, flags=re.S).strip() for row in rows if "Refused" in row]


@pytest.mark.parametrize("prober", ["riverside_dsl", "elsewhere_dsl"])
def test_another_schools_dsl_never_sees_a_childs_name_in_her_audit_trail(world, jade, prober):
    client = signed_in_client(world.people[prober])

    assert client.get(f"/children/{jade.uuid}/").status_code == 404
    assert client.get(f"/children/{uuid.uuid4()}/").status_code == 404
    trail = client.get("/audit/")

    assert trail.status_code == 200
    assert "Jade" not in trail.content.decode() and "Turner" not in trail.content.decode()
    real, random = refusal_rows(trail)
    assert real == random, "the refused person can tell a real child's UUID from a random one"


def test_a_refused_probe_is_recorded_against_the_school_whose_child_was_asked_for(world, jade):
    signed_in_client(world.riverside_dsl).get(f"/children/{jade.uuid}/")

    event = AuditEvent.objects.get(user_uuid=world.riverside_dsl.uuid, event_type=EventType.ACCESS_REFUSED)
    assert event.school_uuid == world.northfield.uuid
    assert event.child_uuid == jade.uuid
    assert event.role == ""  # she holds no role at Northfield


def test_a_probe_of_a_uuid_that_names_nothing_belongs_to_no_school(world):
    asked = uuid.uuid4()
    signed_in_client(world.riverside_dsl).get(f"/children/{asked}/")

    event = AuditEvent.objects.get(user_uuid=world.riverside_dsl.uuid, event_type=EventType.ACCESS_REFUSED)
    assert event.school_uuid is None
    assert event.child_uuid == asked


@pytest.mark.parametrize("prober", ["riverside_dsl", "elsewhere_dsl"])
def test_a_dsl_sees_in_her_trail_who_probed_her_pupils_files_from_other_schools(world, jade, prober):
    signed_in_client(world.people[prober]).get(f"/children/{jade.uuid}/")

    trail = signed_in_client(world.dsl).get("/audit/")
    rows = refusal_rows(trail)

    assert any(world.people[prober].full_name in row and "(no role here)" in row and "Jade" in row for row in rows)
    access = signed_in_client(world.dsl).get(f"/children/{jade.uuid}/access/").content.decode()
    assert world.people[prober].full_name in access


def test_a_probe_of_another_schools_concern_is_recorded_against_that_school(world, jade):
    concern = concern_by(world.teacher, jade)

    response = signed_in_client(world.riverside_dsl).get(f"/queue/{concern.uuid}/")

    assert response.status_code == 404
    event = AuditEvent.objects.get(user_uuid=world.riverside_dsl.uuid, outcome=Outcome.REFUSED)
    assert (event.school_uuid, event.child_uuid, event.object_uuid) == (world.northfield.uuid, jade.uuid, concern.uuid)


def test_a_dsl_sees_who_read_a_concern_before_it_was_moved_into_her_pupils_file(world, jade):
    mia = ChildFactory(
        school=world.northfield, legal_first_name="Mia", legal_last_name="Hart", date_of_birth="2012-05-02"
    )
    concern = concern_by(world.teacher, jade)
    signed_in_client(world.deputy).get(f"/queue/{concern.uuid}/")
    concern_move(actor=world.dsl, context=None, concern=concern, to_child=mia, reason="Logged against the wrong pupil")

    mias_list = signed_in_client(world.dsl).get(f"/children/{mia.uuid}/access/").content.decode()
    jades_list = signed_in_client(world.dsl).get(f"/children/{jade.uuid}/access/").content.decode()

    assert world.deputy.full_name in mias_list
    assert world.deputy.full_name in jades_list


def test_the_trail_filtered_by_a_child_shows_reads_of_records_moved_into_her_file(world, jade):
    mia = ChildFactory(
        school=world.northfield,
        legal_first_name="Mia",
        legal_last_name="Hart",
        date_of_birth="2012-05-02",
        upn=make_upn(la_code=873, establishment=8203, year=2019, serial=7),
    )
    concern = concern_by(world.teacher, jade)
    signed_in_client(world.deputy).get(f"/queue/{concern.uuid}/")
    concern_move(actor=world.dsl, context=None, concern=concern, to_child=mia, reason="Logged against the wrong pupil")

    trail = signed_in_client(world.dsl).post("/audit/", {"child_upn": mia.upn})

    page = trail.content.decode()
    rows = page[page.index("<tbody>") : page.index("</tbody>")]
    assert world.deputy.full_name in rows
