import hashlib
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from referrals.models import Child
from referrals.upn import upn_problem
from safeguarding.accounts.models import Membership, School, User
from safeguarding.settings_defaults import DEFAULT_DEMO_PASSWORD

PRODUCTION = {"DJANGO_ENV": None, "SECRET_KEY": "k" * 60, "AUDIT_KEY": "a" * 40, "ALLOWED_HOSTS": "safeguard.example"}


def snapshot() -> str:
    rows = [
        *User.objects.order_by("email").values_list("email", "full_name", "password", "is_active"),
        *Membership.objects.order_by("uuid").values_list("uuid", "user__email", "role", "can_export", "is_active"),
        *School.objects.order_by("urn").values_list("urn", "name", "trust__name", "front_door_phone"),
        *Child.objects.order_by("upn").values_list(
            "uuid", "upn", "legal_first_name", "legal_last_name", "date_of_birth", "year_group", "updated_at"
        ),
        *TOTPDevice.objects.order_by("pk").values_list("pk", "user__email", "key", "confirmed"),
    ]
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def test_seed_demo_twice_leaves_the_same_data(db):
    call_command("seed_demo", stdout=StringIO())
    first = snapshot()

    call_command("seed_demo", stdout=StringIO())

    assert snapshot() == first


def test_the_demo_has_every_persona_and_about_120_pupils_per_school(db):
    call_command("seed_demo", stdout=StringIO())

    emails = set(User.objects.values_list("email", flat=True))
    assert {
        "teacher@northfield.example",
        "teacher2@northfield.example",
        "teacher3@northfield.example",
        "dsl@northfield.example",
        "deputy@northfield.example",
        "admin@northfield.example",
        "office@northfield.example",
        "teacher@riverside.example",
        "dsl@riverside.example",
        "deputy@riverside.example",
        "office@riverside.example",
        "trustlead@northfield.example",
        "auditor@northfield.example",
        "head@northfield.example",
        "chair@northfield.example",
        "hr@northfield.example",
        "head@riverside.example",
        "chair@riverside.example",
        "dpo@northfield.example",
    } <= emails
    assert Membership.objects.get(user__email="admin@northfield.example").can_export
    assert not Membership.objects.get(user__email="office@northfield.example").can_export
    for school in School.objects.filter(trust__name="Northfield Learning Trust"):
        children = Child.objects.filter(school=school)
        assert children.count() == 120
        assert all(upn_problem(child.upn) is None for child in children)
    # Everyone signs in with a second factor, so every demo account has the demo authenticator.
    assert TOTPDevice.objects.filter(confirmed=True).count() == User.objects.count() == 19


def test_the_demo_has_a_low_level_concern_dealt_with_and_an_allegation_about_the_deputy_in_progress(db):
    from referrals.models import AdultRecord, AdultRecordKind, ManagedBy

    call_command("seed_demo", stdout=StringIO())
    records = {record.kind: record for record in AdultRecord.objects.select_related("subject_user", "raised_by")}

    low_level, allegation = records[AdultRecordKind.LOW_LEVEL], records[AdultRecordKind.ALLEGATION]
    assert low_level.closed_at is not None and low_level.subject_user.email == "teacher2@northfield.example"
    assert allegation.closed_at is None and allegation.lado_due_at is not None
    assert allegation.subject_user.email == "deputy@northfield.example"
    assert allegation.raised_by.email == "teacher@northfield.example"
    assert allegation.managed_by == ManagedBy.HEADTEACHER
    assert len(records) == AdultRecord.objects.count() == 2


def test_the_dates_of_birth_match_the_year_groups(db):
    from referrals.demo.seed import school_year_start
    from referrals.models import YearGroup

    call_command("seed_demo", stdout=StringIO())

    start = None
    for child in Child.objects.all():
        start = start or school_year_start(child.created_at.date())
        age = YearGroup.age_reached_in_school_year(child.year_group)
        birthday_this_school_year = child.date_of_birth.replace(year=child.date_of_birth.year + age)
        assert f"{start}-09-01" <= str(birthday_this_school_year) <= f"{start + 1}-08-31"


@pytest.mark.parametrize("email, role", [("dsl@northfield.example", "dsl"), ("teacher@northfield.example", "staff")])
def test_demo_people_sign_in_with_the_readme_password_and_a_demo_otp_code(db, email, role):
    call_command("seed_demo", stdout=StringIO())
    client = Client()

    response = client.post("/accounts/login/", {"email": email, "password": DEFAULT_DEMO_PASSWORD})
    assert response["Location"] == "/accounts/login/code/"
    code = StringIO()
    call_command("demo_otp", email, stdout=code, stderr=StringIO())
    response = client.post("/accounts/login/code/", {"code": code.getvalue().strip()})

    assert response["Location"] == "/"
    assert f'data-role="{role}"' in client.get("/").content.decode()


def test_seed_demo_refuses_in_production_mode(run_python):
    result = run_python("", PRODUCTION, "manage.py", "seed_demo")

    assert result.returncode != 0
    assert "seed_demo only runs with DJANGO_ENV=development" in result.stderr


def test_demo_otp_refuses_in_production_mode(run_python):
    result = run_python("", PRODUCTION, "manage.py", "demo_otp", "dsl@northfield.example")

    assert result.returncode != 0
    assert "demo_otp only runs with DJANGO_ENV=development" in result.stderr


def test_the_demo_has_300_concerns_a_building_pattern_and_an_urgent_disclosure(db):
    from referrals.models import Concern

    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())

    assert Concern.objects.count() == 300
    assert {c.school.name for c in Concern.objects.select_related("school")} == {
        "Northfield Academy",
        "Riverside Primary",
    }
    story = list(Concern.objects.filter(incident__submission_key__startswith="demo-story").order_by("observed_at"))
    assert len({concern.child for concern in story}) == 1
    assert len({concern.author for concern in story}) == 3
    assert (story[-1].observed_at - story[0].observed_at).days >= 55
    codes = {code for concern in story for code in concern.indicators.values_list("indicator__code", flat=True)}
    assert {"SIG-GIFTS", "SIG-OLDER-PARTNER", "SIG-MISSING", "SIG-CARS"} <= codes
    disclosure = Concern.objects.get(incident__submission_key="demo-disclosure")
    assert disclosure.urgency == "immediate"
    assert disclosure.child_words


# The demo's times are relative to when it is seeded: late at night, at a weekend, before school on a Monday and
# on a bank holiday the queue must still have overdue work to put first.
@pytest.mark.parametrize(
    "moment",
    [None, "2026-12-06 01:09 +0000", "2026-12-07 07:30 +0000", "2027-05-03 10:00 +0100"],
    ids=["now", "sunday-night", "monday-before-school", "bank-holiday"],
)
def test_the_demo_queue_puts_overdue_and_escalated_concerns_and_open_alerts_first(db, moment):
    import contextlib

    import time_machine

    with time_machine.travel(moment) if moment else contextlib.nullcontext():
        _the_demo_queue_puts_late_work_and_alerts_first()


def _the_demo_queue_puts_late_work_and_alerts_first():
    from referrals.models import Concern
    from referrals.selectors.queue import QueueFilters, queue_page
    from tests.referrals.test_queue import overdue_or_escalated

    call_command("seed_demo", stdout=StringIO())
    late_one = Concern.objects.get(incident__submission_key="demo-late")
    assert late_one.status == "submitted" and late_one.ack_due_at < timezone.now()
    assert late_one.escalations.exists()
    dsl = User.objects.get(email="dsl@northfield.example")

    shown = []
    page_number = 1
    while True:
        page = queue_page(user=dsl, context=None, filters=QueueFilters(), page_number=page_number)
        shown += list(page)
        if not page.has_next():
            break
        page_number += 1

    late = [overdue_or_escalated(concern) for concern in shown]
    assert any(late) and late == sorted(late, reverse=True)
    alerted = [bool(concern.child and concern.child.open_alerts) for concern in shown]
    routine = [i for i, c in enumerate(shown) if not late[i] and not alerted[i] and c.urgency == "routine"]
    waiting_alerts = [i for i, flag in enumerate(alerted) if flag and not late[i]]
    assert waiting_alerts and max(waiting_alerts) < min(routine)


def test_the_readmes_demo_otp_line_prints_a_code_when_pasted_as_written(run_python, tmp_path):
    """The README's line, run by a shell in the checkout against a demo database made as `make run` makes it."""
    import os
    import re
    import shutil
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text()
    line = next(text for text in readme.splitlines() if "manage.py demo_otp" in text and not text.startswith("`"))
    database = {"DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}", "DJANGO_ENV": "development"}
    for step in (("migrate", "--no-input"), ("seed_demo",)):
        assert run_python("", database, "manage.py", *step).returncode == 0, step
    venv = root / ".venv"
    if not (venv / "bin" / "python").exists():  # the line names the project's own environment, as make makes it
        pytest.skip("no .venv in this checkout")
    shell = shutil.which("bash")
    result = subprocess.run(
        [shell, "-c", line],
        cwd=root,
        env={**{k: v for k, v in os.environ.items() if k != "DJANGO_ENV"}, "DATABASE_URL": database["DATABASE_URL"]},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"\d{6}\n", result.stdout)


def test_starting_the_demo_sends_no_storm_of_emails(db, run_tasks):
    """What `make run` does in its first minute: the demo seeded, then the scheduler's minute and five-minute jobs
    and the worker. A live school's handful of messages at most."""
    from django.core import mail

    from safeguarding.core.scheduling import periodic_jobs_enqueue_due

    call_command("seed_demo", stdout=StringIO())
    run_tasks()
    mail.outbox.clear()

    assert periodic_jobs_enqueue_due()  # every periodic job, as a fresh scheduler enqueues them at start
    run_tasks()

    assert len(mail.outbox) <= 5, [message.subject for message in mail.outbox]


def test_the_demo_looks_like_a_live_school(db):
    from collections import Counter

    from django.utils import timezone

    from referrals.models import Action, Concern, Referral

    call_command("seed_demo", stdout=StringIO())

    statuses = Counter(Concern.objects.values_list("status", flat=True))
    assert 1 <= statuses["submitted"] <= 15
    assert statuses["in_review"] <= 60 and statuses["decided"] >= 20 and statuses["closed"] >= 100
    old_in_review = Concern.objects.filter(
        status="in_review", recorded_at__lt=timezone.now() - timezone.timedelta(days=30)
    ).exclude(child__pattern_alerts__isnull=False)
    assert old_in_review.count() == 0
    weekend = [c for c in Concern.objects.all() if timezone.localtime(c.observed_at).weekday() >= 5]
    assert weekend == []
    assert Action.objects.filter(completed_at__isnull=True).exists() and Action.objects.exclude(completed_at=None)
    assert Referral.objects.exclude(agency_decision="").exists() and Referral.objects.filter(acknowledged_at=None)


def test_the_demo_car_links_the_story_girl_and_a_riverside_boy_in_one_alert_for_the_trust_lead(db):
    from referrals.models import ContextAlert, ContextEntity, Notification

    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())  # twice adds nothing
    entity = ContextEntity.objects.get()
    alert = ContextAlert.objects.get(entity=entity, closed_at__isnull=True)
    schools = {child.school.name for child in alert.children.all()}
    assert schools == {"Northfield Academy", "Riverside Primary"} and alert.concerns.count() == 3
    trust_lead = User.objects.get(email="trustlead@northfield.example")
    assert Notification.objects.filter(context_alert=alert, recipient=trust_lead).count() == 1

    # The network of the car, as the trust lead sees it: both children, the three concerns, and a table of the same.
    import json
    import re

    from tests.personas import signed_in_client

    page = signed_in_client(trust_lead).get(f"/context/{entity.uuid}/network/").content.decode()
    data = json.loads(re.search(r'<script id="network-data" type="application/json">(.*?)</script>', page).group(1))
    labels = {node["label"] for node in data["nodes"] if node["kind"] != "entity"}
    assert labels == {child.display_name for child in alert.children.all()} | {
        concern.reference for concern in alert.concerns.all()
    }
    table = set(re.findall(r'<tr data-from="([^"]+)" data-to="([^"]+)">', page))
    assert table == {(edge["from"], edge["to"]) for edge in data["edges"]} and len(table) == 6
