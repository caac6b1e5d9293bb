import html
from datetime import datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.db import DatabaseError, transaction
from django.utils import timezone

from referrals.clocks import LONDON
from referrals.models import Concern, Notification, Referral, ReferralEscalation
from referrals.services.agency_referrals import referral_create, referrals_overdue_notify
from safeguarding.audit.events import EventType
from safeguarding.audit.models import AuditEvent
from tests.concerns import referral_for
from tests.factories import ChildFactory
from tests.pages import beside
from tests.personas import signed_in_client

FRIDAY_4PM = datetime(2026, 5, 22, 16, 0, tzinfo=LONDON)  # Monday 25 May 2026 is a bank holiday


@pytest.fixture
def pupil(world):
    return ChildFactory(school=world.northfield, legal_first_name="Jade", legal_last_name="Turner")


def test_a_social_care_referral_on_the_friday_before_a_bank_holiday_is_due_on_tuesday_at_the_same_time(world, pupil):
    with time_machine.travel(FRIDAY_4PM, tick=False):
        referral = referral_for(world, pupil)

    assert referral.ack_due_at == datetime(2026, 5, 26, 16, 0, tzinfo=LONDON)


def test_an_unacknowledged_referral_is_overdue_and_the_dsl_is_told_once(world, pupil, run_tasks):
    with time_machine.travel(FRIDAY_4PM, tick=False):
        referral = referral_for(world, pupil)
    run_tasks()
    mail.outbox.clear()
    with time_machine.travel(datetime(2026, 5, 26, 15, 59, tzinfo=LONDON), tick=False):
        assert referrals_overdue_notify() == 0
    with time_machine.travel(datetime(2026, 5, 26, 16, 1, tzinfo=LONDON), tick=False):
        assert referrals_overdue_notify() == 1
        assert referrals_overdue_notify() == 0

    referral.refresh_from_db()
    assert referral.overdue_notified_at is not None
    assert Notification.objects.filter(kind="referral_overdue", recipient=world.dsl).count() == 1
    run_tasks()
    (email,) = mail.outbox
    assert "Jade" not in email.body and "Turner" not in email.body
    page = signed_in_client(world.dsl).get(f"/referrals/{referral.uuid}/").content.decode()
    assert "Overdue" in page


def test_the_reason_parents_were_not_told_is_required(world, pupil):
    referral = referral_for(world, pupil)

    with pytest.raises(ValueError, match="why parents or carers were not told"):
        referral_create(
            actor=world.dsl,
            context=None,
            decision=referral.decision,
            agency="social_care",
            purpose="Protect the child",
            parents_informed=False,
        )


def test_a_referral_needs_a_decision_naming_the_agency(world, pupil):
    referral = referral_for(world, pupil)

    with pytest.raises(ValueError, match="does not name this agency"):
        referral_create(
            actor=world.dsl,
            context=None,
            decision=referral.decision,
            agency="police",
            purpose="x",
            parents_informed=True,
        )


def test_the_referral_is_recorded_acknowledged_and_in_the_chronology(world, pupil):
    referral = referral_for(world, pupil)
    client = signed_in_client(world.dsl)

    client.post(
        f"/referrals/{referral.uuid}/",
        {"action": "acknowledged", "by_name": "Sam Patel, Northshire MASH", "reference": "MASH-2291"},
    )
    client.post(f"/referrals/{referral.uuid}/", {"action": "outcome", "agency_decision": "section_47"})

    referral.refresh_from_db()
    assert (referral.acknowledged_by_name, referral.agency_reference) == ("Sam Patel, Northshire MASH", "MASH-2291")
    assert referral.agency_decision == "section_47"
    page = client.get(f"/children/{pupil.uuid}/").content.decode()
    assert "Referral to Children&#x27;s social care" in page and "Section 47" in page
    assert AuditEvent.objects.filter(event_type=EventType.REFERRAL, object_uuid=referral.uuid).count() == 3


@pytest.mark.parametrize(
    ("person", "status"),
    [("dsl", 200), ("deputy", 200), ("trustlead", 200), ("teacher", 404), ("office", 404), ("riverside_dsl", 404)],
)
def test_who_opens_a_referral(world, pupil, person, status):
    referral = referral_for(world, pupil)

    assert signed_in_client(world.people[person]).get(f"/referrals/{referral.uuid}/").status_code == status


def test_a_referral_is_made_from_the_concern_page(world, pupil):
    first = referral_for(world, pupil)
    concern = first.decision.concern
    client = signed_in_client(world.dsl)

    response = referral_post(client, concern)

    assert response.status_code == 302
    assert Referral.objects.count() == 2
    assert Referral.objects.latest("made_at").parents_informed


def test_a_referral_shares_exactly_what_was_ticked_and_says_so(world, pupil):
    from tests.concerns import concern_by

    other = concern_by(world.teacher, pupil, indicators=("ABUSE-NEGLECT",), with_file=False)
    Concern.objects.filter(pk=other.pk).update(account="She said her stepfather locks her out at night.")
    first = referral_for(world, pupil)
    concern = first.decision.concern
    Concern.objects.filter(pk=concern.pk).update(child_words="He told me not to tell anyone about the car")
    client = signed_in_client(world.dsl)

    form = client.get(f"/queue/{concern.uuid}/").content.decode()
    assert f'value="{other.uuid}"' in form and 'name="shared_child_words"' in form
    response = referral_post(client, concern, purpose="Risk of sexual exploitation", shared_rationale="on")

    assert response.status_code == 302, response.content.decode()[:2000]
    referral = Referral.objects.latest("pk")
    assert list(referral.shared_concerns.all()) == [concern]
    assert not referral.shared_child_words and referral.shared_rationale and not referral.shared_chronology
    record = client.get(f"/referrals/{referral.uuid}/").content.decode()
    assert concern.reference in record and other.reference not in record
    assert "Not the child's words" in record and "Not the chronology" in record
    text = pdf_text(client.get(f"/referrals/{referral.uuid}/pdf/").content)
    assert concern.reference in text and other.reference not in text
    assert "stepfather locks her out" not in text
    assert "not to tell anyone" not in text and "own words" not in text
    assert "Public task" in text


def pdf_text(content: bytes) -> str:
    import io

    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_the_referral_pdf_holds_only_what_was_shared_and_the_watermark(world, pupil):
    from tests.concerns import concern_by

    unshared = concern_by(world.teacher, pupil, indicators=("ABUSE-NEGLECT",), with_file=False)
    referral = referral_for(world, pupil)
    shared = referral.shared_concerns.get()

    response = signed_in_client(world.dsl).get(f"/referrals/{referral.uuid}/pdf/")

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    text = pdf_text(response.content)
    assert "Produced by Dsl on" in text and "Confidential" in text
    assert shared.reference in text and unshared.reference not in text
    assert "Jade Turner" in text and "Significant harm is likely." in text
    assert "Chronology" in text and f"{shared.reference}: decision, Refer to children" in text
    assert AuditEvent.objects.filter(event_type=EventType.DOWNLOAD, object_type="referral_pdf").exists()


def test_the_child_file_pdf_renders_the_chronology_with_the_watermark(world, pupil):
    referral = referral_for(world, pupil)

    response = signed_in_client(world.deputy).get(f"/children/{pupil.uuid}/pdf/")

    text = pdf_text(response.content)
    assert "Safeguarding file: Jade Turner" in text
    assert "Produced by Deputy on" in text
    assert referral.shared_concerns.get().reference in text
    assert AuditEvent.objects.filter(event_type=EventType.DOWNLOAD, object_type="child_file_pdf").exists()
    assert signed_in_client(world.teacher).get(f"/children/{pupil.uuid}/pdf/").status_code == 404


def test_a_follow_up_that_comes_due_is_notified_once(world, pupil):
    from referrals.services.agency_referrals import referral_outcome

    referral = referral_for(world, pupil)
    referral_outcome(
        actor=world.dsl,
        context=None,
        referral=referral,
        agency_decision="child_in_need",
        follow_up_on=(referral.made_at + timedelta(days=7)).date(),
    )
    with time_machine.travel(referral.made_at + timedelta(days=8), tick=False):
        referrals_overdue_notify()
        referrals_overdue_notify()

    assert Notification.objects.filter(kind="referral_follow_up", recipient=world.dsl).count() == 1


def test_an_escalation_too_long_to_keep_comes_back_with_every_word_the_dsl_typed(world, pupil):
    referral = referral_for(world, pupil)
    reason = "The front door closed it with no further action although she was seen in the car again. " * 60

    response = signed_in_client(world.dsl).post(
        f"/referrals/{referral.uuid}/", {"action": "escalate", "reason": reason}
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert reason.strip() in html.unescape(page)
    assert beside(page, "reason", "The reason is too long: it can be at most 5,000 characters.")
    assert not ReferralEscalation.objects.exists()


def test_an_acknowledgement_without_a_name_comes_back_with_the_reference_typed(world, pupil):
    referral = referral_for(world, pupil)

    response = signed_in_client(world.dsl).post(
        f"/referrals/{referral.uuid}/", {"action": "acknowledged", "by_name": " ", "reference": "MASH-2291"}
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert 'value="MASH-2291"' in page
    assert beside(page, "by_name", "Give the name and team of the person who acknowledged it.")
    assert Referral.objects.get().acknowledged_at is None


def test_a_decision_with_an_impossible_follow_up_date_keeps_the_decision_chosen(world, pupil):
    referral = referral_for(world, pupil)

    response = signed_in_client(world.dsl).post(
        f"/referrals/{referral.uuid}/",
        {"action": "outcome", "agency_decision": "section_47", "follow_up_on": "2027-02-30"},
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert '<option value="section_47" selected>' in page
    assert beside(page, "follow_up_on", "Give the follow-up date as a date, or leave it empty.")
    assert Referral.objects.get().agency_decision == ""


def test_a_referral_sent_back_with_an_error_records_that_the_dsl_saw_it(world, pupil):
    referral = referral_for(world, pupil)

    signed_in_client(world.dsl).post(f"/referrals/{referral.uuid}/", {"action": "escalate", "reason": ""})

    views = AuditEvent.objects.filter(event_type=EventType.VIEW, object_type="referral", object_uuid=referral.uuid)
    assert views.count() == 1 and views.get().child_uuid == pupil.uuid


def test_a_second_agency_decision_keeps_the_first_in_the_chronology(world, pupil):
    from referrals.models import AgencyDecisionEntry
    from referrals.services.agency_referrals import referral_outcome

    referral = referral_for(world, pupil)
    today = timezone.localdate()
    referral_outcome(
        actor=world.dsl, context=None, referral=referral, agency_decision="child_in_need", decided_on=today
    )
    referral_outcome(actor=world.dsl, context=None, referral=referral, agency_decision="section_47")

    entries = list(AgencyDecisionEntry.objects.filter(referral=referral))
    assert [entry.decision for entry in entries] == ["child_in_need", "section_47"]
    file_page = html.unescape(signed_in_client(world.dsl).get(f"/children/{pupil.uuid}/").content.decode())
    assert "earlier decision: Child in need: section 17 assessment" in file_page
    assert "; decision: Section 47 enquiries" in file_page
    record = signed_in_client(world.dsl).get(f"/referrals/{referral.uuid}/").content.decode()
    assert record.count("decided ") >= 2
    with pytest.raises(DatabaseError), transaction.atomic():
        AgencyDecisionEntry.objects.filter(pk=entries[0].pk).update(decision="nfa")


def test_a_referral_and_its_acknowledgement_keep_the_times_they_happened_beside_when_they_were_typed(world, pupil):
    first = referral_for(world, pupil)
    concern = first.decision.concern
    client = signed_in_client(world.dsl)
    made = timezone.localtime() - timedelta(hours=3)

    referral_post(client, concern, made_at=made.strftime("%Y-%m-%dT%H:%M"))
    referral = Referral.objects.latest("pk")
    acknowledged = timezone.localtime() - timedelta(hours=1)
    client.post(
        f"/referrals/{referral.uuid}/",
        {"action": "acknowledged", "by_name": "Duty desk", "acknowledged_at": acknowledged.strftime("%Y-%m-%dT%H:%M")},
    )

    referral.refresh_from_db()
    assert referral.made_at == made.replace(second=0, microsecond=0)
    assert referral.recorded_at - referral.made_at > timedelta(hours=2)
    assert referral.acknowledged_at == acknowledged.replace(second=0, microsecond=0)
    assert referral.acknowledgement_recorded_at > referral.acknowledged_at
    from referrals.forms.agency_referrals import AcknowledgedForm

    future = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    form = AcknowledgedForm({"by_name": "X", "acknowledged_at": future})
    assert not form.is_valid() and "in the future" in str(form.errors["acknowledged_at"])


def test_text_copied_out_of_the_referral_pdf_reads_as_whole_sentences(world, pupil):
    import io

    from pypdf import PdfReader

    account = (
        "At 15:20 I saw Jade get into a silver car driven by a man of about twenty-five. "
        "She had a new phone this week and would not say where it came from."
    )
    referral = referral_for(world, pupil)
    Concern.objects.filter(pk=referral.shared_concerns.get().pk).update(account=account)

    content = signed_in_client(world.dsl).get(f"/referrals/{referral.uuid}/pdf/").content

    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(content)).pages)
    for sentence in account.split(". "):
        assert sentence.rstrip(".") in text
    # The diagonal watermark is a picture on every page, so it is not read into the text.
    assert all(page.images for page in PdfReader(io.BytesIO(content)).pages)
    assert "CONFIDENTIAL" not in text


def test_the_referral_pdf_answers_the_front_doors_first_questions_and_gives_the_dsls_contact(world, pupil):
    first = referral_for(world, pupil)
    concern = first.decision.concern
    client = signed_in_client(world.dsl)
    referral_post(client, concern, immediate_protection="on")
    referral = Referral.objects.latest("pk")

    text = " ".join(pdf_text(client.get(f"/referrals/{referral.uuid}/pdf/").content).split())

    assert "Significant harm (suffering, or likely to suffer) Yes" in text
    assert "Needs protecting today Yes" in text
    assert "The child knows about this referral No" in text
    assert f"{world.dsl.full_name}, Designated Safeguarding Lead, {world.dsl.email}" in text


def referral_post(client, concern, **fields):
    """Send the review page's referral form for `concern`: children's social care, sharing the concern itself, with
    the questions answered; `fields` change or add to that."""
    return client.post(
        f"/queue/{concern.uuid}/referral/",
        {
            "agency": "social_care",
            "purpose": "Protect the child",
            "parents_informed": "yes",
            "lawful_basis": "public_task",
            "significant_harm": "yes",
            "child_knows": "no",
            "shared_concerns": [str(concern.uuid)],
            **fields,
        },
    )
