"""Passkeys (WebAuthn), through the `webauthn` package: the options the browser is given, and the checks of what it
sends back.

A challenge is made for one purpose (registering, or signing in), kept in the session, and taken from it by the
first answer, right or wrong, so that an answer can never be replayed. The site's identity (the relying party) is
the host name the site is served under, which Django has already checked against ALLOWED_HOSTS; WEBAUTHN_RP_ID
may name a parent domain instead. Only public keys are stored.
"""

import json
import time

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url, parse_authentication_credential_json
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from safeguarding.accounts.models import Passkey, User
from safeguarding.accounts.ratelimit import first_use
from safeguarding.audit.context import RequestContext
from safeguarding.audit.events import EventType, Outcome
from safeguarding.audit.record import record

CHALLENGE = "passkey_challenge"
CHALLENGE_SECONDS = 300
REGISTER = "register"
SIGN_IN = "sign-in"
NAME_LENGTH = 64


class PasskeyError(Exception):
    """The browser's answer was not accepted; the message is for the person."""


def relying_party(request) -> tuple[str, str]:
    """The site's identity for passkeys (a host name, never an address with a port) and the origin pages come from."""
    host = request.get_host()
    hostname = host if host.endswith("]") else host.rsplit(":", 1)[0]
    return settings.WEBAUTHN_RP_ID or hostname, f"{request.scheme}://{host}"


def _challenge_keep(request, purpose: str, challenge: bytes, user: User | None) -> None:
    request.session[CHALLENGE] = {
        "purpose": purpose,
        "challenge": bytes_to_base64url(challenge),
        "user": user.pk if user else None,
        "at": time.time(),
    }


def _challenge_take(request, purpose: str, user: User | None) -> bytes:
    """The challenge made for this purpose and person in the last five minutes; it is used up whatever happens. A
    missing, stale or already used one is recorded and refused."""
    kept = request.session.pop(CHALLENGE, None)
    usable = (
        kept
        and kept.get("purpose") == purpose
        and kept.get("user") == (user.pk if user else None)
        and time.time() - kept.get("at", 0) <= CHALLENGE_SECONDS
        # The session is saved only when the request ends, so two answers racing in on one session would both find
        # the challenge there; only the first to reach the database counts.
        and first_use(key=f"passkey-challenge:{kept['challenge']}", issued=int(kept["at"]), keep_seconds=600)
    )
    if not usable:
        _failed(request.audit, user, "passkey challenge missing or expired")
        raise PasskeyError("That took too long, or the page was out of date. Try again.")
    return base64url_to_bytes(kept["challenge"])


def _descriptors(user: User) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(
            id=base64url_to_bytes(passkey.credential_id),
            transports=[AuthenticatorTransport(name) for name in passkey.transports if name in _TRANSPORTS],
        )
        for passkey in Passkey.objects.filter(user=user, confirmed=True)
    ]


_TRANSPORTS = {transport.value for transport in AuthenticatorTransport}


def registration_options(request, *, user: User) -> str:
    """The JSON the browser needs to make a new passkey for `user`, excluding the ones they already have."""
    rp_id, _ = relying_party(request)
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name="Safeguard",
        # The person's random UUID, never their email or database number: the phone keeps this handle.
        user_id=user.uuid.bytes,
        user_name=user.email,
        user_display_name=user.full_name or user.email,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=_descriptors(user),
        timeout=CHALLENGE_SECONDS * 1000,
    )
    _challenge_keep(request, REGISTER, options.challenge, user)
    return options_to_json(options)


def authentication_options(request, *, user: User | None) -> str:
    """The JSON for signing in: any of the site's passkeys when nobody is named yet (the phone offers the person's
    own), or only `user`'s after their password. A passkey alone must check the person, as it stands for both
    factors."""
    rp_id, _ = relying_party(request)
    options = generate_authentication_options(
        rp_id=rp_id,
        allow_credentials=_descriptors(user) if user else [],
        user_verification=UserVerificationRequirement.REQUIRED
        if user is None
        else UserVerificationRequirement.PREFERRED,
        timeout=CHALLENGE_SECONDS * 1000,
    )
    _challenge_keep(request, SIGN_IN, options.challenge, user)
    return options_to_json(options)


def passkey_name_clean(name: str) -> str:
    name = " ".join((name or "").split())[:NAME_LENGTH]
    return name or "Passkey"


@transaction.atomic
def passkey_register(request, *, user: User, credential: str, name: str) -> Passkey:
    """Check the browser's new credential against the challenge and keep its public key."""
    challenge = _challenge_take(request, REGISTER, user)
    rp_id, origin = relying_party(request)
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as error:
        _failed(request.audit, user, "passkey not registered", error)
        raise PasskeyError("The passkey could not be checked. Try again, or use another device.") from None
    credential_id = bytes_to_base64url(verified.credential_id)
    try:
        with transaction.atomic():
            passkey = Passkey.objects.create(
                user=user,
                name=passkey_name_clean(name),
                confirmed=True,
                credential_id=credential_id,
                public_key=verified.credential_public_key,
                sign_count=verified.sign_count,
                transports=_transports_of(credential),
                backed_up=verified.credential_backed_up,
            )
    except IntegrityError:
        _failed(request.audit, user, "passkey registered already")
        raise PasskeyError("That passkey is registered already.") from None
    record(
        EventType.SECOND_FACTOR_ENROLLED,
        user=user,
        context=request.audit,
        object_type="passkey",
        object_uuid=passkey.uuid,
        detail={"factor": "passkey"},
    )
    return passkey


def _transports_of(credential: str) -> list[str]:
    try:
        transports = json.loads(credential).get("response", {}).get("transports") or []
    except (ValueError, AttributeError):
        return []
    return [name for name in transports if name in _TRANSPORTS][:8]


def passkey_authenticate(request, *, credential: str, user: User | None) -> Passkey:
    """The passkey that signed the challenge, after every check; `user` is the person who gave their password, or
    None for a passkey alone. Failures are recorded, against the account when the passkey names one."""
    challenge = _challenge_take(request, SIGN_IN, user)
    try:
        parsed = parse_authentication_credential_json(credential)
    except (WebAuthnException, ValueError, TypeError, KeyError) as error:
        _failed(request.audit, user, "passkey answer unreadable", error)
        raise PasskeyError("The passkey's answer could not be read. Try again.") from None
    passkeys = Passkey.objects.filter(credential_id=bytes_to_base64url(parsed.raw_id), confirmed=True)
    passkey = passkeys.filter(user=user).first() if user else passkeys.filter(user__is_active=True).first()
    if passkey is None:
        _failed(request.audit, user, "passkey not known")
        raise PasskeyError("That passkey is not registered with Safeguard. Sign in with your email address instead.")
    if parsed.response.user_handle is not None and parsed.response.user_handle != passkey.user.uuid.bytes:
        _failed(request.audit, passkey.user, "passkey user handle does not match")
        raise PasskeyError("The passkey could not be checked. Try again.")
    rp_id, origin = relying_party(request)
    try:
        verified = verify_authentication_response(
            credential=parsed,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=bytes(passkey.public_key),
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=user is None,
        )
    except (WebAuthnException, ValueError, TypeError) as error:
        _failed(request.audit, passkey.user, "passkey signature refused", error)
        raise PasskeyError("The passkey could not be checked. Try again.") from None
    passkey.sign_count = verified.new_sign_count
    passkey.backed_up = verified.credential_backed_up
    passkey.last_used_at = timezone.now()
    passkey.save(update_fields=["sign_count", "backed_up", "last_used_at"])
    record(
        EventType.SECOND_FACTOR_VERIFIED,
        user=passkey.user,
        context=request.audit,
        object_type="passkey",
        object_uuid=passkey.uuid,
        detail={"factor": "passkey", "with_password": user is not None},
    )
    return passkey


def _failed(context: RequestContext, user: User | None, reason: str, error: Exception | None = None) -> None:
    # The library's message names the check that failed (origin, challenge, signature); it holds no secret.
    detail = {"factor": "passkey"}
    if error is not None:
        detail["check"] = type(error).__name__
    record(
        EventType.SECOND_FACTOR_FAILED,
        user=user,
        context=context,
        outcome=Outcome.FAILED,
        reason=reason,
        detail=detail,
    )


@transaction.atomic
def passkey_rename(*, user: User, context: RequestContext, passkey: Passkey, name: str) -> Passkey:
    passkey.name = passkey_name_clean(name)
    passkey.save(update_fields=["name"])
    record(EventType.UPDATE, user=user, context=context, object_type="passkey", object_uuid=passkey.uuid)
    return passkey


@transaction.atomic
def passkey_remove(*, user: User, context: RequestContext, passkey: Passkey) -> None:
    """Remove one of the person's own passkeys; the caller has had them prove it is them again."""
    uuid = passkey.uuid
    passkey.delete()
    record(
        EventType.SECOND_FACTOR_REMOVED,
        user=user,
        context=context,
        object_type="passkey",
        object_uuid=uuid,
        detail={"factor": "passkey", "left": Passkey.objects.filter(user=user).count()},
    )
