"""Generated bad input for signing in and managing staff: never a server error, never a half-made record."""

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tasks_db.models import DBTaskResult
from hypothesis import given
from hypothesis import strategies as st

from safeguarding.accounts.models import Membership, User, UserSession
from safeguarding.accounts.roles import GRANTABLE_ROLES, Role
from tests.factories import PASSWORD, MembershipFactory, UserFactory
from tests.personas import current_code
from tests.security.bad_input import answered, corrupted, counts, fuzz, junk, posted, rolled_back, uuid_like

# Stands for the code the authenticator shows at the moment the example is sent.
CODE_NOW = "<the current code>"


def with_code(body: dict, code: str) -> dict:
    return {name: code if value == CODE_NOW else value for name, value in body.items()}


def keep_session(client: Client):
    """Put back the session cookie a successful example replaced, so the next example starts half-way again."""
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    return lambda: client.cookies.__setitem__(settings.SESSION_COOKIE_NAME, key)


@fuzz
@given(
    body=corrupted(
        {
            "email": st.sampled_from(["teacher@safeguard.example", "dsl@safeguard.example", "nobody@school.example"]),
            "password": st.sampled_from([PASSWORD, "wrong password"]),
            "next": st.sampled_from(["", "/queue/", "https://evil.example/"]),
        }
    ),
    query=st.dictionaries(st.just("next"), junk, max_size=1),
)
def test_sign_in(world, cheap_passwords, body, query):
    with rolled_back():
        before = counts(User, Membership, UserSession)
        client = Client()
        answered(client.get("/accounts/login/", query))
        response = client.post("/accounts/login/", body)
        signed_in = answered(response) == 302 and not response["Location"].startswith("/accounts/login/")
        after = counts(User, Membership, UserSession)
        assert after == {**before, "UserSession": before["UserSession"] + signed_in}
        if signed_in:
            assert response["Location"].startswith("/") and not response["Location"].startswith("//")


@pytest.fixture
def half_signed_in(world):
    client = Client()
    client.post("/accounts/login/", {"email": world.dsl.email, "password": PASSWORD})
    return client


@fuzz
@given(body=corrupted({"code": st.sampled_from([CODE_NOW, "123456", "12 34 56"])}, extra=("next",)))
def test_second_factor(world, half_signed_in, body):
    restore = keep_session(half_signed_in)
    with rolled_back():
        before = counts(UserSession, TOTPDevice)
        response = half_signed_in.post("/accounts/login/code/", with_code(body, current_code(world.dsl)))
        signed_in = answered(response) == 302 and response["Location"] == "/"
        assert counts(UserSession, TOTPDevice) == {**before, "UserSession": before["UserSession"] + signed_in}
    restore()


@pytest.fixture
def enrolling(world):
    """A new deputy who has given their password and is shown the authenticator set-up."""
    user = UserFactory(email="newdeputy@safeguard.example")
    MembershipFactory(user=user, school=world.northfield, role=Role.DEPUTY_DSL)
    client = Client()
    client.post("/accounts/login/", {"email": user.email, "password": PASSWORD})
    client.get("/accounts/login/set-up-authenticator/")
    return client, TOTPDevice.objects.get(user=user)


@fuzz
@given(body=corrupted({"code": st.sampled_from([CODE_NOW, "000000"])}))
def test_authenticator_set_up(world, enrolling, body):
    client, device = enrolling
    restore = keep_session(client)
    with rolled_back():
        before = counts(UserSession, TOTPDevice)
        code = f"{TOTP(device.bin_key, device.step, device.t0, device.digits).token():06d}"
        response = client.post("/accounts/login/set-up-authenticator/", with_code(body, code))
        enrolled = answered(response) == 200 and "Keep these recovery codes" in response.content.decode()
        assert counts(UserSession, TOTPDevice) == {**before, "UserSession": before["UserSession"] + enrolled}
        device.refresh_from_db()
        assert device.confirmed == enrolled
    restore()


@fuzz
@given(body=corrupted({"email": st.sampled_from(["teacher@safeguard.example", "nobody@school.example"])}))
def test_password_reset(world, body):
    with rolled_back():
        before = counts(User, DBTaskResult)
        response = Client().post("/accounts/password-reset/", body)
        sent = answered(response) == 302
        expected = sent and posted(body, "email") == "teacher@safeguard.example"
        assert counts(User, DBTaskResult) == {**before, "DBTaskResult": before["DBTaskResult"] + expected}


@pytest.fixture
def setting_password(world, cheap_passwords):
    """The teacher has followed a reset link and is shown the set-password form."""
    teacher = User.objects.get(pk=world.teacher.pk)
    uid = urlsafe_base64_encode(force_bytes(teacher.pk))
    token = default_token_generator.make_token(teacher)
    client = Client()
    page = client.get(f"/accounts/reset/{uid}/{token}/")
    return client, page["Location"]


@fuzz
@given(
    body=corrupted(
        {
            "new_password1": st.sampled_from(["a fresh long passphrase 42"]),
            "new_password2": st.sampled_from(["a fresh long passphrase 42"]),
        }
    )
)
def test_set_password(world, setting_password, body):
    client, url = setting_password
    restore = keep_session(client)
    with rolled_back():
        before = User.objects.get(pk=world.teacher.pk).password
        response = client.post(url, body)
        changed = answered(response) == 302
        assert (User.objects.get(pk=world.teacher.pk).password != before) == changed
        if not changed:
            assert response.status_code == 200 and "is-invalid" in response.content.decode()
    restore()


@fuzz
@given(
    body=corrupted(
        {
            "full_name": st.sampled_from(["Sam Patel", "Zoë O'Brien"]),
            "email": st.sampled_from(["sam.patel@safeguard.example", "teacher2@safeguard.example"]),
            "job_title": st.sampled_from(["", "Year 9 form tutor"]),
        }
    )
)
def test_staff_invite(world, signed_in, body):
    client = signed_in("office")
    with rolled_back():
        before = counts(User, Membership)
        response = client.post(f"/schools/{world.northfield.uuid}/staff/invite/", body)
        added = answered(response) == 302
        new_person = added and not User.objects.filter(pk__lte=world.auditor.pk, email=posted(body, "email")).exists()
        assert counts(User, Membership) == {
            "User": before["User"] + new_person,
            "Membership": before["Membership"] + added,
        }
        if not added:
            assert response.status_code == 200
            assert "is-invalid" in response.content.decode() or not body  # an empty post shows the empty form
        else:
            invited = Membership.objects.select_related("user").latest("pk").user
            assert "\x00" not in invited.full_name + invited.email + invited.job_title


ROLES = [role.value for role in GRANTABLE_ROLES]
# Each action on a member of staff: who does it, to whom, and the body that makes it go through.
STAFF_ACTIONS = {
    "role": ("dsl", "teacher2", {"role": st.sampled_from(ROLES)}),
    "export": ("dsl", "teacher2", {"can_export": st.sampled_from(["on", ""])}),
    "hand-over": ("dsl", "deputy", {}),
    "deactivate": ("office", "teacher2", {}),
    "reactivate": ("office", "leaver", {}),
    "reset-authenticator": ("dsl", "deputy", {}),
}


@pytest.fixture
def leaver(world):
    """A member of staff whose membership was deactivated."""
    user = UserFactory(email="leaver@safeguard.example")
    return MembershipFactory(user=user, school=world.northfield, role=Role.STAFF, is_active=False)


def member_urls(world, action: str, target: Membership):
    """The member's address for the action, or, one time in two, one naming another school, another school's
    member or something that is not a UUID."""
    return st.one_of(
        st.just(f"/schools/{world.northfield.uuid}/staff/{target.uuid}/{action}/"),
        st.builds(
            lambda school, membership: f"/schools/{school}/staff/{membership}/{action}/",
            st.one_of(st.just(world.northfield.uuid), st.just(world.riverside.uuid), uuid_like),
            st.one_of(st.just(target.uuid), st.just(world.membership("riverside_teacher").uuid), uuid_like),
        ),
    )


def staff_state(world):
    members = Membership.objects.filter(school=world.northfield).order_by("pk")
    return list(members.values_list("pk", "user_id", "role", "is_active", "can_export"))


@pytest.mark.parametrize("action", list(STAFF_ACTIONS))
@fuzz
@given(data=st.data())
def test_staff_actions(world, signed_in, leaver, action, data):
    actor, target_name, valid = STAFF_ACTIONS[action]
    target = leaver if target_name == "leaver" else world.membership(target_name)
    url = data.draw(member_urls(world, action, target), label="url")
    body = data.draw(corrupted(valid, extra=("role", "can_export")), label="body")
    client = signed_in(actor)
    with rolled_back():
        before, devices = staff_state(world), counts(User, TOTPDevice)
        done = answered(client.post(url, body)) == 302 and str(target.uuid) in url and str(world.northfield.uuid) in url
        after = staff_state(world)
        assert counts(User, TOTPDevice)["User"] == devices["User"]
        assert [row[:2] for row in after] == [row[:2] for row in before]
        assert Membership.objects.filter(school=world.northfield, role=Role.DSL, is_active=True).count() == 1
        changed = {row[0] for row in after} - {row[0] for row in before} | {
            old[0] for old, new in zip(before, after, strict=True) if old != new
        }
        assert changed <= ({target.pk, world.membership("dsl").pk} if done else set())
