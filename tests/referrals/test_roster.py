import re

import factory
import pytest

from referrals.models import Child, RollStatus
from referrals.upn import make_upn
from tests.factories import ChildFactory
from tests.personas import signed_in_client


@pytest.fixture
def pupil(world):
    return ChildFactory(
        school=world.northfield,
        legal_first_name="Jade",
        legal_last_name="Turner",
        upn=make_upn(la_code=873, establishment=8203, year=2019, serial=1),
        year_group="9",
    )


def roster_url(school, child=None, action=""):
    url = f"/schools/{school.uuid}/pupils/"
    return url + (f"{child.uuid}/" if child else "") + action


def roster_values(child, **changes):
    values = {
        "legal_first_name": child.legal_first_name,
        "legal_last_name": child.legal_last_name,
        "preferred_name": child.preferred_name,
        "date_of_birth": child.date_of_birth,
        "upn": child.upn,
        "year_group": child.year_group,
        "sex": child.sex,
        "gender": child.gender,
        "send": child.send,
        "roll_status": child.roll_status,
        "left_on": "",
        "destination": "",
    }
    values.update(changes)
    return values


def test_school_admin_edits_a_pupils_roster_details(world, pupil):
    client = signed_in_client(world.office)

    response = client.post(
        roster_url(world.northfield, pupil), roster_values(pupil, preferred_name="JJ", year_group="10")
    )

    assert response.status_code == 302
    pupil.refresh_from_db()
    assert pupil.preferred_name == "JJ"
    assert pupil.year_group == "10"


def test_the_edit_form_shows_the_date_of_birth_in_the_date_pickers_format(world, pupil):
    page = signed_in_client(world.office).get(roster_url(world.northfield, pupil)).content.decode()

    assert re.search(r'<input type="date" name="date_of_birth" value="2012-03-14"', page)


def test_school_admin_cannot_set_the_safeguarding_flags(world, pupil):
    client = signed_in_client(world.office)

    client.post(roster_url(world.northfield, pupil), roster_values(pupil, cp_plan="on", looked_after="on"))

    pupil.refresh_from_db()
    assert not pupil.cp_plan
    assert not pupil.looked_after
    page = client.get(roster_url(world.northfield, pupil)).content.decode()
    assert 'name="cp_plan"' not in page
    assert 'name="looked_after"' not in page


def test_the_roster_service_refuses_safeguarding_fields(world, pupil):
    from referrals.services.children import child_update_roster

    with pytest.raises(ValueError, match="cp_plan"):
        child_update_roster(actor=world.office, child=pupil, values={"cp_plan": True})


@pytest.mark.parametrize(
    ("person", "status"),
    [("office", 200), ("admin", 200), ("riverside_office", 404), ("riverside_dsl", 404), ("elsewhere_dsl", 404)],
)
def test_who_opens_a_pupils_roster_page(world, pupil, person, status):
    assert signed_in_client(world.people[person]).get(roster_url(world.northfield, pupil)).status_code == status


@pytest.mark.parametrize("person", ["teacher", "deputy", "dsl", "trustlead", "auditor"])
def test_members_of_the_school_without_the_roster_role_are_refused(world, pupil, person):
    assert signed_in_client(world.people[person]).get(roster_url(world.northfield, pupil)).status_code == 403


def test_a_school_admin_of_the_other_school_cannot_edit_the_pupil(world, pupil):
    client = signed_in_client(world.riverside_office)

    response = client.post(roster_url(world.northfield, pupil), roster_values(pupil, legal_last_name="Changed"))

    assert response.status_code == 404
    pupil.refresh_from_db()
    assert pupil.legal_last_name == "Turner"


def test_a_pupil_of_another_school_is_not_found_through_this_school(world, pupil):
    client = signed_in_client(world.riverside_office)

    assert client.get(roster_url(world.riverside, pupil)).status_code == 404


def test_school_admin_adds_a_pupil(world):
    client = signed_in_client(world.office)
    upn = make_upn(la_code=873, establishment=8203, year=2020, serial=7)

    response = client.post(
        roster_url(world.northfield, action="new/"),
        {
            "legal_first_name": "Kian",
            "legal_last_name": "Walsh",
            "date_of_birth": "2013-01-02",
            "upn": upn.lower(),
            "year_group": "8",
            "sex": "M",
            "send": "none",
            "roll_status": RollStatus.ON_ROLL,
        },
    )

    assert response.status_code == 302
    assert Child.objects.get(school=world.northfield, upn=upn).legal_first_name == "Kian"


def test_a_wrong_upn_is_refused_with_a_message(world, pupil):
    client = signed_in_client(world.office)

    response = client.post(roster_url(world.northfield, pupil), roster_values(pupil, upn="B123456789012"))

    assert response.status_code == 200
    assert "wrong check letter" in response.content.decode()


def test_search_travels_in_the_request_body_and_finds_by_name_upn_and_year(world, pupil):
    ChildFactory(school=world.northfield, legal_first_name="Ben", legal_last_name="Cole", year_group="10")
    client = signed_in_client(world.office)
    url = roster_url(world.northfield)

    by_name = client.post(url, {"text": "turn"}).content.decode()
    by_upn = client.post(url, {"text": pupil.upn.lower()}).content.decode()
    by_year = client.post(url, {"year_group": "10"}).content.decode()

    assert "Turner, Jade" in by_name and "Cole, Ben" not in by_name
    assert "Turner, Jade" in by_upn and "Cole, Ben" not in by_upn
    assert "Cole, Ben" in by_year and "Turner, Jade" not in by_year
    assert 'method="post"' in by_name


def test_the_roster_is_paginated(world):
    ChildFactory.create_batch(
        30,
        school=world.northfield,
        legal_first_name=factory.Iterator(f"Pupil{number:02d}" for number in range(30)),
        legal_last_name="Able",
        year_group="9",
    )
    client = signed_in_client(world.office)

    first = client.get(roster_url(world.northfield)).content.decode()
    second = client.post(roster_url(world.northfield), {"page": "2"}).content.decode()

    assert "Page 1 of 2" in first and "Pupil24" in first and "Pupil25" not in first
    assert "Page 2 of 2" in second and "Pupil25" in second


def test_the_roster_page_runs_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    ChildFactory.create_batch(25, school=world.northfield, legal_last_name="Quinn")
    client = signed_in_client(world.office)

    with django_assert_max_num_queries(15):
        response = client.get(roster_url(world.northfield))

    assert response.status_code == 200
    assert response.content.decode().count("Quinn, ") == 25


def test_roster_pages_are_not_cached(world, pupil):
    response = signed_in_client(world.office).get(roster_url(world.northfield, pupil))

    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
