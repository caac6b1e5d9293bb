import base64
import io

import qrcode
import qrcode.image.svg
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, logout
from django.contrib.auth import views as auth_views
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from safeguarding.accounts import notifications
from safeguarding.accounts.access import user_may_sign_in, user_needs_second_factor
from safeguarding.accounts.forms import CodeForm, RecoveryCodeForm, SafeguardPasswordResetForm, SignInForm
from safeguarding.accounts.models import Passkey, User, UserSession
from safeguarding.accounts.ratelimit import rate_limit_check, rate_limit_hit, rate_limit_message, rate_limit_peek
from safeguarding.accounts.recovery import recovery_code_use, recovery_codes_issue
from safeguarding.accounts.services import sessions_end_for_user
from safeguarding.accounts.signin import (
    PENDING_NEXT,
    any_device,
    confirmed_device,
    has_second_factor,
    pending_begin,
    pending_user,
    signin_complete,
)
from safeguarding.audit.events import EventType, Outcome
from safeguarding.audit.record import record


def safe_next(request, candidate: str | None) -> str:
    """A path on this site to go on to; anything else (another site, a bare word that `redirect` would take for a
    view's name) goes home."""
    if (
        candidate
        and candidate.startswith("/")
        and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return candidate
    return settings.LOGIN_REDIRECT_URL


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def signin(request):
    if request.user.is_authenticated:
        return redirect(safe_next(request, request.GET.get("next")))
    form = SignInForm(request.POST or None)
    if request.method == "POST" and (refused := address_throttled(request)):
        return refused
    if request.method == "POST" and form.is_valid():
        user = authenticate(request, username=form.cleaned_data["email"], password=form.cleaned_data["password"])
        if user is None:
            address_failure(request)
            _record_failure(request, form.cleaned_data["email"], "wrong email or password")
            form.add_error(None, "The email address or password is not right.")
        elif not user_may_sign_in(user):
            _record_failure(request, user.email, "no active membership")
            form.add_error(None, "Your account is not active at any school. Ask your school office.")
        else:
            next_url = safe_next(request, request.POST.get("next"))
            # Anyone with an authenticator uses it, even where their role would not ask for one.
            has_factor = has_second_factor(user)
            if not has_factor and not user_needs_second_factor(user):
                request.session[PENDING_NEXT] = next_url
                return redirect(signin_complete(request, user=user))
            pending_begin(request, user=user, next_url=next_url)
            return redirect("second_factor" if has_factor else "second_factor_setup")
    return render(request, "accounts/signin.html", {"form": form, "next": request.GET.get("next", "")})


def _address(request) -> str:
    return request.audit.ip or "unknown"


def address_throttled(request):
    """The 429 page when this address has failed to sign in too often in the window, across any accounts; None
    otherwise. Successful sign-ins are never counted."""
    verdict = rate_limit_peek(action="signin_failures", who=_address(request))
    if verdict.allowed:
        return None
    form = SignInForm()
    context = {"form": form, "next": "", "address_minutes": verdict.minutes}
    response = render(request, "accounts/signin.html", context, status=429)
    response["Retry-After"] = str(verdict.retry_after)
    return response


def address_failure(request) -> None:
    """Count a failed sign-in against the address; the first over the limit in a window is recorded."""
    verdict = rate_limit_hit(action="signin_failures", who=_address(request))
    if verdict.hits == verdict.limit:
        record(
            EventType.ACCESS_REFUSED,
            context=request.audit,
            outcome=Outcome.REFUSED,
            reason="rate limit: failed sign-ins from one address",
        )


def _record_failure(request, email: str, reason: str, event_type=EventType.LOGIN_FAILED) -> None:
    """A failed sign-in names the account when there is one, never what was typed."""
    record(
        event_type,
        user=User.objects.with_email(email).first(),
        context=request.audit,
        outcome=Outcome.FAILED if event_type == EventType.LOGIN_FAILED else Outcome.REFUSED,
        reason=reason,
    )


def lockout_response(request, original_response=None, credentials=None):
    """What a locked-out person sees: the sign-in page, saying why and for how long."""
    _record_failure(request, request.POST.get("email", ""), "too many failed attempts", EventType.LOCKED_OUT)
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    form = SignInForm()
    context = {"form": form, "locked_minutes": minutes, "next": ""}
    return render(request, "accounts/signin.html", context, status=429)


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def second_factor(request):
    user = pending_user(request)
    if user is None:
        messages.info(request, "Sign in with your email address and password first.")
        return redirect("login")
    if not has_second_factor(user):
        return redirect("second_factor_setup")
    if "recovery_code" in request.POST:
        return _recovery(request, user)
    device = confirmed_device(user)
    form = CodeForm(request.POST or None) if device else None
    if request.method == "POST" and form is not None and form.is_valid():
        allowed, _ = device.verify_is_allowed()
        if not (verdict := rate_limit_check(request, "second_factor", user=user)).allowed:
            form.add_error("code", rate_limit_message(verdict))
            return render(request, "accounts/second_factor.html", second_factor_context(user, form), status=429)
        if not allowed:
            record(
                EventType.SECOND_FACTOR_FAILED,
                user=user,
                context=request.audit,
                outcome=Outcome.REFUSED,
                reason="slowed down after wrong codes",
            )
            form.add_error("code", "Too many wrong codes. Wait a minute, then try the newest code.")
        elif device.verify_token(form.cleaned_data["code"]):
            record(EventType.SECOND_FACTOR_VERIFIED, user=user, context=request.audit)
            return redirect(signin_complete(request, user=user, device=device))
        else:
            record(EventType.SECOND_FACTOR_FAILED, user=user, context=request.audit, outcome=Outcome.FAILED)
            form.add_error("code", "That code is not right, or it has been used already. Try the newest code.")
    return render(request, "accounts/second_factor.html", second_factor_context(user, form))


def second_factor_context(user, form, recovery_form=None) -> dict:
    """The second-factor page: the passkey button when the person has one, the code form when they have an app."""
    return {
        "form": form,
        "recovery_form": recovery_form or RecoveryCodeForm(),
        "has_passkey": Passkey.objects.filter(user=user, confirmed=True).exists(),
    }


def _recovery(request, user):
    """Signing in with a recovery code in place of the authenticator's: each code works once."""
    form = RecoveryCodeForm(request.POST)
    status = 200
    if form.is_valid():
        if not (verdict := rate_limit_check(request, "second_factor", user=user)).allowed:
            form.add_error("recovery_code", rate_limit_message(verdict))
            status = 429
        elif recovery_code_use(user=user, context=request.audit, code=form.cleaned_data["recovery_code"]):
            messages.warning(
                request,
                "You signed in with a recovery code, which now cannot be used again. Ask your school's DSL to reset "
                "your authenticator if you have lost your phone.",
            )
            # The session counts as verified by the account's second factor, which the code stood in for.
            return redirect(signin_complete(request, user=user, device=any_device(user), factor="recovery code"))
        else:
            form.add_error("recovery_code", "That recovery code is not right, or it has been used already.")
    code_form = CodeForm() if confirmed_device(user) else None
    return render(request, "accounts/second_factor.html", second_factor_context(user, code_form, form), status=status)


def _qr_code_data_uri(url: str) -> str:
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=12)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def second_factor_setup(request):
    """Enrol an authenticator app: a QR code, the secret as text, and a first code to prove it works."""
    user = pending_user(request)
    if user is None:
        messages.info(request, "Sign in with your email address and password first.")
        return redirect("login")
    if has_second_factor(user):
        return redirect("second_factor")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not (verdict := rate_limit_check(request, "second_factor", user=user)).allowed:
            form.add_error("code", rate_limit_message(verdict))
        elif device.verify_token(form.cleaned_data["code"]):
            with transaction.atomic():
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                record(EventType.SECOND_FACTOR_ENROLLED, user=user, context=request.audit)
                codes = recovery_codes_issue(user=user, context=request.audit)
            notifications.second_factor_changed_send(user=user, change="An authenticator app was set up.")
            next_url = signin_complete(request, user=user, device=device)
            # Shown once, here, and never again: only their digests are kept.
            return render(request, "accounts/recovery_codes.html", {"codes": codes, "next_url": next_url})
        else:
            record(EventType.SECOND_FACTOR_FAILED, user=user, context=request.audit, outcome=Outcome.FAILED)
            form.add_error("code", "That code is not right. Check the app shows Safeguard and try the newest code.")
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    context = {"form": form, "qr_code": _qr_code_data_uri(device.config_url), "secret": _grouped(secret)}
    return render(request, "accounts/second_factor_setup.html", context)


@require_POST
def signout(request):
    if request.user.is_authenticated:
        record(EventType.LOGOUT, context=request.audit, reason="signed out")
    if request.session.session_key:
        UserSession.objects.filter(session_key=request.session.session_key).delete()
    logout(request)
    messages.info(request, "You have signed out.")
    response = redirect("login")
    # Nothing seen in this browser before signing out stays in its cache or storage.
    response["Clear-Site-Data"] = '"cache", "storage"'
    return response


class PasswordResetView(auth_views.PasswordResetView):
    form_class = SafeguardPasswordResetForm
    template_name = "accounts/password_reset.html"
    success_url = reverse_lazy("password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            record(EventType.PASSWORD_RESET, user=form.user, context=self.request.audit)
        # A new password lifts a lock-out and ends every session opened with the old one.
        axes_reset(username=form.user.email)
        sessions_end_for_user(user=form.user)
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"
