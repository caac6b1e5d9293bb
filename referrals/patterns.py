"""Pattern alerts: explainable rules over a child's concerns, each naming the concerns that fired it.

They only ever add an alert for the DSL to look at: they never close, downgrade or change a concern.
(a) Exploitation: at least 3 distinct exploitation signs within 90 days, reported by at least 2 different staff.
(b) Frequency: at least 4 concerns about the child within 30 days, whatever the category.
(c) Disclosure: a child told a member of staff directly (the concern is made immediate when it is submitted).
The numbers are the school's own settings.
"""

import hashlib
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils import timezone

from referrals.models import Child, Concern, ConcernIndicator, IndicatorKind, Notification, PatternAlert
from safeguarding.accounts.access import school_safeguarding_team

EXPLOITATION_CATEGORIES = frozenset(
    {
        "EXPLOITATION",
        "SIGNS-MISSING",
        "SIGNS-RELATIONSHIPS",
        "SIGNS-MONEY",
        "SIGNS-BEHAVIOUR",
        "SIGNS-HEALTH",
        "SIGNS-ONLINE",
        "SIGNS-EDUCATION",
        "SIGNS-OFFENDING",
    }
)


def _fingerprint(rule: str, concerns) -> str:
    ids = ",".join(str(concern.pk) for concern in sorted(concerns, key=lambda c: c.pk))
    return hashlib.sha256(f"{rule}:{ids}".encode()).hexdigest()


def _exploitation(child: Child, concerns: list[Concern], now) -> tuple[str, list[Concern]] | None:
    school = child.school
    recent = [c for c in concerns if c.observed_at >= now - timedelta(days=school.pattern_exploitation_days)]
    signs, contributing, reporters = {}, [], set()
    for concern in recent:
        codes = {
            item.indicator.code: item.label_at_time
            for item in concern.indicators.all()
            if item.indicator.category.code in EXPLOITATION_CATEGORIES
        }
        if codes:
            signs.update(codes)
            contributing.append(concern)
            reporters.add(concern.author_id)
    if len(signs) >= school.pattern_exploitation_signs and len(reporters) >= school.pattern_exploitation_reporters:
        explanation = (
            f"{len(signs)} different exploitation signs within {school.pattern_exploitation_days} days from "
            f"{len(reporters)} members of staff: {'; '.join(sorted(signs.values()))}"
        )
        return explanation[:300], contributing
    return None


def _frequency(child: Child, concerns: list[Concern], now) -> tuple[str, list[Concern]] | None:
    school = child.school
    recent = [c for c in concerns if c.observed_at >= now - timedelta(days=school.pattern_frequency_days)]
    if len(recent) >= school.pattern_frequency_concerns:
        return f"{len(recent)} concerns within {school.pattern_frequency_days} days", recent
    return None


def _disclosure(child: Child, concerns: list[Concern], now) -> tuple[str, list[Concern]] | None:
    told = [c for c in concerns if any(item.indicator.kind == IndicatorKind.DISCLOSURE for item in c.indicators.all())]
    if told:
        return "The child told a member of staff directly: made an immediate concern", told[-1:]
    return None


RULES = {"exploitation": _exploitation, "frequency": _frequency, "disclosure": _disclosure}


def patterns_evaluate(*, child: Child, now=None) -> list[PatternAlert]:
    """Run every rule for the child; record each new alert and tell the safeguarding team. Returns new alerts."""
    now = now or timezone.now()
    concerns = list(
        Concern.objects.filter(child=child)
        .select_related("school")
        .prefetch_related(
            Prefetch("indicators", queryset=ConcernIndicator.objects.select_related("indicator__category"))
        )
        .order_by("observed_at")
    )
    created = []
    for rule, check in RULES.items():
        fired = check(child, concerns, now)
        if fired is None:
            continue
        explanation, contributing = fired
        fingerprint = _fingerprint(rule, contributing)
        open_alert = PatternAlert.objects.filter(child=child, rule=rule, acknowledged_at__isnull=True).first()
        if open_alert is not None:
            # Still waiting for the DSL: the same alert grows with the new concerns rather than repeating.
            if open_alert.fingerprint != fingerprint:
                PatternAlert.objects.filter(pk=open_alert.pk).update(explanation=explanation, fingerprint=fingerprint)
                open_alert.concerns.set(contributing)
            continue
        try:
            with transaction.atomic():
                alert = PatternAlert.objects.create(
                    child=child, rule=rule, explanation=explanation, fingerprint=fingerprint
                )
                alert.concerns.set(contributing)
        except IntegrityError:
            continue
        created.append(alert)
    if created:
        team = school_safeguarding_team(school=child.school)
        Notification.objects.bulk_create(
            Notification(recipient_id=member.user_id, school=child.school, kind=Notification.Kind.PATTERN, child=child)
            for member in team
            for _ in created
        )
    return created
