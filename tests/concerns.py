"""Concerns made directly through the service, for tests that need one to exist."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from referrals.models import Concern, ConcernIndicator, Incident, Indicator, Urgency
from referrals.services.concerns import ConcernInput, concern_submit, draft_attachments_add, draft_for


def jpeg_bytes(*, gps: bool = False) -> bytes:
    image = Image.new("RGB", (40, 30), (200, 40, 40))
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make
    if gps:
        exif[0x8825] = {1: "N", 2: (53.0, 47.0, 0.0), 3: "W", 4: (1.0, 33.0, 0.0)}
    image.save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def concern_submission(author, child, *, indicators=("SIG-GIFTS",), urgency=Urgency.ROUTINE, with_file=True) -> dict:
    """What the concern form hands to concern_submit for one child, with a photo attached to the draft or not."""
    school = child.school
    draft = draft_for(author=author, school=school)
    if with_file:
        draft_attachments_add(
            author=author, draft=draft, files=[SimpleUploadedFile("photo.jpg", jpeg_bytes(), "image/jpeg")]
        )
    return {
        "actor": author,
        "context": None,
        "school": school,
        "submission_key": draft.submission_key,
        "data": ConcernInput(
            children=[child],
            unlisted_child_name="",
            unlisted_child_details="",
            observed_at=timezone.now(),
            location="Playground",
            account="Saw a new phone and a bracelet.",
            child_words="",
            people_present="",
            action_taken="",
            dsl_told_in_person=False,
            urgency=urgency,
            indicators={indicator: "seen" for indicator in Indicator.objects.filter(code__in=indicators)},
            fgm_police_reported=None,
            fgm_police_reference="",
        ),
    }


def concern_by(author, child, **options) -> Concern:
    return concern_submit(**concern_submission(author, child, **options)).concerns.get()


def many_concerns(world, child, count):
    """Concerns made in bulk, straight into the tables, for the size of a long history."""
    incident = Incident.objects.create(school=child.school, author=world.teacher, submission_key=f"bulk-{count}")
    start = Concern.objects.count()
    concerns = Concern.objects.bulk_create(
        Concern(
            reference=f"B-{start + n:06d}",
            incident=incident,
            school=child.school,
            child=child,
            author=world.teacher,
            author_role="staff",
            urgency="routine",
            observed_at=timezone.now() - timezone.timedelta(days=n),
            account=f"Account number {n}",
        )
        for n in range(count)
    )
    gifts = Indicator.objects.get(code="SIG-GIFTS")
    ConcernIndicator.objects.bulk_create(
        ConcernIndicator(concern=c, indicator=gifts, basis="seen", label_at_time=gifts.label) for c in concerns
    )


def referral_for(world, child, *, made_at=None, agency="social_care"):
    """A concern about `child` by the second teacher, acknowledged and decided by the DSL, and a referral made from
    the decision."""
    from tests.factories import ReferralFactory

    return ReferralFactory(child=child, author=world.teacher2, dsl=world.dsl, made_at=made_at, agency=agency)


def leaver_sent(world, leaver, *, dsl):
    """`leaver` recorded as gone to Northfield and their file sent there on Safeguard by `dsl`; the sent transfer."""
    from django.db import transaction

    from referrals.services.transfers import child_leaving_record, transfer_checklist_save, transfer_send

    with transaction.atomic():
        task = child_leaving_record(
            actor=dsl,
            context=None,
            child=leaver,
            left_on=timezone.localdate(),
            destination="",
            destination_urn=world.northfield.urn,
        )
        transfer_checklist_save(
            actor=dsl,
            context=None,
            transfer=task,
            advance_sharing="not_needed",
            advance_note="",
            receiving_dsl_name="Dsl",
            receiving_dsl_email="",
            receiving_dsl_phone="",
        )
        sent, _ = transfer_send(actor=dsl, context=None, transfer=task, route="safeguard")
    return sent
