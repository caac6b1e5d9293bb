"""A marker typed into every form that takes free text, and a marked password, must never reach the audit tables,
the application's logs or an error page."""

import logging

import pytest
from django.db import connection
from django.test import Client

from referrals.models import Child, Concern
from tests.factories import PASSWORD
from tests.personas import signed_in_client

CANARY = "CANARY7f3a"


@pytest.fixture
def captured_logs():
    """Everything the application logs, at every level, as text."""
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(self.format(record))

    handler = Keep(level=logging.DEBUG)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield records
    root.removeHandler(handler)
    root.setLevel(old_level)


def audit_tables_text() -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT string_agg(t::text, '\n') FROM ("
            " SELECT e::text AS t FROM audit_auditevent e"
            " UNION ALL SELECT s::text FROM audit_auditseal s"
            " UNION ALL SELECT a::text FROM audit_anonymousrequesttally a"
            " UNION ALL SELECT l::text FROM audit_auditalert l) rows"
        )
        return cursor.fetchone()[0] or ""


def test_no_marker_reaches_the_audit_trail_the_logs_or_an_error_page(world, captured_logs, run_tasks):
    from safeguarding.audit.chain import seal

    pages = []
    # A marked password, wrong and right.
    world.teacher.set_password(f"{CANARY}-password-long")
    world.teacher.save()
    pages.append(Client().post("/accounts/login/", {"email": world.teacher.email, "password": f"{CANARY}-wrong"}))
    pages.append(Client().post("/accounts/login/", {"email": f"{CANARY}@x.example", "password": PASSWORD}))
    client = Client()
    pages.append(client.post("/accounts/login/", {"email": world.teacher.email, "password": f"{CANARY}-password-long"}))

    office = signed_in_client(world.office)
    school = world.northfield.uuid
    # A pupil's name, added and edited.
    pages.append(
        office.post(
            f"/schools/{school}/pupils/new/",
            {
                "legal_first_name": f"{CANARY}first",
                "legal_last_name": f"{CANARY}last",
                "preferred_name": f"{CANARY}pref",
                "date_of_birth": "2012-03-14",
                "sex": "U",
                "gender": CANARY,
                "send": "none",
                "roll_status": "left",
                "destination": f"{CANARY} school",
            },
            follow=True,
        )
    )
    pupil = Child.objects.get(legal_first_name=f"{CANARY}first")
    # A bad value too, so an error page is rendered with the marker in the form.
    pages.append(office.post(f"/schools/{school}/pupils/{pupil.uuid}/", {"legal_first_name": CANARY, "upn": CANARY}))
    # The searches.
    pages.append(office.post(f"/schools/{school}/pupils/", {"text": CANARY}))
    pages.append(signed_in_client(world.dsl).post("/audit/", {"child_upn": CANARY}))
    # A new member of staff's name.
    pages.append(
        office.post(f"/schools/{school}/staff/invite/", {"full_name": CANARY, "email": "new@safeguard.example"})
    )
    # The concern form: every free-text field, the type-ahead, a draft, an addendum, a child not on the roll.
    teacher = signed_in_client(world.teacher)
    page = teacher.get("/concerns/new/").content.decode()
    key = page.split('name="submission_key" value="')[1].split('"')[0]
    pages.append(teacher.post("/concerns/children/", {"child_search": CANARY, "school": str(school)}))
    concern_fields = {
        "school": str(school),
        "submission_key": key,
        "unlisted_child_name": f"{CANARY} name",
        "unlisted_child_details": f"{CANARY} details",
        "observed_at": "2026-11-01T10:00",
        "location": f"{CANARY} place",
        "account": f"{CANARY} account",
        "child_words": f"{CANARY} words",
        "people_present": f"{CANARY} people",
        "action_taken": f"{CANARY} action",
        "urgency": "routine",
        "fgm_police_reference": CANARY,
    }
    pages.append(teacher.post("/concerns/draft/", concern_fields))
    pages.append(teacher.post("/concerns/new/", {**concern_fields, "observed_at": "2099-01-01T10:00"}))
    pages.append(teacher.post("/concerns/new/", concern_fields))
    concern = Concern.objects.get(unlisted_child_name=f"{CANARY} name")
    pages.append(teacher.post(f"/concerns/{concern.uuid}/", {"reason": CANARY, "text": f"{CANARY} more"}))
    # A password reset for a marked address.
    pages.append(Client().post("/accounts/password-reset/", {"email": f"{CANARY}@x.example"}))
    run_tasks()
    seal()

    assert CANARY not in audit_tables_text()
    assert not [line for line in captured_logs if CANARY in line]
    # A form sent back with its errors (400) shows the person what they typed, as it must; error pages do not.
    error_pages = [page for page in pages if page.status_code > 400]
    assert all(CANARY not in page.content.decode() for page in error_pages)
    assert Child.objects.filter(legal_last_name=f"{CANARY}last").exists()  # the record itself was kept
