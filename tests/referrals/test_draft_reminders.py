"""A draft left unsent reminds its author at the end of the school day, then tells the DSL a working day later; one
untouched for 30 days is deleted a week after both were told, unless it holds a disclosure or an immediate risk."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.core import mail

from referrals.clocks import LONDON
from referrals.models import Attachment, ConcernDraft
from referrals.services.concerns import draft_for
from referrals.services.drafts import drafts_remind, drafts_tidy
from safeguarding.audit.events import EventType
from safeguarding.audit.models import AuditEvent
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


def tidy_at(moment, run_tasks) -> tuple[dict, list]:
    mail.outbox.clear()
    with time_machine.travel(moment, tick=False):
        counts = drafts_tidy()
    run_tasks()
    return counts, list(mail.outbox)


def test_a_draft_untouched_for_30_days_is_deleted_a_week_after_its_author_and_the_dsl_were_told(world, run_tasks):
    pupil = ChildFactory(school=world.northfield, legal_first_name="Jade", legal_last_name="Turner")
    with time_machine.travel(MONDAY_10AM, tick=False):
        draft = unsent_draft(world, pupil)
        draft.attachments.create(
            school=world.northfield,
            uploaded_by=world.teacher,
            original_name="note.png",
            content_type="image/png",
            size=3,
            sha256="0" * 64,
            stored_name="draft-tidy-test",
        )

    assert tidy_at(MONDAY_10AM + timedelta(days=22), run_tasks) == ({"warned": 0, "deleted": 0}, [])
    counts, (to_author, to_dsl) = tidy_at(MONDAY_10AM + timedelta(days=23), run_tasks)
    assert counts == {"warned": 1, "deleted": 0}
    assert to_author.to == [world.teacher.email] and "deleted on Wednesday 30 December" in to_author.body
    assert to_dsl.to == [world.dsl.email] and world.teacher.full_name in to_dsl.body
    for message in (to_author, to_dsl):
        assert "Jade" not in message.body and "Turner" not in message.body and "uncle" not in message.body
    assert tidy_at(MONDAY_10AM + timedelta(days=29), run_tasks) == ({"warned": 0, "deleted": 0}, [])  # once

    counts, sent = tidy_at(MONDAY_10AM + timedelta(days=30), run_tasks)

    assert counts == {"warned": 0, "deleted": 1} and sent == []
    assert not ConcernDraft.objects.filter(pk=draft.pk).exists()
    assert not Attachment.objects.filter(stored_name="draft-tidy-test").exists()
    event = AuditEvent.objects.get(event_type=EventType.DELETE)
    assert event.object_type == "concern_draft" and event.object_uuid == draft.uuid
    assert "uncle" not in str(event.detail) and event.school_uuid == world.northfield.uuid


def test_a_draft_touched_after_its_warning_starts_its_30_days_again(world, run_tasks):
    pupil = ChildFactory(school=world.northfield)
    with time_machine.travel(MONDAY_10AM, tick=False):
        draft = unsent_draft(world, pupil)
    tidy_at(MONDAY_10AM + timedelta(days=23), run_tasks)
    ConcernDraft.objects.filter(pk=draft.pk).update(updated_at=MONDAY_10AM + timedelta(days=25))

    assert tidy_at(MONDAY_10AM + timedelta(days=31), run_tasks)[0] == {"warned": 0, "deleted": 0}
    assert tidy_at(MONDAY_10AM + timedelta(days=48), run_tasks)[0] == {"warned": 1, "deleted": 0}
    assert tidy_at(MONDAY_10AM + timedelta(days=55), run_tasks)[0] == {"warned": 0, "deleted": 1}


@pytest.mark.parametrize(
    "data",
    [
        {"urgency": "immediate"},
        {"child_words": "He said he would hurt me"},
        {"indicators": {"DISC-ABUSE": "told"}},
        {"signs": ["DISC-ABUSE"]},
    ],
    ids=["immediate", "child's words", "disclosure ticked", "disclosure ticked without a basis"],
)
def test_a_draft_holding_a_disclosure_or_an_immediate_risk_is_never_deleted_by_itself(world, run_tasks, data):
    pupil = ChildFactory(school=world.northfield)
    with time_machine.travel(MONDAY_10AM, tick=False):
        draft = unsent_draft(world, pupil, **data)

    assert tidy_at(MONDAY_10AM + timedelta(days=400), run_tasks) == ({"warned": 0, "deleted": 0}, [])
    assert ConcernDraft.objects.filter(pk=draft.pk).exists()


def test_an_empty_draft_goes_after_30_days_without_a_word(world, run_tasks):
    with time_machine.travel(MONDAY_10AM, tick=False):
        draft = draft_for(author=world.teacher, school=world.northfield)

    assert tidy_at(MONDAY_10AM + timedelta(days=29), run_tasks) == ({"warned": 0, "deleted": 0}, [])
    assert tidy_at(MONDAY_10AM + timedelta(days=30), run_tasks) == ({"warned": 0, "deleted": 1}, [])
    assert not ConcernDraft.objects.filter(pk=draft.pk).exists()
