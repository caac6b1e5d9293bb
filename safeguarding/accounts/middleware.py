import time
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from safeguarding.accounts.access import (
    memberships_for_user,
    user_is_privileged,
    user_may_sign_in,
    user_needs_second_factor,
)
from safeguarding.accounts.signin import LAST_ACTIVITY, SIGNED_IN_AT, idle_limit_seconds
from safeguarding.audit.context import RequestContext
from safeguarding.audit.events import EventType
from safeguarding.audit.record import record

# A request the page makes by itself (a refresh, a poll) carries this header and is not activity.
BACKGROUND_HEADER = "X-Background-Refresh"

IDLE_MESSAGE = "You were signed out after {minutes} minutes without activity, to keep the records safe."
ABSOLUTE_MESSAGE = "You were signed out because a session lasts at most {hours} hours. Sign in again to carry on."
ACTIVITY_RESOLUTION_SECONDS = 10
NO_ROLE_MESSAGE = "You were signed out because your account is no longer active at any school."
SECOND_FACTOR_MESSAGE = "Your account now needs a second factor. Sign in again to set it up."
ENDED_MESSAGE = "You were signed out. Sign in again to carry on: a concern you were writing is kept as a draft."


def is_background(request) -> bool:
    return request.headers.get(BACKGROUND_HEADER) == "1"


def signed_out_response(request, message: str, reason: str):
    record(EventType.LOGOUT, context=RequestContext.from_request(request), reason=reason)
    logout(request)
    messages.info(request, message)
    login_url = reverse("login")
    if request.method == "GET" and not is_background(request):
        login_url += "?" + urlencode({"next": request.get_full_path()})
    if request.headers.get("HX-Request"):
        return htmx_redirect(login_url)
    return redirect(login_url)


def htmx_redirect(url: str) -> HttpResponse:
    """Send the whole page somewhere else, rather than swapping that page into the part htmx was updating."""
    response = HttpResponse(status=204)
    response["HX-Redirect"] = url
    return response


def is_sign_in_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].split("?")[0] == reverse("login")


def htmx_sign_in_again(request) -> HttpResponse:
    """A page's own request (a draft being saved, a refresh) after the session ended elsewhere: the page goes to
    sign-in, and back to where the person was once they have signed in."""
    messages.info(request, ENDED_MESSAGE)
    login_url = reverse("login")
    page = request.headers.get("HX-Current-URL", "")
    if url_has_allowed_host_and_scheme(page, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        parts = urlsplit(page)
        login_url += "?" + urlencode({"next": parts.path + (f"?{parts.query}" if parts.query else "")})
    return htmx_redirect(login_url)


class SessionPolicyMiddleware:
    """Idle and absolute time-outs, and a second factor for everyone whose role needs one.

    The idle limit is 15 minutes for roles above staff and 30 for staff; no session outlives
    12 hours. A request marked as background does not count as activity.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            refusal = self.check(request, user)
            if refusal is not None:
                return refusal
        response = self.get_response(request)
        if request.headers.get("HX-Request") and not user.is_authenticated and is_sign_in_redirect(response):
            return htmx_sign_in_again(request)
        return response

    def check(self, request, user):
        # Loaded once here and kept on the request for everything later in it (the audit's role lookups).
        request.memberships = memberships = list(memberships_for_user(user))
        if not user_may_sign_in(user, memberships):
            return signed_out_response(request, NO_ROLE_MESSAGE, "no active membership")
        needs_second_factor = user_needs_second_factor(user, memberships)
        if needs_second_factor and not user.is_verified():
            return signed_out_response(request, SECOND_FACTOR_MESSAGE, "second factor now needed")
        now = time.time()
        session = request.session
        signed_in_at = session.setdefault(SIGNED_IN_AT, now)
        last_activity = session.setdefault(LAST_ACTIVITY, now)
        if now - signed_in_at > settings.SESSION_ABSOLUTE_HOURS * 3600:
            message = ABSOLUTE_MESSAGE.format(hours=settings.SESSION_ABSOLUTE_HOURS)
            return signed_out_response(request, message, "session lasted its maximum")
        idle_limit = idle_limit_seconds(privileged=user_is_privileged(user, memberships))
        if now - last_activity > idle_limit:
            return signed_out_response(request, IDLE_MESSAGE.format(minutes=idle_limit // 60), "idle time-out")
        # Written at most every few seconds, so that most requests do not rewrite the session.
        if not is_background(request) and now - last_activity > ACTIVITY_RESOLUTION_SECONDS:
            session[LAST_ACTIVITY] = now
        return None
