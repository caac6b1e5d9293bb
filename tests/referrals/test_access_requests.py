"""Subject access requests (REQUIREMENTS.md R10.6, R10.7): the clock, redaction, a second person's sign-off, the
pack and who may reach a request."""

import io
import re
import zlib
from dataclasses import replace
from datetime import date, timedelta

import pytest
import time_machine
from django.core import mail
from pypdf import PdfReader

from referrals.access_clock import Pause, clock_for
from referrals.access_pack import request_state
from referrals.models import AccessRequest, Notification, Redaction, RequestStatus
from referrals.services import access_requests as service
from referrals.services.concerns import concern_submit
from safeguarding.audit.events import EventType, Outcome
from safeguarding.audit.models import AuditEvent
from tests import stored
from tests.concerns import concern_submission
from tests.factories import ChildFactory, ConcernFactory
from tests.personas import signed_in_client


def due(received, *, identity=None, fee=None, pauses=(), extended=False):
    clock = clock_for(
        received_on=received,
        identity_confirmed_on=identity or received,
        fee_received_on=fee,
        pauses=[Pause(*pause) for pause in pauses],
        extended=extended,
    )
    return clock.due


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        (date(2025, 1, 31), date(2025, 2, 28)),  # a Friday: the month's last day, as 31 February does not exist
        (date(2026, 1, 31), date(2026, 3, 2)),  # 28 February 2026 is a Saturday: the next working day
        (date(2028, 1, 31), date(2028, 2, 29)),  # a leap year: Tuesday 29 February
        (date(2025, 9, 3), date(2025, 10, 3)),  # the corresponding date, a Friday
        (date(2025, 4, 5), date(2025, 5, 6)),  # 5 May 2025 is the early May bank holiday
    ],
)
def test_the_due_date_is_the_corresponding_date_a_month_on_or_the_next_working_day(received, expected):
    assert due(received) == expected


def test_a_late_proof_of_identity_starts_the_clock_on_its_own_date():
    assert due(date(2025, 1, 6), identity=date(2025, 1, 20)) == date(2025, 2, 20)
    assert due(date(2025, 1, 6), identity=date(2025, 1, 6), fee=date(2025, 1, 9)) == date(2025, 2, 10)


def test_waiting_for_clarification_stops_the_clock_and_the_days_already_run_still_count():
    # 3 April plus the ten days paused is Sunday 13 April: due the next working day.
    assert due(date(2025, 3, 3), pauses=[(date(2025, 3, 10), date(2025, 3, 20))]) == date(2025, 4, 14)
    still_waiting = clock_for(
        received_on=date(2025, 3, 3),
        identity_confirmed_on=date(2025, 3, 3),
        fee_received_on=None,
        pauses=[Pause(date(2025, 3, 10), None)],
        extended=False,
    )
    assert still_waiting.due is None and still_waiting.paused


def test_an_extension_adds_two_further_months():
    assert due(date(2025, 1, 31), extended=True) == date(2025, 4, 30)


# The workflow ------------------------------------------------------------------------------------------------------


@pytest.fixture
def shared(world):
    """Two children in one concern: the request is about Chloe; Tom's name must never reach Chloe's parent."""
    chloe = ChildFactory(school=world.northfield, legal_first_name="Chloe", legal_last_name="Marsh")
    tom = ChildFactory(school=world.northfield, legal_first_name="Tomasz", legal_last_name="Quinlan")
    submission = concern_submission(world.teacher, chloe, with_file=False)
    submission["data"] = replace(
        submission["data"],
        children=[chloe, tom],
        account="Chloe and Tomasz Quinlan were seen getting into a silver car by the gates. Mr Pike the caretaker "
        "said the driver calls himself Smudge.",
    )
    concern_submit(**submission)
    return chloe, tom


def log(world, child, *, by=None, **overrides):
    data = {
        "requester_name": "Dana Marsh",
        "requester": "parent",
        "requester_address": "dana@example.org",
        "identity_check": "Known to the school; seen in person.",
        "received_on": date.today(),
        "identity_confirmed_on": date.today(),
        "fee_received_on": None,
        **overrides,
    }
    return service.access_request_log(actor=by or world.dsl, context=None, child=child, **data)


def test_logging_a_request_proposes_the_names_of_other_children_in_a_shared_concern(world, shared):
    chloe, _tom = shared
    access_request = log(world, chloe)

    proposed = set(access_request.redactions.filter(proposed_automatically=True).values_list("passage", flat=True))
    assert {"Tomasz Quinlan", "Tomasz", "Quinlan"} <= proposed
    assert not {"Chloe", "Marsh"} & proposed
    assert access_request.reference.startswith("SAR-")
    assert AuditEvent.objects.filter(object_type="access_request", child_uuid=chloe.uuid, event_type="create").exists()


def _text_of(pdf: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _streams_of(pdf: bytes) -> bytes:
    """Every stream in the PDF, inflated where compressed, to search beside the raw bytes."""
    found = []
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.DOTALL):
        try:
            found.append(zlib.decompress(match.group(1)))
        except zlib.error:
            found.append(match.group(1))
    return b"\n".join(found)


def test_the_pack_holds_neither_a_redacted_passage_nor_another_childs_name(world, shared):
    chloe, _tom = shared
    access_request = log(world, chloe)
    concern = chloe.concerns.get()
    service.redaction_add(
        actor=world.dsl,
        context=None,
        access_request=access_request,
        item_key=f"concern:{concern.uuid}",
        passage="said the driver calls himself\n Smudge.",
        reason="serious_harm",
        note="Naming the source could put him at risk.",
    )
    service.sign_off_ask(actor=world.dsl, context=None, access_request=access_request)
    service.sign_off(actor=world.dpo, context=None, access_request=access_request, seen=request_state(access_request))
    access_request.refresh_from_db()

    pdf = stored.access_pack(access_request.pack_name).read_bytes()
    text = _text_of(pdf)
    assert "Chloe Marsh" in text and "silver car" in text  # the pack is readable: the test can see text in it
    assert "[withheld: serious harm]" in text and "[withheld: another person's information]" in text
    searched = pdf + _streams_of(pdf)
    for secret in ("Smudge", "Tomasz", "Quinlan", "calls himself"):
        assert secret not in text
        assert secret.encode() not in searched
        assert secret.encode("utf-16-be") not in searched
    assert access_request.pack_sha256 and access_request.pack_expires_at


def test_a_whole_item_withheld_is_left_out_of_the_pack(world, shared):
    chloe, _tom = shared
    access_request = log(world, chloe)
    concern = chloe.concerns.get()
    service.redaction_add(
        actor=world.dpo,
        context=None,
        access_request=access_request,
        item_key=f"concern:{concern.uuid}",
        passage="",
        reason="child_abuse",
        note="Not in the child's best interests.",
    )
    service.sign_off_ask(actor=world.dpo, context=None, access_request=access_request)
    service.sign_off(actor=world.dsl, context=None, access_request=access_request, seen=request_state(access_request))
    access_request.refresh_from_db()

    text = _text_of(stored.access_pack(access_request.pack_name).read_bytes())
    assert concern.reference not in text and "silver car" not in text
    assert "Chloe Marsh" in text


def test_a_passage_that_is_not_in_the_item_is_refused(world, shared):
    chloe, _tom = shared
    access_request = log(world, chloe)
    with pytest.raises(service.RequestRefused, match="not in this item"):
        service.redaction_add(
            actor=world.dsl,
            context=None,
            access_request=access_request,
            item_key=f"concern:{chloe.concerns.get().uuid}",
            passage="words nobody wrote",
            reason="third_party",
            note="",
        )


def test_the_pack_is_released_only_after_a_second_persons_sign_off_and_the_release_is_recorded(world, shared):
    chloe, _tom = shared
    access_request = log(world, chloe)
    release = {"delivered": "secure_email", "note": "Sent to the address on file."}

    with pytest.raises(service.RequestRefused, match="before a second person has signed off"):
        service.access_request_release(actor=world.dsl, context=None, access_request=access_request, **release)
    service.sign_off_ask(actor=world.dsl, context=None, access_request=access_request)
    with pytest.raises(service.RequestRefused, match="before a second person has signed off"):
        service.access_request_release(actor=world.dsl, context=None, access_request=access_request, **release)
    with pytest.raises(service.RequestRefused, match="cannot sign them off"):
        service.sign_off(
            actor=world.dsl, context=None, access_request=access_request, seen=request_state(access_request)
        )
    access_request.refresh_from_db()
    assert access_request.status == RequestStatus.SIGN_OFF

    dpo = signed_in_client(world.dpo)
    dpo.post(f"/access-requests/{access_request.uuid}/", {"step": "sign_off", "seen": "not what is there now"})
    access_request.refresh_from_db()
    assert access_request.status == RequestStatus.SIGN_OFF  # a sign-off of something else is refused
    seen = request_state(access_request)
    response = dpo.post(f"/access-requests/{access_request.uuid}/", {"step": "sign_off", "seen": seen})
    assert response.status_code == 302
    response = dpo.post(f"/access-requests/{access_request.uuid}/", {"step": "release", **release})
    assert response.status_code == 302

    access_request.refresh_from_db()
    assert access_request.status == RequestStatus.RELEASED
    assert access_request.released_by == world.dpo and access_request.signed_off_by == world.dpo
    released = AuditEvent.objects.get(object_type="access_request", detail__action="released")
    assert released.user_uuid == world.dpo.uuid and released.child_uuid == chloe.uuid
    assert released.detail["delivered"] == "secure_email" and released.detail["sha256"] == access_request.pack_sha256
    download = dpo.get(f"/access-requests/{access_request.uuid}/pack/")
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")
    assert AuditEvent.objects.filter(event_type=EventType.DOWNLOAD, object_type="access_request_pack").exists()


def test_a_redactor_cannot_sign_off_and_a_change_after_sending_takes_the_request_back(world, shared):
    chloe, _tom = shared
    access_request = log(world, chloe)
    service.sign_off_ask(actor=world.dsl, context=None, access_request=access_request)
    service.redaction_add(
        actor=world.dpo,
        context=None,
        access_request=access_request,
        item_key="",
        passage="Mr Pike",
        reason="third_party",
        note="A member of staff who asked not to be named.",
    )
    access_request.refresh_from_db()
    assert access_request.status == RequestStatus.PREPARING and access_request.sent_for_sign_off_by is None
    service.sign_off_ask(actor=world.dsl, context=None, access_request=access_request)
    with pytest.raises(service.RequestRefused, match="cannot sign them off"):
        service.sign_off(
            actor=world.dpo, context=None, access_request=access_request, seen=request_state(access_request)
        )


def test_an_extension_asked_for_after_the_first_due_date_is_refused(world, shared):
    chloe, _tom = shared
    with time_machine.travel("2025-01-31 10:00 +0000"):
        access_request = log(world, chloe, received_on=date(2025, 1, 31), identity_confirmed_on=date(2025, 1, 31))
    with time_machine.travel("2025-03-03 10:00 +0000"), pytest.raises(service.RequestRefused, match="has passed"):
        service.access_request_extend(
            actor=world.dsl,
            context=None,
            access_request=access_request,
            reason="Many records across two schools.",
            requester_told_on=date(2025, 3, 3),
        )
    with time_machine.travel("2025-02-28 10:00 +0000"):
        service.access_request_extend(
            actor=world.dsl,
            context=None,
            access_request=access_request,
            reason="Many records across two schools.",
            requester_told_on=date(2025, 2, 27),
        )
        with pytest.raises(service.RequestRefused, match="only once"):
            service.access_request_extend(
                actor=world.dsl,
                context=None,
                access_request=access_request,
                reason="Again.",
                requester_told_on=date(2025, 2, 28),
            )
    access_request.refresh_from_db()
    assert access_request.extended_by == world.dsl


def test_the_clock_on_the_page_counts_from_a_late_proof_of_identity_and_pauses(world, shared):
    chloe, _tom = shared
    with time_machine.travel("2025-03-21 10:00 +0000"):
        access_request = log(world, chloe, received_on=date(2025, 3, 3), identity_confirmed_on=None)
        dsl = signed_in_client(world.dsl)
        assert "waiting for proof of identity" in dsl.get(f"/access-requests/{access_request.uuid}/").content.decode()
        dsl.post(f"/access-requests/{access_request.uuid}/", {"step": "dates", "identity_confirmed_on": "2025-03-03"})
        dsl.post(
            f"/access-requests/{access_request.uuid}/",
            {"step": "ask", "asked_on": "2025-03-10", "question": "Which years do you mean?"},
        )
        assert "waiting for an answer" in dsl.get(f"/access-requests/{access_request.uuid}/").content.decode()
        dsl.post(f"/access-requests/{access_request.uuid}/", {"step": "answered", "answered_on": "2025-03-20"})
        page = dsl.get(f"/access-requests/{access_request.uuid}/").content.decode()
    assert "Monday 14 April 2025" in page


def test_reminders_before_the_due_date_and_once_when_overdue(world, shared):
    chloe, _tom = shared
    with time_machine.travel("2025-01-31 10:00 +0000"):
        access_request = log(world, chloe, received_on=date(2025, 1, 31), identity_confirmed_on=date(2025, 1, 31))
    with time_machine.travel("2025-02-24 08:00 +0000"):
        assert service.access_requests_remind() == {"reminded": 1, "overdue": 0}
        assert service.access_requests_remind() == {"reminded": 0, "overdue": 0}
    with time_machine.travel("2025-03-03 08:00 +0000"):
        assert service.access_requests_remind() == {"reminded": 0, "overdue": 1}
        assert service.access_requests_remind() == {"reminded": 0, "overdue": 0}
    told = Notification.objects.filter(access_request=access_request)
    assert {n.recipient for n in told} == {world.dsl, world.dpo}
    assert not any("Chloe" in message.body or "Marsh" in message.body for message in mail.outbox)
    home = signed_in_client(world.dsl)
    with time_machine.travel("2025-03-03 08:00 +0000"):
        assert "1 overdue" in home.get("/").content.decode()


@pytest.mark.parametrize("person", ["teacher", "riverside_dsl", "auditor", "deputy", "trustlead", "head"])
def test_only_the_dsl_and_the_data_protection_officer_reach_a_request(world, shared, person):
    chloe, _tom = shared
    access_request = log(world, chloe)
    service.sign_off_ask(actor=world.dsl, context=None, access_request=access_request)
    service.sign_off(actor=world.dpo, context=None, access_request=access_request, seen=request_state(access_request))
    client = signed_in_client(world.people[person])

    for path in (f"/access-requests/{access_request.uuid}/", f"/access-requests/{access_request.uuid}/pack/"):
        assert client.get(path).status_code == 404
    assert client.post(f"/access-requests/{access_request.uuid}/", {"step": "send"}).status_code == 404
    refused = AuditEvent.objects.filter(
        event_type=EventType.ACCESS_REFUSED, user_uuid=world.people[person].uuid, outcome=Outcome.REFUSED
    )
    assert refused.count() == 3
    listing = client.get("/access-requests/")
    if person == "riverside_dsl":  # their own school's requests, not Northfield's
        assert listing.status_code == 200 and access_request.reference not in listing.content.decode()
    else:
        assert listing.status_code == 403
    assert signed_in_client(world.dsl).get(f"/access-requests/{access_request.uuid}/").status_code == 200
    assert signed_in_client(world.dpo).get(f"/access-requests/{access_request.uuid}/").status_code == 200


def test_logging_a_request_from_the_pages(world, shared):
    chloe, _tom = shared
    dpo = signed_in_client(world.dpo)
    found = dpo.get("/access-requests/new/", {"q": "Marsh"}).content.decode()
    assert "Chloe Marsh" in found
    response = dpo.post(
        f"/access-requests/new/?child={chloe.uuid}",
        {
            "child": chloe.uuid,
            "requester_name": "Dana Marsh",
            "requester": "parent",
            "identity_check": "Passport seen at reception.",
            "received_on": "",
        },
    )
    assert response.status_code == 400 and "Give the date the request came." in response.content.decode()
    response = dpo.post(
        "/access-requests/new/",
        {
            "child": chloe.uuid,
            "requester_name": "Dana Marsh",
            "requester": "parent",
            "identity_check": "Passport seen at reception.",
            "received_on": date.today().isoformat(),
            "identity_confirmed_on": date.today().isoformat(),
        },
    )
    access_request = AccessRequest.objects.get()
    assert response.status_code == 302 and response.url == f"/access-requests/{access_request.uuid}/"
    page = dpo.get(response.url).content.decode()
    assert "Tomasz Quinlan" in page and "[withheld: another person&#x27;s information]" in page
    assert Redaction.objects.filter(request=access_request, proposed_automatically=True).count() == 3
    listing = dpo.get("/access-requests/").content.decode()
    assert access_request.reference in listing


def test_the_second_person_is_told_and_may_send_the_redactions_back_with_a_note(world, shared):
    chloe, _tom = shared
    access_request = log(world, chloe)
    service.sign_off_ask(actor=world.dsl, context=None, access_request=access_request)
    asked = Notification.objects.filter(access_request=access_request, kind=Notification.Kind.ACCESS_SIGN_OFF)
    assert [n.recipient for n in asked] == [world.dpo]
    assert "1 waiting for your sign-off" in signed_in_client(world.dpo).get("/").content.decode()
    assert "waiting for your sign-off" not in signed_in_client(world.dsl).get("/").content.decode()

    dpo = signed_in_client(world.dpo)
    response = dpo.post(f"/access-requests/{access_request.uuid}/", {"step": "refuse", "note": ""})
    assert response.status_code == 400 and "Say what should be looked at again." in response.content.decode()
    dpo.post(f"/access-requests/{access_request.uuid}/", {"step": "refuse", "note": "Withhold the caretaker's name."})

    access_request.refresh_from_db()
    assert access_request.status == RequestStatus.PREPARING and access_request.sent_back_by == world.dpo
    page = signed_in_client(world.dsl).get(f"/access-requests/{access_request.uuid}/").content.decode()
    assert "Withhold the caretaker&#x27;s name." in page


def test_the_pack_file_expires_and_can_be_made_again_from_the_same_sign_off(
    world, shared, django_capture_on_commit_callbacks
):
    from referrals.services.retention import retention_run

    chloe, _tom = shared
    access_request = log(world, chloe)
    service.sign_off_ask(actor=world.dsl, context=None, access_request=access_request)
    service.sign_off(actor=world.dpo, context=None, access_request=access_request, seen=request_state(access_request))
    access_request.refresh_from_db()
    path = stored.access_pack(access_request.pack_name)
    assert path.exists()

    with time_machine.travel(access_request.pack_expires_at + timedelta(minutes=1)):
        with django_capture_on_commit_callbacks(execute=True):
            assert retention_run()["access_packs"] == 1
        access_request.refresh_from_db()
        assert not path.exists() and not access_request.pack_name
        with pytest.raises(service.RequestRefused, match="expired"):
            service.access_request_release(
                actor=world.dsl, context=None, access_request=access_request, delivered="post", note=""
            )
        service.pack_remake(actor=world.dsl, context=None, access_request=access_request)
    access_request.refresh_from_db()
    assert stored.access_pack(access_request.pack_name).exists()


def test_disposing_of_the_childs_file_takes_its_requests_and_packs_with_it(world, django_capture_on_commit_callbacks):
    from referrals.models import RetentionReview
    from referrals.services.retention import file_disposal_confirm, file_disposal_propose, reviews_queue

    former = ChildFactory(school=world.northfield, legal_first_name="Kim", date_of_birth=date(1995, 5, 1))
    access_request = log(world, former, requester="child", requester_name="Kim Former")
    service.sign_off_ask(actor=world.dsl, context=None, access_request=access_request)
    service.sign_off(actor=world.dpo, context=None, access_request=access_request, seen=request_state(access_request))
    access_request.refresh_from_db()
    path = stored.access_pack(access_request.pack_name)
    reviews_queue()
    review = RetentionReview.objects.get(child=former)
    file_disposal_propose(actor=world.dsl, context=None, review=review, rationale="Reviewed at 25: nothing to keep.")
    with django_capture_on_commit_callbacks(execute=True):
        certificate = file_disposal_confirm(actor=world.dpo, context=None, review=review)

    assert not AccessRequest.objects.filter(child_uuid=former.uuid).exists()
    assert not path.exists()
    assert certificate.counts.get("subject access requests") == 1


def test_overlapping_or_late_questions_cannot_stretch_the_clock(world, shared):
    # Each paused day counts once, however the pauses were recorded: 5 to 20 March is fifteen days, and 3 April plus
    # fifteen is Good Friday, then Easter Monday: due Tuesday 22 April.
    assert due(
        date(2025, 3, 3), pauses=[(date(2025, 3, 5), date(2025, 3, 15)), (date(2025, 3, 10), date(2025, 3, 20))]
    ) == date(2025, 4, 22)
    chloe, _tom = shared
    with time_machine.travel("2025-04-20 10:00 +0100"):
        access_request = log(world, chloe, received_on=date(2025, 3, 3), identity_confirmed_on=date(2025, 3, 3))
        ask = {"actor": world.dsl, "context": None, "access_request": access_request, "question": "Which years?"}
        with pytest.raises(service.RequestRefused, match="cannot stop the clock"):
            service.clarification_ask(**ask, asked_on=date(2025, 4, 10))
        service.clarification_ask(**ask, asked_on=date(2025, 3, 10))
        service.clarification_answered(
            actor=world.dsl, context=None, access_request=access_request, answered_on=date(2025, 3, 20)
        )
        with pytest.raises(service.RequestRefused, match="after the answer to the last one"):
            service.clarification_ask(**ask, asked_on=date(2025, 3, 15))


def test_a_fee_asked_for_holds_the_clock_until_it_arrives():
    waiting = clock_for(
        received_on=date(2025, 1, 6),
        identity_confirmed_on=date(2025, 1, 6),
        fee_received_on=None,
        fee_requested=True,
        pauses=[],
        extended=False,
    )
    assert waiting.due is None and waiting.waiting_for == "the fee asked for"
    assert due(date(2025, 1, 6), fee=date(2025, 1, 13)) == date(2025, 2, 13)


def test_withholding_a_concern_whole_withholds_what_belongs_to_it(world, shared):
    from referrals.services.concerns import addendum_add

    chloe, _tom = shared
    concern = chloe.concerns.get()
    addendum_add(actor=world.teacher, context=None, concern=concern, reason="Forgot", text="The car had no plates.")
    access_request = log(world, chloe)
    service.redaction_add(
        actor=world.dsl,
        context=None,
        access_request=access_request,
        item_key=f"concern:{concern.uuid}",
        passage="",
        reason="serious_harm",
        note="Police asked us not to share it yet.",
    )
    service.sign_off_ask(actor=world.dsl, context=None, access_request=access_request)
    service.sign_off(actor=world.dpo, context=None, access_request=access_request, seen=request_state(access_request))
    access_request.refresh_from_db()
    text = _text_of(stored.access_pack(access_request.pack_name).read_bytes())
    assert "no plates" not in text and concern.reference not in text


def test_a_new_name_of_the_child_can_be_withheld_from_the_title_and_the_letter(world):
    child = ChildFactory(school=world.northfield, legal_first_name="Leah", legal_last_name="Hart")
    child.preferred_name = "Skye"
    child.save()
    access_request = log(world, child)
    service.redaction_add(
        actor=world.dsl,
        context=None,
        access_request=access_request,
        item_key="",
        passage="Skye",
        reason="serious_harm",
        note="The name she uses since leaving home must not reach her father.",
    )
    service.sign_off_ask(actor=world.dsl, context=None, access_request=access_request)
    service.sign_off(actor=world.dpo, context=None, access_request=access_request, seen=request_state(access_request))
    access_request.refresh_from_db()
    pdf = stored.access_pack(access_request.pack_name).read_bytes()
    assert "Skye" not in _text_of(pdf)
    assert b"Skye" not in pdf + _streams_of(pdf)
    assert "Skye" not in (PdfReader(io.BytesIO(pdf)).metadata.title or "")


def test_a_sign_off_covers_only_what_the_second_person_read(world, shared):
    chloe, _tom = shared
    access_request = log(world, chloe)
    service.sign_off_ask(actor=world.dsl, context=None, access_request=access_request)
    read = request_state(access_request)
    ConcernFactory(child=chloe, author=world.teacher)  # a concern logged while the page was open
    with pytest.raises(service.RequestRefused, match="changed while you were reading"):
        service.sign_off(actor=world.dpo, context=None, access_request=access_request, seen=read)
    service.sign_off(actor=world.dpo, context=None, access_request=access_request, seen=request_state(access_request))

    chloe.address = "A refuge the father must not learn of"
    chloe.save()
    access_request.refresh_from_db()
    assert service.pack_remake(actor=world.dpo, context=None, access_request=access_request) is False
    access_request.refresh_from_db()
    assert access_request.status == RequestStatus.PREPARING and not access_request.signed_off_by


def test_taking_a_redaction_back_makes_one_a_preparer_and_a_declined_name_is_not_proposed_again(world, shared):
    chloe, _tom = shared
    access_request = log(world, chloe)
    proposed = access_request.redactions.get(passage="Tomasz")
    service.redaction_remove(actor=world.dpo, context=None, access_request=access_request, redaction=proposed)
    service.sign_off_ask(actor=world.dsl, context=None, access_request=access_request)
    assert not access_request.redactions.filter(passage="Tomasz").exists()
    with pytest.raises(service.RequestRefused, match="cannot sign them off"):
        service.sign_off(
            actor=world.dpo, context=None, access_request=access_request, seen=request_state(access_request)
        )


def test_a_concern_shared_after_logging_has_its_names_proposed_before_sign_off(world):
    rosa = ChildFactory(school=world.northfield, legal_first_name="Rosa", legal_last_name="Ayodele")
    access_request = log(world, rosa)
    assert not access_request.redactions.exists()
    ivy = ChildFactory(school=world.northfield, legal_first_name="Ivy", legal_last_name="Brandt")
    submission = concern_submission(world.teacher, rosa, with_file=False)
    submission["data"] = replace(submission["data"], children=[rosa, ivy])
    concern_submit(**submission)
    service.sign_off_ask(actor=world.dsl, context=None, access_request=access_request)
    assert {"Ivy Brandt", "Ivy", "Brandt"} <= set(access_request.redactions.values_list("passage", flat=True))


def test_references_stay_unique_after_a_request_is_disposed_of(world):
    first, second = (ChildFactory(school=world.northfield) for _ in range(2))
    one, two = log(world, first), log(world, second)
    one.delete()
    three = log(world, first)
    assert three.reference != two.reference and three.reference.endswith("-003")
