"""The steps of signing in, and the session facts the time-outs rely on.

Nobody who needs a second factor holds a signed-in session before giving it: after the password, the
session only remembers who is half-way through, for a few minutes.
"""

import time

from django.conf import settings
from django.contrib.auth import login as auth_login
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from safeguarding.accounts.addresses import EmailNotPlain, email_normalise
from safeguarding.accounts.models import Passkey, User, UserSession
from safeguarding.audit.events import EventType
from safeguarding.audit.record import record

PENDING_USER = "signin_pending_user"
PENDING_SINCE = "signin_pending_since"
PENDING_NEXT = "signin_next"
SIGNED_IN_AT = "signed_in_at"
LAST_ACTIVITY = "last_activity"
PENDING_SECONDS = 300
REPROVED_AT = "reproved_at"
# Adding a passkey, which stands for both factors, needs a sign-in or a password given again this recently.
PROOF_SECONDS = 600
BACKEND = "django.contrib.auth.backends.ModelBackend"


def pending_begin(request, *, user: User, next_url: str) -> None:
    request.session.cycle_key()
    request.session[PENDING_USER] = user.pk
    request.session[PENDING_SINCE] = time.time()
    request.session[PENDING_NEXT] = next_url


def pending_user(request) -> User | None:
    """The person who gave the right password in the last five minutes and still owes a code."""
    user_id = request.session.get(PENDING_USER)
    since = request.session.get(PENDING_SINCE, 0)
    if user_id is None or time.time() - since > PENDING_SECONDS:
        return None
    return User.objects.filter(pk=user_id, is_active=True).first()


def confirmed_device(user: User) -> TOTPDevice | None:
    """The person's authenticator app, once they have proved it works."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def has_second_factor(user: User) -> bool:
    """Whether the person has a passkey or an authenticator app to sign in with."""
    return user_has_device(user, confirmed=True)


def any_device(user: User) -> Device | None:
    """A second factor of the person's, for a session opened with a recovery code (which stands in for one)."""
    return confirmed_device(user) or Passkey.objects.filter(user=user, confirmed=True).first()


def signin_complete(request, *, user: User, device: Device | None = None, factor: str = "") -> str:
    """Sign the person in (a new session key), remember when, and return where they were going.

    `device` is the second factor the session counts as verified by; `factor` says what was used when that was not
    the device itself (a recovery code)."""
    next_url = request.session.pop(PENDING_NEXT, None) or settings.LOGIN_REDIRECT_URL
    request.session.pop(PENDING_USER, None)
    request.session.pop(PENDING_SINCE, None)
    auth_login(request, user, backend=BACKEND)
    if device is not None:
        otp_login(request, device)
    now = time.time()
    request.session[SIGNED_IN_AT] = now
    request.session[LAST_ACTIVITY] = now
    request.session.save()
    UserSession.objects.create(
        user=user, session_key=request.session.session_key, ip=request.audit.ip, user_agent=request.audit.user_agent
    )
    request.audit.refresh(request)
    if device is not None and not factor:
        factor = "passkey" if isinstance(device, Passkey) else "authenticator app"
    detail = {"second_factor": device is not None, "factor": factor or None}
    record(EventType.LOGIN, user=user, context=request.audit, detail=detail)
    return next_url


def recently_proved(request) -> bool:
    """Whether the signed-in person signed in, or gave their password again, in the last ten minutes."""
    last = max(request.session.get(SIGNED_IN_AT, 0), request.session.get(REPROVED_AT, 0))
    return time.time() - last <= PROOF_SECONDS


def idle_limit_seconds(*, privileged: bool) -> int:
    """15 minutes for the roles that see more than their own concerns, 30 for staff (who sit through lessons)."""
    minutes = settings.SESSION_IDLE_MINUTES_PRIVILEGED if privileged else settings.SESSION_IDLE_MINUTES
    return minutes * 60


def axes_username(request, credentials) -> str:
    """Lock-outs are counted per account, under the spelling the account is found by, however it was written."""
    username = (credentials or {}).get("username") or request.POST.get("email", "")
    try:
        return email_normalise(username)
    except EmailNotPlain:
        return username.strip()  # no account is found by an address with no plain spelling
