"""Every URL pattern of the site, made concrete for a small scene, for the tests that walk them all."""

from dataclasses import dataclass
from datetime import date
from functools import cached_property

from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from referrals.access_pack import request_state
from referrals.models import (
    AccessRequest,
    Action,
    AdultRecord,
    AdultRelation,
    Child,
    Concern,
    ContextLink,
    ExportRecord,
    Notification,
    PatternAlert,
    Referral,
    RetentionReview,
    Screening,
    Transfer,
)
from referrals.services.access_requests import access_request_log, sign_off, sign_off_ask
from referrals.services.adults import Raised, adult_concern_raise
from referrals.services.context import context_link_confirm, context_mention_add
from referrals.services.retention import reviews_queue
from referrals.services.screening import Answer, screening_prefill, screening_record, tool_in_use
from referrals.services.transfers import (
    child_leaving_record,
    transfer_accept,
    transfer_checklist_save,
    transfer_send,
)
from safeguarding.accounts.models import Passkey
from safeguarding.core.heartbeats import SCHEDULER, WORKER
from safeguarding.core.models import Heartbeat
from tests.concerns import concern_by, leaver_sent, referral_for
from tests.factories import (
    PASSWORD,
    ActionFactory,
    ChildFactory,
    ExportRecordFactory,
    PasskeyFactory,
    PatternAlertFactory,
)
from tests.personas import SCHOOL_PEOPLE

PERSONAS = ["anonymous", *[name for name, *_ in SCHOOL_PEOPLE], "trustlead", "auditor", "dpo"]

# Patterns that only take POST, with a body that makes the action go through.
POST_BODIES = {
    "logout": {},
    "passkey_options": {"purpose": "register"},
    "passkey_signin": {},
    "passkey_add": {},
    "passkey_rename": {"name": "Work phone"},
    "passkey_remove": {"password": PASSWORD},
    "concern_draft_save": {"narrative": "Seen at the gate"},
    "staff_role": {"role": "staff"},
    "staff_export": {"can_export": ""},
    "staff_hand_over": {},
    "staff_deactivate": {},
    "staff_reactivate": {},
    "staff_second_factor_reset": {},
    "concern_child_search": {"child_search": "Jade"},
    "queue_acknowledge": {},
    "child_flags": {"cp_plan": "on"},
    "child_note": {"text": "Called the front door", "kind": "call"},
    "child_alert_acknowledge": {"note": "Seen"},
    "exports": {"purpose": "", "format": "csv"},
    "notifications_read": {},
    "action_new": {"what": "Speak to her mother", "owner": "", "due_on": ""},
    "referral_new": {"agency": "social_care", "purpose": "Risk of harm", "parents_informed": "yes"},
    "child_leaving": {"left_on": "2026-12-04", "destination": "Hill Top Academy"},
    "context_mention_new": {"kind": "handle", "platform": "Snapchat", "handle": "@another"},
    "context_link": {"entity": "new"},
    "context_unlink": {"reason": "The teacher misread the plate."},
}
# The registration of the car around the scene's pupil: a third party's data that only the safeguarding team, and
# the teacher who typed it on their own concern, may ever see.
CANARY_PLATE = "QZ19 XKV"


def site_patterns(resolver=None, prefix=""):
    """(name, pattern) for every named URL of the site, but the operators' Django admin."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if str(entry.pattern).startswith("admin/"):
                continue  # the operators' Django admin, served to verified superusers only
            yield from site_patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield entry.name, prefix + str(entry.pattern)


@dataclass
class Scene:
    """One Northfield pupil with a concern by the teacher, an alert, a referral and the DSL's background export."""

    world: object
    pupil: Child
    concern: Concern
    alert: PatternAlert
    referral: Referral
    export_record: ExportRecord
    action: Action
    passkey: Passkey
    transfer: Transfer
    link_token: str
    allegation: AdultRecord
    review: RetentionReview
    access_request: AccessRequest
    car: ContextLink
    screening: Screening

    @cached_property
    def placeholders(self) -> dict:
        """Each URL placeholder and the scene's value for it, looked up once."""
        return {
            "<uuid:school_uuid>": self.world.northfield.uuid,
            "<uuid:trust_uuid>": self.world.trust.uuid,
            "<uuid:membership_uuid>": self.world.membership("teacher2").uuid,
            "<uuid:child_uuid>": self.pupil.uuid,
            "<uuid:incident_uuid>": self.concern.incident.uuid,
            "<uuid:concern_uuid>": self.concern.uuid,
            "<uuid:attachment_uuid>": self.concern.incident.attachments.get().uuid,
            "<uuid:alert_uuid>": self.alert.uuid,
            "<uuid:referral_uuid>": self.referral.uuid,
            "<uuid:export_uuid>": self.export_record.uuid,
            "<uuid:action_uuid>": self.action.uuid,
            "<uuid:passkey_uuid>": self.passkey.uuid,
            "<uuid:transfer_uuid>": self.transfer.uuid,
            "<uuid:adult_uuid>": self.allegation.uuid,
            "<uuid:review_uuid>": self.review.uuid,
            "<uuid:request_uuid>": self.access_request.uuid,
            "<uuid:mention_uuid>": self.car.mention.uuid,
            "<uuid:link_uuid>": self.car.uuid,
            "<uuid:entity_uuid>": self.car.entity.uuid,
            "<uuid:screening_uuid>": self.screening.uuid,
            "<int:number>": 1,
            "<str:token>": self.link_token,
            "<uuid:notification_uuid>": Notification.objects.get(recipient=self.world.dsl, concern=self.concern).uuid,
            "<uidb64>": "MQ",
            "<token>": "set-password",
        }

    def url(self, pattern: str) -> str:
        for placeholder, value in self.placeholders.items():
            pattern = pattern.replace(placeholder, str(value))
        return "/" + pattern


def build_scene(world) -> Scene:
    now = timezone.now()
    for name in (WORKER, SCHEDULER):
        Heartbeat.objects.update_or_create(name=name, defaults={"beat_at": now})
    pupil = ChildFactory(school=world.northfield, legal_first_name="Jade", legal_last_name="Turner")
    concern = concern_by(world.teacher, pupil)
    screening = _screened(world, pupil)
    return Scene(
        world=world,
        pupil=pupil,
        concern=concern,
        alert=PatternAlertFactory(child=pupil),
        referral=referral_for(world, pupil),
        export_record=ExportRecordFactory(user=world.dsl, school=world.northfield, in_background=True),
        action=ActionFactory(child=pupil, concern=concern, owner=world.teacher2, assigned_by=world.dsl),
        passkey=PasskeyFactory(user=world.teacher),
        transfer=_received_from_riverside(world, pupil),
        link_token=_sent_by_link(world),
        allegation=allegation_about_deputy(world, pupil),
        review=_due_for_review(world),
        access_request=_access_request_signed_off(world, pupil),
        car=_car_around(world, concern),
        screening=screening,
    )


def _screened(world, pupil: Child) -> Screening:
    """The DSL's exploitation screening of the pupil, with the signs the teacher recorded."""
    tool = tool_in_use(pupil.school)
    answers = {
        suggestion.item.key: Answer(present=True, basis=suggestion.basis, when=suggestion.when)
        for suggestion in screening_prefill(child=pupil, tool=tool.tool())
        if suggestion.present
    }
    return screening_record(
        actor=world.dsl,
        context=None,
        child=pupil,
        tool=tool,
        answers=answers,
        significant_harm=False,
        narrative="Gifts she cannot explain; watch and screen again.",
    )


def _car_around(world, concern: Concern) -> ContextLink:
    """A car the teacher saw around the pupil, which the DSL confirmed as one of the trust's entities."""
    with transaction.atomic():
        mention = context_mention_add(
            actor=world.teacher,
            context=None,
            concern=concern,
            kind="vehicle",
            values={"registration": CANARY_PLATE, "make": "Audi", "colour": "white"},
        )
        return context_link_confirm(actor=world.dsl, context=None, mention=mention)


def _access_request_signed_off(world, pupil: Child) -> AccessRequest:
    """A parent's subject access request about the pupil, logged by the DSL and signed off by the DPO."""
    with transaction.atomic():
        access_request = access_request_log(
            actor=world.dsl,
            context=None,
            child=pupil,
            requester_name="Pat Turner",
            requester="parent",
            requester_address="",
            identity_check="Known to the school.",
            received_on=timezone.localdate(),
            identity_confirmed_on=timezone.localdate(),
            fee_received_on=None,
        )
        sign_off_ask(actor=world.dsl, context=None, access_request=access_request)
        return sign_off(
            actor=world.dpo, context=None, access_request=access_request, seen=request_state(access_request)
        )


def _due_for_review(world) -> RetentionReview:
    """A former Northfield pupil, born in 1995, whose file is due for review."""
    former = ChildFactory(
        school=world.northfield, legal_first_name="Kim", legal_last_name="Former", date_of_birth=date(1995, 5, 1)
    )
    reviews_queue()
    return RetentionReview.objects.get(child=former)


ALLEGATION_ACCOUNT = "Grabbed a pupil by the arm in the corridor and left a red mark"


def allegation_about_deputy(world, pupil: Child) -> AdultRecord:
    """An allegation about the deputy DSL, raised by the teacher, naming the scene's pupil."""
    with transaction.atomic():
        return adult_concern_raise(
            actor=world.teacher,
            context=None,
            school=world.northfield,
            raised=Raised(
                subject_user=world.deputy,
                subject_name="",
                subject_relation=AdultRelation.STAFF,
                subject_job_title="",
                answers={"harmed": True, "offence": False, "risk": False, "unsuitable": False},
                happened_on=timezone.localdate(),
                account=ALLEGATION_ACCOUNT,
                children=(pupil,),
            ),
        )


def _received_from_riverside(world, pupil: Child) -> Transfer:
    """A Riverside leaver's file, sent on Safeguard to Northfield and accepted into the scene's pupil."""
    leaver = ChildFactory(school=world.riverside, legal_first_name="Mia", legal_last_name="Riverside")
    concern_by(world.riverside_teacher, leaver)
    task = leaver_sent(world, leaver, dsl=world.riverside_dsl)
    return transfer_accept(actor=world.dsl, context=None, transfer=task, existing=pupil)


def _sent_by_link(world) -> str:
    """A Northfield leaver's file sent by a secure link; returns the link's token."""
    leaver = ChildFactory(school=world.northfield, legal_first_name="Leo", legal_last_name="Linked")
    concern_by(world.teacher2, leaver, with_file=False)
    with transaction.atomic():
        task = child_leaving_record(
            actor=world.dsl,
            context=None,
            child=leaver,
            left_on=timezone.localdate(),
            destination="Hill Top Academy",
            destination_urn="",
        )
        transfer_checklist_save(
            actor=world.dsl,
            context=None,
            transfer=task,
            advance_sharing="not_needed",
            advance_note="",
            receiving_dsl_name="Sam Patel",
            receiving_dsl_email="dsl@hilltop.example",
            receiving_dsl_phone="",
        )
        _, shown = transfer_send(actor=world.dsl, context=None, transfer=task, route="link")
    return shown.link.rstrip("/").rsplit("/", 1)[-1]
