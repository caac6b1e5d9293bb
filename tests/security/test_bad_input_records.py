"""Generated bad input for the roster, exports, the audit trail and the list pages' parameters."""

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from referrals.models import Child, ExportRecord, RollStatus, SendStatus, Sex, YearGroup
from referrals.upn import make_upn
from safeguarding.accounts.models import User, UserSession
from safeguarding.audit.events import EventType, Outcome
from tests.concerns import referral_for
from tests.factories import ChildFactory
from tests.personas import current_code
from tests.security.bad_input import answered, corrupted, counts, fuzz, rolled_back

PROBLEM = "There is a problem"
UPN = make_upn(la_code=123, establishment=4567, year=12, serial=7)


@pytest.fixture
def jade(world):
    return ChildFactory(
        school=world.northfield,
        legal_first_name="Jade",
        legal_last_name="Turner",
        upn=make_upn(la_code=123, establishment=4567, year=12, serial=1),
    )


ROSTER_FIELDS = {
    "legal_first_name": st.sampled_from(["Kai", "Zoë"]),
    "legal_last_name": st.sampled_from(["Turner", "O'Brien"]),
    "preferred_name": st.sampled_from(["", "KT"]),
    "date_of_birth": st.sampled_from(["2012-03-14", "2019-09-01"]),
    "upn": st.sampled_from(["", UPN]),
    "year_group": st.sampled_from(["", *YearGroup.values]),
    "sex": st.sampled_from(Sex.values),
    "gender": st.sampled_from(["", "Non-binary"]),
    "send": st.sampled_from(SendStatus.values),
    "roll_status": st.sampled_from(RollStatus.values),
    "left_on": st.sampled_from(["", "2025-07-20"]),
    "destination": st.sampled_from(["", "Riverside Primary"]),
}


def roster_row(child_pk):
    return Child.objects.filter(pk=child_pk).values().get()


def assert_stored_cleanly(child: dict):
    for name, value in child.items():
        assert not isinstance(value, str) or "\x00" not in value, name


@fuzz
@given(body=corrupted(ROSTER_FIELDS))
def test_roster_add(world, signed_in, jade, body):
    client = signed_in("office")
    with rolled_back():
        before = counts(Child)
        response = client.post(f"/schools/{world.northfield.uuid}/pupils/new/", body)
        added = answered(response) == 302
        assert counts(Child) == {"Child": before["Child"] + added}
        if added:
            assert_stored_cleanly(Child.objects.filter(school=world.northfield).values().latest("pk"))
        else:
            assert PROBLEM in response.content.decode() or not body  # an empty post shows the empty form


@fuzz
@given(body=corrupted(ROSTER_FIELDS))
def test_roster_edit(world, signed_in, jade, body):
    client = signed_in("office")
    with rolled_back():
        before = roster_row(jade.pk)
        response = client.post(f"/schools/{world.northfield.uuid}/pupils/{jade.uuid}/", body)
        saved = answered(response) == 302
        after = roster_row(jade.pk)
        assert counts(Child) == {"Child": 1}
        if not saved:
            assert after == before
            assert PROBLEM in response.content.decode() or not body
        assert_stored_cleanly(after)


@fuzz
@given(
    body=corrupted(
        {
            "text": st.sampled_from(["", "Jade", "turner", UPN]),
            "year_group": st.sampled_from(["", *YearGroup.values]),
            "page": st.sampled_from(["", "1", "2"]),
        }
    )
)
def test_roster_search(world, signed_in, jade, body):
    client = signed_in("office")
    with rolled_back():
        before = roster_row(jade.pk)
        assert answered(client.post(f"/schools/{world.northfield.uuid}/pupils/", body)) == 200
        assert roster_row(jade.pk) == before and counts(Child) == {"Child": 1}


@pytest.fixture
def referred(world, jade):
    return referral_for(world, jade)


CODE_NOW = "<the current code>"


@fuzz
@given(
    body=corrupted(
        {
            "purpose": st.sampled_from(["Termly report to the trust board", "Ofsted inspection"]),
            "format": st.sampled_from(["csv", "xlsx"]),
            "school": st.sampled_from(["", "northfield"]),
            "agency": st.sampled_from(["", "social_care", "police"]),
            "date_from": st.sampled_from(["", "2025-01-01"]),
            "date_to": st.sampled_from(["", "2030-12-31"]),
            "status": st.sampled_from(["", "awaiting", "acknowledged"]),
            "code": st.sampled_from([CODE_NOW, "123456"]),
        }
    )
)
def test_exports(world, signed_in, referred, body):
    client = signed_in("dsl")
    replacements = {CODE_NOW: current_code(world.dsl), "northfield": str(world.northfield.uuid)}
    body = {name: replacements.get(value, value) if isinstance(value, str) else value for name, value in body.items()}
    with rolled_back():
        before = counts(ExportRecord)
        response = client.post("/exports/", body)
        exported = answered(response) in (200, 302) and response.get("Content-Disposition", "").startswith("attach")
        if response.streaming:
            b"".join(response.streaming_content)
        elif exported:
            response.getvalue()
        else:
            assert response.status_code in (302, 400, 429), response.status_code
        assert counts(ExportRecord) == {"ExportRecord": before["ExportRecord"] + exported}
        if exported:
            assert "\x00" not in ExportRecord.objects.latest("pk").purpose


@fuzz
@given(
    data=st.data(),
    body=corrupted(
        {
            "person": st.sampled_from(["", "teacher"]),
            "child_upn": st.sampled_from(["", UPN]),
            "event_type": st.sampled_from(["", *EventType.values]),
            "outcome": st.sampled_from(["", *Outcome.values]),
            "date_from": st.sampled_from(["", "2025-01-01"]),
            "date_to": st.sampled_from(["", "2030-12-31"]),
            "page": st.sampled_from(["", "1", "2"]),
        }
    ),
)
def test_audit_log_filters(world, signed_in, jade, data, body):
    client = signed_in("dsl")
    if body.get("person") == "teacher":
        body["person"] = str(world.teacher.uuid)
    with rolled_back():
        before = counts(User, Child)
        assert answered(client.post("/audit/", body)) == 200
        assert counts(User, Child) == before


# The other pages that read parameters from their address, each as the person who uses it.
LIST_PAGES = {
    "who viewed": ("dsl", "/children/{child}/access/", {"page": st.sampled_from(["", "1", "2"])}),
    "my concerns": ("teacher", "/concerns/mine/", {"page": st.sampled_from(["", "1", "2"])}),
    "staff list": ("office", "/schools/{school}/staff/", {"page": st.sampled_from(["", "1", "2"])}),
    "notifications": ("dsl", "/notifications/", {}),
    "signs guide": ("teacher", "/guide/signs/", {"q": st.sampled_from(["", "phone", "older"])}),
    "new concern": ("teacher", "/concerns/new/", {"school": st.sampled_from(["", "{school}"])}),
    "sign in": (None, "/accounts/login/", {"next": st.sampled_from(["", "/queue/"])}),
}


@fuzz
@given(data=st.data(), page=st.sampled_from(list(LIST_PAGES)))
def test_page_parameters(world, signed_in, jade, data, page):
    person, url, fields = LIST_PAGES[page]
    names = {"child": jade.uuid, "school": world.northfield.uuid}
    query = data.draw(corrupted(fields, extra=("page", "q", "school", "next")), label="query")
    query = {name: str(names["school"]) if value == "{school}" else value for name, value in query.items()}
    client = signed_in(person) if person else Client()
    with rolled_back():
        before = counts(User, Child, UserSession)
        response = client.get(url.format(**names), query)
        assert answered(response) in (200, 302, 404)
        assert counts(User, Child, UserSession) == before


@fuzz
@given(body=corrupted({"password": st.sampled_from(["wrong", "correct horse battery staple"])}))
def test_ending_other_sessions(world, signed_in, cheap_passwords, body):
    client = signed_in("dsl")
    with rolled_back():
        before = counts(User)
        assert answered(client.post("/accounts/sessions/", body)) in (302, 400)
        assert counts(User) == before
