"""Recovery codes: ten issued when an authenticator is set up, shown once and kept only as digests; each works once,
and a second use is refused and recorded."""

import re

from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from safeguarding.accounts.models import RecoveryCode
from safeguarding.audit.models import AuditEvent
from tests.accounts.test_signin import enrol, is_signed_in, sign_in


def codes_from(page: str) -> list[str]:
    return re.findall(r"<li>([A-Z2-9]{5}-[A-Z2-9]{5})</li>", page)


def test_a_recovery_code_works_once_and_its_second_use_is_refused_and_recorded(world):
    TOTPDevice.objects.filter(user=world.deputy).delete()
    first = Client()
    sign_in(first, world.deputy)
    codes = codes_from(enrol(first, world.deputy).content.decode())

    assert len(codes) == 10 and len(set(codes)) == 10
    stored = set(RecoveryCode.objects.filter(user=world.deputy).values_list("digest", flat=True))
    assert not any(code in digest or code.replace("-", "") in digest for code in codes for digest in stored)

    client = Client()
    sign_in(client, world.deputy)
    used = client.post("/accounts/login/code/", {"recovery_code": codes[3].lower()})
    assert used.status_code == 302 and is_signed_in(client)
    assert "recovery code" in client.get("/").content.decode()

    again = Client()
    sign_in(again, world.deputy)
    refused = again.post("/accounts/login/code/", {"recovery_code": codes[3]})
    assert refused.status_code == 200 and not is_signed_in(again)
    assert "That recovery code is not right, or it has been used already." in refused.content.decode()
    assert AuditEvent.objects.filter(user_uuid=world.deputy.uuid, reason="recovery code already used").count() == 1
    assert AuditEvent.objects.filter(user_uuid=world.deputy.uuid, event_type="second_factor_verified").exists()


def test_a_recovery_code_needs_the_password_first(world):
    response = Client().post("/accounts/login/code/", {"recovery_code": "ABCDE-FGHJK"})

    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
