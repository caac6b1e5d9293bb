"""A draft left unsent reminds its author at the end of the school day, then tells the DSL a working day later."""

from datetime import datetime, timedelta

import time_machine
from django.core import mail

from referrals.clocks import LONDON
from referrals.services.concerns import draft_for
from referrals.services.drafts import drafts_remind
from tests.concerns import concern_submission
from tests.factories import ChildFactory

MONDAY_10AM = datetime(2026, 11, 30, 10, 0, tzinfo=LONDON)  # the school day ends at 15:30


def unsent_draft(world, pupil, **data):
    draft = draft_for(author=world.teacher, school=world.northfield)
    draft.data = {"account": "She said her uncle hurt her.", "children": [str(pupil.uuid)], **data}
    draft.save()
    return draft


def reminders_at(moment, run_tasks) -> list:
    mail.outbox.clear()
    with time_machine.travel(moment, tick=False):
        drafts_remind()
    run_tasks()
    return list(mail.outbox)


def test_an_unsent_draft_reminds_its_author_at_the_end_of_the_day_then_tells_the_dsl_once(world, run_tasks):
    pupil = ChildFactory(school=world.northfield, legal_first_name="Jade", legal_last_name="Turner")
    with time_machine.travel(MONDAY_10AM, tick=False):
        unsent_draft(world, pupil)

    assert reminders_at(MONDAY_10AM + timedelta(hours=5), run_tasks) == []  # 15:00, the day not yet over
    (to_author,) = reminders_at(MONDAY_10AM + timedelta(hours=5, minutes=35), run_tasks)
    assert to_author.to == [world.teacher.email] and "not sent" in to_author.subject
    assert reminders_at(MONDAY_10AM + timedelta(hours=6), run_tasks) == []  # once
    assert reminders_at(MONDAY_10AM + timedelta(days=1, hours=5), run_tasks) == []  # Tuesday, before its end
    (to_dsl,) = reminders_at(MONDAY_10AM + timedelta(days=1, hours=5, minutes=35), run_tasks)
    assert to_dsl.to == [world.dsl.email] and world.teacher.full_name in to_dsl.body
    assert reminders_at(MONDAY_10AM + timedelta(days=2, hours=6), run_tasks) == []  # once
    for message in (to_author, to_dsl):
        assert "Jade" not in message.body and "Turner" not in message.body and "uncle" not in message.body


def test_a_draft_sent_or_with_nothing_typed_sends_no_reminder(world, run_tasks):
    from referrals.services.concerns import concern_submit

    pupil = ChildFactory(school=world.northfield)
    with time_machine.travel(MONDAY_10AM, tick=False):
        concern_submit(**concern_submission(world.teacher, pupil, with_file=False))
        other = draft_for(author=world.teacher2, school=world.northfield)
        other.data = {"urgency": "routine", "children": [], "indicators": {}}
        other.save()
    run_tasks()  # the new concern's own notice to the team

    assert reminders_at(MONDAY_10AM + timedelta(days=3), run_tasks) == []
