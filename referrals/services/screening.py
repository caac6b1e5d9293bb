"""Exploitation screenings (REQUIREMENTS.md §8): loading a tool's file, filling a screening from what staff recorded,
recording it with its floors and the DSL's reasons, and the review task when one is due again.

A screening is decision support (R8.1): recording one adds it to the child's file and changes no concern, its
urgency, its place in the queue or its status.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from referrals.floors import age_on
from referrals.models import (
    Action,
    Basis,
    Child,
    Concern,
    ConcernStatus,
    ContextEntity,
    ContextLink,
    EvidenceBasis,
    Notification,
    Screening,
    ScreeningAnswer,
    ScreeningTool,
)
from referrals.screening import screening_result
from referrals.screening_tools import DEFAULT_TOOL, Item, Tool, ToolFileInvalid, tool_parse
from referrals.services.actions import action_complete
from referrals.services.transfers import file_must_be_open
from safeguarding.accounts.access import school_dsl
from safeguarding.accounts.models import Membership, School, User
from safeguarding.accounts.permissions import Capability, can, roles_with
from safeguarding.audit.context import RequestContext
from safeguarding.audit.events import EventType
from safeguarding.audit.record import record
from safeguarding.core.emails import email_enqueue


class ScreeningRefused(ValueError):
    """A screening that cannot be recorded as it stands; the message says what to change."""


# ---------------------------------------------------------------------------------------------------------- tools


@transaction.atomic
def tool_load(text: str, *, licence_ref: str = "", apps=None) -> tuple[ScreeningTool, bool]:
    """Load a tool file: checked (ToolFileInvalid with each line and reason), then stored as a new version. The same
    file loaded again changes nothing; a different file under a version already loaded is refused. Returns the
    stored tool and whether it is new. Usable from a migration (pass `apps`)."""
    if apps is None:
        from django.apps import apps as models
    else:
        models = apps
    Indicator = models.get_model("referrals", "Indicator")
    Stored = models.get_model("referrals", "ScreeningTool")
    tool = tool_parse(text, known_signs=set(Indicator.objects.values_list("code", flat=True)))
    digest = hashlib.sha256(text.encode()).hexdigest()
    existing = Stored.objects.select_for_update().filter(tool_id=tool.tool_id, version=tool.version).first()
    if existing is not None:
        if existing.sha256 != digest:
            raise ToolFileInvalid(
                [
                    (
                        1,
                        f"version {tool.version} of “{tool.tool_id}” is already loaded, from a different file: give "
                        f"the changed file a new version number, so that earlier screenings keep theirs.",
                    )
                ]
            )
        if licence_ref.strip() and licence_ref.strip() != existing.licence_ref:
            # The same file loaded again with its licence: the tool may now be chosen.
            existing.licence_ref = licence_ref.strip()
            existing.save(update_fields=["licence_ref"])
            if apps is None:
                record(
                    EventType.UPDATE,
                    object_type="screening_tool",
                    detail={"tool": f"{tool.tool_id}@{tool.version}", "licence": "recorded"},
                )
        return existing, False
    stored = Stored.objects.create(
        tool_id=tool.tool_id,
        version=tool.version,
        title=tool.title,
        definition=tool.as_json(),
        source_text=text,
        sha256=digest,
        licence_required=tool.licence_required,
        licence_ref=licence_ref.strip(),
    )
    if apps is None:
        record(
            EventType.CREATE,
            object_type="screening_tool",
            detail={"tool": f"{tool.tool_id}@{tool.version}", "licence_required": tool.licence_required},
        )
    return stored, True


# A tool that may be used: one needing no licence, or one whose licence is recorded.
USABLE = Q(licence_required=False) | ~Q(licence_ref="")


def tool_chosen_id(school: School) -> str:
    return school.screening_tool or school.trust.screening_tool or DEFAULT_TOOL


def tool_in_use(school: School) -> ScreeningTool | None:
    """The newest usable version of the tool the school (or, by default, its trust) chose; the shipped tool when
    the chosen one has no usable version loaded; None when no tool is loaded at all."""
    usable = ScreeningTool.objects.filter(USABLE)
    return (
        usable.filter(tool_id=tool_chosen_id(school)).order_by("-version").first()
        or usable.filter(tool_id=DEFAULT_TOOL).order_by("-version").first()
    )


def tools_usable() -> list[ScreeningTool]:
    """The newest version of each tool that may be chosen (a licensed tool only once its licence is recorded)."""
    newest = {}
    for tool in ScreeningTool.objects.filter(USABLE).order_by("tool_id", "-version"):
        newest.setdefault(tool.tool_id, tool)
    return list(newest.values())


@transaction.atomic
def screening_tool_choose(
    *, actor: User, context: RequestContext | None, tool_id: str, school: School | None = None, trust=None
) -> None:
    """Choose the tool for a school (its DSL, or the trust lead) or, as its default, for a trust (the trust lead).
    An empty `tool_id` for a school returns it to the trust's choice."""
    if tool_id and tool_id not in {tool.tool_id for tool in tools_usable()}:
        raise ScreeningRefused("Choose a tool that is loaded, with its licence recorded if it needs one.")
    if school is not None:
        if not can(actor, Capability.SET_COVER, school):
            raise PermissionDenied
        School.objects.filter(pk=school.pk).update(screening_tool=tool_id)
        target = {"school": school, "object_type": "school_screening_tool", "object_uuid": school.uuid}
    else:
        leads = Membership.objects.active().filter(role__in=roles_with(Capability.SET_TRUST_POLICY))
        if not tool_id or not leads.filter(user=actor, trust=trust).exists():
            raise PermissionDenied
        type(trust).objects.filter(pk=trust.pk).update(screening_tool=tool_id)
        target = {"object_type": "trust_policy", "object_uuid": trust.uuid}
    record(
        EventType.UPDATE,
        user=actor,
        context=context,
        detail={"fields": ["screening_tool"], "values": {"screening_tool": tool_id or "the trust's"}},
        **target,
    )


# -------------------------------------------------------------------------------------------------------- filling


@dataclass
class Source:
    """A concern a suggested item came from: which, who wrote it, when it happened, and what they ticked."""

    concern: Concern
    signs: list[str]
    basis: str


@dataclass
class Suggestion:
    item: Item
    sources: list[Source] = field(default_factory=list)
    entities: list[tuple[ContextEntity, Concern]] = field(default_factory=list)

    @property
    def present(self) -> bool:
        return bool(self.sources or self.entities)

    @property
    def basis(self) -> str:
        """Evidence when anyone saw it or was told it; a professional concern when that is all there is."""
        if not self.present:
            return ""
        if any(source.basis in (Basis.SEEN, Basis.TOLD) for source in self.sources) or self.entities:
            return EvidenceBasis.EVIDENCE
        return EvidenceBasis.CONCERN

    @property
    def when(self) -> str:
        days = [timezone.localtime(s.concern.observed_at).date() for s in self.sources]
        days += [timezone.localtime(concern.observed_at).date() for _entity, concern in self.entities]
        if not days:
            return ""
        first, last = min(days), max(days)
        return f"{first:%-d %b %Y}" if first == last else f"{first:%-d %b %Y} to {last:%-d %b %Y}"

    def concerns(self) -> list[Concern]:
        found = {source.concern.pk: source.concern for source in self.sources}
        found.update({concern.pk: concern for _entity, concern in self.entities})
        return sorted(found.values(), key=lambda concern: concern.observed_at)


def screening_prefill(*, child: Child, tool: Tool, now: datetime | None = None) -> list[Suggestion]:
    """Each item of `tool` with what staff recorded about `child` that suggests it, within the item's window: the
    concerns whose ticked signs it lists, and the people, vehicles, places and accounts a DSL linked to the child's
    concerns (for a `shared_only` item, only those also linked to another child). The form ticks each suggested
    item with its source listed; the DSL confirms or unticks it."""
    now = now or timezone.now()
    concerns = list(
        Concern.objects.filter(child=child, observed_at__lte=now)
        .select_related("author")
        .prefetch_related("indicators__indicator")
        .order_by("observed_at", "pk")
    )
    links = list(
        ContextLink.objects.filter(
            mention__concern__child=child,
            mention__concern__observed_at__lte=now,
            linked_at__lte=now,
            undone_at__isnull=True,
        )
        .select_related("entity", "mention__concern")
        .order_by("linked_at", "pk")
    )
    shared = set(
        ContextLink.objects.filter(
            entity__in=[link.entity_id for link in links], linked_at__lte=now, undone_at__isnull=True
        )
        .exclude(mention__concern__child=child)
        .exclude(mention__concern__child__isnull=True)
        .values_list("entity", flat=True)
    )
    suggestions = []
    for item in tool.items:
        since = now - timedelta(days=item.window_days) if item.window_days else None
        suggestion = Suggestion(item=item)
        for concern in concerns:
            if since is not None and concern.observed_at < since:
                continue
            ticked = [row for row in concern.indicators.all() if row.indicator.code in item.signs]
            if ticked:
                basis = Basis.SEEN if any(row.basis in (Basis.SEEN, Basis.TOLD) for row in ticked) else ticked[0].basis
                suggestion.sources.append(Source(concern, [row.label_at_time for row in ticked], basis))
        seen_entities = set()
        for link in links:
            concern = link.mention.concern
            if link.entity.kind not in item.entities or (since is not None and concern.observed_at < since):
                continue
            if item.shared_only and link.entity_id not in shared:
                continue
            if link.entity_id not in seen_entities:
                seen_entities.add(link.entity_id)
                suggestion.entities.append((link.entity, concern))
        suggestions.append(suggestion)
    return suggestions


# ------------------------------------------------------------------------------------------------------ recording


@dataclass(frozen=True)
class Answer:
    """What the DSL said of one item."""

    present: bool
    basis: str = ""
    when: str = ""
    source: str = ""


def _checked_answers(suggestions: list[Suggestion], answers: dict[str, Answer]) -> list[str]:
    """Refuse an item ticked without when and on what basis (R8.4), or one staff did not record without how the DSL
    knows it. Returns the keys of the items present."""
    problems, present = [], []
    for suggestion in suggestions:
        answer = answers.get(suggestion.item.key, Answer(present=False))
        if not answer.present:
            continue
        present.append(suggestion.item.key)
        missing = []
        if answer.basis not in EvidenceBasis.values:
            missing.append("whether it rests on evidence or on a professional concern")
        if not answer.when.strip():
            missing.append("when (a date or a period)")
        if not suggestion.present and not answer.source.strip():
            missing.append("how you know it")
        if missing:
            problems.append(f"“{suggestion.item.label}”: say {' and '.join(missing)}.")
    if problems:
        raise ScreeningRefused(" ".join(problems))
    return present


@transaction.atomic
def screening_record(
    *,
    actor: User,
    context: RequestContext | None,
    child: Child,
    tool: ScreeningTool,
    answers: dict[str, Answer],
    significant_harm: bool,
    narrative: str,
    chosen_band: str = "",
    rationale: str = "",
    at: datetime | None = None,
) -> Screening:
    """Record a screening of `child` with `tool` (the one in use at the child's school, or the version the form was
    filled with). The floors hold whatever the DSL chose (OverrideRefused otherwise); no concern is touched. `at`
    dates a screening of the demo's history; a screening done on a page is done now."""
    child = Child.objects.select_for_update().select_related("school__trust").get(pk=child.pk)
    if not can(actor, Capability.RECORD_SCREENING, child.school):
        raise PermissionDenied
    file_must_be_open(child)
    in_use = tool_in_use(child.school)
    if in_use is None or tool.pk != in_use.pk:
        raise ScreeningRefused(
            "The school's screening tool has changed since this screening was started: check the items again."
        )
    if not narrative.strip():
        raise ScreeningRefused("Write what you make of it: the screening is a record of your judgement, not a score.")
    definition = tool.tool()
    now = at or timezone.now()
    suggestions = screening_prefill(child=child, tool=definition, now=now)
    present = _checked_answers(suggestions, answers)
    age = age_on(child.date_of_birth, timezone.localdate(now))
    result = screening_result(
        definition,
        present=set(present),
        age=age,
        learning_disability=child.learning_disability,
        significant_harm=significant_harm,
        chosen_band=chosen_band,
        rationale=rationale,
    )
    screening = Screening.objects.create(
        child=child,
        school=child.school,
        tool=tool,
        done_by=actor,
        done_at=now,
        child_age=age,
        learning_disability=child.learning_disability,
        significant_harm=significant_harm,
        narrative=narrative.strip(),
        score=result.score,
        band_by_score=result.band_by_score,
        floor_band=result.floor_band or "",
        band=result.band,
        band_label=definition.band(result.band).label,
        floor_reasons=list(result.reasons),
        referral_prompted=list(result.refer),
        overridden=result.overridden,
        override_rationale=rationale.strip() if result.overridden else "",
        pathway=result.pathway,
    )
    for suggestion in suggestions:
        key = suggestion.item.key
        answer = answers.get(key, Answer(present=False))
        row = ScreeningAnswer.objects.create(
            screening=screening,
            item_key=key,
            label_at_time=suggestion.item.label,
            kind=suggestion.item.kind,
            points=suggestion.item.points,
            present=key in present,
            suggested=suggestion.present,
            basis=answer.basis if key in present else "",
            when=answer.when.strip()[:100] if key in present else "",
            source=answer.source.strip()[:300] if key in present else "",
        )
        if suggestion.present:
            row.concerns.set(suggestion.concerns())
            row.entities.set([entity for entity, _concern in suggestion.entities])
    record(
        EventType.CREATE,
        user=actor,
        context=context,
        school=child.school,
        object_type="screening",
        object_uuid=screening.uuid,
        child_uuid=child.uuid,
        detail={
            "tool": tool.name,
            "band": result.band,
            "score": result.score,
            "floors": len(result.reasons),
            "overridden": result.overridden,
        },
    )
    _reviews_done(child=child, screening=screening, actor=actor, context=context)
    return screening


def _reviews_done(*, child: Child, screening: Screening, actor: User, context) -> None:
    """A new screening is the review the earlier ones asked for: their open review tasks are marked done."""
    note = f"Screened again on {timezone.localtime(screening.done_at):%-d %B %Y}."
    for action in Action.objects.filter(screening_reviewed__child=child, completed_at__isnull=True):
        action_complete(actor=actor, context=context, action=action, note=note)


# -------------------------------------------------------------------------------------------------------- reviews


def _concerns_continue(child: Child, since: datetime) -> bool:
    """Whether concerns about the child continue: one still open, or one seen since the last screening."""
    concerns = Concern.objects.filter(child=child)
    return concerns.exclude(status=ConcernStatus.CLOSED).exists() or concerns.filter(observed_at__gt=since).exists()


def _review_owner(screening: Screening) -> User | None:
    """Whoever did the screening while they can still do another at the school; else the school's DSL."""
    if can(screening.done_by, Capability.RECORD_SCREENING, screening.school):
        return screening.done_by
    dsl = school_dsl(school=screening.school)
    return dsl.user if dsl is not None else None


def screening_reviews_raise(now: datetime | None = None) -> int:
    """Raise a review task, once, for each child whose latest screening is as old as its tool's review period
    (90 days for Safeguard's own) while concerns continue (R8.6). The task is an action for whoever did the
    screening; a new screening marks it done. Returns how many were raised."""
    now = now or timezone.now()
    latest = Screening.objects.filter(pk__in=_latest_screenings(), review_action__isnull=True).select_related(
        "child__school", "school", "tool", "done_by"
    )
    raised = 0
    for screening in latest:
        due = timezone.localtime(screening.done_at).date() + timedelta(days=screening.tool.tool().review_days)
        child = screening.child
        if (
            due > timezone.localtime(now).date()
            or child.transferred_at is not None
            or child.school_id != screening.school_id
        ):
            continue
        if not _concerns_continue(child, screening.done_at):
            continue
        owner = _review_owner(screening)
        if owner is None:
            continue
        try:
            raised += _review_raise(screening=screening, owner=owner, due=due)
        except IntegrityError:
            continue  # another run raised it first
    return raised


def _latest_screenings():
    """Each child's latest screening."""
    latest = Screening.objects.filter(child=OuterRef("child")).order_by("-done_at", "-pk").values("pk")[:1]
    return Screening.objects.filter(pk=Subquery(latest)).values("pk")


def _review_raise(*, screening: Screening, owner: User, due) -> int:
    with transaction.atomic():
        screening = Screening.objects.select_for_update().get(pk=screening.pk)
        if screening.review_action_id is not None:
            return 0
        done_on = timezone.localtime(screening.done_at).date()
        days = screening.tool.tool().review_days
        action = Action.objects.create(
            school=screening.school,
            child=screening.child,
            what=(
                f"Review the exploitation screening of {done_on:%-d %B %Y}: concerns have continued, and a screening "
                f"is repeated at least every {days} days while they do."
            ),
            owner=owner,
            due_on=due,
            assigned_by=screening.done_by,
        )
        screening.review_action = action
        screening.save(update_fields=["review_action"])
        record(
            EventType.CREATE,
            school=screening.school,
            object_type="action",
            object_uuid=action.uuid,
            child_uuid=screening.child.uuid,
            detail={"owner": str(owner.uuid), "due_on": due.isoformat(), "for": "screening_review"},
        )
        Notification.objects.create(
            recipient=owner,
            school=screening.school,
            kind=Notification.Kind.ACTION,
            action=action,
            child=screening.child,
        )
        email_enqueue(
            to=[owner.email],
            subject="Safeguard: an exploitation screening is due for review",
            body=(
                f"A screening you did {days} days ago is due for review: concerns about the child have continued.\n\n"
                "Sign in to Safeguard to see which child; it is on your home page.\n"
            ),
        )
        return 1
