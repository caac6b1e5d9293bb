"""Passkeys: signing in with one, adding one (at first sign-in or from "Your account"), naming and removing them."""

import time

from django.contrib import messages
from django.contrib.auth import authenticate
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login

from safeguarding.accounts import notifications
from safeguarding.accounts.access import user_may_sign_in, user_needs_second_factor
from safeguarding.accounts.forms import CodeForm, SignInForm
from safeguarding.accounts.models import Passkey, RecoveryCode
from safeguarding.accounts.passkeys import (
    REGISTER,
    SIGN_IN,
    PasskeyError,
    authentication_options,
    passkey_authenticate,
    passkey_register,
    passkey_remove,
    passkey_rename,
    registration_options,
)
from safeguarding.accounts.ratelimit import rate_limit_check, rate_limit_hit, rate_limit_message
from safeguarding.accounts.recovery import recovery_codes_issue
from safeguarding.accounts.signin import (
    PENDING_NEXT,
    REPROVED_AT,
    any_device,
    confirmed_device,
    has_second_factor,
    pending_user,
    recently_proved,
    signin_complete,
)
from safeguarding.accounts.views.signin import address_failure, address_throttled, safe_next, second_factor_context
from safeguarding.audit.events import EventType, Outcome
from safeguarding.audit.record import record

CREDENTIAL_LIMIT = 20_000  # bytes of JSON; a real answer is a few hundred to a few thousand
# A browser that has used a passkey here is shown the passkey button first on the sign-in page. The cookie says only
# that, and it survives signing out (which clears the site's storage, not its cookies).
PASSKEY_HERE_COOKIE = "passkey_here"
PASSKEY_HERE_SECONDS = 400 * 24 * 3600


def _remember_passkey_here(request, response):
    response.set_cookie(
        PASSKEY_HERE_COOKIE,
        "1",
        max_age=PASSKEY_HERE_SECONDS,
        secure=request.is_secure(),
        httponly=True,
        samesite="Lax",
    )
    return response


def _credential(request) -> str:
    credential = request.POST.get("credential", "")
    if not credential or len(credential) > CREDENTIAL_LIMIT:
        raise PasskeyError("The passkey's answer did not arrive. Try again.")
    return credential


@csrf_protect
@never_cache
@require_POST
def passkey_options(request):
    """The challenge for the browser: to sign in (with the person's own passkeys after their password, or any passkey
    from the sign-in page), or to register a new passkey (signed in, or setting up a first factor)."""
    purpose = request.POST.get("purpose")
    pending = pending_user(request)
    if purpose == SIGN_IN:
        if request.user.is_authenticated:
            return HttpResponseBadRequest("Signed in already.")
        if address_throttled(request) is not None:
            return HttpResponse("Too many failed sign-ins from this network.", status=429)
        if not rate_limit_hit(action="passkey_challenges", who=request.audit.ip or "unknown").allowed:
            return HttpResponse("Too many passkey sign-ins from this network. Wait a few minutes.", status=429)
        options = authentication_options(request, user=pending)
    elif purpose == REGISTER:
        user = _registering_user(request)
        if user is None:
            return HttpResponse("Sign in first.", status=403)
        options = registration_options(request, user=user)
    else:
        return HttpResponseBadRequest("Unknown purpose.")
    return HttpResponse(options, content_type="application/json")


def _registering_user(request):
    """Who may add a passkey now: the signed-in person who signed in or gave their password in the last ten minutes
    (so a session left open, or a stolen cookie, cannot add one), or someone half-way through signing in who has no
    second factor yet and is setting one up."""
    if request.user.is_authenticated:
        return request.user if recently_proved(request) else None
    pending = pending_user(request)
    if pending is not None and not has_second_factor(pending):
        return pending
    return None


@csrf_protect
@never_cache
@require_POST
def passkey_signin(request):
    """The browser's answer to a sign-in challenge: a passkey alone (both factors), or after the password."""
    if request.user.is_authenticated:
        return redirect(safe_next(request, request.POST.get("next")))
    if refused := address_throttled(request):
        return refused
    pending = pending_user(request)
    if pending is not None and not (verdict := rate_limit_check(request, "second_factor", user=pending)).allowed:
        return _second_factor_again(request, pending, rate_limit_message(verdict), status=429)
    try:
        passkey = passkey_authenticate(request, credential=_credential(request), user=pending)
    except PasskeyError as error:
        address_failure(request)
        if pending is not None:
            return _second_factor_again(request, pending, str(error))
        return _signin_again(request, str(error))
    user = passkey.user
    if not user_may_sign_in(user):
        record(
            EventType.LOGIN_FAILED,
            user=user,
            context=request.audit,
            outcome=Outcome.REFUSED,
            reason="no active membership",
        )
        return _signin_again(request, "Your account is not active at any school. Ask your school office.")
    if pending is None:
        request.session[PENDING_NEXT] = safe_next(request, request.POST.get("next"))
    return _remember_passkey_here(request, redirect(signin_complete(request, user=user, device=passkey)))


def _signin_again(request, error: str, status: int = 400):
    form = SignInForm()
    context = {"form": form, "next": request.POST.get("next", ""), "passkey_error": error}
    return render(request, "accounts/signin.html", context, status=status)


def _second_factor_again(request, user, error: str, status: int = 400):
    context = {**second_factor_context(user, CodeForm() if confirmed_device(user) else None), "passkey_error": error}
    return render(request, "accounts/second_factor.html", context, status=status)


@csrf_protect
@never_cache
@require_POST
def passkey_add(request):
    """Keep a new passkey: from "Your account", or as the first factor of someone signing in, who then gets their
    recovery codes and is signed in."""
    user = _registering_user(request)
    if user is None and request.user.is_authenticated:
        messages.error(request, "Enter your password again before adding a passkey.")
        return redirect("account_security")
    if user is None:
        messages.info(request, "Sign in with your email address and password first.")
        return redirect("login")
    setting_up = not request.user.is_authenticated
    try:
        passkey = passkey_register(
            request, user=user, credential=_credential(request), name=request.POST.get("name", "")
        )
    except PasskeyError as error:
        if setting_up:
            messages.error(request, str(error))
            return redirect("second_factor_setup")
        return _account_page(request, passkey_error=str(error), status=400)
    notifications.second_factor_changed_send(user=user, change=f"A passkey named “{passkey.name}” was added.")
    if not setting_up:
        messages.success(request, f"Passkey “{passkey.name}” added. You can sign in with it from now on.")
        return _remember_passkey_here(request, redirect("account_security"))
    with transaction.atomic():
        codes = recovery_codes_issue(user=user, context=request.audit)
    next_url = signin_complete(request, user=user, device=passkey)
    # Shown once, here, and never again: only their digests are kept.
    response = render(request, "accounts/recovery_codes.html", {"codes": codes, "next_url": next_url})
    return _remember_passkey_here(request, response)


@sensitive_post_parameters("password")
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def account_security(request):
    """Your account: how you sign in, your passkeys, your authenticator app and recovery codes, and your sessions.
    Posting the password proves it is still the person, for the next ten minutes, before a passkey is added."""
    if request.method == "POST" and "recovery_codes" in request.POST:
        return _new_recovery_codes(request)
    if request.method == "POST":
        if not (verdict := rate_limit_check(request, "second_factor")).allowed:
            return _account_page(request, proof_error=rate_limit_message(verdict), status=429)
        if authenticate(request, username=request.user.email, password=request.POST.get("password", "")) is None:
            record(
                EventType.LOGIN_FAILED,
                context=request.audit,
                outcome=Outcome.FAILED,
                reason="password not right when proving it is them before adding a passkey",
            )
            return _account_page(request, proof_error="That password is not right.", status=400)
        request.session[REPROVED_AT] = time.time()
        return redirect("account_security")
    return _account_page(request)


def _new_recovery_codes(request):
    """Ten new recovery codes in place of any unused ones, shown once; like adding a passkey, this needs a sign-in or
    the password in the last ten minutes."""
    if not recently_proved(request) or not has_second_factor(request.user):
        messages.error(request, "Enter your password again before making new recovery codes.")
        return redirect("account_security")
    with transaction.atomic():
        codes = recovery_codes_issue(user=request.user, context=request.audit)
    notifications.second_factor_changed_send(user=request.user, change="New recovery codes were made.")
    context = {"codes": codes, "next_url": reverse("account_security"), "renewed": True}
    return render(request, "accounts/recovery_codes.html", context)


def _account_page(request, *, passkey_error: str = "", proof_error: str = "", status: int = 200):
    user = request.user
    context = {
        "passkeys": Passkey.objects.filter(user=user).order_by("created_at"),
        "authenticator": confirmed_device(user),
        "recovery_codes_left": RecoveryCode.objects.filter(user=user, used_at__isnull=True).count(),
        "needs_second_factor": user_needs_second_factor(user, getattr(request, "memberships", None)),
        "passkey_error": passkey_error,
        "proof_error": proof_error,
        "may_add_passkey": recently_proved(request),
        "has_factor": has_second_factor(user),
    }
    return render(request, "accounts/account_security.html", context, status=status)


def _own_passkey(request, passkey_uuid) -> Passkey:
    passkey = Passkey.objects.filter(user=request.user, uuid=passkey_uuid).first()
    if passkey is None:
        raise Http404("No such passkey.")
    return passkey


@login_required
@require_POST
def passkey_rename_view(request, passkey_uuid):
    passkey = _own_passkey(request, passkey_uuid)
    passkey = passkey_rename(user=request.user, context=request.audit, passkey=passkey, name=request.POST.get("name"))
    messages.success(request, f"Passkey renamed “{passkey.name}”.")
    return redirect("account_security")


@sensitive_post_parameters("password", "code")
@login_required
@require_POST
def passkey_remove_view(request, passkey_uuid):
    """Remove a passkey once the person has shown it is them: their password, or a code from their authenticator."""
    passkey = _own_passkey(request, passkey_uuid)
    password = request.POST.get("password", "")
    code = "".join(request.POST.get("code", "").split())
    device = confirmed_device(request.user)
    proved = False
    if password:
        proved = authenticate(request, username=request.user.email, password=password) is not None
    elif code and device is not None:
        if not (verdict := rate_limit_check(request, "second_factor", user=request.user)).allowed:
            messages.error(request, rate_limit_message(verdict))
            return redirect("account_security")
        proved = device.verify_is_allowed()[0] and device.verify_token(code)
    if not proved:
        record(
            EventType.SECOND_FACTOR_FAILED,
            user=request.user,
            context=request.audit,
            outcome=Outcome.REFUSED,
            reason="passkey not removed: password or code not right",
            object_type="passkey",
            object_uuid=passkey.uuid,
        )
        messages.error(
            request, f"“{passkey.name}” was not removed: enter your password, or a code from your authenticator app."
        )
        return redirect("account_security")
    name = passkey.name
    notifications.second_factor_changed_send(user=request.user, change=f"The passkey named “{name}” was removed.")
    verified_by_it = request.session.get(DEVICE_ID_SESSION_KEY) == passkey.persistent_id
    passkey_remove(user=request.user, context=request.audit, passkey=passkey)
    if verified_by_it and (other := any_device(request.user)) is not None:
        # This session was opened with the passkey just removed; the person has proved it is them again, so the
        # session now counts as verified by the factor they still have.
        otp_login(request, other)
    if has_second_factor(request.user):
        messages.success(request, f"Passkey “{name}” removed.")
    else:
        messages.warning(
            request,
            f"Passkey “{name}” removed. You have no second factor now: you will set one up when you next sign in.",
        )
    return redirect("account_security")
