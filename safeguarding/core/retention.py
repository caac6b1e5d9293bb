"""The retention schedule (REQUIREMENTS.md §9, R9.5): for every model of the site, how long its rows are kept, from
which date, what happens then, why, and on what lawful basis.

Models are named by label, so this platform module imports no app. `tests/test_retention.py` fails for a model of
the site with no row here, and for a docs/data-protection.md whose table is not `schedule_markdown()`.
"""

from dataclasses import dataclass

from django.db import models


class Then(models.TextChoices):
    REVIEW = "review", "Reviewed by a person, who keeps it with a new date or disposes of it"
    DELETE = "delete", "Deleted by `retention_run`"
    WITH_FILE = "with_file", "Goes with the child's file (reviewed, or disposed of, with it)"
    WITH_PARENT = "with_parent", "Goes with the record it belongs to"
    KEPT = "kept", "Kept while in use; holds no one's personal data"
    AUDIT = "audit", "Kept for the audit trail's period, then the whole month is retired"
    TRANSIENT = "transient", "Never kept: removed by the transaction that wrote it"


CHILD_FILE = "date of birth + 25 years (a trust may lengthen it), then review"
CP_BASIS = "UK GDPR 6(1)(e) public task and 9(2)(g) with DPA 2018 Sch. 1 para 18 (safeguarding)"
CONTRACT_BASIS = "UK GDPR 6(1)(e): running the service for the school"
SECURITY_BASIS = "UK GDPR 6(1)(f) and 32: security of processing"


@dataclass(frozen=True)
class Rule:
    period: str
    then: Then
    reason: str
    basis: str = CP_BASIS


def _file(reason: str) -> Rule:
    return Rule(CHILD_FILE, Then.WITH_FILE, reason)


def _reference(reason: str) -> Rule:
    return Rule("while in use", Then.KEPT, reason, "none needed: no personal data")


SCHEDULE: dict[str, Rule] = {
    # The child protection file: IRMS toolkit, DfE data protection toolkit (R9.1); IICSA for sexual abuse (R9.2).
    "referrals.Child": Rule(
        CHILD_FILE,
        Then.REVIEW,
        "The IRMS toolkit's period for a child protection file; never destroyed without a person's decision, never "
        "while a hold stands. A file with a disclosure of sexual abuse is flagged for extended retention (IICSA).",
    ),
    "referrals.Carer": _file("The people around the child, part of the file."),
    "referrals.Concern": _file("What staff saw or heard: the heart of the file."),
    "referrals.Incident": _file("Groups the concerns raised together; goes when its last concern goes."),
    "referrals.ConcernIndicator": _file("The signs ticked on a concern."),
    "referrals.BodyMark": _file("A body map mark on a concern."),
    "referrals.Attachment": _file("Photos and documents of a concern, and their stored files."),
    "referrals.Addendum": _file("Corrections and additions to a concern."),
    "referrals.Escalation": _file("When an unacknowledged concern was escalated."),
    "referrals.InformationRequest": _file("The DSL's questions to the author, and the answers."),
    "referrals.Decision": _file("The DSL's decisions with reasons."),
    "referrals.DecisionOutcome": _file("The outcomes of a decision."),
    "referrals.RiskNeedsAssessment": _file("A risk and needs assessment after sexual violence."),
    "referrals.Closure": _file("How a concern was closed."),
    "referrals.ConcernMove": _file("A concern moved between children's files, shown on both."),
    "referrals.CaseNote": _file("The DSL's calls, meetings and notes."),
    "referrals.Action": _file("Actions given to staff about the child."),
    "referrals.PatternAlert": _file("Patterns of signs found on the file."),
    "referrals.Referral": _file("Referrals to agencies, part of the file."),
    "referrals.AgencyDecisionEntry": _file("What the agency decided."),
    "referrals.ReferralEscalation": _file("Chasing an agency that did not reply."),
    "referrals.ReferralMeeting": _file("Strategy meetings and conferences of a referral."),
    "referrals.Transfer": _file("The record of the file's move to another school (R7), kept as the file is."),
    "referrals.FileHold": _file("Holds on the file: while one stands, nothing is disposed of."),
    "referrals.RetentionReview": Rule(
        "with the audit trail (a disposed file's review keeps only its id)",
        Then.AUDIT,
        "The decision to keep or dispose of a file, with its reasons, for accountability.",
    ),
    "referrals.DisposalCertificate": Rule(
        "with the audit trail",
        Then.AUDIT,
        "Proof of what was disposed of, when and on whose authority (R9.6); counts and ids only.",
    ),
    "referrals.DisposalUnderway": Rule(
        "the length of one disposal's transaction", Then.TRANSIENT, "A flag, never committed; no personal data."
    ),
    "referrals.Notification": Rule(
        "90 days after it was read", Then.DELETE, "A notice in Safeguard; the record it points to is the record."
    ),
    "referrals.ConcernDraft": Rule(
        "30 days untouched (a week's warning first; never one naming a disclosure)",
        Then.DELETE,
        "An unsent draft is the author's working copy, not a record.",
    ),
    # The people, vehicles, places and accounts around children: third parties' personal data.
    "referrals.ContextMention": _file(
        "What a member of staff saw around the child: a person, a car, a place, an account"
    ),
    "referrals.ContextLink": _file("A DSL's confirmation that a mention is a known entity, and its undoing."),
    "referrals.ContextEntity": Rule(
        "as long as any file it is linked to",
        Then.WITH_FILE,
        "Links children through the people, cars, places and accounts around them; it goes when the last file it "
        "appears in goes.",
    ),
    "referrals.ContextAlert": Rule(
        "as long as its entity",
        Then.WITH_FILE,
        "Which children one entity joined, and when; a child's disposal takes the child out of it.",
    ),
    # Exploitation screenings (R8): part of the child protection file.
    "referrals.Screening": _file(
        "The DSL's exploitation screenings: the band, the floors, the reasons, the narrative."
    ),
    "referrals.ScreeningAnswer": _file("Each item of a screening as the DSL confirmed it, with its sources."),
    "referrals.ScreeningTool": _reference(
        "A screening tool's wording and numbers, so that each screening reads as it was done."
    ),
    # Subject access requests (R10.6, R10.7).
    "referrals.AccessRequest": Rule(
        CHILD_FILE + "; the pack's file: 7 days (ACCESS_PACK_DAYS)",
        Then.WITH_FILE,
        "What was asked, released and withheld, and on whose authority, so that the school can answer a complaint "
        "to the ICO; the pack itself is the requester's copy.",
        "UK GDPR 6(1)(c) legal obligation (Art. 15) and 9(2)(g) with DPA 2018 Sch. 1 para 18",
    ),
    "referrals.AccessRequestPause": _file("When the request's clock waited for clarification, and why."),
    "referrals.Redaction": _file("The disclosure log: what was withheld from the pack and the exemption relied on."),
    "referrals.ExportRecord": Rule(
        "the file: 24 hours (EXPORT_FILE_HOURS); the record of the export: with the audit trail",
        Then.DELETE,
        "A downloaded export is the school's copy; the record says who exported what and why (R12).",
    ),
    # Concerns about adults (R9.3, R9.4).
    "referrals.AdultRecord": Rule(
        "allegation: normal retirement age or 10 years from it, whichever is longer; low-level concern: at least "
        "until employment ends; then review",
        Then.REVIEW,
        "KCSIE Part four record keeping; a malicious allegation is removed from personnel records sooner.",
        "UK GDPR 6(1)(c) and (e); 9(2)(b) and (g); DPA 2018 Sch. 1 paras 1 and 18",
    ),
    "referrals.AdultEntry": Rule("with its record", Then.WITH_PARENT, "The dated steps of a case about an adult."),
    # Reference data.
    "referrals.IndicatorCategory": _reference("The taxonomy of signs."),
    "referrals.Indicator": _reference("The taxonomy of signs."),
    "referrals.SeedSign": _reference("The published lists the signs draw on."),
    # People and schools.
    "accounts.Trust": _reference("The trust and its settings."),
    "accounts.School": Rule(
        "while the school uses Safeguard",
        Then.KEPT,
        "The school and its contacts (work contact details only).",
        CONTRACT_BASIS,
    ),
    "accounts.ClosureDay": _reference("The school's closure days."),
    "accounts.HolidayCover": Rule(
        "while in use", Then.WITH_PARENT, "Who covers safeguarding in the holidays.", CONTRACT_BASIS
    ),
    "accounts.User": Rule(
        "while the person has an active membership, then deactivated; the row stays while records name its author",
        Then.KEPT,
        "Authorship of safeguarding records must stay attributable for as long as the records are kept.",
        CONTRACT_BASIS,
    ),
    "accounts.Membership": Rule(
        "with the person's account",
        Then.WITH_PARENT,
        "Who held which role, for the trail.",
        CONTRACT_BASIS,
    ),
    "accounts.Passkey": Rule("until removed by the person", Then.WITH_PARENT, "A sign-in key.", SECURITY_BASIS),
    "accounts.RecoveryCode": Rule("until used or replaced", Then.WITH_PARENT, "Sign-in recovery.", SECURITY_BASIS),
    "accounts.UserSession": Rule(
        "until the session ends or expires",
        Then.DELETE,
        "Where a person is signed in, for them to see and end.",
        SECURITY_BASIS,
    ),
    "sessions.Session": Rule("until it expires", Then.DELETE, "The sign-in session itself.", SECURITY_BASIS),
    "otp_totp.TOTPDevice": Rule(
        "until removed or reset", Then.WITH_PARENT, "The person's authenticator.", SECURITY_BASIS
    ),
    "axes.AccessAttempt": Rule(
        "90 days", Then.DELETE, "Failed sign-ins, for lock-out and the trail's alerts.", SECURITY_BASIS
    ),
    "axes.AccessAttemptExpiration": Rule("with its attempt", Then.WITH_PARENT, "Lock-out expiry.", SECURITY_BASIS),
    "axes.AccessLog": Rule("90 days", Then.DELETE, "Sign-in log of the lock-out library.", SECURITY_BASIS),
    "axes.AccessFailureLog": Rule("90 days", Then.DELETE, "Failed sign-in log.", SECURITY_BASIS),
    # The audit trail: one chain, one period (R11, R9.5).
    "audit.AuditEvent": Rule(
        "the trust's audit period (10 years by default), then whole months are retired",
        Then.AUDIT,
        "Every event is a link of one hash chain, so all events share one period, long enough to answer who "
        "looked at a file in any complaint or inquiry of the file's own early years; events hold ids, never content, "
        "and are not changed by disposal.",
        "UK GDPR 5(1)(f), 5(2) and 32: accountability and security",
    ),
    "audit.AuditSeal": Rule("with the events it seals", Then.AUDIT, "The chain's seals.", SECURITY_BASIS),
    "audit.AuditCheckpoint": Rule(
        "as long as the trail is kept",
        Then.KEPT,
        "The signed end of the chain at a retired month's cut, from which verification starts; sequence numbers and "
        "hashes only.",
        SECURITY_BASIS,
    ),
    "audit.AuditAlert": Rule("with the audit trail", Then.AUDIT, "Alerts raised from the trail.", SECURITY_BASIS),
    "audit.AnonymousRequestTally": Rule(
        "90 days", Then.DELETE, "Counts of anonymous requests by address, for alerts.", SECURITY_BASIS
    ),
    "admin.LogEntry": Rule(
        "with the audit trail", Then.AUDIT, "The platform operators' changes in the Django admin.", SECURITY_BASIS
    ),
    # Running the service.
    "core.Heartbeat": _reference("When the worker and the scheduler last ran."),
    "core.PeriodicJobRun": _reference("When each periodic job last ran."),
    "core.StoredFile": Rule(
        "with the record it belongs to",
        Then.WITH_FILE,
        "The bytes of attachments, background exports, subject access packs and transfer packages; each is deleted "
        "in the transaction that deletes or expires its record.",
    ),
    "core.StoredFileChunk": Rule(
        "with its stored file", Then.WITH_FILE, "A piece of a stored file; deleted with it, never on its own."
    ),
    "core.RateLimitWindow": Rule(
        "one row per action and address (or sign-in), overwritten as each window passes",
        Then.KEPT,
        "Counts for rate limits, and codes already used; a row is a key and a count, rewritten in place.",
        SECURITY_BASIS,
    ),
    "django_tasks_database.DBTaskResult": Rule(
        "7 days after it finished", Then.DELETE, "Background jobs; their arguments are ids.", CONTRACT_BASIS
    ),
    "auth.Group": _reference("Django's groups (unused)."),
    "auth.Permission": _reference("Django's permissions (unused)."),
    "contenttypes.ContentType": _reference("Django's list of models."),
}


def schedule_markdown() -> str:
    """The schedule as published in docs/data-protection.md, between its two markers."""
    lines = ["| Record | Kept | Then | Why | Lawful basis |", "|---|---|---|---|---|"]
    for label, rule in sorted(SCHEDULE.items()):
        lines.append(f"| `{label}` | {rule.period} | {rule.then.label} | {rule.reason} | {rule.basis} |")
    return "\n".join(lines)
