"""What a children's services front door needs from a referral: the family, the earlier concerns, the level of need;
and what happens after: escalations kept one by one, meetings dated as they happened, a review when nothing
comes back, and a sharing record for an export that leaves the school."""

import io
from datetime import date, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone
from pypdf import PdfReader

from referrals.clocks import LONDON
from referrals.demo.concerns import STORY
from referrals.models import Carer, ExportRecord, Notification, Referral, ReferralEscalation, ReferralMeeting
from referrals.pdfs import referral_pdf
from referrals.pupil_import import check_pupil_file
from referrals.services.agency_referrals import referral_escalate, referrals_overdue_notify
from referrals.services.children import roster_import
from referrals.services.reviews import decision_record
from referrals.upn import make_upn
from safeguarding.accounts.models import ClosureDay, Membership
from safeguarding.accounts.roles import Role
from safeguarding.audit.models import AuditEvent
from tests.concerns import concern_by, referral_for
from tests.factories import ChildFactory
from tests.personas import signed_in_client

UPN = {"la_code": 873, "establishment": 4001, "year": 2020}


def pdf_words(content: bytes) -> str:
    """The PDF's text with its line breaks and runs of spaces made single spaces, as a reader copying it gets."""
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
def pupil(world):
    return ChildFactory(school=world.northfield, legal_first_name="Jade", legal_last_name="Turner")


def test_the_demo_story_childs_referral_pdf_gives_a_front_door_what_it_asks(db):
    call_command("seed_demo", stdout=StringIO())
    referral = Referral.objects.get(agency="social_care", school__name__startswith="Northfield")
    child = referral.child
    dsl = Membership.objects.get(school=referral.school, role=Role.DSL, is_active=True).user

    text = pdf_words(referral_pdf(referral=referral, user=dsl))

    mother = child.carers.get(position=0)
    assert f"{mother.name} (Mother), has parental responsibility" in text
    assert "14 Canal Terrace Northfield NF4 2QP" in text
    assert "First language English" in text
    assert f"{dsl.full_name}, Designated Safeguarding Lead, {dsl.email}" in text
    assert "Significant harm (suffering, or likely to suffer) Yes" in text
    assert "Earlier concerns these reasons rely on" in text
    # The concern referred, and the two earlier ones the reasons rely on, read as whole sentences.
    name = child.display_name
    for _days, _email, account, _signs, _words in STORY[:3]:
        for sentence in account.replace("Chloe Ward", name).replace("Chloe", name.split()[0]).split(". "):
            assert " ".join(sentence.rstrip(".").split()) in text
    assert "Someone nice" not in text and "someone nice got them for me" not in text  # earlier words: not shared


def test_a_decision_names_the_earlier_concerns_it_relies_on_and_the_referral_pdf_lists_them(world, pupil):
    earlier = concern_by(world.teacher, pupil, indicators=("SIG-GIFTS",), with_file=False)
    unrelated = concern_by(world.teacher, pupil, indicators=("ABUSE-NEGLECT",), with_file=False)
    referral = referral_for(world, pupil)
    concern = referral.decision.concern
    client = signed_in_client(world.dsl)
    from referrals.models import Concern

    Concern.objects.filter(pk=earlier.pk).update(
        observed_at=timezone.now() - timedelta(days=30), account="She came in with new earrings from a friend."
    )
    Concern.objects.filter(pk=unrelated.pk).update(
        observed_at=timezone.now() - timedelta(days=20), account="Her coat was torn at the sleeve."
    )

    review = client.get(f"/queue/{concern.uuid}/").content.decode()
    assert "Earlier concerns these reasons rely on" in review and f'value="{earlier.uuid}"' in review
    response = client.post(
        f"/queue/{concern.uuid}/",
        {
            "action": "decide",
            "version": str(Concern.objects.get(pk=concern.pk).version),
            "outcomes": ["social_care"],
            "threshold": "child_protection",
            "rationale": "Read with the earlier gifts, this is grooming.",
            "relies_on": [str(earlier.uuid)],
            "next_review": (timezone.localdate() + timedelta(weeks=4)).isoformat(),
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    decision = concern.decisions.latest("decided_at")
    assert list(decision.relies_on.all()) == [earlier]
    referral.decision = decision
    referral.save(update_fields=["decision"])

    text = pdf_words(client.get(f"/referrals/{referral.uuid}/pdf/").content)
    assert earlier.reference in text and "She came in with new earrings from a friend" in text
    assert unrelated.reference not in text and "torn at the sleeve" not in text
    assert earlier.reference in client.get(f"/referrals/{referral.uuid}/").content.decode()


def test_the_earlier_concerns_are_not_in_the_pdf_when_the_rationale_is_not_shared(world, pupil):
    earlier = concern_by(world.teacher, pupil, indicators=("SIG-GIFTS",), with_file=False)
    referral = referral_for(world, pupil)
    referral.decision.relies_on.set([earlier])
    Referral.objects.filter(pk=referral.pk).update(shared_rationale=False)

    text = pdf_words(signed_in_client(world.dsl).get(f"/referrals/{referral.uuid}/pdf/").content)

    assert earlier.reference not in text and "Earlier concerns" not in text


def test_the_roster_keeps_the_family_carers_and_siblings_and_the_child_file_shows_them(world, pupil):
    sister = ChildFactory(
        school=world.riverside, legal_first_name="Mia", legal_last_name="Turner", upn=make_upn(**UPN, serial=1)
    )
    outsider = ChildFactory(legal_first_name="Zed", legal_last_name="Other", upn=make_upn(**UPN, serial=2))
    client = signed_in_client(world.admin)
    url = f"/schools/{world.northfield.uuid}/pupils/{pupil.uuid}/"
    page = client.get(url).content.decode()
    assert "Parents and carers" in page and "First language" in page
    form = {
        "legal_first_name": "Jade",
        "legal_last_name": "Turner",
        "date_of_birth": pupil.date_of_birth.isoformat(),
        "upn": pupil.upn,
        "year_group": pupil.year_group,
        "sex": pupil.sex,
        "send": pupil.send,
        "roll_status": pupil.roll_status,
        "address": "3 Mill Lane\nNorthfield",
        "home_language": "Polish",
        "interpreter_needed": "on",
        "gp": "Mill Lane Surgery",
        "carer-TOTAL_FORMS": "2",
        "carer-INITIAL_FORMS": "0",
        "carer-MIN_NUM_FORMS": "0",
        "carer-MAX_NUM_FORMS": "8",
        "carer-0-name": "Anna Turner",
        "carer-0-relationship": "Mother",
        "carer-0-parental_responsibility": "on",
        "carer-0-lives_with_child": "on",
        "carer-0-phone": "07700 900123",
    }

    refused = client.post(url, {**form, "sibling_upns": outsider.upn})
    assert "No pupil of the trust" in refused.content.decode()
    saved = client.post(url, {**form, "sibling_upns": sister.upn})

    assert saved.status_code == 302, saved.content.decode()[:3000]
    pupil.refresh_from_db()
    assert (pupil.home_language, pupil.interpreter_needed, pupil.gp) == ("Polish", True, "Mill Lane Surgery")
    assert list(pupil.siblings.all()) == [sister] and list(sister.siblings.all()) == [pupil]
    (carer,) = pupil.carers.all()
    assert (carer.name, carer.parental_responsibility) == ("Anna Turner", True)
    event = AuditEvent.objects.filter(object_uuid=pupil.uuid, object_type="child_roster").latest("pk")
    assert "Anna" not in str(event.detail) and "Polish" not in str(event.detail)
    file_page = signed_in_client(world.dsl).get(f"/children/{pupil.uuid}/").content.decode()
    assert "Anna Turner (Mother), has parental responsibility" in file_page
    assert "the family needs an interpreter" in file_page and "Mia Turner" in file_page


def test_the_pupil_import_reads_the_family_columns_and_leaves_them_alone_when_absent(world):
    header = (
        "upn,legal_first_name,legal_last_name,date_of_birth,year_group,address,home_language,interpreter_needed,"
        "carer1_name,carer1_relationship,carer1_parental_responsibility,carer1_phone,carer2_name,carer2_relationship\n"
    )
    row = 'A123456789012,Jade,Turner,01/02/2012,Y9,"3 Mill Lane, Northfield",Polish,yes,Anna Turner,Mother,yes,0770,,\n'
    checked = check_pupil_file((header + row).encode())
    assert checked.ok, checked.problems
    roster_import(school=world.northfield, rows=checked.rows)
    child = world.northfield.children.get(upn="A123456789012")
    assert (child.address, child.home_language, child.interpreter_needed) == ("3 Mill Lane, Northfield", "Polish", True)
    assert [(c.name, c.relationship, c.parental_responsibility) for c in child.carers.all()] == [
        ("Anna Turner", "Mother", True)
    ]

    plain = "upn,legal_first_name,legal_last_name,date_of_birth,year_group\nA123456789012,Jade,Turner,01/02/2012,Y9\n"
    roster_import(school=world.northfield, rows=check_pupil_file(plain.encode()).rows)
    child.refresh_from_db()
    assert child.home_language == "Polish" and child.carers.count() == 1

    bad = header + "A123456789012,Jade,Turner,01/02/2012,Y9,x,x,perhaps,,Mother,maybe,,,\n"
    problems = {str(p) for p in check_pupil_file(bad.encode()).problems}
    assert "line 2, interpreter_needed: use yes or no" in problems
    assert any("carer1_name: missing" in p for p in problems)
    assert "line 2, carer1_parental_responsibility: use yes or no" in problems
    assert Carer.objects.count() == 1


def test_a_second_escalation_keeps_the_first_and_each_records_its_outcome_once(world, pupil):
    referral = referral_for(world, pupil)
    client = signed_in_client(world.dsl)

    client.post(
        f"/referrals/{referral.uuid}/",
        {
            "action": "escalate",
            "reason": "Closed with no action although she was seen in the car again.",
            "escalated_to": "Team manager, MASH",
        },
    )
    first = ReferralEscalation.objects.get()
    outcome = client.post(
        f"/referrals/{referral.uuid}/",
        {
            "action": "escalation_outcome",
            "escalation": str(first.uuid),
            f"escalation-{first.pk}-outcome": "The manager kept the case closed.",
        },
    )
    assert outcome.status_code == 302
    client.post(f"/referrals/{referral.uuid}/", {"action": "escalate", "reason": "Going to the head of service."})

    first.refresh_from_db()
    assert first.outcome == "The manager kept the case closed." and first.outcome_on == timezone.localdate()
    assert referral.escalations.count() == 2
    again = client.post(
        f"/referrals/{referral.uuid}/",
        {"action": "escalation_outcome", "escalation": str(first.uuid), f"escalation-{first.pk}-outcome": "Changed"},
    )
    assert again.status_code == 400 and "already recorded" in again.content.decode()
    first.refresh_from_db()
    assert first.outcome == "The manager kept the case closed."
    page = client.get(f"/referrals/{referral.uuid}/").content.decode()
    assert "Escalations (2)" in page and "The manager kept the case closed." in page
    assert "Going to the head of service." in page


def test_an_escalation_outcome_names_one_of_this_referrals_escalations(world, pupil):
    referral = referral_for(world, pupil)
    other = referral_for(world, ChildFactory(school=world.northfield))
    theirs = referral_escalate(actor=world.dsl, context=None, referral=other, reason="Disagree")

    response = signed_in_client(world.dsl).post(
        f"/referrals/{referral.uuid}/",
        {"action": "escalation_outcome", "escalation": str(theirs.uuid), f"escalation-{theirs.pk}-outcome": "x"},
    )

    assert response.status_code == 403
    theirs.refresh_from_db()
    assert theirs.outcome == ""


def test_a_strategy_discussion_is_kept_with_when_it_was_held_and_cannot_be_changed(world, pupil):
    referral = referral_for(world, pupil, made_at=timezone.now() - timedelta(days=3))
    held = timezone.localtime() - timedelta(days=2)
    client = signed_in_client(world.dsl)

    response = client.post(
        f"/referrals/{referral.uuid}/",
        {
            "action": "meeting",
            "kind": "strategy",
            "held_at": held.strftime("%Y-%m-%dT%H:%M"),
            "school_attended": "on",
            "note": "Section 47 enquiries agreed.",
        },
    )

    assert response.status_code == 302
    meeting = ReferralMeeting.objects.get()
    assert meeting.held_at == held.replace(second=0, microsecond=0)
    assert meeting.recorded_at - meeting.held_at > timedelta(days=1)
    assert "Strategy discussion" in client.get(f"/referrals/{referral.uuid}/").content.decode()
    from django.db import DatabaseError, transaction

    with pytest.raises(DatabaseError), transaction.atomic():
        ReferralMeeting.objects.filter(pk=meeting.pk).update(note="Changed")


def test_a_referral_with_no_outcome_is_reviewed_after_20_school_days_not_counting_the_half_term(world, pupil):
    for day in range(25, 30):
        ClosureDay.objects.create(school=world.northfield, date=date(2026, 5, day))
    made = datetime(2026, 5, 11, 10, 0, tzinfo=LONDON)
    with time_machine.travel(made, tick=False):
        referral = referral_for(world, pupil)
    # 20 school days from Monday 11 May, with half term (25 to 29 May) not counted: Monday 15 June.
    assert referral.review_due_on == date(2026, 6, 15)

    with time_machine.travel(datetime(2026, 6, 12, 9, 0, tzinfo=LONDON), tick=False):
        assert referrals_overdue_notify() == 1  # the overdue acknowledgement only
    with time_machine.travel(datetime(2026, 6, 15, 7, 0, tzinfo=LONDON), tick=False):
        assert referrals_overdue_notify() == 1
        assert referrals_overdue_notify() == 0
    assert Notification.objects.filter(kind="referral_review", recipient=world.dsl).count() == 1


def test_no_review_reminder_once_the_agency_has_decided(world, pupil):
    with time_machine.travel(datetime(2026, 5, 11, 10, 0, tzinfo=LONDON), tick=False):
        referral = referral_for(world, pupil)
        Referral.objects.filter(pk=referral.pk).update(
            agency_decision="child_in_need", overdue_notified_at=timezone.now()
        )

    with time_machine.travel(datetime(2026, 7, 1, 9, 0, tzinfo=LONDON), tick=False):
        assert referrals_overdue_notify() == 0


def test_a_school_sets_its_own_levels_of_need_and_the_decision_offers_only_those(world, pupil):
    client = signed_in_client(world.dsl)
    url = f"/schools/{world.northfield.uuid}/local-arrangements/"
    response = client.post(
        url,
        {
            "threshold_document_url": "https://partners.example/threshold.pdf",
            "threshold_levels": "Level 1: universal\nLevel 2: early help\nLevel 3: targeted\nLevel 4: specialist",
            "referral_review_school_days": "15",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    world.northfield.refresh_from_db()
    assert world.northfield.threshold_level_names[3] == "Level 4: specialist"
    assert world.northfield.referral_review_school_days == 15
    assert signed_in_client(world.teacher).get(url).status_code == 403

    concern = concern_by(world.teacher, pupil, indicators=("SIG-GIFTS",), with_file=False)
    from referrals.services.reviews import concern_acknowledge

    concern_acknowledge(actor=world.dsl, context=None, concern=concern)
    review = client.get(f"/queue/{concern.uuid}/").content.decode()
    assert "Level 4: specialist" in review and "Child protection (section 47)" not in review
    assert "https://partners.example/threshold.pdf" in review
    with pytest.raises(ValueError, match="levels of need"):
        decision_record(
            actor=world.dsl,
            context=None,
            concern=concern,
            outcomes=["social_care"],
            rationale="x",
            threshold="child_protection",
            next_review=timezone.localdate() + timedelta(weeks=6),
        )
    decision = decision_record(
        actor=world.dsl,
        context=None,
        concern=concern,
        outcomes=["social_care"],
        rationale="Specialist services are needed.",
        threshold="Level 4: specialist",
        next_review=timezone.localdate() + timedelta(weeks=6),
    )
    from referrals.services.agency_referrals import referral_create

    referral = referral_create(
        actor=world.dsl, context=None, decision=decision, agency="social_care", purpose="Protect", parents_informed=True
    )
    assert referral.threshold_level == "Level 4: specialist"


def test_an_export_that_leaves_the_school_records_who_receives_it_and_the_lawful_basis(world, pupil):
    from tests.referrals.test_exports import export as export_post

    referral_for(world, pupil)
    client = signed_in_client(world.admin)

    missing = export_post(client, world.admin, leaves_school="on")
    assert missing.status_code == 400
    assert "Say who receives the file" in missing.content.decode()
    response = export_post(
        client,
        world.admin,
        leaves_school="on",
        shared_with="Ofsted inspection team, lead inspector",
        lawful_basis="public_task",
    )

    assert response.status_code == 200
    export = ExportRecord.objects.get()
    assert export.leaves_school and export.shared_with == "Ofsted inspection team, lead inspector"
    assert export.lawful_basis == "public_task"
    started = AuditEvent.objects.get(object_uuid=export.uuid, event_type="export_started")
    assert started.detail["leaves_school"] is True and "Ofsted" not in str(started.detail)
    who = signed_in_client(world.dsl).get(f"/children/{pupil.uuid}/access/").content.decode()
    assert "shared outside the school with Ofsted inspection team" in who
