"""The package a child protection file travels in when the child moves school (REQUIREMENTS.md R7.2 to R7.4, R12.9).

One zip holding the whole file: the file as a PDF for people, the same as JSON for systems, every attached file, a
manifest that lists every item of the file with its own SHA-256, a SHA256SUMS of every part, and an Ed25519
signature of SHA256SUMS made with the deployment's key. Anyone can check a package with standard tools against the
public key the site publishes (docs/transfer.md):

    openssl pkeyutl -verify -pubin -inkey key.pem -rawin -in SHA256SUMS -sigfile SHA256SUMS.sig
    sha256sum -c SHA256SUMS

A changed byte anywhere fails one of the two: in SHA256SUMS the signature, in any other part its sum.
"""

import datetime
import hashlib
import io
import json
import os
import re
import uuid
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from referrals.attachments import attachment_read
from referrals.body_map import region_label
from referrals.models import (
    Action,
    Attachment,
    CaseNote,
    Child,
    Concern,
    ConcernMove,
    ContextMention,
    FileHold,
    PatternAlert,
    Referral,
    RiskNeedsAssessment,
    Screening,
    Transfer,
)
from safeguarding.accounts.models import User
from safeguarding.core.dates import LONDON
from safeguarding.core.files import file_delete, file_open, file_save

PACKAGE_FORMAT = "safeguard-child-protection-file/1"
PDF_PART = "child-protection-file.pdf"
JSON_PART = "child-protection-file.json"
MANIFEST_PART = "manifest.json"
SUMS_PART = "SHA256SUMS"
SIGNATURE_PART = "SHA256SUMS.sig"
# Packages sent are stored under this kind (safeguarding/core/files.py).
TRANSFERS = "transfers"
README_PART = "README.txt"


# The deployment's signing key ---------------------------------------------------------------------------------


def _key_path() -> Path:
    return Path(settings.TRANSFER_SIGNING_KEY_PATH)


@cache
def _private_key_from(path: str) -> Ed25519PrivateKey:
    return serialization.load_pem_private_key(Path(path).read_bytes(), password=None)


def signing_key() -> Ed25519PrivateKey:
    """The deployment's Ed25519 key, made on first use where none exists yet (readable by its owner only). Every
    application host of a deployment must share the one file: TRANSFER_SIGNING_KEY_PATH names it."""
    path = _key_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first: use theirs
        else:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(pem)
    return _private_key_from(str(path))


def public_key_pem() -> bytes:
    return (
        signing_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def key_fingerprint() -> str:
    """SHA-256 of the public key (its DER form), in groups of four to read out by phone. The same as
    `openssl pkey -pubin -in key.pem -outform DER | sha256sum`."""
    der = (
        signing_key()
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    digest = hashlib.sha256(der).hexdigest().upper()
    return " ".join(digest[index : index + 4] for index in range(0, len(digest), 4))


# The file as data ----------------------------------------------------------------------------------------------

# Internal columns that mean nothing outside this system, or would point into its storage.
_LEFT_OUT = {"id", "stored_name", "version", "draft", "package_name"}


def _value(value):
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return None
    return value


def _row(instance: models.Model, **extra) -> dict:
    """Every column of a record, a person by their name and another record by its UUID."""
    row = {}
    for field in instance._meta.concrete_fields:
        if field.name in _LEFT_OUT:
            continue
        if field.is_relation:
            related = getattr(instance, field.name)
            if related is None:
                row[field.name] = None
            elif isinstance(related, User):
                row[field.name] = related.full_name
            elif hasattr(related, "uuid"):
                row[field.name] = str(related.uuid)
            else:
                row[field.name] = str(related)
        else:
            row[field.name] = _value(getattr(instance, field.attname))
        if field.choices and row.get(field.name) not in (None, ""):
            row[f"{field.name}_label"] = str(getattr(instance, f"get_{field.name}_display")())
    row.update(extra)
    return row


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _canonical(value) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def file_items(child: Child) -> dict[str, list[dict]]:
    """The whole file of `child`, by kind: every record the chronology and the file's pages show (R7.4)."""
    concerns = (
        Concern.objects.filter(child=child)
        .select_related("author", "incident", "school", "assigned_to", "acknowledged_by")
        .prefetch_related(
            "indicators__indicator__category",
            "body_marks",
            "addenda__author",
            "information_requests",
            "escalations",
            "decisions__outcomes",
            "decisions__decided_by",
            "closures__closed_by",
        )
        .order_by("observed_at", "pk")
    )
    items: dict[str, list[dict]] = {kind: [] for kind in KINDS}
    for concern in concerns:
        items["concern"].append(
            _row(
                concern,
                signs=[
                    {
                        "code": ticked.indicator.code,
                        "sign": ticked.indicator.label,
                        "category": ticked.indicator.category.label,
                        "basis": ticked.get_basis_display() if ticked.basis else "",
                    }
                    for ticked in concern.indicators.all()
                ],
                body_marks=[_row(mark) for mark in concern.body_marks.all()],
                questions_to_author=[_row(question) for question in concern.information_requests.all()],
                escalations=[_row(escalation) for escalation in concern.escalations.all()],
            )
        )
        items["addendum"] += [_row(addendum) for addendum in concern.addenda.all()]
        items["decision"] += [
            _row(decision, outcomes=[outcome.get_outcome_display() for outcome in decision.outcomes.all()])
            for decision in concern.decisions.all()
        ]
        items["closure"] += [_row(closure) for closure in concern.closures.all()]
    items["risk_assessment"] = [
        _row(assessment)
        for assessment in RiskNeedsAssessment.objects.filter(concern__child=child).select_related("concern")
    ]
    for referral in (
        Referral.objects.filter(child=child)
        .select_related("made_by", "decision")
        .prefetch_related("decisions", "escalations", "meetings", "shared_concerns")
        .order_by("made_at", "pk")
    ):
        items["referral"].append(
            _row(
                referral,
                shared_concerns=[str(shared.uuid) for shared in referral.shared_concerns.all()],
                agency_decisions=[_row(entry) for entry in referral.decisions.all()],
                escalations=[_row(escalation) for escalation in referral.escalations.all()],
                meetings=[_row(meeting) for meeting in referral.meetings.all()],
            )
        )
    items["note"] = [_row(note) for note in CaseNote.objects.filter(child=child).select_related("author")]
    items["action"] = [
        _row(action)
        for action in Action.objects.filter(child=child).select_related("owner", "assigned_by", "completed_by")
    ]
    items["pattern_alert"] = [
        _row(alert, concerns=[str(each.uuid) for each in alert.concerns.all()])
        for alert in PatternAlert.objects.filter(child=child).prefetch_related("concerns")
    ]
    items["move"] = [
        _row(move)
        for move in ConcernMove.objects.filter(Q(from_child=child) | Q(to_child=child)).select_related(
            "moved_by", "concern", "from_child", "to_child"
        )
    ]
    items["hold"] = [_row(hold) for hold in FileHold.objects.filter(child=child)]
    # The people, vehicles, places and accounts recorded around the child, with each DSL's link and its undoing.
    items["context"] = [
        _row(
            mention,
            links=[_row(link, entity=link.entity.label, entity_kind=link.entity.kind) for link in mention.links.all()],
        )
        for mention in ContextMention.objects.filter(concern__child=child)
        .select_related("concern", "typed_by", "school")
        .prefetch_related("links__entity", "links__linked_by", "links__undone_by")
    ]
    items["screening"] = [
        _row(
            screening,
            items_present=[
                f"{answer.label_at_time} ({answer.when}; {answer.get_basis_display().lower()})"
                for answer in screening.answers.all()
                if answer.present
            ],
            answers=[
                _row(
                    answer,
                    concerns=[str(concern.uuid) for concern in answer.concerns.all()],
                    entities=[entity.label for entity in answer.entities.all()],
                )
                for answer in screening.answers.all()
            ],
        )
        for screening in Screening.objects.filter(child=child)
        .select_related("tool", "done_by", "review_action")
        .prefetch_related("answers__concerns", "answers__entities")
    ]
    items["attachment"] = [_row(attachment) for attachment in file_attachments(child)]
    return items


KINDS = (
    "concern",
    "addendum",
    "decision",
    "closure",
    "risk_assessment",
    "referral",
    "note",
    "action",
    "pattern_alert",
    "move",
    "hold",
    "context",
    "screening",
    "attachment",
)


def file_attachments(child: Child) -> list[Attachment]:
    return list(
        Attachment.objects.filter(incident__concerns__child=child)
        .select_related("uploaded_by")
        .distinct()
        .order_by("created_at", "pk")
    )


def child_details(child: Child) -> dict:
    """The child as the roll and the file hold them, with parents and carers, for the next school's record."""
    return _row(
        child,
        school=child.school.name,
        school_urn=child.school.urn,
        carers=[_row(carer) for carer in child.carers.all()],
    )


# Building and reading a package --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Package:
    content: bytes
    sha256: str
    manifest_sha256: str
    item_count: int


def _safe_part_name(number: int, name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip(".-")[:80] or "file"
    return f"attachments/{number:03d}-{cleaned}"


def _readme(transfer: Transfer, fingerprint: str) -> str:
    sent = timezone.localtime(transfer.sent_at)
    return (
        f"Child protection file sent by {transfer.school.name} (URN {transfer.school.urn}) "
        f"on {sent:%d %B %Y at %H:%M}.\n\n"
        f"{PDF_PART}: the whole file, to read and print.\n"
        f"{JSON_PART}: the same, as data for a records system.\n"
        f"{MANIFEST_PART}: every item of the file, with the SHA-256 of each, and every part of this package.\n"
        "attachments/: every file attached to the child's concerns.\n\n"
        "To check that nothing was changed on the way, with the sender's public key (key.pem, from the address on\n"
        "the transfer letter), run in this folder:\n\n"
        f"  openssl pkeyutl -verify -pubin -inkey key.pem -rawin -in {SUMS_PART} -sigfile {SIGNATURE_PART}\n"
        f"  sha256sum -c {SUMS_PART}\n\n"
        f"Both must succeed. The key's fingerprint is {fingerprint}: ask the sending DSL to read it out.\n"
    )


def package_build(*, transfer: Transfer, user: User) -> Package:
    """The signed package of the whole file of `transfer.child`, as it stands now."""
    from referrals.pdfs import child_file_pdf

    child = transfer.child
    items = file_items(child)
    attachments = file_attachments(child)
    parts: dict[str, bytes] = {PDF_PART: child_file_pdf(child=child, user=user)}
    attachment_parts = []
    for number, attachment in enumerate(attachments, start=1):
        name = _safe_part_name(number, attachment.original_name)
        content = attachment_read(attachment.stored_name)
        if content is None:
            raise FileNotFoundError(f"The stored file of attachment {attachment.uuid} is missing.")
        parts[name] = content
        attachment_parts.append({"attachment": str(attachment.uuid), "part": name})
    for earlier in Transfer.objects.filter(received_child=child).exclude(package_name="").order_by("received_at"):
        # A file this school received from an earlier school goes on with the child, as it came.
        with package_open(earlier.package_name) as handle, zipfile.ZipFile(handle) as archive:
            for info in archive.infolist():
                parts[f"earlier/{earlier.uuid}/{info.filename}"] = archive.read(info)
    sender = {
        "school": transfer.school.name,
        "urn": transfer.school.urn,
        "local_authority": transfer.school.local_authority,
        "sent_by": user.full_name,
        "sent_by_email": user.email,
        "sent_at": _value(transfer.sent_at),
    }
    document = {
        "format": PACKAGE_FORMAT,
        "transfer": str(transfer.uuid),
        "from": sender,
        "to": {
            "school": transfer.to_school.name if transfer.to_school_id else transfer.destination,
            "urn": transfer.to_school.urn if transfer.to_school_id else transfer.destination_urn,
            "dsl": transfer.receiving_dsl_name,
        },
        "left_on": _value(transfer.left_on),
        "advance_sharing": transfer.get_advance_sharing_display() if transfer.advance_sharing else "",
        "advance_note": transfer.advance_note,
        "child": child_details(child),
        "items": items,
        "attachment_parts": attachment_parts,
    }
    parts[JSON_PART] = json.dumps(document, indent=2, ensure_ascii=False).encode()
    listed = [
        {"kind": kind, "uuid": row.get("uuid", ""), "sha256": _sha256(_canonical(row))}
        for kind in KINDS
        for row in items[kind]
    ]
    manifest = {
        "format": PACKAGE_FORMAT,
        "transfer": str(transfer.uuid),
        "from": sender,
        "child": str(child.uuid),
        "item_count": len(listed),
        "counts": {kind: len(items[kind]) for kind in KINDS},
        "items": listed,
        "parts": [{"name": name, "sha256": _sha256(data), "bytes": len(data)} for name, data in parts.items()],
        "signing_key_fingerprint": key_fingerprint(),
    }
    parts[MANIFEST_PART] = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
    sums = "".join(f"{_sha256(data)}  {name}\n" for name, data in parts.items()).encode()
    parts[SUMS_PART] = sums
    parts[SIGNATURE_PART] = signing_key().sign(sums)
    parts[README_PART] = _readme(transfer, manifest["signing_key_fingerprint"]).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    content = buffer.getvalue()
    return Package(
        content=content,
        sha256=_sha256(content),
        manifest_sha256=_sha256(parts[MANIFEST_PART]),
        item_count=len(listed),
    )


def package_store(content: bytes) -> str:
    """Store a package under a random name, in the storage every host shares; returns the name."""
    return file_save(TRANSFERS, uuid.uuid4().hex, content)


def package_open(name: str):
    """The stored package open for reading (seekable, as a zip file needs)."""
    return file_open(TRANSFERS, name)


def package_delete(name: str) -> None:
    file_delete(TRANSFERS, name)


def package_read(name: str, part: str) -> bytes:
    with package_open(name) as handle, zipfile.ZipFile(handle) as archive:
        return archive.read(part)


def package_document(name: str) -> dict:
    return json.loads(package_read(name, JSON_PART))


def package_manifest(name: str) -> dict:
    return json.loads(package_read(name, MANIFEST_PART))


def signature_valid(sums: bytes, signature: bytes) -> bool:
    try:
        signing_key().public_key().verify(signature, sums)
    except InvalidSignature:
        return False
    return True


# A received file, read back for the receiving school's pages -----------------------------------------------------

# Per kind: when it happened, its heading, and the fields worth reading in order (label, key).
_RECEIVED_SHAPES = {
    "concern": (
        "observed_at",
        lambda row: (
            f"Concern {row.get('reference', '')} by {row.get('author') or 'a member of staff'}"
            f"{' (' + row['author_role'] + ')' if row.get('author_role') else ''}"
        ),
        [
            ("Urgency", "urgency_label"),
            ("Where", "location"),
            ("What was seen or heard", "account"),
            ("The child's words", "child_words"),
            ("People present", "people_present"),
            ("Action taken", "action_taken"),
            ("Status at the old school", "status_label"),
        ],
    ),
    "addendum": ("created_at", lambda row: f"Addendum by {row.get('author')}", [("Why", "reason"), ("Text", "text")]),
    "decision": (
        "decided_at",
        lambda row: f"Decision by {row.get('decided_by')}",
        [
            ("Outcomes", "outcomes"),
            ("Reasons", "rationale"),
            ("Threshold", "threshold_label"),
            ("Next review", "next_review"),
        ],
    ),
    "closure": (
        "closed_at",
        lambda row: f"Closed by {row.get('closed_by')}",
        [("Summary", "summary"), ("Followed up", "follow_up"), ("Outcome", "outcome")],
    ),
    "risk_assessment": (
        "prompted_at",
        lambda row: "Risk and needs assessment",
        [
            ("Risks", "risks"),
            ("Support and arrangements", "needs_and_arrangements"),
            ("Not needed because", "not_needed_reason"),
        ],
    ),
    "referral": (
        "made_at",
        lambda row: f"Referral to {row.get('agency_label', row.get('agency'))} by {row.get('made_by')}",
        [
            ("Why", "purpose"),
            ("Their reference", "agency_reference"),
            ("Their contact", "agency_contact"),
            ("Acknowledged by", "acknowledged_by_name"),
            ("Their decision", "agency_decision_label"),
            ("Parents told", "parents_informed"),
            ("Why not", "parents_not_informed_reason"),
        ],
    ),
    "note": ("happened_at", lambda row: f"{row.get('kind_label', 'Note')} by {row.get('author')}", [("Note", "text")]),
    "action": (
        "assigned_at",
        lambda row: f"Action for {row.get('owner')}, given by {row.get('assigned_by')}",
        [("What", "what"), ("Due", "due_on"), ("Done", "completed_at"), ("Note", "completion_note")],
    ),
    "pattern_alert": (
        "created_at",
        lambda row: "Pattern alert",
        [
            ("Rule", "rule"),
            ("Why", "explanation"),
            ("Acknowledged", "acknowledged_at"),
            ("Note", "acknowledgement_note"),
        ],
    ),
    "move": ("moved_at", lambda row: f"Concern moved by {row.get('moved_by')}", [("Why", "reason")]),
    "hold": ("placed_at", lambda row: f"Hold: {row.get('reason_label')}", [("Note", "note"), ("Lifted", "lifted_at")]),
    "screening": (
        "done_at",
        lambda row: f"Exploitation screening by {row.get('done_by')} ({row.get('tool')})",
        [
            ("Band", "band_label"),
            ("Score", "score"),
            ("Floors", "floor_reasons"),
            ("Band moved by the DSL because", "override_rationale"),
            ("Items present", "items_present"),
            ("What the DSL made of it", "narrative"),
        ],
    ),
}


KIND_LABELS = {
    "concern": ("concern", "concerns"),
    "addendum": ("addendum", "addenda"),
    "decision": ("decision", "decisions"),
    "closure": ("closure", "closures"),
    "risk_assessment": ("risk and needs assessment", "risk and needs assessments"),
    "referral": ("referral", "referrals"),
    "note": ("note", "notes"),
    "action": ("action", "actions"),
    "pattern_alert": ("pattern alert", "pattern alerts"),
    "move": ("move of a concern", "moves of concerns"),
    "hold": ("hold", "holds"),
    "screening": ("exploitation screening", "exploitation screenings"),
    "attachment": ("attached file", "attached files"),
}


def counted(counts: dict[str, int]) -> list[str]:
    """A manifest's counts in words: "5 concerns", "1 pattern alert"."""
    return [
        f"{count} {KIND_LABELS[kind][count != 1]}" for kind, count in counts.items() if count and kind in KIND_LABELS
    ]


def _moment(text: str | None):
    """A date or a time from the file's data: a date stays a date; a time is made aware."""
    if not text:
        return None
    if len(text) == 10:
        return datetime.date.fromisoformat(text)
    value = datetime.datetime.fromisoformat(text)
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _mark_words(mark: dict) -> str:
    where = region_label(mark.get("side", ""), mark.get("region", "")) if mark.get("side") else ""
    return " ".join(part for part in (where, mark.get("kind_label", ""), mark.get("note", "")) if part)


def received_history(document: dict) -> list[dict]:
    """The items of a received file as a chronology, oldest first: when, what, and each recorded detail."""
    entries = []
    for kind, (when_key, heading, fields) in _RECEIVED_SHAPES.items():
        for row in document["items"].get(kind, []):
            details = []
            for label, key in fields:
                value = row.get(key)
                if value in (None, "", []):
                    continue
                if isinstance(value, list):
                    value = ", ".join(str(each) for each in value)
                elif isinstance(value, bool):
                    value = "yes" if value else "no"
                elif key.endswith(("_at", "_on")) or key == "next_review":
                    moment = _moment(value)
                    value = (
                        f"{timezone.localtime(moment):%d %b %Y %H:%M}"
                        if isinstance(moment, datetime.datetime)
                        else f"{moment:%d %b %Y}"
                    )
                details.append((label, str(value)))
            if kind == "concern" and row.get("signs"):
                details.append(
                    (
                        "Signs",
                        "; ".join(
                            f"{sign['sign']} ({sign['basis']})" if sign.get("basis") else sign["sign"]
                            for sign in row["signs"]
                        ),
                    )
                )
            if kind == "concern" and row.get("body_marks"):
                marks = "; ".join(_mark_words(mark) for mark in row["body_marks"])
                details.append(("Body map", f"{len(row['body_marks'])} mark(s): {marks}"))
            when = _sortable(_moment(row.get(when_key)))
            entries.append({"when": when, "kind": kind, "heading": heading(row), "details": details})
    return sorted(entries, key=lambda entry: entry["when"])


def _sortable(when) -> datetime.datetime:
    if when is None:
        return timezone.now()
    if not isinstance(when, datetime.datetime):
        return datetime.datetime.combine(when, datetime.time(12), tzinfo=LONDON)
    return when
