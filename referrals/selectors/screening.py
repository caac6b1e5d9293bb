"""Reading a child's exploitation screenings: the list with its trend, and one screening with its items and their
sources. The reads themselves are recorded by referrals.selectors.access."""

from django.db.models import Prefetch
from django.utils import timezone

from referrals.models import Child, Concern, Screening, ScreeningAnswer
from referrals.screening_tools import KIND_LABELS, KINDS


def child_screenings(*, child: Child) -> list[Screening]:
    """The child's screenings, oldest first, each with its tool and author."""
    return list(
        Screening.objects.filter(child=child).select_related("tool", "done_by", "review_action").order_by("done_at")
    )


def screening_trend(screenings: list[Screening]) -> dict:
    """The screenings as a line of scores by date, with each band's name and the score it starts at (from the
    latest screening's tool) to mark the axis, for the chart beside the table."""
    points = [
        {
            "date": f"{timezone.localtime(screening.done_at):%-d %b %Y}",
            "score": screening.score,
            "band_label": screening.band_label,
        }
        for screening in screenings
    ]
    bands = (
        [{"name": band.label.split(":")[0], "low": band.low} for band in screenings[-1].tool.tool().bands]
        if screenings
        else []
    )
    return {"points": points, "bands": bands}


def screening_items(*, screening: Screening) -> list[tuple[str, list[ScreeningAnswer]]]:
    """The screening's items grouped by kind (R8.2: signs of harm shown apart from risks), each with its sources."""
    answers = list(
        screening.answers.prefetch_related(
            Prefetch("concerns", queryset=Concern.objects.select_related("author").order_by("observed_at")),
            "entities",
        )
    )
    return [
        (KIND_LABELS[kind], [answer for answer in answers if answer.kind == kind])
        for kind in reversed(KINDS)
        if any(answer.kind == kind for answer in answers)
    ]
