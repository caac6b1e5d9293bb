"""Rate limits on the actions an attacker would repeat: the second factor, searches and exports.

Counts are kept in the database, so every web process of a deployment shares them. Each action has a limit per
window (settings.RATE_LIMITS); going over it answers 429 with a page saying when to try again, and the first
request over the limit in a window leaves an audit event (the rest of that window's would only add noise).

A session prepared for a security scan (`manage.py scan_session`, refused in production) carries
RAISED_SESSION_KEY: its limits are multiplied by RAISED_FACTOR, so a scanner can crawl without being stopped,
while every other session keeps the normal limits.
"""

import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.shortcuts import render

from safeguarding.audit.events import EventType, Outcome
from safeguarding.audit.record import record
from safeguarding.core.models import RateLimitWindow

RAISED_SESSION_KEY = "_rate_limits_raised"
RAISED_FACTOR = 1000


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    hits: int
    limit: int
    retry_after: int  # seconds until the window ends

    @property
    def minutes(self) -> int:
        return max(1, -(-self.retry_after // 60))


def _count(key: str, window: int) -> int:
    """Add one to the key's count in this window (starting again at 1 in a new window), in one statement."""
    table = connection.ops.quote_name(RateLimitWindow._meta.db_table)
    sql = (
        f"INSERT INTO {table} (key, window_number, hits) VALUES (%s, %s, 1) "  # noqa: S608 - our own table name
        "ON CONFLICT (key) DO UPDATE SET hits = CASE "
        f"WHEN {table}.window_number = EXCLUDED.window_number THEN {table}.hits + 1 ELSE 1 END, "
        "window_number = EXCLUDED.window_number RETURNING hits"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [key, window])
        return cursor.fetchone()[0]


def rate_limit_peek(*, action: str, who: str, now: float | None = None) -> Verdict:
    """Whether `who` is already over the limit of `action` in this window, without counting anything."""
    limit, seconds = settings.RATE_LIMITS[action]
    now = time.time() if now is None else now
    window = int(now // seconds)
    row = RateLimitWindow.objects.filter(key=f"{action}:{who}", window_number=window).first()
    hits = row.hits if row else 0
    return Verdict(allowed=hits < limit, hits=hits, limit=limit, retry_after=int((window + 1) * seconds - now))


def first_use(*, key: str, issued: int, keep_seconds: int) -> bool:
    """Whether this is the first use of a one-time token (`key`, issued at `issued`, a Unix time), across every web
    process: two requests racing with the same token get one True between them. Tokens older than `keep_seconds`
    are forgotten, since by then they are refused as expired anyway."""
    first = _count(key, issued) == 1
    prefix = key.split(":", 1)[0] + ":"
    RateLimitWindow.objects.filter(key__startswith=prefix, window_number__lt=int(time.time()) - keep_seconds).delete()
    return first


def rate_limit_hit(*, action: str, who: str, raised: bool = False, now: float | None = None) -> Verdict:
    """Count one use of `action` by `who` and say whether it is still within the limit."""
    limit, seconds = settings.RATE_LIMITS[action]
    if raised:
        limit *= RAISED_FACTOR
    now = time.time() if now is None else now
    window = int(now // seconds)
    hits = _count(f"{action}:{who}", window)
    return Verdict(allowed=hits <= limit, hits=hits, limit=limit, retry_after=int((window + 1) * seconds - now))


def rate_limit_check(request, action: str, *, user=None) -> Verdict:
    """Count this request against `action` for `user` (the signed-in person by default); audit a first refusal."""
    user = user if user is not None else request.user
    raised = bool(request.session.get(RAISED_SESSION_KEY)) if hasattr(request, "session") else False
    verdict = rate_limit_hit(action=action, who=str(user.pk), raised=raised)
    if not verdict.allowed:
        request.audit_refusal_recorded = True
        if verdict.hits == verdict.limit + 1:
            record(
                EventType.ACCESS_REFUSED,
                user=user,
                context=getattr(request, "audit", None),
                outcome=Outcome.REFUSED,
                reason=f"rate limit: {action}",
            )
    return verdict


def rate_limited(request, action: str):
    """None when the signed-in person may go on; otherwise the 429 page (or fragment, for htmx) to return."""
    verdict = rate_limit_check(request, action)
    if verdict.allowed:
        return None
    template = "partials/rate_limited.html" if request.headers.get("HX-Request") else "429.html"
    response = render(request, template, {"verdict": verdict, "action": action}, status=429)
    response["Retry-After"] = str(verdict.retry_after)
    return response


def rate_limit_message(verdict: Verdict) -> str:
    minutes = verdict.minutes
    return f"Too many attempts. Wait {minutes} minute{'s' if minutes != 1 else ''}, then try again."
