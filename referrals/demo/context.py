"""The demo's car: seen twice around the Northfield girl of the story, and outside Riverside around a Year 6 boy.
Both schools' DSLs confirm it as one car, which raises the alert the trust lead sees across the two schools."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from referrals.models import Concern, ContextMention
from referrals.services.context import context_link_confirm, context_mention_add
from safeguarding.accounts.access import school_dsl

PLATE = "KX19 RWT"
STORY_CAR_CONCERNS = ("demo-story-3", "demo-story-4")


def _car(concern: Concern, registration: str) -> ContextMention:
    return context_mention_add(
        actor=concern.author,
        context=None,
        concern=concern,
        kind="vehicle",
        values={"registration": registration, "make": "Vauxhall Astra", "colour": "grey"},
    )


def demo_context_seed() -> bool:
    """Add the car and its links unless they are there already; returns whether anything was added."""
    if ContextMention.objects.filter(key=PLATE.replace(" ", "")).exists():
        return False
    story = list(Concern.objects.filter(incident__submission_key__in=STORY_CAR_CONCERNS).order_by("observed_at"))
    recent = (
        Concern.objects.filter(
            school__name__startswith="Riverside",
            child__isnull=False,
            observed_at__gte=timezone.now() - timedelta(days=60),
        )
        .select_related("school", "author")
        .order_by("-observed_at")
    )
    # A Year 6 boy where the demo has one; any recent Riverside child otherwise.
    riverside = recent.filter(child__year_group="6", child__sex="M").first() or recent.first()
    if len(story) != len(STORY_CAR_CONCERNS) or riverside is None:
        return False
    with transaction.atomic():
        first = _car(story[0], PLATE)
        second = _car(story[1], PLATE.lower().replace(" ", ""))
        across = _car(riverside, PLATE)
        northfield_dsl = school_dsl(school=story[0].school).user
        riverside_dsl = school_dsl(school=riverside.school).user
        link = context_link_confirm(actor=northfield_dsl, context=None, mention=first)
        context_link_confirm(actor=northfield_dsl, context=None, mention=second, entity=link.entity)
        context_link_confirm(actor=riverside_dsl, context=None, mention=across, entity=link.entity)
    return True
