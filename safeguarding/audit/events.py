from django.db import models


class EventType(models.TextChoices):
    """The closed list of what an audit event can record. Nothing outside it can be written."""

    VIEW = "view", "Viewed"
    LIST = "list", "Listed"
    SEARCH = "search", "Searched"
    CREATE = "create", "Created"
    UPDATE = "update", "Changed"
    ADDENDUM = "addendum", "Added an addendum"
    DECISION = "decision", "Recorded a decision"
    REFERRAL = "referral", "Recorded a referral"
    EXPORT_STARTED = "export_started", "Export started"
    EXPORT_FINISHED = "export_finished", "Export finished"
    DOWNLOAD = "download", "Downloaded"
    LOGIN = "login", "Signed in"
    LOGOUT = "logout", "Signed out"
    LOGIN_FAILED = "login_failed", "Failed sign-in"
    LOCKED_OUT = "locked_out", "Locked out"
    SECOND_FACTOR_ENROLLED = "second_factor_enrolled", "Second factor set up"
    SECOND_FACTOR_VERIFIED = "second_factor_verified", "Second factor accepted"
    SECOND_FACTOR_FAILED = "second_factor_failed", "Second factor refused"
    SECOND_FACTOR_REMOVED = "second_factor_removed", "Second factor removed"
    SECOND_FACTOR_RESET = "second_factor_reset", "Second factors reset"
    PASSWORD_RESET = "password_reset", "Password reset"
    MEMBERSHIP_CHANGED = "membership_changed", "Role or membership changed"
    ACCESS_REFUSED = "access_refused", "Access refused"
    AUDIT_READ = "audit_read", "Read the audit trail"
    DELETE = "delete", "Deleted"


class Outcome(models.TextChoices):
    ALLOWED = "allowed", "Allowed"
    REFUSED = "refused", "Refused"
    FAILED = "failed", "Failed"


# Events that record a change: written in the change's own transaction, so both commit or neither does.
# Every other event (reads, refusals, sign-in events) is written through the audit connection and committed
# at once, before any data leaves.
WRITE_EVENTS = frozenset(
    {
        EventType.CREATE,
        EventType.UPDATE,
        EventType.ADDENDUM,
        EventType.DECISION,
        EventType.REFERRAL,
        EventType.SECOND_FACTOR_RESET,
        EventType.SECOND_FACTOR_ENROLLED,
        EventType.SECOND_FACTOR_REMOVED,
        EventType.PASSWORD_RESET,
        EventType.MEMBERSHIP_CHANGED,
        EventType.DELETE,
    }
)


# What each object type is called on the audit pages, in the words of the people who read them.
OBJECT_LABELS = {
    "attachment": "an attached file",
    "audit_event": "the audit trail",
    "audit_month": "a month of the audit trail, retired",
    "case_note": "a note in the chronology",
    "child": "the child's record",
    "child_access": "who has opened the records",
    "child_file": "the child's file",
    "child_file_pdf": "the child's file as a PDF",
    "child_flags": "the safeguarding flags",
    "child_roster": "the pupil roster",
    "child_typeahead": "a search for a child",
    "concern": "a concern",
    "concern_draft": "a draft concern",
    "concern_draft_children": "the children chosen in a draft concern",
    "concern_receipt": "the receipt for a concern",
    "export": "an export of referral records",
    "membership": "a member of staff",
    "notification": "a notification",
    "pattern_alert": "a pattern alert",
    "referral": "a referral",
    "referral_pdf": "a referral as a PDF",
    "alert": "a pattern alert",
    "school": "a school page",
    "holiday_cover": "the holiday cover",
    "incident": "a concern",
    "page": "a page",
    "transfer": "a leaver's file sent to the next school",
    "transfer_link": "the secure link to a leaver's file",
    "transfer_package": "a leaver's file as sent (the package)",
    "received_file": "a file received from the child's earlier school",
    "file_hold": "a hold on the child's file",
    "access_request": "a subject access request about the child",
    "access_request_pack": "a subject access pack (the PDF)",
    "access_request_child": "a search for a child, to log a subject access request",
    "safeguarding_report": "a safeguarding report (figures only, for governors and inspectors)",
}


def object_label(object_type: str) -> str:
    return OBJECT_LABELS.get(object_type, object_type.replace("_", " "))
