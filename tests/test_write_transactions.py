"""Every service that records a change does so in the change's own transaction.

In the rest of the suite each test runs inside a transaction of its own, so record()'s refusal of a change event
written outside one can never fire. These tests commit for real, with the audit connection split off as in
production: each service, its transaction taken away, is refused by record(); and with its transaction, the change
and its audit event are committed by one transaction, or rolled back together when it fails.
"""

import contextlib
import datetime
import importlib
import inspect
import pkgutil
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection, models, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

import referrals.services
from referrals.access_pack import request_state
from referrals.models import (
    AccessRequest,
    AccessRequestPause,
    Action,
    Addendum,
    AdultEntry,
    AdultRecord,
    AdultRelation,
    Carer,
    CaseNote,
    Child,
    Closure,
    Concern,
    ConcernDraft,
    ConcernMove,
    ContextAlert,
    ContextLink,
    ContextMention,
    Decision,
    Escalation,
    FileHold,
    InformationRequest,
    Notification,
    PatternAlert,
    Redaction,
    Referral,
    ReferralEscalation,
    ReferralMeeting,
    RetentionReview,
    RiskNeedsAssessment,
    Screening,
    ScreeningTool,
    Transfer,
)
from referrals.screening_tools import TOOLS
from referrals.services import access_requests as sar
from referrals.services import (
    actions,
    adults,
    agency_referrals,
    child_file,
    children,
    concerns,
    drafts,
    notifications,
    retention,
    reviews,
    screening,
    transfers,
)
from referrals.services import context as context_services
from referrals.taxonomy import taxonomy_load
from referrals.upn import make_upn
from safeguarding.accounts import services as accounts
from safeguarding.accounts.models import HolidayCover, Membership, School, Trust, User
from safeguarding.accounts.roles import Role
from safeguarding.audit import record as audit_record
from safeguarding.audit.events import WRITE_EVENTS
from safeguarding.audit.models import AuditEvent
from safeguarding.audit.record import AuditWriteOutsideTransaction
from tests.concerns import concern_submission
from tests.factories import ActionFactory, ChildFactory, ConcernFactory, PatternAlertFactory, UserFactory
from tests.personas import build_world

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "audit"])


@dataclass
class Call:
    """A service, the arguments of one call that changes something, and the table the change lands in."""

    service: Any
    arguments: dict
    table: type[models.Model] | None


def _raised(world, **answers) -> adults.Raised:
    return adults.Raised(
        subject_user=world.teacher2,
        subject_name="",
        subject_relation=AdultRelation.STAFF,
        subject_job_title="",
        answers={"harmed": False, "offence": False, "risk": False, "unsuitable": False, **answers},
        happened_on=timezone.localdate(),
        account="Shouted at a pupil and pushed his bag off the desk.",
    )


def _adult(world, *, allegation=True, closed_as="") -> AdultRecord:
    with transaction.atomic():
        record = adults.adult_concern_raise(
            actor=world.teacher, context=None, school=world.northfield, raised=_raised(world, harmed=allegation)
        )
        if closed_as:
            adults.adult_record_close(
                actor=world.head,
                context=None,
                adult=record,
                outcome=closed_as,
                summary="A summary.",
                follow_up="",
                actions_and_decisions="",
                copy_given_on=None,
            )
    return AdultRecord.objects.get(pk=record.pk)


def _lado_overdue(world) -> datetime.datetime:
    record = _adult(world)
    return record.lado_due_at + datetime.timedelta(minutes=1)


def _review(world, *, proposed=False):
    child = ChildFactory(school=world.northfield, date_of_birth=datetime.date(1990, 1, 1))
    with transaction.atomic():
        retention.reviews_queue()
    review = RetentionReview.objects.get(child=child)
    if proposed:
        with transaction.atomic():
            retention.file_disposal_propose(actor=world.dsl, context=None, review=review, rationale="Past its time.")
    return RetentionReview.objects.get(pk=review.pk)


def _car(world, *, linked: bool = False):
    concern = _concern(world)
    with transaction.atomic():
        mention = context_services.context_mention_add(
            actor=concern.author, context=None, concern=concern, kind="vehicle", values={"registration": "ab12 cde"}
        )
        if linked:
            return context_services.context_link_confirm(actor=world.dsl, context=None, mention=mention)
    return mention


def _linked_twice_unalerted(world):
    """One car linked to two children's concerns, written straight to the tables so that no alert was raised yet."""
    first = _car(world, linked=True)
    second = _car(world)
    ContextLink.objects.create(entity=first.entity, mention=second, linked_by=world.dsl)
    ContextAlert.objects.all().delete()
    return first.entity


def _sar(world, *, stage: str = "logged") -> AccessRequest:
    """A parent's request about a new Northfield pupil, taken as far as `stage`."""
    child = ChildFactory(school=world.northfield)
    who = {"actor": world.dsl, "context": None}
    with transaction.atomic():
        request = sar.access_request_log(
            **who,
            child=child,
            requester_name="A Parent",
            requester="parent",
            requester_address="",
            identity_check="Known to the school.",
            received_on=timezone.localdate(),
            identity_confirmed_on=timezone.localdate(),
            fee_received_on=None,
        )
        if stage == "asked":
            sar.clarification_ask(**who, access_request=request, asked_on=timezone.localdate(), question="Which?")
        if stage in ("sent", "signed"):
            sar.sign_off_ask(**who, access_request=request)
        if stage == "signed":
            sar.sign_off(actor=world.dpo, context=None, access_request=request, seen=request_state(request))
    return AccessRequest.objects.get(pk=request.pk)


def _sar_redaction(world) -> Redaction:
    request = _sar(world)
    with transaction.atomic():
        return sar.redaction_add(
            actor=world.dsl,
            context=None,
            access_request=request,
            item_key="",
            passage="Example",
            reason="third_party",
            note="A family name.",
        )


def _born_long_ago(world):
    ChildFactory(school=world.northfield, date_of_birth=datetime.date(1990, 1, 1))
    return RetentionReview


def _held(world):
    child = ChildFactory(school=world.northfield)
    return FileHold.objects.create(child=child, reason="legal", note="A claim", placed_by=world.dsl)


def _tool() -> ScreeningTool:
    """The shipped screening tool, loaded again: a test that commits starts from empty tables."""
    taxonomy_load()
    return screening.tool_load(SCREENING_TOOL)[0]


def _screened(world, *, days_ago: int = 0) -> Screening:
    """A screening of a child with an open concern, done `days_ago` days ago."""
    concern = _concern(world)
    return screening.screening_record(
        actor=world.dsl,
        context=None,
        child=concern.child,
        tool=_tool(),
        answers={},
        significant_harm=False,
        narrative="Nothing yet; watch.",
        at=timezone.now() - datetime.timedelta(days=days_ago),
    )


def _concern(world, *steps) -> Concern:
    concern = ConcernFactory(child=ChildFactory(school=world.northfield), author=world.teacher)
    for step in steps:
        step(world, concern)
    return Concern.objects.get(pk=concern.pk)


def _acknowledged(world, concern):
    reviews.concern_acknowledge(actor=world.dsl, context=None, concern=concern)


def _known_fgm_case(world, concern):
    Concern.objects.filter(pk=concern.pk).update(fgm_known_case=True, fgm_police_reported=False)


def _assessment_asked(world, concern):
    RiskNeedsAssessment.objects.create(concern=concern, required=True)


def _decided(world, concern):
    reviews.decision_record(
        actor=world.dsl,
        context=None,
        concern=concern,
        outcomes=["social_care"],
        rationale="Significant harm is likely.",
        threshold="child_protection",
        next_review=timezone.localdate() + datetime.timedelta(weeks=6),
    )


def _referred(world, concern):
    # The decision named children's social care: its referral comes before the concern may close.
    agency_referrals.referral_create(
        actor=world.dsl,
        context=None,
        decision=concern.decisions.get(),
        agency="social_care",
        purpose="Significant harm is likely.",
        parents_informed=True,
    )


def _closed(world, concern):
    reviews.concern_close(actor=world.dsl, context=None, concern=concern, summary="a", follow_up="b", outcome="c")


def _referral(world) -> Referral:
    from tests.concerns import referral_for

    return referral_for(world, ChildFactory(school=world.northfield))


def _operator() -> User:
    return UserFactory(email="operator@safeguard.example", is_superuser=True, is_staff=True)


def _edited_membership(world) -> Membership:
    membership = world.membership("teacher2")
    membership.role = Role.SCHOOL_ADMIN
    return membership


def _edited_user(world) -> User:
    user = User.objects.get(pk=world.teacher2.pk)
    user.email = "teacher2.new@safeguard.example"
    return user


def _deactivated(world, person) -> Membership:
    membership = world.membership(person)
    Membership.objects.filter(pk=membership.pk).update(is_active=False)
    return Membership.objects.get(pk=membership.pk)


def _noticed(school: School) -> School:
    """A school that existed when a second factor became the rule, whose DSL has not yet read the notice."""
    School.objects.filter(pk=school.pk).update(second_factor_notice=True)
    return school


def _stale_draft(world) -> datetime.datetime:
    """An empty draft untouched for 31 days; returns the time to tidy at."""
    draft = concerns.draft_for(author=world.teacher, school=world.northfield)
    ConcernDraft.objects.filter(pk=draft.pk).update(updated_at=timezone.now() - datetime.timedelta(days=31))
    return timezone.now()


def _leaver(world, *, destination: str = "Hill Top Academy", urn: str = "") -> Child:
    """A Northfield pupil with a concern on file who has just left for `destination`."""
    child = ChildFactory(school=world.northfield)
    ConcernFactory(child=child, author=world.teacher)
    Child.objects.filter(pk=child.pk).update(
        roll_status="left", left_on=timezone.localdate(), destination=destination, destination_urn=urn
    )
    return Child.objects.get(pk=child.pk)


def _task(world, **leaving) -> Transfer:
    return transfers.leaver_recorded(child=_leaver(world, **leaving), actor=world.dsl, context=None)


def _checked(world, **leaving) -> Transfer:
    return transfers.transfer_checklist_save(
        actor=world.dsl,
        context=None,
        transfer=_task(world, **leaving),
        advance_sharing="not_needed",
        advance_note="",
        receiving_dsl_name="Sam Patel",
        receiving_dsl_email="dsl@hilltop.example",
        receiving_dsl_phone="",
    )


def _sent(world, route: str, **leaving) -> Transfer:
    transfer, _ = transfers.transfer_send(
        actor=world.dsl, context=None, transfer=_checked(world, **leaving), route=route
    )
    return transfer


def _unconfirmed_at_its_due_date(world) -> datetime.datetime:
    transfer = _sent(world, "paper")
    Transfer.objects.filter(pk=transfer.pk).update(due_on=timezone.localdate())
    return timezone.now()


def _unsent_and_late(world) -> datetime.datetime:
    transfer = _task(world)
    Transfer.objects.filter(pk=transfer.pk).update(due_on=timezone.localdate() - datetime.timedelta(days=5))
    return timezone.now()


def _new_pupil_row() -> dict:
    return {
        "upn": make_upn(la_code=873, establishment=8203, year=2020, serial=41),
        "legal_first_name": "Kian",
        "legal_last_name": "Walsh",
        "preferred_name": "",
        "date_of_birth": datetime.date(2013, 1, 2),
        "year_group": "8",
        "sex": "M",
        "send": "none",
    }


SCREENING_TOOL = (TOOLS / "safeguard-exploitation.yaml").read_text()

CALLS = {
    "concern_submit": lambda w: Call(
        concerns.concern_submit, concern_submission(w.teacher, ChildFactory(school=w.northfield)), Concern
    ),
    "addendum_add": lambda w: Call(
        concerns.addendum_add,
        {"actor": w.teacher, "context": None, "concern": _concern(w), "reason": "Forgot", "text": "At 15:20."},
        Addendum,
    ),
    "fgm_police_report_record": lambda w: Call(
        concerns.fgm_police_report_record,
        {"actor": w.teacher, "context": None, "concern": _concern(w, _known_fgm_case), "reference": "WY-1"},
        Concern,
    ),
    "concern_acknowledge": lambda w: Call(
        reviews.concern_acknowledge, {"actor": w.dsl, "context": None, "concern": _concern(w)}, Concern
    ),
    "concern_assign": lambda w: Call(
        reviews.concern_assign, {"actor": w.dsl, "context": None, "concern": _concern(w), "to": w.deputy}, Concern
    ),
    "decision_record": lambda w: Call(
        reviews.decision_record,
        {
            "actor": w.dsl,
            "context": None,
            "concern": _concern(w, _acknowledged),
            "outcomes": ["monitor"],
            "rationale": "Watch and wait.",
            "threshold": "universal",
            "next_review": timezone.localdate() + datetime.timedelta(weeks=6),
        },
        Decision,
    ),
    "risk_assessment_record": lambda w: Call(
        reviews.risk_assessment_record,
        {
            "actor": w.dsl,
            "context": None,
            "concern": _concern(w, _acknowledged, _assessment_asked),
            "risks": "The two children share a form group.",
            "needs_and_arrangements": "Separate lessons; weekly check-ins.",
        },
        RiskNeedsAssessment,
    ),
    "concern_close": lambda w: Call(
        reviews.concern_close,
        {
            "actor": w.dsl,
            "context": None,
            "concern": _concern(w, _acknowledged, _decided, _referred),
            "summary": "a",
            "follow_up": "b",
            "outcome": "c",
        },
        Closure,
    ),
    "concern_reopen": lambda w: Call(
        reviews.concern_reopen,
        {
            "actor": w.dsl,
            "context": None,
            "concern": _concern(w, _acknowledged, _decided, _referred, _closed),
            "reason": "More",
        },
        Concern,
    ),
    "information_request": lambda w: Call(
        reviews.information_request,
        {"actor": w.dsl, "context": None, "concern": _concern(w), "question": "What time was it?"},
        InformationRequest,
    ),
    "concern_move": lambda w: Call(
        reviews.concern_move,
        {
            "actor": w.dsl,
            "context": None,
            "concern": _concern(w),
            "to_child": ChildFactory(school=w.northfield),
            "reason": "The wrong Jade",
        },
        ConcernMove,
    ),
    "escalate_overdue": lambda w: Call(
        reviews.escalate_overdue, {"now": _concern(w).ack_due_at + datetime.timedelta(days=7)}, Escalation
    ),
    "referral_create": lambda w: Call(
        agency_referrals.referral_create,
        {
            "actor": w.dsl,
            "context": None,
            "decision": Decision.objects.get(concern=_concern(w, _acknowledged, _decided)),
            "agency": "social_care",
            "purpose": "To protect the child from harm",
            "parents_informed": True,
        },
        Referral,
    ),
    "referral_acknowledged": lambda w: Call(
        agency_referrals.referral_acknowledged,
        {"actor": w.dsl, "context": None, "referral": _referral(w), "by_name": "Sam Lee, front door"},
        Referral,
    ),
    "referral_outcome": lambda w: Call(
        agency_referrals.referral_outcome,
        {"actor": w.dsl, "context": None, "referral": _referral(w), "agency_decision": "services_required"},
        Referral,
    ),
    "referral_escalate": lambda w: Call(
        agency_referrals.referral_escalate,
        {"actor": w.dsl, "context": None, "referral": _referral(w), "reason": "The risk is higher than they think"},
        ReferralEscalation,
    ),
    "referral_escalation_outcome": lambda w: Call(
        agency_referrals.referral_escalation_outcome,
        {
            "actor": w.dsl,
            "context": None,
            "escalation": agency_referrals.referral_escalate(
                actor=w.dsl, context=None, referral=_referral(w), reason="Not improving"
            ),
            "outcome": "The team manager reopened the case",
        },
        ReferralEscalation,
    ),
    "referral_meeting_record": lambda w: Call(
        agency_referrals.referral_meeting_record,
        {
            "actor": w.dsl,
            "context": None,
            "referral": _referral(w),
            "kind": "strategy",
            "held_at": timezone.now(),
        },
        ReferralMeeting,
    ),
    "notifications_mark_read": lambda w: Call(
        notifications.notifications_mark_read,
        {
            "user": w.dsl,
            "context": None,
            "notification": Notification.objects.get(concern=_concern(w), recipient=w.dsl),
        },
        Notification,
    ),
    "child_create": lambda w: Call(
        children.child_create,
        {
            "actor": w.office,
            "school": w.northfield,
            "values": {"legal_first_name": "Kian", "legal_last_name": "Walsh", "date_of_birth": "2013-01-02"},
        },
        Child,
    ),
    "child_update_roster": lambda w: Call(
        children.child_update_roster,
        {"actor": w.office, "child": ChildFactory(school=w.northfield), "values": {"preferred_name": "Jay"}},
        Child,
    ),
    "child_family_update": lambda w: Call(
        children.child_family_update,
        {
            "actor": w.office,
            "child": ChildFactory(school=w.northfield),
            "carers": [{"name": "Anna Turner", "relationship": "Mother", "parental_responsibility": True}],
        },
        Carer,
    ),
    "roster_import": lambda w: Call(
        children.roster_import, {"school": w.northfield, "rows": [_new_pupil_row()]}, Child
    ),
    "staff_invite": lambda w: Call(
        accounts.staff_invite,
        {"actor": w.office, "school": w.northfield, "email": "new.teacher@safeguard.example", "full_name": "Ana Ruiz"},
        Membership,
    ),
    "membership_change_role": lambda w: Call(
        accounts.membership_change_role,
        {"actor": w.dsl, "membership": w.membership("teacher2"), "role": Role.DEPUTY_DSL},
        Membership,
    ),
    "membership_set_export": lambda w: Call(
        accounts.membership_set_export,
        {"actor": w.dsl, "membership": w.membership("office"), "can_export": True},
        Membership,
    ),
    "dsl_hand_over": lambda w: Call(
        accounts.dsl_hand_over, {"actor": w.dsl, "school": w.northfield, "to": w.membership("deputy")}, Membership
    ),
    "membership_deactivate": lambda w: Call(
        accounts.membership_deactivate, {"actor": w.office, "membership": w.membership("teacher2")}, Membership
    ),
    "membership_reactivate": lambda w: Call(
        accounts.membership_reactivate, {"actor": w.office, "membership": _deactivated(w, "teacher2")}, Membership
    ),
    "user_deactivate": lambda w: Call(accounts.user_deactivate, {"user": w.teacher2, "actor": w.office}, User),
    "membership_save_by_operator": lambda w: Call(
        accounts.membership_save_by_operator, {"actor": _operator(), "membership": _edited_membership(w)}, Membership
    ),
    "user_save_by_operator": lambda w: Call(
        accounts.user_save_by_operator, {"actor": _operator(), "user": _edited_user(w)}, User
    ),
    "user_password_set_by_operator": lambda w: Call(
        accounts.user_password_set_by_operator, {"actor": _operator(), "user": w.teacher2}, None
    ),
    "child_flags_set": lambda w: Call(
        child_file.child_flags_set,
        {
            "actor": w.dsl,
            "context": None,
            "child": ChildFactory(school=w.northfield),
            "cp_plan": True,
            "looked_after": False,
        },
        Child,
    ),
    "case_note_add": lambda w: Call(
        child_file.case_note_add,
        {
            "actor": w.dsl,
            "context": None,
            "child": ChildFactory(school=w.northfield),
            "kind": "note",
            "text": "Spoke to her form tutor about her attendance",
            "happened_at": timezone.now(),
        },
        CaseNote,
    ),
    "action_assign": lambda w: Call(
        actions.action_assign,
        {
            "actor": w.dsl,
            "context": None,
            "child": ChildFactory(school=w.northfield),
            "what": "Check in with her on Monday",
            "owner": w.teacher2,
            "due_on": timezone.localdate() + datetime.timedelta(days=2),
        },
        Action,
    ),
    "action_complete": lambda w: Call(
        actions.action_complete,
        {
            "actor": w.dsl,
            "context": None,
            "action": ActionFactory(child=ChildFactory(school=w.northfield), owner=w.teacher2, assigned_by=w.dsl),
            "note": "Done at break",
        },
        Action,
    ),
    "pattern_alert_acknowledge": lambda w: Call(
        child_file.pattern_alert_acknowledge,
        {
            "actor": w.dsl,
            "context": None,
            "alert": PatternAlertFactory(child=ChildFactory(school=w.northfield)),
            "note": "Strategy discussion booked with the front door",
        },
        PatternAlert,
    ),
    "leaver_recorded": lambda w: Call(
        transfers.leaver_recorded, {"child": _leaver(w), "actor": w.dsl, "context": None}, Transfer
    ),
    "child_leaving_record": lambda w: Call(
        transfers.child_leaving_record,
        {
            "actor": w.dsl,
            "context": None,
            "child": ChildFactory(school=w.northfield),
            "left_on": timezone.localdate(),
            "destination": "",
            "destination_urn": "",
        },
        Transfer,
    ),
    "transfer_checklist_save": lambda w: Call(
        transfers.transfer_checklist_save,
        {
            "actor": w.dsl,
            "context": None,
            "transfer": _task(w),
            "advance_sharing": "shared",
            "advance_note": "Rang their DSL",
            "receiving_dsl_name": "Sam Patel",
            "receiving_dsl_email": "",
            "receiving_dsl_phone": "",
        },
        Transfer,
    ),
    "transfer_send": lambda w: Call(
        transfers.transfer_send, {"actor": w.dsl, "context": None, "transfer": _checked(w), "route": "link"}, Transfer
    ),
    "transfer_new_link": lambda w: Call(
        transfers.transfer_new_link, {"actor": w.dsl, "context": None, "transfer": _sent(w, "link")}, Transfer
    ),
    "transfer_link_confirm": lambda w: Call(
        transfers.transfer_link_confirm,
        {"transfer": _sent(w, "link"), "context": None, "received_by_name": "Sam Patel", "received_by_role": "DSL"},
        Transfer,
    ),
    "transfer_paper_receipt": lambda w: Call(
        transfers.transfer_paper_receipt,
        {
            "actor": w.dsl,
            "context": None,
            "transfer": _sent(w, "paper"),
            "received_by_name": "Sam Patel, DSL",
            "received_on": timezone.localdate(),
        },
        Transfer,
    ),
    "transfer_accept": lambda w: Call(
        transfers.transfer_accept,
        {"actor": w.riverside_dsl, "context": None, "transfer": _sent(w, "safeguard", urn=w.riverside.urn)},
        Transfer,
    ),
    "transfer_close": lambda w: Call(
        transfers.transfer_close,
        {"actor": w.dsl, "context": None, "transfer": _task(w), "how": "cancelled", "note": "She stayed after all."},
        Transfer,
    ),
    "transfers_follow_up": lambda w: Call(
        transfers.transfers_follow_up, {"now": _unconfirmed_at_its_due_date(w)}, Action
    ),
    "transfers_escalate": lambda w: Call(transfers.transfers_escalate, {"now": _unsent_and_late(w)}, Transfer),
    "trust_moving_schools_set": lambda w: Call(
        accounts.trust_moving_schools_set,
        {"actor": w.trustlead, "trust": w.trust, "values": {"transfer_days": "school"}},
        Trust,
    ),
    "drafts_tidy": lambda w: Call(drafts.drafts_tidy, {"now": _stale_draft(w)}, ConcernDraft),
    "reviews_queue": lambda w: Call(retention.reviews_queue, {}, _born_long_ago(w)),
    "file_retain": lambda w: Call(
        retention.file_retain,
        {
            "actor": w.dsl,
            "context": None,
            "review": _review(w),
            "retain_until": datetime.date(2040, 1, 1),
            "reason": "Open civil claim.",
        },
        RetentionReview,
    ),
    "file_disposal_propose": lambda w: Call(
        retention.file_disposal_propose,
        {"actor": w.dsl, "context": None, "review": _review(w), "rationale": "Nothing needs keeping."},
        RetentionReview,
    ),
    "file_disposal_confirm": lambda w: Call(
        retention.file_disposal_confirm,
        {"actor": w.trustlead, "context": None, "review": _review(w, proposed=True)},
        RetentionReview,
    ),
    "file_hold_place": lambda w: Call(
        retention.file_hold_place,
        {"actor": w.dsl, "context": None, "child": ChildFactory(school=w.northfield), "note": "Police inquiry."},
        FileHold,
    ),
    "file_hold_lift": lambda w: Call(
        retention.file_hold_lift,
        {"actor": w.dsl, "context": None, "hold": _held(w), "note": "Inquiry closed."},
        FileHold,
    ),
    "context_mention_add": lambda w: (
        lambda concern: Call(
            context_services.context_mention_add,
            {
                "actor": concern.author,
                "context": None,
                "concern": concern,
                "kind": "handle",
                "values": {"platform": "Snapchat", "handle": "@jay"},
            },
            ContextMention,
        )
    )(_concern(w)),
    "context_link_confirm": lambda w: Call(
        context_services.context_link_confirm, {"actor": w.dsl, "context": None, "mention": _car(w)}, ContextLink
    ),
    "context_link_undo": lambda w: Call(
        context_services.context_link_undo,
        {"actor": w.dsl, "context": None, "link": _car(w, linked=True), "reason": "Misread plate."},
        ContextLink,
    ),
    "context_alert_evaluate": lambda w: Call(
        context_services.context_alert_evaluate,
        {"entity": _linked_twice_unalerted(w), "actor": w.dsl, "context": None},
        ContextAlert,
    ),
    "tool_load": lambda w: (
        lambda _loaded: Call(
            screening.tool_load, {"text": SCREENING_TOOL.replace("version: 1\n", "version: 2\n")}, ScreeningTool
        )
    )(_tool()),
    "screening_tool_choose": lambda w: (
        lambda _loaded: Call(
            screening.screening_tool_choose,
            {"actor": w.dsl, "context": None, "tool_id": "safeguard-exploitation", "school": w.northfield},
            School,
        )
    )(_tool()),
    "screening_record": lambda w: (
        lambda concern: Call(
            screening.screening_record,
            {
                "actor": w.dsl,
                "context": None,
                "child": concern.child,
                "tool": _tool(),
                "answers": {
                    "money-and-gifts": screening.Answer(
                        present=True, basis="evidence", when="Today", source="Her tutor"
                    )
                },
                "significant_harm": False,
                "narrative": "New things she cannot explain.",
            },
            Screening,
        )
    )(_concern(w)),
    "screening_reviews_raise": lambda w: (lambda _due: Call(screening.screening_reviews_raise, {}, Action))(
        _screened(w, days_ago=91)
    ),
    "access_request_log": lambda w: Call(
        sar.access_request_log,
        {
            "actor": w.dpo,
            "context": None,
            "child": ChildFactory(school=w.northfield),
            "requester_name": "A Former Pupil",
            "requester": "child",
            "requester_address": "",
            "identity_check": "Passport seen.",
            "received_on": timezone.localdate(),
            "identity_confirmed_on": None,
            "fee_received_on": None,
        },
        AccessRequest,
    ),
    "access_request_dates": lambda w: Call(
        sar.access_request_dates,
        {
            "actor": w.dsl,
            "context": None,
            "access_request": _sar(w),
            "identity_confirmed_on": timezone.localdate(),
            "fee_received_on": None,
        },
        AccessRequest,
    ),
    "clarification_ask": lambda w: Call(
        sar.clarification_ask,
        {
            "actor": w.dsl,
            "context": None,
            "access_request": _sar(w),
            "asked_on": timezone.localdate(),
            "question": "Which years?",
        },
        AccessRequestPause,
    ),
    "clarification_answered": lambda w: Call(
        sar.clarification_answered,
        {
            "actor": w.dsl,
            "context": None,
            "access_request": _sar(w, stage="asked"),
            "answered_on": timezone.localdate(),
        },
        AccessRequestPause,
    ),
    "access_request_extend": lambda w: Call(
        sar.access_request_extend,
        {
            "actor": w.dsl,
            "context": None,
            "access_request": _sar(w),
            "reason": "Records at two schools.",
            "requester_told_on": timezone.localdate(),
        },
        AccessRequest,
    ),
    "redaction_add": lambda w: Call(
        sar.redaction_add,
        {
            "actor": w.dsl,
            "context": None,
            "access_request": _sar(w),
            "item_key": "",
            "passage": "Example",
            "reason": "third_party",
            "note": "A family name.",
        },
        Redaction,
    ),
    "redaction_remove": lambda w: (
        lambda redaction: Call(
            sar.redaction_remove,
            {"actor": w.dsl, "context": None, "access_request": redaction.request, "redaction": redaction},
            Redaction,
        )
    )(_sar_redaction(w)),
    "sign_off_ask": lambda w: Call(
        sar.sign_off_ask, {"actor": w.dsl, "context": None, "access_request": _sar(w)}, AccessRequest
    ),
    "sign_off": lambda w: (
        lambda request: Call(
            sar.sign_off,
            {"actor": w.dpo, "context": None, "access_request": request, "seen": request_state(request)},
            AccessRequest,
        )
    )(_sar(w, stage="sent")),
    "sign_off_refuse": lambda w: Call(
        sar.sign_off_refuse,
        {"actor": w.dpo, "context": None, "access_request": _sar(w, stage="sent"), "note": "Look again at p2."},
        AccessRequest,
    ),
    "pack_remake": lambda w: Call(
        sar.pack_remake, {"actor": w.dpo, "context": None, "access_request": _sar(w, stage="signed")}, AccessRequest
    ),
    "access_request_release": lambda w: Call(
        sar.access_request_release,
        {
            "actor": w.dsl,
            "context": None,
            "access_request": _sar(w, stage="signed"),
            "delivered": "in_person",
            "note": "",
        },
        AccessRequest,
    ),
    "adult_concern_raise": lambda w: Call(
        adults.adult_concern_raise,
        {"actor": w.teacher, "context": None, "school": w.northfield, "raised": _raised(w, risk=True)},
        AdultRecord,
    ),
    "adult_lado_record": lambda w: Call(
        adults.adult_lado_record,
        {
            "actor": w.head,
            "context": None,
            "adult": _adult(w),
            "discussed_at": timezone.now(),
            "lado_name": "Jo Bell",
            "advice": "Strategy discussion on Monday.",
        },
        AdultRecord,
    ),
    "adult_entry_add": lambda w: Call(
        adults.adult_entry_add,
        {
            "actor": w.head,
            "context": None,
            "adult": _adult(w),
            "kind": AdultEntry.Kind.SUSPENSION,
            "happened_on": timezone.localdate(),
            "text": "Not suspended: kept away from the pupil's classes.",
        },
        AdultEntry,
    ),
    "adult_record_close": lambda w: Call(
        adults.adult_record_close,
        {
            "actor": w.head,
            "context": None,
            "adult": _adult(w, allegation=False),
            "outcome": "",
            "summary": "Raised voice in class.",
            "follow_up": "",
            "actions_and_decisions": "Spoken to.",
            "copy_given_on": None,
        },
        AdultRecord,
    ),
    "adult_retention_facts": lambda w: Call(
        adults.adult_retention_facts,
        {
            "actor": w.head,
            "context": None,
            "adult": _adult(w),
            "subject_birth_date": datetime.date(1990, 5, 1),
            "retirement_age": 67,
            "employment_ended_on": None,
        },
        AdultRecord,
    ),
    "adult_malicious_remove": lambda w: Call(
        adults.adult_malicious_remove,
        {"actor": w.head, "context": None, "adult": _adult(w, closed_as="malicious"), "reason": "Found malicious."},
        AdultRecord,
    ),
    "adults_chase_lado": lambda w: Call(adults.adults_chase_lado, {"now": _lado_overdue(w)}, AdultRecord),
    "concern_move_to_adults": lambda w: Call(
        adults.concern_move_to_adults,
        {"actor": w.dsl, "context": None, "concern": _concern(w), "raised": _raised(w), "reason": "About staff."},
        Concern,
    ),
    "sign_in_rule_set": lambda w: Call(
        accounts.sign_in_rule_set, {"actor": w.dsl, "school": w.northfield, "staff_password_only": True}, School
    ),
    "second_factor_notice_read": lambda w: Call(
        accounts.second_factor_notice_read, {"actor": w.dsl, "school": _noticed(w.northfield)}, School
    ),
    "local_arrangements_update": lambda w: Call(
        accounts.local_arrangements_update,
        {"actor": w.dsl, "school": w.northfield, "values": {"threshold_levels": "Level 1\nLevel 2"}},
        School,
    ),
    "holiday_cover_set": lambda w: Call(
        accounts.holiday_cover_set,
        {
            "actor": w.dsl,
            "school": w.northfield,
            "week_starting": datetime.date(2026, 8, 3),
            "covered_by": w.membership("deputy"),
        },
        HolidayCover,
    ),
    "second_factor_reset": lambda w: Call(
        accounts.second_factor_reset, {"actor": w.dsl, "membership": w.membership("deputy")}, TOTPDevice
    ),
}


def rows(table) -> dict:
    """Each row of the table and the id of the transaction that last wrote it (PostgreSQL's xmin)."""
    if table is None:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {table._meta.pk.column}, xmin::text FROM {table._meta.db_table}")  # noqa: S608
        return dict(cursor.fetchall())


def write_events() -> dict:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, xmin::text FROM {AuditEvent._meta.db_table} WHERE event_type = ANY(%s)",  # noqa: S608
            [[str(event_type) for event_type in WRITE_EVENTS]],
        )
        return dict(cursor.fetchall())


def test_every_service_that_records_a_change_is_here():
    """A new service that records a change event gets a row here, so that its transaction is tested too."""
    modules = [
        importlib.import_module(f"referrals.services.{info.name}")
        for info in pkgutil.iter_modules(referrals.services.__path__)
    ] + [accounts]
    writers = {
        name
        for module in modules
        for name, function in vars(module).items()
        if inspect.isfunction(function)
        and function.__module__ == module.__name__
        and not name.startswith("_")
        and _records_a_change(function, module)
    }

    assert writers - set(CALLS) == set()


def _records_a_change(function, module) -> bool:
    """Whether the function, or a private helper of its module it calls, records a change event."""
    source = inspect.getsource(inspect.unwrap(function))
    helpers = [
        inspect.getsource(helper)
        for name, helper in vars(module).items()
        if name.startswith("_") and inspect.isfunction(helper) and f"{name}(" in source
    ]
    change_events = [f"EventType.{event.name}" for event in WRITE_EVENTS]
    return any(event in text for text in [source, *helpers] for event in change_events)


@pytest.mark.parametrize("name", CALLS)
def test_a_change_recorded_outside_its_transaction_is_refused(name, monkeypatch, audit_connection):
    call = CALLS[name](build_world())
    # Take the service's transaction away: its decorator, any `with transaction.atomic()` inside, and the row locks
    # that cannot be taken without one.
    monkeypatch.setattr(transaction, "atomic", lambda *args, **kwargs: contextlib.nullcontext())
    monkeypatch.setattr(QuerySet, "select_for_update", lambda self, *args, **kwargs: self)

    with pytest.raises(AuditWriteOutsideTransaction):
        inspect.unwrap(call.service)(**call.arguments)


@pytest.mark.parametrize("name", CALLS)
def test_the_change_and_its_audit_event_commit_and_roll_back_together(name, monkeypatch, audit_connection):
    world = build_world()
    insert = audit_record._insert

    def insert_then_fail(event, *, using):
        insert(event, using=using)
        if using == "default":
            raise RuntimeError("the transaction fails after recording its change")

    failing = CALLS[name](world)
    before, events_before = rows(failing.table), write_events()
    monkeypatch.setattr(audit_record, "_insert", insert_then_fail)
    with pytest.raises(RuntimeError, match="after recording its change"):
        failing.service(**failing.arguments)
    monkeypatch.setattr(audit_record, "_insert", insert)

    assert rows(failing.table) == before, "the change was kept although its transaction failed"
    assert write_events() == events_before, "the audit event was kept although its transaction failed"

    call = CALLS[name](world)
    before, events_before = rows(call.table), write_events()
    call.service(**call.arguments)
    after = rows(call.table)
    changed = {xid for key, xid in after.items() if before.get(key) != xid}  # rows written; deleted ones have none
    recorded = {xid for key, xid in write_events().items() if key not in events_before}

    assert recorded, "no change event was recorded"
    assert after != before or call.table is None, "the call changed nothing"
    if changed:
        assert recorded == changed, "the change and its audit event were committed by different transactions"
