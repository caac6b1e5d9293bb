"""The records a subject access request covers, what is withheld from them, and the pack released
(REQUIREMENTS.md R10.6, R10.7).

`file_for_request` lists the child's whole file as items, each with the passages of text it holds and the people it
names. `redacted` applies a request's redactions to the items: a withheld item is left out, a withheld passage is
replaced by a marker naming the reason. The pack's PDF is rendered from the redacted items only, so a withheld
passage is not in the file at all, not merely covered over.
"""

import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from django.utils import timezone

from referrals.body_map import region_label
from referrals.models import (
    AccessRequest,
    Action,
    Attachment,
    CaseNote,
    Child,
    Concern,
    ContextMention,
    Redaction,
    Referral,
    RiskNeedsAssessment,
    Screening,
    Threshold,
    WithheldBecause,
)

MARKERS = {
    WithheldBecause.THIRD_PARTY: "another person's information",
    WithheldBecause.SERIOUS_HARM: "serious harm",
    WithheldBecause.CHILD_ABUSE: "child abuse data",
    WithheldBecause.LEGAL_PRIVILEGE: "legal privilege",
    WithheldBecause.CRIME: "crime prevention",
}
KIND_LABELS = {
    "child": "The child's details",
    "concern": "Concern",
    "addendum": "Addendum to a concern",
    "decision": "Decision",
    "closure": "Closure",
    "assessment": "Risk and needs assessment",
    "referral": "Referral to an agency",
    "note": "Note on the file",
    "action": "Action",
    "attachment": "Attached file",
    "context": "Someone or something around the child",
    "screening": "Exploitation screening",
}


@dataclass
class Passage:
    name: str
    label: str
    text: str


@dataclass
class Item:
    kind: str
    uuid: uuid.UUID
    when: datetime | date | None
    heading: str
    passages: list[Passage]
    people: list[str] = field(default_factory=list)

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    # The item this one belongs to ("concern:<uuid>" for an addendum, a decision, a closure, an assessment or an
    # attached file): withholding that item whole withholds this one too.
    parent: str = ""

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.uuid}"

    @property
    def digest(self) -> str:
        """The SHA-256 of what the item says, to tell whether it changed after it was read."""
        content = [self.heading, [[passage.name, passage.text] for passage in self.passages]]
        return hashlib.sha256(json.dumps(content, ensure_ascii=False).encode()).hexdigest()


def _passages(*pairs) -> list[Passage]:
    """(name, label, text) triples as passages, leaving out the empty ones."""
    return [Passage(name, label, str(text).strip()) for name, label, text in pairs if text and str(text).strip()]


def _name(user) -> str:
    return user.full_name if user is not None else ""


def _level(value: str) -> str:
    """A level of need in words: the default levels are stored by their codes, a school's own by their names."""
    return Threshold(value).label if value in Threshold.values else value


def _sort_key(item: Item):
    when = item.when
    if when is None:
        return (0, "")
    if isinstance(when, datetime):
        return (1, timezone.localtime(when).isoformat())
    return (1, when.isoformat())


def file_for_request(child: Child) -> list[Item]:
    """The whole file of `child` as items, the child's details first and then the rest oldest first."""
    items = [_child_item(child)]
    concerns = (
        Concern.objects.filter(child=child)
        .select_related("author", "incident")
        .prefetch_related(
            "indicators__indicator",
            "body_marks",
            "addenda__author",
            "decisions__outcomes",
            "decisions__decided_by",
            "closures__closed_by",
            "incident__concerns__child",
        )
        .order_by("observed_at", "pk")
    )
    for concern in concerns:
        items.append(_concern_item(concern))
        for addendum in concern.addenda.all():
            items.append(
                Item(
                    "addendum",
                    addendum.uuid,
                    addendum.created_at,
                    f"Addendum to concern {concern.reference}",
                    _passages(
                        ("reason", "Why it was added", addendum.reason),
                        ("text", "What was added", addendum.text),
                        ("author", "Added by", _name(addendum.author)),
                    ),
                    [_name(addendum.author)],
                    parent=f"concern:{concern.uuid}",
                )
            )
        for decision in concern.decisions.all():
            outcomes = ", ".join(outcome.get_outcome_display() for outcome in decision.outcomes.all())
            items.append(
                Item(
                    "decision",
                    decision.uuid,
                    decision.decided_at,
                    f"Decision on concern {concern.reference}",
                    _passages(
                        ("outcomes", "Outcome", outcomes),
                        ("threshold", "Level of need", _level(decision.threshold)),
                        ("rationale", "Reasons", decision.rationale),
                        ("decided_by", "Decided by", _name(decision.decided_by)),
                    ),
                    [_name(decision.decided_by)],
                    parent=f"concern:{concern.uuid}",
                )
            )
        for closure in concern.closures.all():
            items.append(
                Item(
                    "closure",
                    closure.uuid,
                    closure.closed_at,
                    f"Concern {concern.reference} closed",
                    _passages(
                        ("summary", "Summary", closure.summary),
                        ("follow_up", "What was done", closure.follow_up),
                        ("outcome", "Outcome", closure.outcome),
                        ("closed_by", "Closed by", _name(closure.closed_by)),
                    ),
                    [_name(closure.closed_by)],
                    parent=f"concern:{concern.uuid}",
                )
            )
    for assessment in RiskNeedsAssessment.objects.filter(
        concern__child=child, recorded_at__isnull=False
    ).select_related("concern", "recorded_by"):
        items.append(
            Item(
                "assessment",
                assessment.uuid,
                assessment.recorded_at,
                f"Risk and needs assessment after concern {assessment.concern.reference}",
                _passages(
                    ("risks", "Risks", assessment.risks),
                    ("needs_and_arrangements", "Needs and arrangements", assessment.needs_and_arrangements),
                    ("not_needed_reason", "Why no assessment was needed", assessment.not_needed_reason),
                    ("recorded_by", "Recorded by", _name(assessment.recorded_by)),
                ),
                [_name(assessment.recorded_by)],
                parent=f"concern:{assessment.concern.uuid}",
            )
        )
    for referral in Referral.objects.filter(child=child).select_related("made_by"):
        items.append(
            Item(
                "referral",
                referral.uuid,
                referral.made_at,
                f"Referral to {referral.get_agency_display()}",
                _passages(
                    ("purpose", "Purpose of sharing", referral.purpose),
                    ("agency_contact", "Contact at the agency", referral.agency_contact),
                    ("parents_not_informed_reason", "Why parents were not told", referral.parents_not_informed_reason),
                    ("acknowledged_by_name", "Acknowledged by", referral.acknowledged_by_name),
                    ("agency_decision", "The agency's decision", referral.get_agency_decision_display()),
                    ("made_by", "Made by", _name(referral.made_by)),
                ),
                [_name(referral.made_by), referral.agency_contact, referral.acknowledged_by_name],
            )
        )
    for note in CaseNote.objects.filter(child=child).select_related("author"):
        items.append(
            Item(
                "note",
                note.uuid,
                note.happened_at,
                f"{note.get_kind_display()} on the file",
                _passages(("text", "Note", note.text), ("author", "Written by", _name(note.author))),
                [_name(note.author)],
            )
        )
    for action in Action.objects.filter(child=child).select_related("owner"):
        items.append(
            Item(
                "action",
                action.uuid,
                action.assigned_at,
                "Action",
                _passages(
                    ("what", "What to do", action.what),
                    ("completion_note", "What was done", action.completion_note),
                    ("owner", "Given to", _name(action.owner)),
                ),
                [_name(action.owner)],
            )
        )
    for mention in ContextMention.objects.filter(concern__child=child).select_related("concern", "typed_by"):
        items.append(
            Item(
                "context",
                mention.uuid,
                mention.created_at,
                f"{mention.get_kind_display()} recorded with concern {mention.concern.reference}",
                _passages(
                    ("name", "Name, nickname or place", mention.name),
                    ("approximate_age", "Roughly how old", mention.approximate_age),
                    ("description", "Description", mention.description),
                    ("how_known", "How the child knows them", mention.how_known),
                    ("registration", "Registration", mention.registration),
                    ("make", "Make", mention.make),
                    ("colour", "Colour", mention.colour),
                    ("postcode_district", "District", mention.postcode_district),
                    ("platform", "App or site", mention.platform),
                    ("handle", "Handle", mention.handle),
                    ("typed_by", "Recorded by", _name(mention.typed_by)),
                ),
                [mention.name or mention.registration or mention.handle or mention.postcode_district],
                parent=f"concern:{mention.concern.uuid}",
            )
        )
    for screening in (
        Screening.objects.filter(child=child).select_related("done_by", "tool").prefetch_related("answers")
    ):
        present = [answer for answer in screening.answers.all() if answer.present]
        items.append(
            Item(
                "screening",
                screening.uuid,
                screening.done_at,
                f"Exploitation screening: {screening.band_label}",
                _passages(
                    ("score", "Score", screening.score),
                    ("floor_reasons", "Floors that applied", " ".join(screening.floor_reasons)),
                    ("override_rationale", "Why the DSL moved the band", screening.override_rationale),
                    ("pathway", "What happens next", screening.pathway),
                    (
                        "items",
                        "Items present",
                        "\n".join(
                            f"{answer.label_at_time} ({answer.when}; {answer.get_basis_display().lower()})"
                            + (f": {answer.source}" if answer.source else "")
                            for answer in present
                        ),
                    ),
                    ("narrative", "What the DSL made of it", screening.narrative),
                    ("done_by", "Done by", _name(screening.done_by)),
                    ("tool", "Tool", f"{screening.tool.title} ({screening.tool.name})"),
                ),
                [_name(screening.done_by)],
            )
        )
    concern_of_incident = {concern.incident_id: concern.uuid for concern in concerns}
    for attachment in (
        Attachment.objects.filter(incident__concerns__child=child).select_related("uploaded_by").distinct()
    ):
        parent = concern_of_incident.get(attachment.incident_id)
        items.append(
            Item(
                "attachment",
                attachment.uuid,
                attachment.created_at,
                "Attached file",
                _passages(
                    ("original_name", "File name", attachment.original_name),
                    ("uploaded_by", "Attached by", _name(attachment.uploaded_by)),
                ),
                [_name(attachment.uploaded_by)],
                parent=f"concern:{parent}" if parent else "",
            )
        )
    first, rest = items[0], items[1:]
    return [first, *sorted(rest, key=_sort_key)]


def _child_item(child: Child) -> Item:
    carers = list(child.carers.all())
    return Item(
        "child",
        child.uuid,
        None,
        "The child's details",
        _passages(
            ("name", "Name", child.display_name),
            ("date_of_birth", "Date of birth", f"{child.date_of_birth.day} {child.date_of_birth:%B %Y}"),
            ("address", "Home address", child.address),
            ("household", "Household", child.household),
            ("gp", "GP", child.gp),
            ("other_agencies", "Other agencies involved", child.other_agencies),
            ("carers", "Parents and carers", "; ".join(f"{c.name} ({c.relationship})" for c in carers)),
        ),
        [f"{c.name} ({c.relationship})" for c in carers],
    )


def _concern_item(concern: Concern) -> Item:
    others = [other for other in concern.incident.concerns.all() if other.pk != concern.pk]
    other_names = [other.child.display_name if other.child else other.unlisted_child_name for other in others]
    marks = "; ".join(
        f"{region_label(mark.side, mark.region)}: {mark.get_kind_display()}"
        + "".join(f", {part}" for part in (mark.size, mark.colour, mark.note) if part)
        for mark in concern.body_marks.all()
    )
    signs = "; ".join(ticked.label_at_time for ticked in concern.indicators.all())
    return Item(
        "concern",
        concern.uuid,
        concern.observed_at,
        f"Concern {concern.reference}",
        _passages(
            ("location", "Where", concern.location),
            ("account", "What was seen or heard", concern.account),
            ("child_words", "The child's own words", concern.child_words),
            ("people_present", "Who else was there", concern.people_present),
            ("action_taken", "What was done at the time", concern.action_taken),
            ("signs", "Signs recorded", signs),
            ("body_marks", "Marks on the body map", marks),
            ("author", "Recorded by", _name(concern.author)),
        ),
        [_name(concern.author), concern.people_present, *(f"{name} (another child)" for name in other_names)],
    )


# Other children in a shared concern --------------------------------------------------------------------------------


def _name_forms(full_names: list[str]) -> set[str]:
    forms = set()
    for name in full_names:
        name = " ".join(name.split())
        if name:
            forms.add(name)
            forms.update(word for word in name.split() if len(word) > 1)
    return forms


def other_children_names(child: Child) -> list[str]:
    """The names, whole and in parts, of every other child in a concern shared with `child`, less any part of the
    child's own name (a brother's surname is the child's too), longest first."""
    own = {word.casefold() for word in _name_forms([child.display_name, child.legal_first_name, child.legal_last_name])}
    shared = Concern.objects.filter(incident__concerns__child=child).exclude(child=child).distinct()
    names = []
    for other in shared.select_related("child"):
        if other.child is not None:
            found = other.child
            names += [
                found.display_name,
                f"{found.legal_first_name} {found.legal_last_name}",
                found.preferred_name,
                found.legal_first_name,
                found.legal_last_name,
            ]
        names.append(other.unlisted_child_name)
    forms = {form for form in _name_forms(names) if form.casefold() not in own}
    return sorted(forms, key=lambda form: (-len(form), form))


# Applying redactions -----------------------------------------------------------------------------------------------


def passage_pattern(passage: str, *, whole_words: bool) -> re.Pattern:
    """The passage as a pattern that ignores case and how the white space between its words was copied."""
    body = r"\s+".join(re.escape(word) for word in passage.split())
    if whole_words:
        body = rf"(?<!\w){body}(?!\w)"
    return re.compile(body, re.IGNORECASE)


def marker(reason: str) -> str:
    return f"[withheld: {MARKERS[WithheldBecause(reason)]}]"


def redact_text(text: str, redactions: list[Redaction]) -> str:
    """`text` with every passage of `redactions` replaced by its marker, the longest passages first. Markers are put
    in last, so that no passage can match part of one."""
    slots = []

    def hold(reason):
        def replace_with_slot(_match):
            slots.append(marker(reason))
            return f"\x00{len(slots) - 1}\x00"

        return replace_with_slot

    for redaction in sorted(redactions, key=lambda r: -len(r.passage)):
        if redaction.passage.strip():
            pattern = passage_pattern(redaction.passage, whole_words=redaction.everywhere)
            text = pattern.sub(hold(redaction.reason), text)
    return re.sub(r"\x00(\d+)\x00", lambda match: slots[int(match.group(1))], text)


def passage_found(items: list[Item], passage: str, *, item: Item | None) -> bool:
    """Whether `passage` is in `item` (or, with no item, anywhere in the file)."""
    pattern = passage_pattern(passage, whole_words=item is None)
    return any(pattern.search(p.text) for each in ([item] if item else items) for p in each.passages)


def redacted(items: list[Item], redactions: list[Redaction]) -> list[Item]:
    """The items as the pack shows them: withheld items left out, withheld passages replaced by their markers."""
    everywhere = [r for r in redactions if r.everywhere]
    by_item: dict[tuple, list[Redaction]] = {}
    for redaction in redactions:
        if not redaction.everywhere:
            by_item.setdefault((redaction.item_kind, redaction.item_uuid), []).append(redaction)
    withheld = set(item_withheld(redactions))
    shown = []
    for item in items:
        own = by_item.get((item.kind, item.uuid), [])
        if item.key in withheld or item.parent in withheld:
            continue
        applying = everywhere + own
        passages = [replace(p, text=redact_text(p.text, applying)) for p in item.passages]
        shown.append(replace(item, passages=passages, people=[]))
    return shown


def item_withheld(redactions: list[Redaction]) -> dict[str, Redaction]:
    """Each withheld item's redaction, by the item's key."""
    return {f"{r.item_kind}:{r.item_uuid}": r for r in redactions if r.whole_item}


def describe(redaction: Redaction, items: list[Item]) -> str:
    """Where a redaction applies, in words, for the disclosure log."""
    if redaction.everywhere:
        return "Everywhere in the file"
    found = next((i for i in items if i.kind == redaction.item_kind and i.uuid == redaction.item_uuid), None)
    if found is None:
        return KIND_LABELS.get(redaction.item_kind, redaction.item_kind)
    when = f", {timezone.localtime(found.when):%d %b %Y}" if isinstance(found.when, datetime) else ""
    return f"{found.heading}{when}"


def file_state(items: list[Item], redactions: list[Redaction]) -> str:
    """One SHA-256 of the file's items as they read now and of what is withheld from them: the reviewer's page
    carries it, so that a sign-off covers exactly what the reviewer read."""
    state = [sorted((item.key, item.digest) for item in items), sorted(str(r.uuid) for r in redactions)]
    return hashlib.sha256(json.dumps(state).encode()).hexdigest()


def request_state(access_request: AccessRequest) -> str:
    """The `file_state` of a request's file and redactions as they are now."""
    return file_state(file_for_request(access_request.child), list(access_request.redactions.all()))


def child_name(access_request: AccessRequest, redactions: list[Redaction]) -> str:
    """The child's name as the pack's title, letter and heading give it: withheld where a redaction of the child's
    details or of the whole file covers it (a new name the requester must not learn)."""
    child = access_request.child
    applying = [r for r in redactions if r.everywhere or (r.item_kind == "child" and r.item_uuid == child.uuid)]
    return redact_text(child.display_name, applying)


def pack_context(access_request: AccessRequest, items: list[Item], redactions: list[Redaction]) -> dict:
    shown = redacted(items, redactions)
    return {
        "request": access_request,
        "child_name": child_name(access_request, redactions),
        "items": shown,
        "withheld_any": bool(redactions),
        "reasons": sorted({WithheldBecause(r.reason).label for r in redactions}),
    }
