"""What each role may do: one table of named capabilities, and the questions asked of it.

Every rule about who may do what reads `ROLE_CAPABILITIES` (and `FLAG_CAPABILITIES`, for the one permission a
membership carries beside its role). A new capability is one line here, one entry in `PAGE_CAPABILITIES` for the page
that uses it, and a call to `schools_where` or `can` where the work is done. DESIGN.md §2 says the same in prose.
"""

from django.db import models
from django.db.models import Q, QuerySet

from safeguarding.accounts.models import Membership, School, User
from safeguarding.accounts.roles import Role
from safeguarding.core.memberships import memberships_at


class Capability(models.TextChoices):
    LOG_CONCERN = "log_concern", "Log a concern about a child of the school"
    READ_OWN_CONCERNS = "read_own_concerns", "Read one's own concerns and their status"
    READ_QUEUE = "read_queue", "Read the school's queue of concerns"
    READ_CHILD_FILE = "read_child_file", "Read a child's file"
    READ_REFERRAL = "read_referral", "Read a referral to an agency"
    ACT_ON_CONCERN = "act_on_concern", "Acknowledge, assign, ask about, decide on and close a concern"
    MOVE_CONCERN = "move_concern", "Move a concern to another child"
    REOPEN = "reopen", "Reopen a closed concern"
    SET_FLAGS = "set_flags", "Set a child's safeguarding flags"
    WRITE_NOTE = "write_note", "Write a note on a child's file"
    ASSIGN_ACTION = "assign_action", "Give a member of staff an action about a child"
    ACKNOWLEDGE_ALERT = "acknowledge_alert", "Acknowledge a pattern alert on a child's file"
    REFER = "refer", "Refer a child to an agency"
    EXPORT = "export", "Export referral records"
    READ_AUDIT = "read_audit", "Read the audit trail"
    READ_AUDIT_NAMES = "read_audit_names", "See people's names in the audit trail"
    READ_WHO_VIEWED = "read_who_viewed", "Read who viewed a child's records"
    LIST_STAFF = "list_staff", "Read the school's staff list"
    MANAGE_STAFF = "manage_staff", "Invite, deactivate and reactivate staff"
    GRANT_ROLES = "grant_roles", "Give the deputy, school admin and export roles"
    HAND_OVER = "hand_over", "Hand the DSL role over"
    RESET_SECOND_FACTOR = "reset_second_factor", "Reset someone's second factor"
    MANAGE_ROSTER = "manage_roster", "Keep the school's pupil roster"
    SET_TRUST_POLICY = "set_trust_policy", "Set the trust's policies for a child moving school"
    TRANSFER_FILE = "transfer_file", "Send a leaver's file to the next school, and accept a file sent to the school"
    RAISE_ADULT_CONCERN = "raise_adult_concern", "Raise a concern about an adult who works with children"
    MANAGE_ADULT_CASES = (
        "manage_adult_cases",
        "Manage the concerns about adults routed to one's role, as case manager",
    )
    READ_ADULT_RECORDS = "read_adult_records", "Read the school's records of concerns about adults, for HR"
    REVIEW_RETENTION = (
        "review_retention",
        "Review files at the end of their keeping period: keep, hold, or dispose of them with a second person",
    )
    HANDLE_ACCESS_REQUESTS = (
        "handle_access_requests",
        "Handle subject access requests: log them, redact the file with reasons, sign off and release the pack",
    )
    SEE_TRUST_NETWORK = (
        "see_trust_network",
        "See the people, vehicles, places and accounts linking children across the trust's schools",
    )
    RECORD_SCREENING = (
        "record_screening",
        "Screen a child for exploitation: confirm each item, record the band and the reasons for moving it",
    )
    READ_REPORTS = (
        "read_reports",
        "Read and download the safeguarding report for governors, the trust board and inspectors",
    )
    SET_COVER = (
        "set_cover",
        "Set the school's safeguarding arrangements: holiday cover, the local contacts, levels of need and signing in",
    )


C = Capability

# The one table. A trust membership holds its capabilities at every school of the trust. Everyone but the auditor
# sees people's names in an audit trail they may read.
ROLE_CAPABILITIES: dict[Role, frozenset[Capability]] = {
    Role.STAFF: frozenset({C.LOG_CONCERN, C.READ_OWN_CONCERNS, C.READ_AUDIT_NAMES, C.RAISE_ADULT_CONCERN}),
    Role.DEPUTY_DSL: frozenset(
        {
            C.LOG_CONCERN,
            C.READ_OWN_CONCERNS,
            C.READ_AUDIT_NAMES,
            C.READ_QUEUE,
            C.READ_CHILD_FILE,
            C.READ_REFERRAL,
            C.ACT_ON_CONCERN,
            C.WRITE_NOTE,
            C.ASSIGN_ACTION,
            C.ACKNOWLEDGE_ALERT,
            C.REFER,
            C.READ_WHO_VIEWED,
            C.TRANSFER_FILE,
            C.RAISE_ADULT_CONCERN,
            C.RECORD_SCREENING,
        }
    ),
    Role.DSL: frozenset(
        {
            C.LOG_CONCERN,
            C.READ_OWN_CONCERNS,
            C.READ_AUDIT_NAMES,
            C.READ_QUEUE,
            C.READ_CHILD_FILE,
            C.READ_REFERRAL,
            C.ACT_ON_CONCERN,
            C.MOVE_CONCERN,
            C.REOPEN,
            C.SET_FLAGS,
            C.WRITE_NOTE,
            C.ASSIGN_ACTION,
            C.ACKNOWLEDGE_ALERT,
            C.REFER,
            C.EXPORT,
            C.READ_AUDIT,
            C.READ_WHO_VIEWED,
            C.LIST_STAFF,
            C.GRANT_ROLES,
            C.HAND_OVER,
            C.RESET_SECOND_FACTOR,
            C.SET_COVER,
            C.TRANSFER_FILE,
            C.RAISE_ADULT_CONCERN,
            C.REVIEW_RETENTION,
            C.HANDLE_ACCESS_REQUESTS,
            C.RECORD_SCREENING,
            C.READ_REPORTS,
        }
    ),
    Role.SCHOOL_ADMIN: frozenset(
        {
            C.LOG_CONCERN,
            C.READ_OWN_CONCERNS,
            C.READ_AUDIT_NAMES,
            C.RAISE_ADULT_CONCERN,
            C.LIST_STAFF,
            C.MANAGE_STAFF,
            C.MANAGE_ROSTER,
        }
    ),
    # Reads every school of the trust; acts on a concern only where also the school's DSL or a deputy.
    Role.TRUST_LEAD: frozenset(
        {
            C.LOG_CONCERN,
            C.READ_OWN_CONCERNS,
            C.READ_AUDIT_NAMES,
            C.READ_QUEUE,
            C.READ_CHILD_FILE,
            C.READ_REFERRAL,
            C.EXPORT,
            C.READ_AUDIT,
            C.READ_WHO_VIEWED,
            C.LIST_STAFF,
            C.GRANT_ROLES,
            C.HAND_OVER,
            C.RESET_SECOND_FACTOR,
            C.SET_COVER,
            C.SET_TRUST_POLICY,
            C.RAISE_ADULT_CONCERN,
            C.REVIEW_RETENTION,
            C.SEE_TRUST_NETWORK,
            C.READ_REPORTS,
        }
    ),
    Role.AUDITOR: frozenset({C.READ_AUDIT, C.READ_WHO_VIEWED}),
    # Concerns about adults (KCSIE Part four). Each case manager manages the records routed to their role
    # (`AdultRecord.managed_by`); none of them reads a child's file.
    Role.HEADTEACHER: frozenset(
        {
            C.LOG_CONCERN,
            C.READ_OWN_CONCERNS,
            C.READ_AUDIT_NAMES,
            C.RAISE_ADULT_CONCERN,
            C.MANAGE_ADULT_CASES,
            C.READ_REPORTS,
        }
    ),
    # The chair of governors reads the school's report: the board oversees safeguarding (KCSIE Part two).
    Role.CHAIR: frozenset({C.READ_AUDIT_NAMES, C.RAISE_ADULT_CONCERN, C.MANAGE_ADULT_CASES, C.READ_REPORTS}),
    Role.CHIEF_EXECUTIVE: frozenset({C.READ_AUDIT_NAMES, C.RAISE_ADULT_CONCERN, C.MANAGE_ADULT_CASES}),
    Role.DPO: frozenset({C.READ_AUDIT, C.READ_AUDIT_NAMES, C.REVIEW_RETENTION, C.HANDLE_ACCESS_REQUESTS}),
    Role.HR: frozenset(
        {C.LOG_CONCERN, C.READ_OWN_CONCERNS, C.READ_AUDIT_NAMES, C.RAISE_ADULT_CONCERN, C.READ_ADULT_RECORDS}
    ),
}

# Capabilities a membership holds only with a permission flag set, by role: a school admin exports only with it.
FLAG_CAPABILITIES: dict[str, dict[Role, frozenset[Capability]]] = {
    "can_export": {Role.SCHOOL_ADMIN: frozenset({C.EXPORT})},
    # A DSL designated to manage concerns about adults beside the headteacher.
    "manages_adult_concerns": {Role.DSL: frozenset({C.MANAGE_ADULT_CASES})},
}

# What each page (by URL name) needs: the first to open it, the rest for what it lets one do. An empty tuple marks a
# page for anyone signed in (or anyone at all), which needs no role. tests/security/test_capabilities.py checks that
# every page is here and every capability has a page.
PAGE_CAPABILITIES: dict[str, tuple[Capability, ...]] = {
    "home": (),
    "healthz": (),
    "login": (),
    "second_factor": (),
    "second_factor_setup": (),
    "logout": (),
    "my_sessions": (),
    "account_security": (),
    "passkey_options": (),
    "passkey_signin": (),
    "passkey_add": (),
    "passkey_rename": (),
    "passkey_remove": (),
    "password_reset": (),
    "password_reset_done": (),
    "password_reset_confirm": (),
    "password_reset_complete": (),
    "signs_guide": (),
    "notifications": (),
    "notifications_read": (),
    "notification_open": (),
    "school_list": (C.LIST_STAFF,),
    "staff_list": (C.LIST_STAFF,),
    "holiday_cover": (C.SET_COVER,),
    "local_arrangements": (C.SET_COVER,),
    "sign_in_rules": (C.SET_COVER,),
    "staff_invite": (C.MANAGE_STAFF,),
    "staff_member": (C.LIST_STAFF,),
    "staff_role": (C.GRANT_ROLES,),
    "staff_export": (C.GRANT_ROLES,),
    "staff_hand_over": (C.HAND_OVER,),
    "staff_deactivate": (C.MANAGE_STAFF,),
    "staff_reactivate": (C.MANAGE_STAFF,),
    "staff_second_factor_reset": (C.RESET_SECOND_FACTOR,),
    "roster_list": (C.MANAGE_ROSTER,),
    "roster_add": (C.MANAGE_ROSTER,),
    "roster_pupil": (C.MANAGE_ROSTER,),
    "concern_new": (C.LOG_CONCERN,),
    "concern_draft_save": (C.LOG_CONCERN,),
    "concern_child_search": (C.LOG_CONCERN,),
    "concern_receipt": (C.READ_OWN_CONCERNS,),
    "concerns_mine": (C.READ_OWN_CONCERNS,),
    "concern_detail": (C.READ_OWN_CONCERNS,),
    "attachment_download": (C.READ_OWN_CONCERNS, C.READ_QUEUE),
    "queue": (C.READ_QUEUE,),
    "queue_acknowledge": (C.ACT_ON_CONCERN,),
    "concern_review": (C.READ_QUEUE, C.ACT_ON_CONCERN, C.MOVE_CONCERN, C.REOPEN),
    "child_search": (C.READ_CHILD_FILE,),
    "child_file": (C.READ_CHILD_FILE,),
    "child_flags": (C.SET_FLAGS,),
    "child_note": (C.WRITE_NOTE,),
    "action_new": (C.ASSIGN_ACTION,),
    # An action's own page: for its owner, whatever their role, and for those who may give actions at its school.
    "action_detail": (),
    "child_alert_acknowledge": (C.ACKNOWLEDGE_ALERT,),
    "child_file_pdf": (C.READ_CHILD_FILE,),
    "referral_detail": (C.READ_REFERRAL,),
    "referral_pdf": (C.READ_REFERRAL,),
    "referral_new": (C.REFER,),
    "exports": (C.EXPORT,),
    "export_status": (C.EXPORT,),
    "export_download": (C.EXPORT,),
    "audit_log": (C.READ_AUDIT, C.READ_AUDIT_NAMES),
    "child_access": (C.READ_WHO_VIEWED,),
    "concern_to_adults": (C.MOVE_CONCERN,),
    "adult_new": (C.RAISE_ADULT_CONCERN,),
    # One's own concern about an adult: for the person who raised it, whatever their role.
    "adult_submitted": (C.RAISE_ADULT_CONCERN,),
    # The records routed to a case manager's role, and HR's reading of them; never a record about oneself.
    "adult_cases": (C.MANAGE_ADULT_CASES, C.READ_ADULT_RECORDS),
    "adult_case": (C.MANAGE_ADULT_CASES, C.READ_ADULT_RECORDS),
    "retention_list": (C.REVIEW_RETENTION,),
    "retention_review": (C.REVIEW_RETENTION,),
    "access_requests": (C.HANDLE_ACCESS_REQUESTS,),
    "access_request_new": (C.HANDLE_ACCESS_REQUESTS,),
    "access_request": (C.HANDLE_ACCESS_REQUESTS,),
    "access_request_pack": (C.HANDLE_ACCESS_REQUESTS,),
    # The people, vehicles, places and accounts around children: recorded by a concern's author on their own concern
    # or by the safeguarding team; linked and read by the team; across the trust by the trust lead.
    "context_mention_new": (C.READ_OWN_CONCERNS, C.ACT_ON_CONCERN),
    "context_link": (C.ACT_ON_CONCERN,),
    "context_unlink": (C.ACT_ON_CONCERN,),
    "context_entity": (C.READ_CHILD_FILE,),
    "context_entity_network": (C.READ_CHILD_FILE,),
    "child_network": (C.READ_CHILD_FILE,),
    "screening_new": (C.RECORD_SCREENING,),
    "screening_detail": (C.READ_CHILD_FILE,),
    "screening_tools": (C.SET_COVER,),
    "reports": (C.READ_REPORTS,),
    "school_report": (C.READ_REPORTS,),
    "school_report_pdf": (C.READ_REPORTS,),
    "school_report_xlsx": (C.READ_REPORTS,),
    "trust_report": (C.READ_REPORTS,),
    "trust_report_pdf": (C.READ_REPORTS,),
    "trust_report_xlsx": (C.READ_REPORTS,),
    "trust_network": (C.SEE_TRUST_NETWORK,),
    "transfers": (C.TRANSFER_FILE,),
    "trust_moving_schools": (C.SET_TRUST_POLICY,),
    # A leaver's task: for the child file's readers at the school they left, and the receiving school's DSL.
    "transfer_detail": (C.READ_CHILD_FILE, C.TRANSFER_FILE),
    "transfer_package": (C.READ_CHILD_FILE, C.TRANSFER_FILE),
    "child_leaving": (C.TRANSFER_FILE,),
    "received_pdf": (C.READ_CHILD_FILE,),
    "received_attachment": (C.READ_CHILD_FILE,),
    # For a receiving school that does not use Safeguard: opened by the link and a code given by phone.
    "transfer_link": (),
    "transfer_link_package": (),
    "transfer_key": (),
}


def membership_capabilities(membership: Membership) -> frozenset[Capability]:
    """What one membership allows: its role's capabilities and those its permission flags add."""
    held = set(ROLE_CAPABILITIES.get(membership.role, frozenset()))
    for flag, by_role in FLAG_CAPABILITIES.items():
        if getattr(membership, flag, False):
            held |= by_role.get(membership.role, frozenset())
    return frozenset(held)


def capabilities_of(memberships) -> frozenset[Capability]:
    """What a person may do somewhere, from their memberships (the navigation asks this, with no query)."""
    held = set()
    for membership in memberships:
        held |= membership_capabilities(membership)
    return frozenset(held)


def roles_with(capability: Capability) -> frozenset[Role]:
    """The roles whose every membership holds `capability`, flags aside."""
    return frozenset(role for role, held in ROLE_CAPABILITIES.items() if capability in held)


def holding(capability: Capability) -> Q:
    """The memberships that hold `capability`, as a filter on `Membership`."""
    condition = Q(role__in=list(roles_with(capability)))
    for flag, by_role in FLAG_CAPABILITIES.items():
        flagged = [role for role, held in by_role.items() if capability in held]
        if flagged:
            condition |= Q(role__in=flagged, **{flag: True})
    return condition


def schools_where(user: User, capability: Capability) -> QuerySet[School]:
    """The schools where `user` holds `capability`, through a membership of the school or of its trust."""
    if not user.is_authenticated:
        return School.objects.none()
    reach = Membership.objects.active().filter(holding(capability), user=user)
    return School.objects.filter(
        Q(pk__in=reach.filter(school__isnull=False).values("school"))
        | Q(trust__in=reach.filter(trust__isnull=False).values("trust"))
    ).select_related("trust")


def can(user: User, capability: Capability, school: School) -> bool:
    """Whether `user` holds `capability` at `school`."""
    return schools_where(user, capability).filter(pk=school.pk).exists()


def capabilities_at(memberships, school: School) -> frozenset[Capability]:
    """What a person may do at `school`, from their memberships of it and of its trust (no query)."""
    return capabilities_of(memberships_at(memberships, school))


def members_with(capability: Capability, school: School) -> QuerySet[Membership]:
    """The active memberships of `school` itself that hold `capability` (the people a concern is sent to)."""
    return Membership.objects.active().filter(holding(capability), school=school).select_related("user")
