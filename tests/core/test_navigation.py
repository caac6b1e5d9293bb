"""The navigation each person sees: collected from what each app supplies, and the same as it has always been."""

import pytest

from tests.personas import signed_in_client

pytestmark = pytest.mark.django_db

LOG = ["Log a concern", "My concerns"]
LEAD = ["Queue", "Find a pupil", "Staff", "Exports", "Retention", "Reports", "Audit trail"]
# The DSL, with the data protection officer, also handles subject access requests.
DSL = ["Queue", "Find a pupil", "Staff", "Exports", "Retention", "Access requests", "Reports", "Audit trail"]
# Each persona's navigation, in order; "Pupils" is the school admin's own school's roster.
EXPECTED = {
    "teacher": ["Home", *LOG, "Know the signs"],
    "riverside_teacher": ["Home", *LOG, "Know the signs"],
    "deputy": ["Home", *LOG, "Queue", "Find a pupil", "Know the signs"],
    "dsl": ["Home", *LOG, *DSL, "Know the signs"],
    "elsewhere_dsl": ["Home", *LOG, *DSL, "Know the signs"],
    "admin": ["Home", *LOG, "Pupils", "Staff", "Exports", "Know the signs"],
    "office": ["Home", *LOG, "Pupils", "Staff", "Know the signs"],
    "riverside_office": ["Home", *LOG, "Pupils", "Staff", "Know the signs"],
    "trustlead": ["Home", *LOG, *LEAD, "Know the signs"],
    "auditor": ["Home", "Audit trail", "Know the signs"],
    "head": ["Home", *LOG, "Concerns about adults", "Reports", "Know the signs"],
    "chair": ["Home", "Concerns about adults", "Reports", "Know the signs"],
    "hr": ["Home", *LOG, "Concerns about adults", "Know the signs"],
    "dpo": ["Home", "Retention", "Access requests", "Audit trail", "Know the signs"],
}
ADDRESSES = {
    "Home": "/",
    "Log a concern": "/concerns/new/",
    "My concerns": "/concerns/mine/",
    "Queue": "/queue/",
    "Find a pupil": "/children/",
    "Staff": "/schools/",
    "Exports": "/exports/",
    "Concerns about adults": "/adults/",
    "Retention": "/retention/",
    "Access requests": "/access-requests/",
    "Reports": "/reports/",
    "Audit trail": "/audit/",
    "Know the signs": "/guide/signs/",
}


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_each_person_sees_the_navigation_of_their_roles(world, persona):
    response = signed_in_client(world.people[persona]).get("/")

    navigation = response.context["navigation"]
    assert [item["label"] for item in navigation] == EXPECTED[persona]
    for item in navigation:
        if item["label"] == "Pupils":
            school = world.membership(persona).school
            assert item["url"] == f"/schools/{school.uuid}/pupils/"
        else:
            assert item["url"] == ADDRESSES[item["label"]]
    assert [item["label"] for item in navigation if item["current"]] == ["Home"]
    # The count of unread notifications shows to everyone who logs concerns, manages concerns about adults or
    # handles subject access requests, and to no one else.
    notified = {"Log a concern", "Concerns about adults", "Access requests"} & set(EXPECTED[persona])
    assert (response.context["unread_notifications"] is not None) == bool(notified)


def test_the_page_one_is_on_is_marked_in_the_navigation(world):
    response = signed_in_client(world.dsl).get("/queue/")

    assert [item["label"] for item in response.context["navigation"] if item["current"]] == ["Queue"]
    link = '<a class="nav-link text-nowrap active" href="/queue/" aria-current="page">Queue</a>'
    assert link in response.content.decode()


def test_a_visitor_sees_no_navigation(client):
    response = client.get("/")

    assert response.context["navigation"] == []
