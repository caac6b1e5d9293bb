"""seed_scale, the trust-sized data set of `make bench`, at a tiny size."""

import hashlib
import json
from datetime import UTC, datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count

from referrals.demo.scale import TRUST
from referrals.models import (
    OUTCOME_AGENCIES,
    Child,
    Concern,
    ConcernIndicator,
    ConcernStatus,
    DecisionOutcome,
    Referral,
)
from safeguarding.accounts.models import Membership, School, User
from safeguarding.accounts.roles import Role
from safeguarding.audit.chain import anchor_read, verify
from safeguarding.audit.models import AuditEvent, AuditSeal

TINY = ["--schools", "2", "--children", "50", "--concerns", "600", "--referrals", "30", "--events", "1000"]
PRODUCTION = {"DJANGO_ENV": None, "SECRET_KEY": "k" * 60, "AUDIT_KEY": "a" * 40, "ALLOWED_HOSTS": "safeguard.example"}


@pytest.fixture(autouse=True)
def anchor_in_a_temporary_folder(settings, tmp_path):
    settings.AUDIT_ANCHOR_PATH = tmp_path / "anchor.json"


def seed() -> str:
    out = StringIO()
    call_command("seed_scale", *TINY, stdout=out)
    return out.getvalue()


def test_seed_scale_makes_the_trust_it_is_asked_for(db):
    output = seed()

    schools = School.objects.filter(trust__name=TRUST)
    assert schools.count() == 2
    assert Child.objects.filter(school__in=schools).count() == 50
    assert Concern.objects.filter(school__in=schools).count() == 600
    assert Referral.objects.filter(school__in=schools).count() == 30
    assert AuditEvent.objects.count() == AuditSeal.objects.count() == 1000
    assert "Scale trust ready in" in output and "[##############################] concerns" in output


def test_seed_scale_in_a_fresh_database_starts_a_new_chain_beside_an_old_anchor(db, settings):
    # Left at the same path by a database seeded earlier (make bench seeds two in turn).
    settings.AUDIT_ANCHOR_PATH.write_text(json.dumps({"sequence": 5000, "hash": "a" * 64, "sealed_at": ""}))

    seed()

    anchor = anchor_read()
    assert anchor.sequence == 1000
    assert verify(anchor=anchor).ok


def test_each_school_has_its_team_and_a_child_with_200_concerns(db):
    seed()

    for school in School.objects.filter(trust__name=TRUST):
        roles = list(Membership.objects.filter(school=school).values_list("role", flat=True))
        assert roles.count(Role.DSL) == 1 and roles.count(Role.DEPUTY_DSL) == 2 and Role.STAFF in roles
        assert Membership.objects.filter(school=school, role=Role.SCHOOL_ADMIN, can_export=True).exists()
        busiest = Child.objects.filter(school=school).annotate(n=Count("concerns")).order_by("-n").first()
        assert busiest.n == 200
    assert User.objects.filter(email="trustlead@scale.example", memberships__role=Role.TRUST_LEAD).exists()


def test_the_records_hang_together(db):
    seed()

    assert set(Concern.objects.values_list("status", flat=True)) == set(ConcernStatus.values)
    assert not Concern.objects.filter(indicators=None).exists()
    assert not Concern.objects.exclude(status=ConcernStatus.CLOSED).filter(ack_due_at=None).exists()
    assert not Concern.objects.filter(status=ConcernStatus.CLOSED, closures=None).exists()
    for referral in Referral.objects.select_related("decision"):
        outcomes = DecisionOutcome.objects.filter(decision=referral.decision).values_list("outcome", flat=True)
        assert referral.agency in {OUTCOME_AGENCIES[outcome] for outcome in outcomes if outcome in OUTCOME_AGENCIES}
    # The concerns of each school are numbered as the submission service numbers them, so new ones follow on.
    school = School.objects.filter(trust__name=TRUST).first()
    assert Concern.objects.filter(school=school, reference=f"{school.urn}-00300").exists()
    assert verify(anchor=None).checked == 1000


class Undo(Exception):
    pass


def fingerprint() -> str:
    rows = [
        *Child.objects.order_by("uuid").values_list("uuid", "upn", "legal_first_name", "date_of_birth", "year_group"),
        *Concern.objects.order_by("uuid").values_list(
            "uuid", "reference", "status", "urgency", "recorded_at", "ack_due_at", "child__uuid", "author__email"
        ),
        *ConcernIndicator.objects.order_by("concern__uuid", "indicator__code").values_list(
            "concern__uuid", "indicator__code", "basis"
        ),
        *Referral.objects.order_by("uuid").values_list("uuid", "agency", "made_at", "acknowledged_at"),
        # The seals cover the events' ids, which come from the table's sequence: they are left out.
        *AuditEvent.objects.order_by("id").values_list("occurred_at", "event_type", "user_uuid", "child_uuid"),
    ]
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def seeded_and_undone() -> str:
    try:
        with transaction.atomic():
            seed()
            result = fingerprint()
            raise Undo
    except Undo:
        return result


def test_seed_scale_makes_the_same_records_every_time(db):
    with time_machine.travel(datetime(2026, 3, 4, 10, 30, tzinfo=UTC), tick=False):
        first = seeded_and_undone()
        second = seeded_and_undone()

    assert first == second


def test_seed_scale_fills_a_database_once(db):
    seed()

    with pytest.raises(CommandError, match="already in this database"):
        seed()


def test_seed_scale_refuses_in_production_mode(run_python):
    result = run_python("", PRODUCTION, "manage.py", "seed_scale", *TINY)

    assert result.returncode != 0
    assert "seed_scale only runs with DJANGO_ENV=development" in result.stderr
