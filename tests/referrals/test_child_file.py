import html

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from referrals.models import CaseNote, Concern, PatternAlert
from safeguarding.audit.events import EventType
from safeguarding.audit.models import AuditEvent
from tests.concerns import concern_by, many_concerns
from tests.factories import ChildFactory, PatternAlertFactory
from tests.pages import beside
from tests.personas import signed_in_client


@pytest.fixture
def pupil(world):
    return ChildFactory(school=world.northfield, legal_first_name="Jade", legal_last_name="Turner")


@pytest.mark.parametrize(
    ("person", "status"),
    [("dsl", 200), ("deputy", 200), ("trustlead", 200), ("teacher", 404), ("office", 404), ("auditor", 404)],
)
def test_who_opens_the_childs_file(world, pupil, person, status):
    assert signed_in_client(world.people[person]).get(f"/children/{pupil.uuid}/").status_code == status


def test_the_other_schools_deputy_gets_404_and_the_refusal_is_recorded(world, pupil):
    response = signed_in_client(world.riverside_deputy).get(f"/children/{pupil.uuid}/")

    assert response.status_code == 404
    assert AuditEvent.objects.filter(
        event_type=EventType.ACCESS_REFUSED, user_uuid=world.riverside_deputy.uuid, child_uuid=pupil.uuid
    ).exists()


def test_the_file_shows_the_chronology_alerts_and_the_chart_data(world, pupil):
    concern_by(world.teacher, pupil, indicators=("SIG-GIFTS",), with_file=False)
    concern_by(world.teacher2, pupil, indicators=("SIG-OLDER-PARTNER", "SIG-CARS"), with_file=False)

    page = signed_in_client(world.dsl).get(f"/children/{pupil.uuid}/").content.decode()

    assert "Saw a new phone and a bracelet." in page
    assert "3 different exploitation signs" in page
    assert 'id="indicator-chart-data"' in page and "Signs: possessions and money" in page
    assert AuditEvent.objects.filter(event_type=EventType.VIEW, object_type="child_file").exists()


def test_only_the_dsl_sets_the_safeguarding_flags(world, pupil):
    signed_in_client(world.deputy).post(f"/children/{pupil.uuid}/flags/", {"cp_plan": "on"})
    pupil.refresh_from_db()
    assert not pupil.cp_plan

    signed_in_client(world.dsl).post(f"/children/{pupil.uuid}/flags/", {"cp_plan": "on"})
    pupil.refresh_from_db()
    assert pupil.cp_plan


def test_a_note_joins_the_chronology(world, pupil):
    client = signed_in_client(world.deputy)

    client.post(f"/children/{pupil.uuid}/notes/", {"kind": "call", "text": "Called the front door, advice taken"})

    assert "Called the front door, advice taken" in client.get(f"/children/{pupil.uuid}/").content.decode()


def test_a_child_with_200_concerns_renders_a_page_of_chronology_in_fixed_queries(world, pupil):
    client = signed_in_client(world.dsl)
    url = f"/children/{pupil.uuid}/"
    many_concerns(world, pupil, 10)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    many_concerns(world, pupil, 190)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)

    assert len(few) == len(many)
    page = response.content.decode()
    assert "Page 1 of 4" in page
    assert page.count('class="border-start border-3 ps-3 mb-3"') == 50
    oldest = client.get(url, {"page": 4}).content.decode()
    assert "Account number 189" in oldest  # 189 days ago, on the last page


def test_the_chart_data_is_a_json_object(world, pupil):
    import json
    import re

    concern_by(world.teacher, pupil, indicators=("SIG-GIFTS", "SIG-CARS"), with_file=False)

    page = signed_in_client(world.dsl).get(f"/children/{pupil.uuid}/").content.decode()

    raw = re.search(r'<script id="indicator-chart-data" type="application/json">(.*?)</script>', page).group(1)
    data = json.loads(raw)
    assert isinstance(data, dict) and data["labels"] and len(data["datasets"]) == 2


def test_the_demo_childs_file_shows_the_alert_and_stays_hidden_from_the_other_school(db):
    from io import StringIO

    from django.core.management import call_command

    from safeguarding.accounts.models import User

    call_command("seed_demo", stdout=StringIO())
    child = Concern.objects.filter(incident__submission_key__startswith="demo-story").first().child
    dsl, riverside_deputy = (
        User.objects.get(email="dsl@northfield.example"),
        User.objects.get(email="deputy@riverside.example"),
    )

    page = signed_in_client(dsl).get(f"/children/{child.uuid}/").content.decode()
    refused = signed_in_client(riverside_deputy).get(f"/children/{child.uuid}/")

    assert "exploitation signs within 90 days from 3 members of staff" in page
    for reference in Concern.objects.filter(incident__submission_key__startswith="demo-story").values_list(
        "reference", flat=True
    ):
        assert reference in page
    assert refused.status_code == 404
    assert AuditEvent.objects.filter(
        event_type=EventType.ACCESS_REFUSED, user_uuid=riverside_deputy.uuid, child_uuid=child.uuid
    ).exists()


def test_the_chronology_filters_by_category_and_type(world, pupil):
    concern_by(world.teacher, pupil, indicators=("SIG-GIFTS",), with_file=False)
    neglect = concern_by(world.teacher2, pupil, indicators=("ABUSE-NEGLECT",), with_file=False)
    Concern.objects.filter(pk=neglect.pk).update(account="No coat again and hungry.")
    client = signed_in_client(world.dsl)

    money = client.get(f"/children/{pupil.uuid}/", {"category": "SIGNS-MONEY"}).content.decode()
    notes_only = client.get(f"/children/{pupil.uuid}/", {"type": "note"}).content.decode()

    assert "Saw a new phone" in money and "No coat again" not in money
    assert "Saw a new phone" not in notes_only


def test_writing_a_note_records_the_note_and_no_view_of_the_file(world, pupil):
    signed_in_client(world.deputy).post(f"/children/{pupil.uuid}/notes/", {"kind": "call", "text": "Rang the GP"})

    events = AuditEvent.objects.filter(child_uuid=pupil.uuid, user_uuid=world.deputy.uuid)
    assert list(events.values_list("event_type", "object_type")) == [(EventType.CREATE, "case_note")]


def test_a_note_too_long_to_keep_comes_back_on_the_file_with_every_word_typed(world, pupil):
    text = "Rang the front door about the older boyfriend; advised to wait for the strategy meeting. " * 240

    response = signed_in_client(world.dsl).post(f"/children/{pupil.uuid}/notes/", {"kind": "call", "text": text})

    page = response.content.decode()
    assert response.status_code == 400
    assert text.strip() in html.unescape(page)
    assert '<option value="call" selected>' in page
    assert beside(page, "text", "The note is too long: it can be at most 20,000 characters.")
    assert not CaseNote.objects.exists()


def test_an_alert_acknowledged_with_no_note_comes_back_with_the_error_beside_that_alert(world, pupil):
    first, second = PatternAlertFactory(child=pupil), PatternAlertFactory(child=pupil)

    response = signed_in_client(world.dsl).post(
        f"/children/{pupil.uuid}/alerts/{second.uuid}/acknowledge/", {"note": ""}
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert page.count("Write a note on what you are doing about the alert.") == 1
    assert page.index(f"{second.uuid}/acknowledge/") < page.index("Write a note on what you are doing")
    assert f'id="id_note_{first.uuid.hex[:8]}"' in page and f'id="id_note_{second.uuid.hex[:8]}"' in page
    assert not PatternAlert.objects.filter(acknowledged_at__isnull=False).exists()
