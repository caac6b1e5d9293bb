"""Reviews of a child's file at the end of its keeping period, holds, and disposal with a certificate (R9.1, R9.2,
R9.6)."""

from datetime import date, datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from referrals.models import (
    Attachment,
    BodyMark,
    Child,
    Concern,
    DisposalCertificate,
    FileHold,
    HoldReason,
    Referral,
    RetentionReview,
    ReviewStatus,
)
from referrals.services.retention import (
    RetentionRefused,
    file_disposal_confirm,
    file_disposal_propose,
    file_hold_lift,
    file_hold_place,
    file_retain,
    file_review_date,
    retention_run,
    reviews_queue,
)
from safeguarding.audit.chain import seal
from safeguarding.audit.events import EventType
from safeguarding.audit.models import AuditEvent
from safeguarding.core.dates import LONDON
from tests.concerns import concern_by, referral_for
from tests.factories import ChildFactory
from tests.stored import attachment as attachment_path
from tests.stored import export_file as stored_export

REVIEW_DAY = datetime(2026, 3, 1, 9, 0, tzinfo=LONDON)


def born_2001(world, **names) -> Child:
    return ChildFactory(school=world.northfield, date_of_birth=date(2001, 3, 1), **names)


def test_a_child_born_on_1_march_2001_reaches_review_on_1_march_2026_and_is_queued_once(world):
    child = born_2001(world)
    younger = ChildFactory(school=world.northfield, date_of_birth=date(2001, 3, 2))

    assert file_review_date(child) == date(2026, 3, 1)
    with time_machine.travel(datetime(2026, 2, 28, 9, 0, tzinfo=LONDON), tick=False):
        assert reviews_queue() == 0
    with time_machine.travel(REVIEW_DAY, tick=False):
        assert reviews_queue() == 1
        assert reviews_queue() == 0
        assert retention_run()["reviews_queued"] == 0
    review = RetentionReview.objects.get()
    assert review.child == child and review.due_on == date(2026, 3, 1) and review.status == ReviewStatus.DUE
    assert not RetentionReview.objects.filter(child=younger).exists()
    # Nothing of the file went: the run only puts it in front of a person.
    assert Child.objects.filter(pk=child.pk).exists()


def test_a_trust_may_lengthen_the_period_and_a_kept_file_comes_back_at_its_new_date(world):
    world.trust.file_review_years = 30
    world.trust.save()
    child = born_2001(world)
    assert file_review_date(child) == date(2031, 3, 1)

    world.trust.file_review_years = 25
    world.trust.save()
    with time_machine.travel(REVIEW_DAY, tick=False):
        reviews_queue()
        review = file_retain(
            actor=world.dsl,
            context=None,
            review=RetentionReview.objects.get(),
            retain_until=date(2031, 3, 1),
            reason="The police investigation into the man in the car is still open.",
        )
        assert reviews_queue() == 0
    assert review.status == ReviewStatus.RETAINED
    child.refresh_from_db()
    assert file_review_date(child) == date(2031, 3, 1)
    with time_machine.travel(datetime(2031, 3, 1, 9, 0, tzinfo=LONDON), tick=False):
        assert reviews_queue() == 1


def _queued(world, child) -> RetentionReview:
    with time_machine.travel(REVIEW_DAY, tick=False):
        reviews_queue()
    return RetentionReview.objects.get(child=child)


def test_a_held_file_cannot_be_disposed_of_until_the_hold_is_lifted(world):
    child = born_2001(world)
    review = _queued(world, child)
    hold = file_hold_place(actor=world.dsl, context=None, child=child, note="Civil claim against the council.")

    with pytest.raises(RetentionRefused, match="held"):
        file_disposal_propose(actor=world.dsl, context=None, review=review, rationale="Past its period.")

    file_hold_lift(actor=world.dsl, context=None, hold=hold, note="The claim was settled.")
    review = file_disposal_propose(actor=world.dsl, context=None, review=review, rationale="Past its period.")
    FileHold.objects.create(child=child, reason=HoldReason.LEGAL, note="A new inquiry", placed_by=world.dsl)
    with pytest.raises(RetentionRefused, match="held"):
        file_disposal_confirm(actor=world.trustlead, context=None, review=review)
    assert Child.objects.filter(pk=child.pk).exists()
    actions = list(
        AuditEvent.objects.filter(object_type="file_hold").values_list("detail__action", flat=True).order_by("id")
    )
    assert actions == ["hold_placed", "hold_lifted"]


def test_disposal_needs_a_second_person(world):
    child = born_2001(world)
    review = file_disposal_propose(
        actor=world.dsl, context=None, review=_queued(world, child), rationale="Reviewed: nothing needs keeping."
    )

    with pytest.raises(RetentionRefused, match="second person"):
        file_disposal_confirm(actor=world.dsl, context=None, review=review)
    assert Child.objects.filter(pk=child.pk).exists()


def test_after_disposal_the_file_and_its_stored_files_are_gone_the_certificate_stays_and_the_trail_verifies(
    world, settings, tmp_path, django_capture_on_commit_callbacks
):
    child = born_2001(world, legal_first_name="Jade", legal_last_name="Turner")
    other = ChildFactory(school=world.northfield)
    concern = concern_by(world.teacher, child)  # with a photo
    kept = concern_by(world.teacher, other)
    stored = [attachment_path(a.stored_name) for a in Attachment.objects.filter(incident=concern.incident)]
    BodyMark.objects.create(
        concern=concern, number=1, side="front", region="left_forearm", x=10, y=20, kind="bruise", note="A mark"
    )
    referral = referral_for(world, child)
    export_file = stored_export("listing.csv")
    export_file.write_bytes(b"UPN\n")
    from tests.factories import ExportRecordFactory

    export = ExportRecordFactory(user=world.dsl, school=world.northfield, file_name="listing.csv")
    export.children.add(child)
    assert stored and all(path.exists() for path in stored)
    review = file_disposal_propose(
        actor=world.dsl, context=None, review=_queued(world, child), rationale="Reviewed at 25: nothing to keep."
    )

    with django_capture_on_commit_callbacks(execute=True):  # the stored files go with the disposal
        certificate = file_disposal_confirm(actor=world.trustlead, context=None, review=review)

    assert not Child.objects.filter(pk=child.pk).exists()
    assert not Concern.objects.filter(pk=concern.pk).exists()
    assert not Referral.objects.filter(pk=referral.pk).exists()
    assert Concern.objects.filter(pk=kept.pk).exists()
    assert not any(path.exists() for path in stored)
    assert not export_file.exists()
    assert certificate.child_uuid == child.uuid and certificate.counts["concerns"] == 2
    assert certificate.counts["body marks"] == 1 and certificate.files_removed == len(stored) + 1
    review.refresh_from_db()
    assert review.status == ReviewStatus.DISPOSED and review.certificate == certificate
    # The trail keeps the child's id in its events, and still verifies.
    assert AuditEvent.objects.filter(child_uuid=child.uuid).exists()
    assert AuditEvent.objects.filter(
        event_type=EventType.DELETE, object_uuid=review.uuid, detail__certificate=certificate.number
    ).exists()
    seal()
    out = StringIO()
    call_command("verify_audit", stdout=out)
    assert "Audit trail intact" in out.getvalue()
    assert DisposalCertificate.objects.count() == 1


def test_the_dsl_proposes_on_the_page_the_dpo_confirms_and_the_trail_names_the_certificate(world):
    from tests.personas import signed_in_client

    child = born_2001(world, legal_first_name="Kim", legal_last_name="Former")
    concern_by(world.teacher, child, with_file=False)
    review = _queued(world, child)
    dsl, dpo = signed_in_client(world.dsl), signed_in_client(world.dpo)

    assert "Kim Former" in dsl.get("/retention/").content.decode()
    assert "Kim Former" in dpo.get("/retention/").content.decode()
    for outsider in (world.teacher, world.riverside_dsl, world.head):
        assert signed_in_client(outsider).get(f"/retention/{review.uuid}/").status_code == 404
    response = dsl.post(f"/retention/{review.uuid}/", {"step": "propose", "rationale": ""})
    assert response.status_code == 400 and "Give the rationale" in response.content.decode()
    dsl.post(f"/retention/{review.uuid}/", {"step": "propose", "rationale": "Reviewed at 25: nothing to keep."})
    assert "you cannot" in dsl.get(f"/retention/{review.uuid}/").content.decode()
    response = dpo.post(f"/retention/{review.uuid}/", {"step": "confirm"})

    certificate = DisposalCertificate.objects.get()
    assert response.status_code == 302 and certificate.confirmed_by == world.dpo
    assert not Child.objects.filter(uuid=child.uuid).exists()
    page = dsl.get(f"/retention/{review.uuid}/").content.decode()
    assert certificate.number in page and "Kim" not in page
    trail = dsl.get("/audit/").content.decode()
    assert f"a disposed file (certificate {certificate.number})" in trail and "Kim Former" not in trail
    actions = set(
        AuditEvent.objects.filter(
            object_type="retention_review", event_type__in=[EventType.CREATE, EventType.UPDATE, EventType.DELETE]
        ).values_list("detail__action", flat=True)
    )
    assert actions == {"queued", "disposal_proposed", "disposed"}


def test_the_copy_left_after_a_transfer_under_a_remove_policy_comes_onto_the_queue_at_its_date(world):
    from referrals.models import Transfer
    from safeguarding.accounts.models import RetainedCopy

    child = ChildFactory(school=world.northfield, date_of_birth=date(2014, 5, 1))
    Child.objects.filter(pk=child.pk).update(transferred_at=datetime(2026, 1, 10, 12, 0, tzinfo=LONDON))
    Transfer.objects.create(
        school=world.northfield,
        child=child,
        left_on=date(2026, 1, 5),
        due_on=date(2026, 1, 10),
        copy_policy=RetainedCopy.REMOVE,
        copy_review_on=date(2027, 1, 10),
    )
    child.refresh_from_db()

    assert file_review_date(child) == date(2027, 1, 10)
    with time_machine.travel(datetime(2027, 1, 9, 9, 0, tzinfo=LONDON), tick=False):
        assert reviews_queue() == 0
    with time_machine.travel(datetime(2027, 1, 10, 9, 0, tzinfo=LONDON), tick=False):
        assert reviews_queue() == 1
