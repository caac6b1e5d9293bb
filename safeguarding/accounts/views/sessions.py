"""A person's own signed-in sessions: where and since when, and a way to end all the others."""

import re
from datetime import UTC, datetime

from django.contrib import messages
from django.contrib.auth import authenticate
from django.contrib.auth.decorators import login_required
from django.contrib.sessions.models import Session
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from safeguarding.accounts.models import UserSession
from safeguarding.accounts.services import sessions_end_others
from safeguarding.accounts.signin import LAST_ACTIVITY

BROWSERS = [("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari")]
SYSTEMS = [
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
]


def device_description(user_agent: str) -> str:
    """'Chrome on Android', from the browser's own description; 'Unknown browser' when it says nothing usable."""
    browser = next((name for marker, name in BROWSERS if marker in user_agent), "")
    system = next((name for marker, name in SYSTEMS if re.search(re.escape(marker), user_agent)), "")
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "Unknown browser"


def _last_active(session: Session | None):
    if session is None:
        return None
    seconds = session.get_decoded().get(LAST_ACTIVITY)
    return datetime.fromtimestamp(seconds, tz=UTC) if seconds else None


@sensitive_post_parameters("password")
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def my_sessions(request):
    current = request.session.session_key
    error = ""
    if request.method == "POST":
        password = request.POST.get("password", "")
        if authenticate(request, username=request.user.email, password=password) is None:
            error = "That password is not right. Enter the password you signed in with."
        else:
            ended = sessions_end_others(user=request.user, context=request.audit, current_key=current)
            messages.success(
                request, f"{ended} other session{'s' if ended != 1 else ''} ended." if ended else "No other sessions."
            )
            return redirect("my_sessions")
    rows = list(UserSession.objects.filter(user=request.user).order_by("-started_at"))
    stored = Session.objects.in_bulk([row.session_key for row in rows], field_name="session_key")
    sessions = [
        {
            "current": row.session_key == current,
            "device": device_description(row.user_agent),
            "ip": row.ip,
            "started_at": row.started_at,
            "last_active": _last_active(stored.get(row.session_key)),
        }
        for row in rows
        if row.session_key in stored
    ]
    context = {"sessions": sessions, "error": error, "others": sum(not s["current"] for s in sessions)}
    return render(request, "accounts/my_sessions.html", context, status=400 if error else 200)
