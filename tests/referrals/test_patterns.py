from datetime import timedelta
from io import StringIO

import time_machine
from django.core.management import call_command
from django.utils import timezone

from referrals.models import Concern, Notification, PatternAlert
from referrals.patterns import patterns_evaluate
from tests.concerns import concern_by
from tests.factories import ChildFactory


def pupil(world):
    return ChildFactory(school=world.northfield, legal_first_name="Jade", legal_last_name="Turner")


def test_three_exploitation_signs_from_two_staff_within_90_days_fire_an_alert(world):
    child = pupil(world)
    start = timezone.now() - timedelta(days=80)
    with time_machine.travel(start, tick=False):
        first = concern_by(world.teacher, child, indicators=("SIG-GIFTS",), with_file=False)
    with time_machine.travel(start + timedelta(days=30), tick=False):
        second = concern_by(world.teacher, child, indicators=("SIG-OLDER-PARTNER",), with_file=False)
    assert not PatternAlert.objects.exists()  # two signs, one reporter
    third = concern_by(world.teacher2, child, indicators=("SIG-CARS",), with_file=False)

    (alert,) = PatternAlert.objects.filter(rule="exploitation")
    assert set(alert.concerns.all()) == {first, second, third}
    assert "3 different exploitation signs within 90 days from 2 members of staff" in alert.explanation
    assert Notification.objects.filter(kind="pattern", recipient=world.dsl).exists()


def test_signs_older_than_the_window_do_not_count(world):
    child = pupil(world)
    with time_machine.travel(timezone.now() - timedelta(days=120), tick=False):
        concern_by(world.teacher, child, indicators=("SIG-GIFTS",), with_file=False)
    concern_by(world.teacher2, child, indicators=("SIG-CARS",), with_file=False)
    concern_by(world.teacher, child, indicators=("SIG-OLDER-PARTNER",), with_file=False)

    assert not PatternAlert.objects.filter(rule="exploitation").exists()


def test_four_concerns_in_30_days_fire_the_frequency_rule(world):
    child = pupil(world)
    for _ in range(4):
        concern_by(world.teacher, child, indicators=("ABUSE-NEGLECT",), with_file=False)

    (alert,) = PatternAlert.objects.filter(rule="frequency")
    assert alert.concerns.count() == 4


def test_an_open_alert_grows_instead_of_repeating(world):
    child = pupil(world)
    for _ in range(6):
        concern_by(world.teacher, child, indicators=("ABUSE-NEGLECT",), with_file=False)

    (alert,) = PatternAlert.objects.filter(rule="frequency")
    assert alert.concerns.count() == 6
    assert patterns_evaluate(child=child) == []


def test_the_demo_build_up_child_fires_the_exploitation_rule(db):
    call_command("seed_demo", stdout=StringIO())
    story = Concern.objects.filter(incident__submission_key__startswith="demo-story")
    child = story.first().child

    alert = PatternAlert.objects.get(child=child, rule="exploitation")

    assert set(alert.concerns.all()) == set(story)
    assert "from 3 members of staff" in alert.explanation
