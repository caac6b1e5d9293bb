"""Concerns about adults (REQUIREMENTS.md §6): the route, who reaches a record, the LADO's clock, patterns, closing
and removal, and moving a child's concern out of the children's side."""

import itertools
from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.test import Client
from django.utils import timezone

from referrals.models import (
    AdultEntry,
    AdultRecord,
    AdultRecordKind,
    AdultRelation,
    AllegationOutcome,
    ConcernMove,
    ConcernStatus,
    ManagedBy,
    Notification,
)
from referrals.services.adults import (
    AdultRecordRefused,
    Raised,
    adult_concern_raise,
    adult_entry_add,
    adult_malicious_remove,
    adult_record_close,
    adult_retention_facts,
    adults_chase_lado,
    harm_route,
)
from safeguarding.accounts.models import HeadCasesTo, Membership
from safeguarding.accounts.roles import Role
from safeguarding.audit.events import EventType, Outcome
from safeguarding.audit.models import AuditEvent
from safeguarding.core.dates import LONDON
from tests.concerns import concern_by
from tests.factories import ChildFactory, MembershipFactory, UserFactory, totp_device_for
from tests.personas import signed_in_client
from tests.security.test_permissions import POST_BODIES
from tests.urlmap import ALLEGATION_ACCOUNT, build_scene, site_patterns

NO = {"harmed": False, "offence": False, "risk": False, "unsuitable": False}


def raise_about(world, subject, *, by=None, school=None, **answers) -> AdultRecord:
    with transaction.atomic():
        return adult_concern_raise(
            actor=by or world.teacher,
            context=None,
            school=school or world.northfield,
            raised=Raised(
                subject_user=subject,
                subject_name="",
                subject_relation=AdultRelation.STAFF,
                subject_job_title="",
                answers={**NO, **answers},
                happened_on=timezone.localdate(),
                account=f"What was seen, about {subject.full_name}.",
            ),
        )


def refusals(user) -> int:
    return AuditEvent.objects.filter(
        user_uuid=user.uuid, event_type=EventType.ACCESS_REFUSED, outcome=Outcome.REFUSED
    ).count()


# R6.1: the four questions decide the route --------------------------------------------------------------------------


@pytest.mark.parametrize("answers", list(itertools.product([False, True], repeat=4)))
def test_any_yes_to_the_four_questions_makes_an_allegation_and_none_a_low_level_concern(answers):
    named = dict(zip(["harmed", "offence", "risk", "unsuitable"], answers, strict=True))
    expected = AdultRecordKind.ALLEGATION if any(answers) else AdultRecordKind.LOW_LEVEL

    assert harm_route(named) == expected


def test_the_form_routes_by_the_answers_and_tells_the_raiser_only_what_they_sent(world):
    client = signed_in_client(world.teacher)
    answers = {"harmed": "no", "offence": "no", "risk": "yes", "unsuitable": "no"}
    response = client.post(
        "/adults/new/",
        {
            "about": "staff",
            "subject_user": str(world.teacher2.uuid),
            "happened_on": timezone.localdate().isoformat(),
            "account": "Kept a pupil behind alone with the door locked.",
            **answers,
        },
    )
    record = AdultRecord.objects.get()

    assert response.status_code == 302 and response["Location"] == f"/adults/raised/{record.uuid}/"
    assert record.kind == AdultRecordKind.ALLEGATION and record.managed_by == ManagedBy.HEADTEACHER
    assert record.subject_user == world.teacher2 and record.raised_by == world.teacher
    page = client.get(response["Location"]).content.decode()
    assert "Kept a pupil behind alone" in page and "Received" in page
    assert "LADO by" not in page  # the clock and the case are the case manager's, not the raiser's
    assert client.get(f"/adults/{record.uuid}/").status_code == 404


def test_the_form_names_what_is_missing(world):
    response = signed_in_client(world.teacher).post("/adults/new/", {"about": "other"})
    page = response.content.decode()

    assert response.status_code == 400
    for message in ("Give the person&#x27;s name.", "Answer each of the four questions", "Say what happened."):
        assert message in page
    assert not AdultRecord.objects.exists()


def test_a_self_referral_is_the_raisers_to_see_and_never_the_case(world):
    record = raise_about(world, world.teacher2, by=world.teacher2)
    client = signed_in_client(world.teacher2)

    assert record.self_referral and record.kind == AdultRecordKind.LOW_LEVEL
    assert client.get(f"/adults/raised/{record.uuid}/").status_code == 200
    assert client.get(f"/adults/{record.uuid}/").status_code == 404
    assert record.reference in client.get("/concerns/mine/").content.decode()


# R6.2, R6.7: who reaches it ----------------------------------------------------------------------------------------


def test_an_allegation_about_the_headteacher_goes_to_the_chair_and_never_reaches_the_head(world):
    about_head = raise_about(world, world.head, harmed=True)
    about_assistant = raise_about(world, world.teacher2, offence=True)
    head = signed_in_client(world.head)

    assert about_head.about_headteacher and about_head.managed_by == ManagedBy.CHAIR
    assert set(Notification.objects.filter(adult_record=about_head).values_list("recipient", flat=True)) == {
        world.chair.pk
    }
    assert signed_in_client(world.chair).get(f"/adults/{about_head.uuid}/").status_code == 200
    # The head still manages the other case, and sees nothing of the one about them, wherever they look.
    assert head.get(f"/adults/{about_assistant.uuid}/").status_code == 200
    before = refusals(world.head)
    for url in (
        f"/adults/{about_head.uuid}/",
        f"/adults/raised/{about_head.uuid}/",
        f"/notifications/{Notification.objects.get(adult_record=about_head).uuid}/",
    ):
        assert head.get(url).status_code == 404, url
    assert refusals(world.head) == before + 3
    for url in ("/adults/", "/adults/?show=all", "/", "/notifications/", "/concerns/mine/"):
        page = head.get(url).content.decode()
        assert about_head.reference not in page and str(about_head.uuid) not in page, url
    assert about_assistant.reference in head.get("/adults/").content.decode()


def test_the_dsl_sees_no_concern_about_an_adult_unless_designated_and_never_one_about_the_head(world):
    about_assistant = raise_about(world, world.teacher2, harmed=True)
    about_head = raise_about(world, world.head, harmed=True)
    dsl = signed_in_client(world.dsl)

    assert dsl.get("/adults/").status_code == 403
    assert dsl.get(f"/adults/{about_assistant.uuid}/").status_code == 404
    assert about_assistant.reference not in dsl.get("/queue/").content.decode()

    Membership.objects.filter(user=world.dsl).update(manages_adult_concerns=True)
    assert dsl.get(f"/adults/{about_assistant.uuid}/").status_code == 200
    assert dsl.get(f"/adults/{about_head.uuid}/").status_code == 404
    assert about_head.reference not in dsl.get("/adults/?show=all").content.decode()


def test_a_trust_may_send_allegations_about_headteachers_to_its_chief_executive(world):
    world.trust.head_cases_to = HeadCasesTo.CHIEF_EXECUTIVE
    world.trust.save()
    chief = UserFactory(email="ceo@safeguard.example", full_name="Chief Executive")
    MembershipFactory(user=chief, school=None, trust=world.trust, role=Role.CHIEF_EXECUTIVE)
    totp_device_for(chief)
    about_head = raise_about(world, world.head, harmed=True)

    assert about_head.managed_by == ManagedBy.CHIEF_EXECUTIVE
    assert signed_in_client(chief).get(f"/adults/{about_head.uuid}/").status_code == 200
    assert signed_in_client(world.chair).get(f"/adults/{about_head.uuid}/").status_code == 404


def test_hr_reads_the_records_but_does_not_act_and_never_reads_a_childs_file(world):
    record = raise_about(world, world.teacher2, by=world.office, harmed=True)
    hr = signed_in_client(world.hr)
    pupil = ChildFactory(school=world.northfield)

    assert record.reference in hr.get("/adults/").content.decode()
    page = hr.get(f"/adults/{record.uuid}/").content.decode()
    assert "Record the discussion" not in page
    # The name of the person who raised it is for the case manager only (R6.5).
    assert world.office.full_name not in page and "the case manager knows who" in page
    assert world.office.full_name in signed_in_client(world.head).get(f"/adults/{record.uuid}/").content.decode()
    assert hr.post(f"/adults/{record.uuid}/", {"step": "entry"}).status_code == 403
    assert hr.get(f"/children/{pupil.uuid}/").status_code == 404


def test_an_allegation_about_the_deputy_never_reaches_the_deputy_on_any_page(world):
    """Every page of the permission matrix, asked by the deputy, after the head has read the allegation."""
    scene = build_scene(world)
    allegation = scene.allegation
    assert signed_in_client(world.head).get(f"/adults/{allegation.uuid}/").status_code == 200
    secrets = [allegation.reference, str(allegation.uuid), ALLEGATION_ACCOUNT]
    seen, answered = [], 0
    for name, pattern in site_patterns():
        with transaction.atomic():
            deputy = signed_in_client(world.deputy)  # afresh each time: one of the patterns signs out
            response = (
                deputy.post(scene.url(pattern), POST_BODIES[name])
                if name in POST_BODIES
                else deputy.get(scene.url(pattern))
            )
            body = b"".join(response.streaming_content) if response.streaming else response.content
            text = body.decode(errors="replace")
            seen += [f"{name}: {secret}" for secret in secrets if secret.lower() in text.lower()]
            answered += response.status_code == 200
            transaction.set_rollback(True)
    # Who viewed the pupil the allegation names shows nothing of the case manager's reading.
    access = signed_in_client(world.deputy).get(f"/children/{scene.pupil.uuid}/access/").content.decode()

    assert seen == []
    assert answered > 30  # the deputy was shown the pages of their role, not sent to sign in
    assert world.head.full_name not in access
    assert not Notification.objects.filter(recipient=world.deputy, adult_record__isnull=False).exists()
    assert not [m for m in mail.outbox if world.deputy.email in m.to and "adult" in m.subject]


def test_the_trail_never_shows_the_subject_the_events_about_their_record(world):
    from safeguarding.audit.context import RequestContext
    from safeguarding.trail.selectors import AuditFilters, audit_page

    about_dsl = raise_about(world, world.dsl, harmed=True)
    signed_in_client(world.head).get(f"/adults/{about_dsl.uuid}/")
    about_teacher = raise_about(world, world.teacher2, harmed=True)

    def shown(user) -> set:
        page = audit_page(user=user, context=RequestContext(), filters=AuditFilters(), page_number=1, per_page=500)
        return {event.object_uuid for event in page}

    assert about_dsl.uuid not in shown(world.dsl) and about_teacher.uuid in shown(world.dsl)
    assert about_dsl.uuid in shown(world.trustlead)
    assert signed_in_client(world.dsl).get("/audit/").status_code == 200


# The LADO's one working day ---------------------------------------------------------------------------------------


def test_the_lado_clock_counts_working_days_and_reminds_then_escalates_once(world):
    # Friday 28 May 2027, 16:00; Monday 31 May is the spring bank holiday.
    raised_at = datetime(2027, 5, 28, 16, 0, tzinfo=LONDON)
    with time_machine.travel(raised_at, tick=False):
        record = raise_about(world, world.teacher2, harmed=True)

    assert timezone.localtime(record.lado_due_at) == datetime(2027, 6, 1, 16, 0, tzinfo=LONDON)
    assert adults_chase_lado(now=datetime(2027, 5, 31, 9, 0, tzinfo=LONDON)) == 0
    assert adults_chase_lado(now=datetime(2027, 6, 1, 12, 30, tzinfo=LONDON)) == 1  # the reminder
    assert adults_chase_lado(now=datetime(2027, 6, 1, 13, 0, tzinfo=LONDON)) == 0
    assert adults_chase_lado(now=datetime(2027, 6, 1, 16, 1, tzinfo=LONDON)) == 1  # the escalation
    assert adults_chase_lado(now=datetime(2027, 6, 2, 9, 0, tzinfo=LONDON)) == 0

    kinds = Notification.objects.filter(adult_record=record).values_list("kind", "recipient")
    assert (Notification.Kind.ADULT_LADO_DUE, world.head.pk) in kinds
    assert [r for k, r in kinds if k == Notification.Kind.ADULT_LADO_OVERDUE] == [world.chair.pk]
    assert [r for k, r in kinds if k == Notification.Kind.ADULT_LADO_DUE] == [world.head.pk]
    # The escalation lets the chair into the case.
    assert signed_in_client(world.chair).get(f"/adults/{record.uuid}/").status_code == 200
    assert not [m for m in mail.outbox if world.teacher2.full_name in m.body or "Turner" in m.body]


def test_a_discussion_recorded_in_time_stops_the_clock(world):
    record = raise_about(world, world.teacher2, harmed=True)
    client = signed_in_client(world.head)
    response = client.post(
        f"/adults/{record.uuid}/",
        {
            "step": "lado",
            "discussed_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "lado_name": "Jo Bell",
            "advice": "Strategy discussion; keep him away from the pupil's classes meanwhile.",
        },
    )

    assert response.status_code == 302
    assert adults_chase_lado(now=record.lado_due_at + timedelta(hours=1)) == 0


# R6.6: a third low-level concern -----------------------------------------------------------------------------------


def test_the_third_low_level_concern_about_one_adult_within_twelve_months_prompts_the_case_manager(world):
    start = timezone.now() - timedelta(days=300)
    with time_machine.travel(start - timedelta(days=100), tick=False):
        outside = raise_about(world, world.teacher2)  # more than 12 months before the third
    with time_machine.travel(start, tick=False):
        first = raise_about(world, world.teacher2)
    second = raise_about(world, world.teacher2, by=world.office)
    prompts = Notification.objects.filter(kind=Notification.Kind.ADULT_PATTERN)

    assert outside.pattern_prompted_at is None and first.pattern_prompted_at is None
    assert second.pattern_prompted_at is None and not prompts.exists()

    third = raise_about(world, world.teacher2, by=world.admin)

    assert third.pattern_prompted_at is not None
    assert list(prompts.values_list("recipient", flat=True)) == [world.head.pk]
    page = signed_in_client(world.head).get(f"/adults/{third.uuid}/").content.decode()
    assert "consider whether to refer to the LADO" in page
    assert first.reference in page and second.reference in page  # reviewable per adult


# R6.3, R6.4, R9.3, R5.5: closing, removal, regulators ------------------------------------------------------------


def test_closing_an_allegation_without_the_copy_date_or_the_summary_is_refused_naming_what_is_missing(world):
    record = raise_about(world, world.teacher2, harmed=True)
    close = {
        "actor": world.head,
        "context": None,
        "adult": record,
        "outcome": AllegationOutcome.UNSUBSTANTIATED,
        "summary": "",
        "follow_up": "LADO strategy discussion; no further action by the police.",
        "actions_and_decisions": "Reminded of the behaviour policy.",
        "copy_given_on": None,
    }
    with pytest.raises(AdultRecordRefused) as refused:
        adult_record_close(**close)
    assert str(refused.value) == (
        "To close, record a clear summary of the allegation and the date a copy was given to the person."
    )
    with pytest.raises(AdultRecordRefused, match="the outcome"):
        adult_record_close(**{**close, "outcome": "", "summary": "A summary.", "copy_given_on": date.today()})
    response = signed_in_client(world.head).post(f"/adults/{record.uuid}/", {"step": "close", "outcome": "false"})
    assert response.status_code == 400 and "the date a copy was given to the person" in response.content.decode()

    closed = adult_record_close(**{**close, "summary": "A summary.", "copy_given_on": timezone.localdate()})
    assert closed.closed_at is not None
    assert set(AllegationOutcome.values) == {"substantiated", "malicious", "false", "unsubstantiated", "unfounded"}


def test_a_malicious_allegation_closes_without_a_copy_and_its_removal_leaves_only_the_proof(world):
    record = raise_about(world, world.teacher2, harmed=True)
    with transaction.atomic():
        adult_entry_add(
            actor=world.head,
            context=None,
            adult=record,
            kind=AdultEntry.Kind.STRATEGY,
            happened_on=timezone.localdate(),
            text="Strategy discussion with the LADO and the police.",
        )
        adult_record_close(
            actor=world.head,
            context=None,
            adult=record,
            outcome=AllegationOutcome.MALICIOUS,
            summary="The pupil said she made it up to get him into trouble.",
            follow_up="",
            actions_and_decisions="",
            copy_given_on=None,
        )
        adult_malicious_remove(actor=world.head, context=None, adult=record, reason="Found malicious by the LADO.")
    record.refresh_from_db()

    assert record.subject_user is None and "about" not in record.account and record.summary == ""
    assert record.removed_by == world.head and record.outcome == AllegationOutcome.MALICIOUS
    assert not record.entries.exists() and not record.children.exists()
    event = AuditEvent.objects.get(object_uuid=record.uuid, event_type=EventType.DELETE)
    assert event.detail == {"action": "removed_malicious", "steps": 1}


def test_a_dbs_referral_is_recorded_after_the_close_and_after_the_person_resigned(world):
    record = raise_about(world, world.teacher2, harmed=True)
    with transaction.atomic():
        adult_record_close(
            actor=world.head,
            context=None,
            adult=record,
            outcome=AllegationOutcome.SUBSTANTIATED,
            summary="Substantiated.",
            follow_up="Disciplinary hearing.",
            actions_and_decisions="He resigned before the hearing.",
            copy_given_on=timezone.localdate(),
        )
        entry = adult_entry_add(
            actor=world.head,
            context=None,
            adult=record,
            kind=AdultEntry.Kind.DBS_REFERRAL,
            happened_on=timezone.localdate(),
            text="Referred to the DBS: he left while the allegation was substantiated.",
            reference="DBS-123",
            person_left=True,
        )

    assert entry.person_left and entry.is_regulatory
    assert "made after the person left" in signed_in_client(world.head).get(f"/adults/{record.uuid}/").content.decode()


def test_the_keeping_dates_follow_r9_3_and_r9_4(world):
    with time_machine.travel(datetime(2020, 3, 1, 12, 0, tzinfo=LONDON), tick=False):
        allegation = raise_about(world, world.teacher2, harmed=True)
        low_level = raise_about(world, world.teacher2)
    assert allegation.retain_until == date(2030, 3, 1)  # ten years, until the date of birth is known
    assert low_level.retain_until is None  # at least until employment ends

    with transaction.atomic():
        allegation = adult_retention_facts(
            actor=world.head,
            context=None,
            adult=allegation,
            subject_birth_date=date(1990, 1, 1),
            retirement_age=67,
            employment_ended_on=None,
        )
        low_level = adult_retention_facts(
            actor=world.head,
            context=None,
            adult=low_level,
            subject_birth_date=None,
            retirement_age=67,
            employment_ended_on=date(2026, 7, 31),
        )
    assert allegation.retain_until == date(2057, 1, 1)
    assert low_level.retain_until == date(2026, 7, 31)


# Moving a child's concern; LADO no longer a child's outcome --------------------------------------------------------


def test_a_childs_concern_about_an_adult_moves_out_leaving_a_neutral_line(world):
    pupil = ChildFactory(school=world.northfield, legal_first_name="Jade", legal_last_name="Turner")
    concern = concern_by(world.teacher, pupil, with_file=False)
    dsl = signed_in_client(world.dsl)
    response = dsl.post(
        f"/queue/{concern.uuid}/to-adults/",
        {
            "reason": "She describes Mr Reid grabbing her arm: it is about a member of staff.",
            "about": "staff",
            "subject_user": str(world.deputy.uuid),
            "happened_on": timezone.localdate().isoformat(),
            "account": "A pupil says a member of staff grabbed her arm.",
            "harmed": "yes",
            "offence": "no",
            "risk": "no",
            "unsuitable": "no",
        },
    )
    record = AdultRecord.objects.get()
    concern.refresh_from_db()

    assert response.status_code == 302
    assert record.moved_from == concern and record.kind == AdultRecordKind.ALLEGATION
    assert concern.account in record.account and list(record.children.all()) == [pupil]
    assert concern.status == ConcernStatus.CLOSED and concern.child is None
    move = ConcernMove.objects.get(concern=concern)
    assert move.from_child == pupil and move.to_child is None
    file_page = dsl.get(f"/children/{pupil.uuid}/").content.decode()
    assert "moved out of this file" in file_page and concern.account not in file_page and "Reid" not in file_page
    assert dsl.get(f"/queue/{concern.uuid}/").status_code == 404
    # The deputy it is about reaches neither side of it.
    deputy = signed_in_client(world.deputy)
    assert deputy.get(f"/queue/{concern.uuid}/").status_code == 404
    assert deputy.get(f"/adults/{record.uuid}/").status_code == 404


def test_the_decision_and_referral_forms_no_longer_offer_the_lado(world):
    from referrals.forms.agency_referrals import ReferralForm
    from referrals.forms.reviews import DecisionForm

    assert "lado" not in dict(DecisionForm.base_fields["outcomes"].choices)
    form = ReferralForm(agencies=[("lado", "LADO"), ("police", "Police")])
    assert dict(form.fields["agency"].choices) == {"police": "Police"}


def test_a_teacher_finds_the_route_from_home_and_the_concern_form(world):
    teacher = signed_in_client(world.teacher)

    assert 'href="/adults/new/"' in teacher.get("/").content.decode()
    assert 'href="/adults/new/"' in teacher.get("/concerns/new/").content.decode()
    assert signed_in_client(world.auditor).get("/adults/new/").status_code == 403
    assert Client().get("/adults/new/").status_code == 302


def test_a_concern_with_nobody_to_receive_it_tells_the_raiser_to_go_in_person(world):
    """Riverside has no headteacher on Safeguard in the tests' trust."""
    record = raise_about(world, world.riverside_deputy, by=world.riverside_teacher, school=world.riverside)
    page = signed_in_client(world.riverside_teacher).get(f"/adults/raised/{record.uuid}/").content.decode()

    assert "Nobody at Riverside Primary is set up in Safeguard to receive this" in page
    assert AuditEvent.objects.filter(object_uuid=record.uuid, detail__action="no_case_manager").exists()
