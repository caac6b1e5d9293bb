"""The demo's screenings of the story's Northfield girl: three, as the signs built up over two months, so that her
file shows the trend. Each is filled from what staff had recorded by then, as a DSL would have seen it."""

from datetime import datetime, time

from django.db import transaction
from django.utils import timezone

from referrals.demo.concerns import _next_school_day
from referrals.models import Concern, Screening
from referrals.services.screening import Answer, screening_prefill, screening_record, tool_in_use
from safeguarding.accounts.models import Membership, Role

# (the story's concern it follows, who screens, the DSL's additions, the narrative)
SCREENINGS = (
    (
        "demo-story-1",
        Role.DSL,
        {},
        "Three signs within a fortnight from two members of staff: new earrings and a phone she says “someone nice” "
        "gave her, an older boyfriend who drives, and secretive phone use. Together they look like grooming. I "
        "spoke to her mum, who had noticed the earrings too; the form tutor checks in with her each morning. Screen "
        "again when anything new comes in.",
    ),
    (
        "demo-story-2",
        Role.DEPUTY_DSL,
        {
            "isolated": Answer(
                present=True,
                basis="professional_concern",
                when="This term",
                source="Her head of year: she has dropped her old friends and sits alone at lunch.",
            )
        },
        "She has left school on four Friday afternoons and is not at home when we call. With the gifts and the "
        "older man, an adult appears to be drawing her away from school and family. Referred to children's social "
        "care and shared with the police's exploitation team; missing-from-school plan agreed with her mum.",
    ),
    (
        "demo-story-4",
        Role.DSL,
        {
            "isolated": Answer(
                present=True,
                basis="professional_concern",
                when="This term",
                source="Her head of year: she has dropped her old friends and sits alone at lunch.",
            )
        },
        "A grey car has picked her up twice after school with a different adult man driving, and the same car has "
        "been seen outside Riverside around another child. This is a network around her, not one boyfriend. Asked "
        "for a strategy discussion; in school she is met at the gate and has a named adult each day.",
    ),
)


def demo_screening_seed() -> int:
    """Add the story child's three screenings unless she has any; returns how many were added."""
    story = {
        concern.incident.submission_key: concern
        for concern in Concern.objects.filter(
            incident__submission_key__in=[key for key, *_rest in SCREENINGS]
        ).select_related("incident", "child__school")
    }
    if len(story) != len(SCREENINGS):
        return 0
    child = next(iter(story.values())).child
    stored = tool_in_use(child.school)
    if stored is None or Screening.objects.filter(child=child).exists():
        return 0
    added = 0
    with transaction.atomic():
        for key, role, additions, narrative in SCREENINGS:
            # After school on the day of the concern it follows; the last one now, once the car was linked.
            after = timezone.localtime(story[key].observed_at).date()
            at = (
                min(timezone.make_aware(datetime.combine(_next_school_day(after), time(16, 0))), timezone.now())
                if key != SCREENINGS[-1][0]
                else None
            )
            dsl = Membership.objects.active().filter(school=child.school, role=role).first().user
            answers = {
                suggestion.item.key: Answer(present=True, basis=suggestion.basis, when=suggestion.when)
                for suggestion in screening_prefill(child=child, tool=stored.tool(), now=at or timezone.now())
                if suggestion.present
            }
            screening_record(
                actor=dsl,
                context=None,
                child=child,
                tool=stored,
                answers={**answers, **additions},
                significant_harm=False,
                narrative=narrative,
                at=at,
            )
            added += 1
    return added
