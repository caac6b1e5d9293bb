"""Passkeys, checked on real signatures from a software authenticator: adding one, signing in with it alone or after
the password, what is refused (replays, another site, another person's passkey, an unverified person), and naming,
removing and resetting them, each recorded."""

import json
import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from safeguarding.accounts import services
from safeguarding.accounts.models import Passkey, RecoveryCode
from safeguarding.accounts.passkeys import CHALLENGE
from safeguarding.audit.events import EventType, Outcome
from safeguarding.audit.models import AuditEvent
from tests.accounts.softkey import SoftKey
from tests.factories import PASSWORD
from tests.personas import current_code, sign_in_with_code, signed_in_client

OPTIONS = "/accounts/passkeys/options/"
SIGN_IN = "/accounts/login/passkey/"
ADD = "/accounts/passkeys/add/"


def options(client, purpose: str) -> dict:
    response = client.post(OPTIONS, {"purpose": purpose})
    assert response.status_code == 200, response.content
    return json.loads(response.content)


def add_passkey(client, key: SoftKey, name: str = "My phone"):
    return client.post(ADD, {"credential": key.register(options(client, "register")), "name": name})


def passkey_sign_in(client, key: SoftKey, **answer):
    return client.post(SIGN_IN, {"credential": key.sign(options(client, "sign-in"), **answer)})


def is_signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def events(user, event_type, **filters):
    return AuditEvent.objects.filter(user_uuid=user.uuid, event_type=event_type, **filters)


@pytest.fixture
def teacher_key(world) -> SoftKey:
    """A passkey the teacher added from their account page."""
    key = SoftKey()
    response = add_passkey(signed_in_client(world.teacher), key)
    assert response["Location"] == "/accounts/you/"
    return key


def test_a_teacher_adds_a_passkey_from_their_account_and_it_is_recorded(world):
    client = signed_in_client(world.teacher)
    key = SoftKey()

    register = options(client, "register")
    response = client.post(ADD, {"credential": key.register(register), "name": "  Work   phone "})

    assert response["Location"] == "/accounts/you/"
    passkey = Passkey.objects.get(user=world.teacher)
    assert passkey.name == "Work phone" and passkey.transports == ["internal", "hybrid"]
    # The handle the phone keeps is the person's random UUID, never their email or row number.
    assert key.user_handle == world.teacher.uuid.bytes
    assert register["authenticatorSelection"] == {
        "residentKey": "required",
        "requireResidentKey": True,
        "userVerification": "required",
    }
    (event,) = events(world.teacher, EventType.SECOND_FACTOR_ENROLLED)
    assert (event.object_type, event.object_uuid, event.detail) == ("passkey", passkey.uuid, {"factor": "passkey"})
    page = client.get("/accounts/you/").content.decode()
    assert "Work phone" in page and "not used yet" in page


def test_a_passkey_alone_signs_in_with_no_email_typed_and_counts_as_both_factors(world, teacher_key):
    client = Client()

    challenge = options(client, "sign-in")
    response = client.post(SIGN_IN, {"credential": teacher_key.sign(challenge)})

    assert challenge["allowCredentials"] == [] and challenge["userVerification"] == "required"
    assert response["Location"] == "/"
    assert is_signed_in(client)
    assert 'data-role="staff"' in client.get("/").content.decode()
    (login,) = events(world.teacher, EventType.LOGIN)
    assert login.detail == {"second_factor": True, "factor": "passkey"}
    verified = events(world.teacher, EventType.SECOND_FACTOR_VERIFIED).get()
    assert verified.detail == {"factor": "passkey", "with_password": False}
    assert Passkey.objects.get(user=world.teacher).last_used_at is not None


def test_the_dsl_signs_in_with_password_then_passkey(world):
    key = SoftKey()
    add_passkey(signed_in_client(world.dsl), key)
    client = Client()

    assert client.post("/accounts/login/", {"email": world.dsl.email, "password": PASSWORD})["Location"] == (
        "/accounts/login/code/"
    )
    page = client.get("/accounts/login/code/").content.decode()
    assert "Use my passkey" in page and "6-digit code" in page
    challenge = options(client, "sign-in")
    response = client.post(SIGN_IN, {"credential": key.sign(challenge)})

    assert [item["id"] for item in challenge["allowCredentials"]] == [Passkey.objects.get(user=world.dsl).credential_id]
    assert response["Location"] == "/"
    assert 'data-role="dsl"' in client.get("/").content.decode()
    assert events(world.dsl, EventType.SECOND_FACTOR_VERIFIED).get().detail["with_password"] is True


def test_a_passkey_that_did_not_check_the_person_is_not_enough_alone(world, teacher_key):
    teacher_key.verifies_user = False
    client = Client()

    response = passkey_sign_in(client, teacher_key)

    assert response.status_code == 400 and not is_signed_in(client)
    assert "could not be checked" in response.content.decode()
    failed = events(world.teacher, EventType.SECOND_FACTOR_FAILED).get()
    assert failed.reason == "passkey signature refused" and failed.outcome == Outcome.FAILED
    # After the password, a passkey that only shows presence is the second factor.
    client.post("/accounts/login/", {"email": world.teacher.email, "password": PASSWORD})
    assert passkey_sign_in(client, teacher_key)["Location"] == "/"


def test_an_answer_is_never_accepted_twice(world, teacher_key):
    first = Client()
    answer = teacher_key.sign(options(first, "sign-in"))
    assert first.post(SIGN_IN, {"credential": answer})["Location"] == "/"

    first.post("/accounts/logout/")
    response = first.post(SIGN_IN, {"credential": answer})
    again = Client()
    options(again, "sign-in")  # a fresh challenge in a new session does not match the old answer
    response_again = again.post(SIGN_IN, {"credential": answer})

    assert response.status_code == response_again.status_code == 400
    assert not is_signed_in(first) and not is_signed_in(again)
    assert AuditEvent.objects.filter(
        event_type=EventType.SECOND_FACTOR_FAILED, reason="passkey challenge missing or expired"
    ).exists()
    assert events(world.teacher, EventType.SECOND_FACTOR_FAILED, reason="passkey signature refused").exists()


def test_an_answer_made_for_another_site_is_refused(world, teacher_key):
    client = Client()

    response = passkey_sign_in(client, teacher_key, origin="https://safeguard.example.evil")
    elsewhere = passkey_sign_in(client, teacher_key, rp_id="evil.example")

    assert response.status_code == elsewhere.status_code == 400
    assert not is_signed_in(client)
    assert events(world.teacher, EventType.SECOND_FACTOR_FAILED).count() == 2


def test_another_persons_passkey_does_not_finish_a_sign_in_begun_with_a_password(world, teacher_key):
    client = Client()
    client.post("/accounts/login/", {"email": world.teacher2.email, "password": PASSWORD})

    response = passkey_sign_in(client, teacher_key)

    assert response.status_code == 400 and not is_signed_in(client)
    assert events(world.teacher2, EventType.SECOND_FACTOR_FAILED, reason="passkey not known").exists()


def test_a_passkey_of_someone_no_longer_at_any_school_does_not_sign_in(world, teacher_key):
    services.membership_deactivate(actor=world.office, membership=world.membership("teacher"))
    client = Client()

    response = passkey_sign_in(client, teacher_key)

    assert response.status_code == 400 and not is_signed_in(client)
    assert "not active at any school" in response.content.decode()


def test_a_passkey_is_the_first_factor_someone_sets_up_at_sign_in(world):
    TOTPDevice.objects.filter(user=world.teacher).delete()
    client = Client()
    response = client.post("/accounts/login/", {"email": world.teacher.email, "password": PASSWORD})
    assert response["Location"] == "/accounts/login/set-up-authenticator/"
    page = client.get(response["Location"]).content.decode()
    assert page.index("Add a passkey") < page.index("Use an authenticator app instead")

    response = add_passkey(client, SoftKey())

    assert "Keep these recovery codes" in response.content.decode()
    assert len(re.findall(r"<li>[A-Z2-9]{5}-[A-Z2-9]{5}</li>", response.content.decode())) == 10
    assert is_signed_in(client) and 'data-role="staff"' in client.get("/").content.decode()
    assert RecoveryCode.objects.filter(user=world.teacher).count() == 10


def test_nobody_adds_a_passkey_half_way_through_signing_in_to_an_account_that_has_a_factor(world):
    """Else a stolen password would be enough to add the thief's passkey."""
    client = Client()
    client.post("/accounts/login/", {"email": world.teacher.email, "password": PASSWORD})

    assert client.post(OPTIONS, {"purpose": "register"}).status_code == 403
    response = client.post(ADD, {"credential": "{}", "name": "Thief"})

    assert response["Location"] == "/accounts/login/"
    assert not Passkey.objects.exists()


def test_removing_a_passkey_needs_the_password_or_a_code_and_is_recorded(world, teacher_key):
    client = signed_in_client(world.teacher)
    passkey = Passkey.objects.get(user=world.teacher)
    remove = f"/accounts/passkeys/{passkey.uuid}/remove/"

    refused = client.post(remove, {"password": "not my password"}, follow=True)

    assert "was not removed" in refused.content.decode()
    assert Passkey.objects.filter(pk=passkey.pk).exists()
    assert events(world.teacher, EventType.SECOND_FACTOR_FAILED, object_uuid=passkey.uuid).exists()

    removed = client.post(remove, {"password": PASSWORD}, follow=True)

    assert "Passkey “My phone” removed." in removed.content.decode()
    assert not Passkey.objects.filter(pk=passkey.pk).exists()
    (event,) = events(world.teacher, EventType.SECOND_FACTOR_REMOVED)
    assert (event.object_uuid, event.detail) == (passkey.uuid, {"factor": "passkey", "left": 0})
    assert passkey_sign_in(Client(), teacher_key).status_code == 400


def test_a_code_from_the_authenticator_also_proves_it_is_you(world, teacher_key):
    client = signed_in_client(world.teacher)
    passkey = Passkey.objects.get(user=world.teacher)

    client.post(f"/accounts/passkeys/{passkey.uuid}/remove/", {"code": current_code(world.teacher)})

    assert not Passkey.objects.exists()


def test_nobody_renames_or_removes_someone_elses_passkey(world, teacher_key):
    passkey = Passkey.objects.get(user=world.teacher)
    other = signed_in_client(world.teacher2)

    assert other.post(f"/accounts/passkeys/{passkey.uuid}/rename/", {"name": "Mine now"}).status_code == 404
    assert other.post(f"/accounts/passkeys/{passkey.uuid}/remove/", {"password": PASSWORD}).status_code == 404
    passkey.refresh_from_db()
    assert passkey.name == "My phone"


def test_renaming_a_passkey(world, teacher_key):
    client = signed_in_client(world.teacher)
    passkey = Passkey.objects.get(user=world.teacher)

    client.post(f"/accounts/passkeys/{passkey.uuid}/rename/", {"name": "Old iPad"})

    passkey.refresh_from_db()
    assert passkey.name == "Old iPad"
    assert events(world.teacher, EventType.UPDATE, object_type="passkey").exists()


def test_a_reset_by_the_dsl_removes_passkeys_and_unused_recovery_codes(world, teacher_key):
    RecoveryCode.objects.create(user=world.teacher, digest="x" * 64)

    services.second_factor_reset(actor=world.dsl, membership=world.membership("teacher"))

    assert not Passkey.objects.filter(user=world.teacher).exists()
    assert not RecoveryCode.objects.filter(user=world.teacher).exists()
    assert passkey_sign_in(Client(), teacher_key).status_code == 400
    response = Client().post("/accounts/login/", {"email": world.teacher.email, "password": PASSWORD})
    assert response["Location"] == "/accounts/login/set-up-authenticator/"


def test_the_same_passkey_cannot_be_registered_twice(world, teacher_key):
    client = signed_in_client(world.teacher)

    again = client.post(ADD, {"credential": teacher_key.register(options(client, "register")), "name": "Again"})

    assert again.status_code == 400
    assert Passkey.objects.filter(user=world.teacher).count() == 1


def test_a_stale_or_missing_challenge_is_refused(world):
    client = signed_in_client(world.teacher)
    stale = options(client, "register")
    client.post(OPTIONS, {"purpose": "register"})  # a newer challenge replaces it

    response = client.post(ADD, {"credential": SoftKey().register(stale), "name": "Phone"})

    assert response.status_code == 400
    assert not Passkey.objects.exists()


def test_the_options_answer_only_known_purposes(world):
    assert Client().post(OPTIONS, {"purpose": "anything"}).status_code == 400
    assert signed_in_client(world.teacher).post(OPTIONS, {"purpose": "sign-in"}).status_code == 400


def test_a_full_sign_in_still_works_beside_passkeys(world, teacher_key):
    client = Client()
    assert sign_in_with_code(client, world.teacher)["Location"] == "/"


def test_a_browser_that_has_used_a_passkey_is_offered_it_first(world, teacher_key):
    client = Client()
    plain = client.get("/accounts/login/").content.decode()
    assert plain.index('name="password"') < plain.index("Sign in with a passkey")

    passkey_sign_in(client, teacher_key)
    client.post("/accounts/logout/")
    page = client.get("/accounts/login/").content.decode()

    assert page.index("Sign in with your passkey") < page.index('name="password"')
    assert client.cookies["passkey_here"]["httponly"]


def test_the_dsl_sees_which_second_factors_a_member_of_staff_has(world, teacher_key):
    TOTPDevice.objects.filter(user=world.teacher2).delete()
    dsl = signed_in_client(world.dsl)

    def page(person) -> str:
        url = f"/schools/{world.northfield.uuid}/staff/{world.membership(person).uuid}/"
        return " ".join(dsl.get(url).content.decode().split())

    teacher, teacher2 = page("teacher"), page("teacher2")

    assert "Teacher signs in with 1 passkey and an authenticator app." in teacher
    assert "has not set up a second factor yet" in teacher2


def test_adding_a_passkey_needs_a_sign_in_or_the_password_in_the_last_ten_minutes(world):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = signed_in_client(world.teacher)
        client.get("/accounts/you/")
    with time_machine.travel(start + timedelta(minutes=11), tick=False):
        page = client.get("/accounts/you/").content.decode()
        assert "first show it is you" in page and "data-passkey=" not in page
        assert client.post(OPTIONS, {"purpose": "register"}).status_code == 403

        wrong = client.post("/accounts/you/", {"password": "not it"})
        assert wrong.status_code == 400
        assert events(world.teacher, EventType.LOGIN_FAILED).exists()

        client.post("/accounts/you/", {"password": PASSWORD})
        assert add_passkey(client, SoftKey())["Location"] == "/accounts/you/"
    assert Passkey.objects.filter(user=world.teacher).count() == 1


def test_the_person_is_emailed_when_a_passkey_is_added_or_removed(world, run_tasks):
    client = signed_in_client(world.teacher)
    add_passkey(client, SoftKey(), name="Work phone")
    passkey = Passkey.objects.get(user=world.teacher)
    client.post(f"/accounts/passkeys/{passkey.uuid}/remove/", {"password": PASSWORD})

    run_tasks()

    added, removed = mail.outbox
    assert added.to == removed.to == [world.teacher.email]
    assert "A passkey named “Work phone” was added." in added.body
    assert "The passkey named “Work phone” was removed." in removed.body


def test_two_answers_racing_in_on_one_session_get_one_sign_in_between_them(world, teacher_key):
    first = Client()
    challenge = options(first, "sign-in")
    kept = dict(first.session[CHALLENGE])
    answer = teacher_key.sign(challenge)
    second = Client()
    session = second.session
    session[CHALLENGE] = kept  # the same session read by two requests before either is saved
    session.save()
    second.cookies["sessionid"] = session.session_key

    assert first.post(SIGN_IN, {"credential": answer})["Location"] == "/"
    assert second.post(SIGN_IN, {"credential": answer}).status_code == 400
    assert not is_signed_in(second)


def test_passkey_challenges_from_one_address_are_limited(world, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "passkey_challenges": (3, 900)}
    answers = [Client(REMOTE_ADDR="203.0.113.9").post(OPTIONS, {"purpose": "sign-in"}).status_code for _ in range(4)]

    assert answers == [200, 200, 200, 429]
    assert Client(REMOTE_ADDR="198.51.100.1").post(OPTIONS, {"purpose": "sign-in"}).status_code == 200


def test_someone_without_recovery_codes_makes_new_ones_and_the_old_stop_working(world):
    client = signed_in_client(world.teacher)
    assert "You have no unused recovery codes." in client.get("/accounts/you/").content.decode()
    RecoveryCode.objects.create(user=world.teacher, digest="0" * 64)

    page = client.post("/accounts/you/", {"recovery_codes": "1"}).content.decode()

    codes = re.findall(r"<li>([A-Z2-9]{5}-[A-Z2-9]{5})</li>", page)
    assert len(codes) == 10 and "Any codes you had before no longer work." in page
    assert not RecoveryCode.objects.filter(digest="0" * 64).exists()
    assert RecoveryCode.objects.filter(user=world.teacher, used_at__isnull=True).count() == 10
    assert events(world.teacher, EventType.SECOND_FACTOR_ENROLLED, detail={"recovery_codes": 10}).exists()
