import pytest

from safeguarding.audit.events import EventType
from safeguarding.audit.models import AuditEvent
from tests.factories import ChildFactory
from tests.personas import sign_in_with_code, signed_in_client


def table(response) -> str:
    page = response.content.decode()
    return page[page.index("<tbody>") : page.index("</tbody>")]


@pytest.fixture
def pupil(world):
    return ChildFactory(school=world.northfield, legal_first_name="Jade", legal_last_name="Turner")


@pytest.mark.parametrize(
    ("person", "status"),
    [
        ("dsl", 200),
        ("trustlead", 200),
        ("auditor", 200),
        ("riverside_dsl", 200),
        ("deputy", 403),
        ("teacher", 403),
        ("admin", 403),
        ("office", 403),
    ],
)
def test_who_may_read_the_audit_trail(world, person, status):
    response = signed_in_client(world.people[person]).get("/audit/")

    assert response.status_code == status
    expected = EventType.AUDIT_READ if status == 200 else EventType.ACCESS_REFUSED
    assert AuditEvent.objects.filter(user_uuid=world.people[person].uuid, event_type=expected).exists()


def test_each_dsl_reads_their_own_schools_trail_only(world, pupil):
    signed_in_client(world.office).get(f"/schools/{world.northfield.uuid}/pupils/{pupil.uuid}/")

    riverside = signed_in_client(world.riverside_dsl).post("/audit/", {"event_type": "view"})
    northfield = signed_in_client(world.dsl).post("/audit/", {"event_type": "view"})

    assert "0 events" in riverside.content.decode()
    assert "1 event," in northfield.content.decode()
    assert "Jade Turner" in northfield.content.decode()


def test_the_audit_trail_filters_by_person_and_child(world, pupil):
    signed_in_client(world.office).get(f"/schools/{world.northfield.uuid}/pupils/{pupil.uuid}/")
    signed_in_client(world.admin).get(f"/schools/{world.northfield.uuid}/pupils/")
    client = signed_in_client(world.dsl)

    by_person = table(client.post("/audit/", {"person": str(world.admin.uuid)}))
    by_type = table(client.post("/audit/", {"event_type": "view"}))

    assert "Admin" in by_person and "Office" not in by_person
    assert "Office" in by_type and "Admin" not in by_type


def test_the_auditor_sees_upns_not_names(world, pupil):
    pupil.upn = ""
    pupil.save()
    signed_in_client(world.office).get(f"/schools/{world.northfield.uuid}/pupils/{pupil.uuid}/")

    page = signed_in_client(world.auditor).get("/audit/").content.decode()

    assert "Jade Turner" not in page
    assert "no UPN" in page


def test_who_viewed_lists_the_accesses_in_order(world, pupil):
    url = f"/schools/{world.northfield.uuid}/pupils/{pupil.uuid}/"
    signed_in_client(world.office).get(url)
    signed_in_client(world.admin).get(url)

    response = signed_in_client(world.dsl).get(f"/children/{pupil.uuid}/access/")

    assert response.status_code == 200
    rows = table(response)
    assert rows.index("Office") < rows.index("Admin") < rows.index("Dsl")
    assert rows.count("School admin") == 2
    assert rows.count("Viewed") == 2
    assert "the pupil roster" in rows and "child_roster" not in rows


@pytest.mark.parametrize(
    ("person", "status"),
    [
        ("deputy", 200),
        ("trustlead", 200),
        ("teacher", 404),
        ("office", 404),
        ("riverside_dsl", 404),
        ("elsewhere_dsl", 404),
    ],
)
def test_who_may_see_who_viewed_a_child(world, pupil, person, status):
    response = signed_in_client(world.people[person]).get(f"/children/{pupil.uuid}/access/")

    assert response.status_code == status
    if status == 404:
        assert AuditEvent.objects.filter(
            user_uuid=world.people[person].uuid, event_type=EventType.ACCESS_REFUSED, child_uuid=pupil.uuid
        ).exists()


def test_a_child_that_does_not_exist_looks_the_same_as_one_out_of_scope(world):
    import uuid

    response = signed_in_client(world.teacher).get(f"/children/{uuid.uuid4()}/access/")

    assert response.status_code == 404


def test_the_dsl_sees_sign_ins_and_refusals_of_their_staff(world):
    from django.test import Client

    from tests.factories import PASSWORD

    sign_in_with_code(Client(), world.teacher, PASSWORD)
    signed_in_client(world.teacher).get("/queue/")
    client = signed_in_client(world.dsl)

    sign_ins = table(client.post("/audit/", {"event_type": "login"}))
    refusals = table(client.post("/audit/", {"event_type": "access_refused"}))
    other_school = table(signed_in_client(world.riverside_dsl).post("/audit/", {"event_type": "login"}))

    assert "Teacher" in sign_ins
    assert "Teacher" in refusals
    assert "Teacher" not in other_school


def test_the_auditor_finds_a_childs_upn_by_name_and_filters_the_trail_by_it(world):
    from referrals.upn import make_upn

    upn = make_upn(la_code=886, establishment=4001, year=12, serial=77)
    jade = ChildFactory(school=world.northfield, legal_first_name="Jade", legal_last_name="Turner", upn=upn)
    ChildFactory(school=world.elsewhere, legal_first_name="Jade", legal_last_name="Turnbull")
    signed_in_client(world.dsl).get(f"/children/{jade.uuid}/")
    client = signed_in_client(world.auditor)

    found = client.post("/audit/", {"child_name": "jade tur"}).content.decode()

    assert upn in found and "Turnbull" not in found  # the auditor's scope is the trust
    lookup = AuditEvent.objects.get(object_type="audit_child_lookup", user_uuid=world.auditor.uuid)
    assert lookup.shown_ids == [str(jade.uuid)] and lookup.search_hash and "jade" not in str(lookup.detail).lower()
    filtered = client.post("/audit/", {"child_upn": upn})
    assert filtered.status_code == 200 and "No events match." not in table(filtered)
    assert client.get(f"/children/{jade.uuid}/").status_code == 404  # the search opens no file


def test_the_auditors_home_lists_recent_unusual_access(world):
    from django.utils import timezone

    from safeguarding.audit.models import AuditAlert

    AuditAlert.objects.create(
        school_uuid=world.northfield.uuid,
        user_uuid=world.teacher.uuid,
        kind=AuditAlert.Kind.choices[0][0],
        window_start=timezone.now(),
        children=31,
    )

    home = signed_in_client(world.auditor).get("/").content.decode()

    assert "Recent unusual access" in home and "31 children's records" in home
