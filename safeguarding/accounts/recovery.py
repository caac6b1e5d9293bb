"""Recovery codes: ten one-time codes issued when a second factor is set up, for the day the phone is lost.

Each code has 50 random bits (ten characters from an alphabet without look-alikes), so a keyed SHA-256 digest is
enough to keep it: nobody can work back from the table to the codes, and checking one is a single lookup.
"""

import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from safeguarding.accounts.models import RecoveryCode, User
from safeguarding.audit.context import RequestContext
from safeguarding.audit.events import EventType, Outcome
from safeguarding.audit.record import record

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no I, O, 0 or 1
CODES = 10


def _digest(code: str) -> str:
    plain = "".join(ch for ch in code.upper() if ch.isalnum())
    return salted_hmac("safeguard.recovery-code", plain, algorithm="sha256").hexdigest()


def _new_code() -> str:
    text = "".join(secrets.choice(ALPHABET) for _ in range(10))
    return f"{text[:5]}-{text[5:]}"


@transaction.atomic
def recovery_codes_issue(*, user: User, context: RequestContext | None) -> list[str]:
    """Ten new codes for `user`, replacing any unused ones; the codes themselves are returned once, to be shown."""
    RecoveryCode.objects.filter(user=user, used_at__isnull=True).delete()
    codes = [_new_code() for _ in range(CODES)]
    RecoveryCode.objects.bulk_create(RecoveryCode(user=user, digest=_digest(code)) for code in codes)
    record(EventType.SECOND_FACTOR_ENROLLED, user=user, context=context, detail={"recovery_codes": CODES})
    return codes


@transaction.atomic
def recovery_code_use(*, user: User, context: RequestContext | None, code: str) -> bool:
    """Whether `code` is one of `user`'s unused recovery codes; if so it is spent. A code already used, or none of
    theirs, is refused and recorded."""
    found = RecoveryCode.objects.select_for_update().filter(user=user, digest=_digest(code)).first()
    if found is None or found.used_at is not None:
        record(
            EventType.SECOND_FACTOR_FAILED,
            user=user,
            context=context,
            outcome=Outcome.REFUSED if found else Outcome.FAILED,
            reason="recovery code already used" if found else "wrong recovery code",
        )
        return False
    found.used_at = timezone.now()
    found.save(update_fields=["used_at"])
    left = RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()
    record(EventType.SECOND_FACTOR_VERIFIED, user=user, context=context, detail={"recovery_code": True, "left": left})
    return True
