"""Actions with owners, and the home pages that show the work waiting."""

import re
from datetime import date, timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from referrals.models import Action, Escalation, Urgency
from safeguarding.audit.events import EventType
from safeguarding.audit.models import AuditEvent
from tests.concerns import concern_by
from tests.factories import ChildFactory, PatternAlertFactory, ReferralFactory
from tests.personas import signed_in_client

MONDAY = date(2026, 12, 7)


@pytest.fixture
def pupil(world):
    return ChildFactory(school=world.northfield, legal_first_name="Jade", legal_last_name="Turner", year_group="9")


def give_action(world, pupil, concern=None, due_on=MONDAY):
    data = {"what": "Check in with Jade on Monday morning", "owner": str(world.teacher2.uuid), "due_on": due_on}
    if concern is not None:
        data["concern"] = str(concern.uuid)
    return signed_in_client(world.dsl).post(f"/children/{pupil.uuid}/actions/", data)


@time_machine.travel("2026-12-04 10:00 +0000", tick=False)
def test_an_action_reaches_its_owner_once_without_names_then_turns_overdue_and_its_completion_is_in_the_file(
    world, pupil, run_tasks
):
    concern = concern_by(world.teacher, pupil, with_file=False)
    run_tasks()
    mail.outbox.clear()

    response = give_action(world, pupil, concern)
    run_tasks()
    run_tasks()

    assert response.status_code == 302 and response.url == f"/queue/{concern.uuid}/"
    action = Action.objects.get()
    assert action.owner == world.teacher2 and action.concern == concern and action.due_on == MONDAY
    sent = [message for message in mail.outbox if world.teacher2.email in message.to]
    assert len(sent) == 1
    assert "Jade" not in sent[0].body + sent[0].subject and "Turner" not in sent[0].body and "Monday" in sent[0].body
    assert AuditEvent.objects.filter(event_type=EventType.CREATE, object_type="action", object_uuid=action.uuid)

    owner = signed_in_client(world.teacher2)
    home = owner.get("/").content.decode()
    assert "Actions for you (1)" in home and f"/actions/{action.uuid}/" in home and "Jade" in home
    page = owner.get(f"/actions/{action.uuid}/").content.decode()
    assert "Check in with Jade" in page and concern.reference not in page  # what to do, not the child's history
    assert owner.get(f"/children/{pupil.uuid}/").status_code == 404

    with time_machine.travel("2026-12-07 16:00 +0000", tick=False):
        queue = signed_in_client(world.dsl).get("/queue/").content.decode()
        assert "Actions overdue" not in queue
    with time_machine.travel("2026-12-08 09:00 +0000", tick=False):
        queue = signed_in_client(world.dsl).get("/queue/").content.decode()
        assert "Actions overdue" in queue and f"/actions/{action.uuid}/" in queue
        owner = signed_in_client(world.teacher2)
        refused = owner.post(f"/actions/{action.uuid}/", {"note": "  "})
        assert refused.status_code == 400 and "Say in a line what was done." in refused.content.decode()
        done = owner.post(f"/actions/{action.uuid}/", {"note": "Spoke to her at break; she is fine."})
        assert done.status_code == 302
        assert "Actions overdue" not in signed_in_client(world.dsl).get("/queue/").content.decode()

    action.refresh_from_db()
    assert action.completed_by == world.teacher2 and action.completion_note.startswith("Spoke to her")
    chronology = signed_in_client(world.dsl).get(f"/children/{pupil.uuid}/").content.decode()
    assert "Action for" in chronology and "Action done by" in chronology and "Spoke to her at break" in chronology
    assert "Actions for you" not in signed_in_client(world.teacher2).get("/").content.decode()


def test_only_the_team_gives_actions_and_only_to_the_schools_staff(world, pupil):
    data = {"what": "Call home", "owner": str(world.teacher2.uuid), "due_on": MONDAY + timedelta(days=30)}
    assert signed_in_client(world.teacher).post(f"/children/{pupil.uuid}/actions/", data).status_code == 404
    assert signed_in_client(world.trustlead).post(f"/children/{pupil.uuid}/actions/", data).status_code == 403
    elsewhere = {**data, "owner": str(world.riverside_teacher.uuid)}
    refused = signed_in_client(world.dsl).post(f"/children/{pupil.uuid}/actions/", elsewhere)
    assert refused.status_code == 400 and "Choose a member of staff." in refused.content.decode()
    assert not Action.objects.exists()


def test_another_teacher_cannot_open_someone_elses_action(world, pupil):
    give_action(world, pupil, due_on=timezone.localdate() + timedelta(days=2))
    action = Action.objects.get()
    assert signed_in_client(world.teacher).get(f"/actions/{action.uuid}/").status_code == 404
    assert signed_in_client(world.riverside_dsl).get(f"/actions/{action.uuid}/").status_code == 404


def known_desk(world):
    """A known set: at Northfield 4 open concerns, 2 new (1 overdue, 1 immediate), 1 escalated in review with an
    alert on its child, 1 decided with a referral awaiting its acknowledgement, and 1 action due today; at
    Riverside, one routine concern."""
    from referrals.services.reviews import concern_acknowledge

    children = [ChildFactory(school=world.northfield) for _ in range(4)]
    overdue = concern_by(world.teacher, children[0], with_file=False)
    type(overdue).objects.filter(pk=overdue.pk).update(ack_due_at=timezone.now() - timedelta(hours=2))
    concern_by(world.teacher, children[1], urgency=Urgency.IMMEDIATE, with_file=False)
    escalated = concern_by(world.teacher, children[2], with_file=False)
    concern_acknowledge(actor=world.dsl, context=None, concern=escalated)
    Escalation.objects.create(concern=escalated, level=Escalation.Level.TEAM)
    PatternAlertFactory(child=children[2])
    ReferralFactory(child=children[3], dsl=world.dsl)
    give_action(world, children[3], due_on=timezone.localdate())
    concern_by(world.riverside_teacher, ChildFactory(school=world.riverside), with_file=False)


def count_on_queue(client, link: str) -> int:
    page = client.get(link).content.decode()
    return int(re.search(r"(\d+) concerns? open", page).group(1))


def test_the_dsls_home_counts_match_the_queue_filters_they_link_to(world):
    known_desk(world)
    client = signed_in_client(world.dsl)

    home = client.get("/").content.decode()

    card = r'<a class="card[^"]*" href="([^"]+)"><div class="card-body"><div class="[^"]*">(\d+)</div><div>([^<]+)<'
    cards = {label.strip(): (int(number), href) for href, number, label in re.findall(card, home)}
    assert cards["overdue or escalated"] == (2, "/queue/?due=overdue")
    assert cards["new, to acknowledge"] == (2, "/queue/?status=submitted")
    assert cards["immediate risk open"] == (1, "/queue/?urgency=immediate")
    assert cards["with an open pattern alert"] == (1, "/queue/?due=alert")
    assert cards["referrals awaiting a reply"][0] == 1 and cards["actions due"][0] == 1
    for label in ("overdue or escalated", "new, to acknowledge", "immediate risk open", "with an open pattern alert"):
        number, link = cards[label]
        assert count_on_queue(client, link) == number, label
    assert "Next due" in home and home.count('class="list-group-item"') == 4


def test_the_trust_leads_home_puts_a_school_with_an_overdue_concern_first(world):
    concern = concern_by(world.riverside_teacher, ChildFactory(school=world.riverside), with_file=False)
    type(concern).objects.filter(pk=concern.pk).update(ack_due_at=timezone.now() - timedelta(hours=1))
    concern_by(world.teacher, ChildFactory(school=world.northfield), with_file=False)
    concern_by(world.teacher, ChildFactory(school=world.northfield), with_file=False)

    home = signed_in_client(world.trustlead).get("/").content.decode()

    rows = re.findall(r'<tr class="trust-school">\s*<th scope="row"><a [^>]+>([^<]+)</a>', home)
    assert rows[:2] == [world.riverside.name, world.northfield.name]


def test_a_teachers_home_starts_with_log_a_concern_then_her_draft_and_her_concerns(world, pupil):
    from referrals.services.concerns import draft_for

    concern = concern_by(world.teacher, pupil, with_file=False)
    draft = draft_for(author=world.teacher, school=world.northfield)
    draft.data = {"account": "Half-written"}
    draft.save()

    home = signed_in_client(world.teacher).get("/").content.decode()

    log = home.index("Log a concern about a child")
    assert log < home.index("not sent yet") < home.index("Your latest concerns")
    assert log < home.index("If you are worried about a child")
    assert f"/concerns/{concern.uuid}/" in home and "Received" in home
    assert "Half-written" not in home
