import base64
import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from safeguarding.accounts import services
from safeguarding.accounts.admin import UserAdminForm
from safeguarding.accounts.models import Passkey, User
from tests.factories import PASSWORD
from tests.personas import current_code, sign_in_with_code, signed_in_client
from tests.urlmap import build_scene, site_patterns

EVERYONE = ["teacher", "deputy", "dsl", "admin", "office", "trustlead", "auditor"]
HOME_ROLE = {
    "teacher": "staff",
    "deputy": "deputy_dsl",
    "dsl": "dsl",
    "admin": "school_admin",
    "office": "school_admin",
    "trustlead": "trust_lead",
    "auditor": "auditor",
}


def sign_in(client, user, password=PASSWORD, **extra):
    return client.post("/accounts/login/", {"email": user.email, "password": password, **extra})


def is_signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_staff_of_a_school_that_allows_it_sign_in_with_the_password_alone(world):
    world.northfield.staff_password_only = True
    world.northfield.save()
    TOTPDevice.objects.filter(user=world.teacher).delete()
    client = Client()

    response = sign_in(client, world.teacher)

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert is_signed_in(client)
    assert 'data-role="staff"' in client.get("/").content.decode()


def test_by_default_staff_reach_no_page_with_a_password_alone(world):
    """Without a second factor the password leads only to setting one up; a session that somehow holds the password
    alone is ended on whatever page it asks for."""
    scene = build_scene(world)
    TOTPDevice.objects.filter(user=world.teacher).delete()
    Passkey.objects.filter(user=world.teacher).delete()
    client = Client()

    response = sign_in(client, world.teacher)

    assert response["Location"] == "/accounts/login/set-up-authenticator/"
    assert not is_signed_in(client)
    half_way = Client()
    half_way.force_login(world.teacher, backend="django.contrib.auth.backends.ModelBackend")
    reached = []
    for name, pattern in site_patterns():
        if name in ("healthz", "login", "logout") or name.startswith(
            ("password_reset", "transfer_link", "transfer_key")
        ):
            continue  # public pages, the same for everyone
        for attempt in (client, half_way):
            got = attempt.get(scene.url(pattern))
            if got.status_code == 200 and attempt is client and name in ("home", "second_factor_setup"):
                assert b"data-role" not in got.content  # the public landing page, and setting up the factor
            elif got.status_code == 302 and got["Location"].startswith("/accounts/login/"):
                pass  # sent to sign in (or on through it, to set up the factor)
            elif got.status_code != 405:  # a POST-only action, asked with GET
                reached.append(f"{name}: {got.status_code}")
        half_way.force_login(world.teacher, backend="django.contrib.auth.backends.ModelBackend")
    assert reached == []


@pytest.mark.parametrize("person", EVERYONE)
def test_everyone_gives_a_second_factor_before_any_session(world, person):
    client = Client()
    user = world.people[person]

    response = sign_in(client, user)

    assert response["Location"] == "/accounts/login/code/"
    assert not is_signed_in(client)
    assert "data-role" not in client.get("/").content.decode()

    response = client.post("/accounts/login/code/", {"code": current_code(user)})

    assert response["Location"] == "/"
    assert is_signed_in(client)
    assert f'data-role="{HOME_ROLE[person]}"' in client.get("/").content.decode()


def test_a_wrong_code_does_not_sign_in(world):
    client = Client()
    sign_in(client, world.dsl)
    good = current_code(world.dsl)

    response = client.post("/accounts/login/code/", {"code": f"{(int(good) + 1) % 1_000_000:06d}"})

    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert not is_signed_in(client)


def test_a_code_is_accepted_only_once(world):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        first, second = Client(), Client()
        sign_in(first, world.dsl)
        sign_in(second, world.dsl)
        code = current_code(world.dsl)
        first.post("/accounts/login/code/", {"code": code})
        response = second.post("/accounts/login/code/", {"code": code})
    assert is_signed_in(first)
    assert not is_signed_in(second)
    assert "used already" in response.content.decode()
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        second.post("/accounts/login/code/", {"code": current_code(world.dsl)})
    assert is_signed_in(second)


def test_the_code_page_is_refused_without_the_password_first(world):
    response = Client().get("/accounts/login/code/")

    assert response["Location"] == "/accounts/login/"


def test_the_half_way_state_expires(world):
    client = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        sign_in(client, world.dsl)
    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        response = client.post("/accounts/login/code/", {"code": current_code(world.dsl)})
    assert response["Location"] == "/accounts/login/"
    assert not is_signed_in(client)


def test_the_session_key_changes_at_sign_in(world):
    client = Client()
    client.get("/accounts/login/")
    client.cookies["sessionid"] = "x" * 32
    sign_in(client, world.teacher)

    assert client.session.session_key != "x" * 32


def enrol(client, user):
    """Set up an authenticator from the setup page, the way a person does with their phone."""
    page = client.get("/accounts/login/set-up-authenticator/").content.decode()
    secret = re.search(r'<code class="setup-key">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return client.post("/accounts/login/set-up-authenticator/", {"code": f"{TOTP(key).token():06d}"})


def test_a_privileged_person_without_an_authenticator_must_set_one_up(world):
    TOTPDevice.objects.filter(user=world.deputy).delete()
    client = Client()

    response = sign_in(client, world.deputy)

    assert response["Location"] == "/accounts/login/set-up-authenticator/"
    page = client.get("/accounts/login/set-up-authenticator/").content.decode()
    assert 'src="data:image/svg+xml;base64,' in page
    assert not is_signed_in(client)
    response = enrol(client, world.deputy)
    assert "Keep these recovery codes" in response.content.decode() and 'href="/"' in response.content.decode()
    assert is_signed_in(client)
    assert TOTPDevice.objects.get(user=world.deputy).confirmed


def test_staff_without_a_second_factor_must_set_one_up(world):
    TOTPDevice.objects.filter(user=world.teacher).delete()
    client = Client()

    response = sign_in(client, world.teacher)

    assert response["Location"] == "/accounts/login/set-up-authenticator/"
    assert not is_signed_in(client)
    enrol(client, world.teacher)
    assert is_signed_in(client)


def test_staff_who_have_an_authenticator_use_it_even_where_a_password_alone_is_allowed(world):
    world.northfield.staff_password_only = True
    world.northfield.save()
    client = Client()

    assert sign_in(client, world.teacher)["Location"] == "/accounts/login/code/"
    assert not is_signed_in(client)


def test_the_exception_of_one_school_does_not_reach_another(world):
    world.riverside.staff_password_only = True
    world.riverside.save()
    TOTPDevice.objects.filter(user__in=[world.teacher, world.riverside_teacher]).delete()

    riverside, northfield = Client(), Client()
    sign_in(riverside, world.riverside_teacher)
    sign_in(northfield, world.teacher)

    assert is_signed_in(riverside)
    assert not is_signed_in(northfield)


def test_repeated_failures_lock_the_account_with_a_message(world, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = sign_in(client, world.teacher, password="wrong password")
        assert "The email address or password is not right." in response.content.decode()

    response = sign_in(client, world.teacher, password="wrong password")

    assert response.status_code == 429
    assert "This account is locked for 15 minutes" in response.content.decode()
    response = sign_in(Client(), world.teacher)
    assert response.status_code == 429
    assert not is_signed_in(client)
    # Another person is not affected.
    other = Client()
    sign_in_with_code(other, world.teacher2)
    assert is_signed_in(other)


def test_the_lock_lifts_after_the_cool_off(world, settings):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            sign_in(Client(), world.teacher, password="wrong password")
    with time_machine.travel(start + timedelta(minutes=16), tick=False):
        client = Client()
        sign_in_with_code(client, world.teacher)
    assert is_signed_in(client)


def reset_link(run_tasks) -> str:
    run_tasks()
    (email,) = mail.outbox
    return re.search(r"http://[^/]+(/accounts/reset/\S+)", email.body).group(1)


def test_password_reset_by_emailed_link(world, run_tasks):
    client = Client()
    response = client.post("/accounts/password-reset/", {"email": "TEACHER@safeguard.example"})
    assert response["Location"] == "/accounts/password-reset/sent/"

    link = reset_link(run_tasks)
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    new_password = "a new pass phrase for safeguarding"
    response = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": new_password, "new_password2": new_password}
    )

    assert response["Location"] == "/accounts/reset/done/"
    sign_in_with_code(client, world.teacher, password=new_password)
    assert is_signed_in(client)


def test_password_reset_for_an_unknown_address_looks_the_same_and_sends_nothing(world, run_tasks):
    response = Client().post("/accounts/password-reset/", {"email": "nobody@safeguard.example"})

    assert response["Location"] == "/accounts/password-reset/sent/"
    run_tasks()
    assert mail.outbox == []


def test_a_password_reset_link_expires_within_an_hour(world, run_tasks):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        Client().post("/accounts/password-reset/", {"email": world.teacher.email})
        link = reset_link(run_tasks)
    with time_machine.travel(start + timedelta(minutes=61), tick=False):
        response = Client().get(link, follow=True)
    assert "This link has expired" in response.content.decode()


def test_a_new_password_still_needs_the_second_factor(world, run_tasks):
    client = Client()
    client.post("/accounts/password-reset/", {"email": world.dsl.email})
    link = reset_link(run_tasks)
    page = client.get(link, follow=True)
    new_password = "another pass phrase for the dsl"
    client.post(page.redirect_chain[-1][0], {"new_password1": new_password, "new_password2": new_password})

    response = sign_in(client, world.dsl, password=new_password)

    assert response["Location"] == "/accounts/login/code/"
    assert not is_signed_in(client)


def test_dsl_resets_a_deputys_authenticator_and_the_deputy_is_told(world, run_tasks):
    deputy_client = signed_in_client(world.deputy)

    services.second_factor_reset(actor=world.dsl, membership=world.membership("deputy"))

    assert not TOTPDevice.objects.filter(user=world.deputy).exists()
    assert deputy_client.get("/")["Location"].startswith("/accounts/login/")
    run_tasks()
    (email,) = mail.outbox
    assert email.to == ["deputy@safeguard.example"]
    assert "reset the authenticator" in email.body
    client = Client()
    assert sign_in(client, world.deputy)["Location"] == "/accounts/login/set-up-authenticator/"


def test_the_dsls_authenticator_is_reset_by_the_trust_lead_only(world):
    with pytest.raises(services.PermissionDenied):
        services.second_factor_reset(actor=world.deputy, membership=world.membership("dsl"))
    with pytest.raises(services.AccountRuleError, match="your own authenticator"):
        services.second_factor_reset(actor=world.dsl, membership=world.membership("dsl"))

    services.second_factor_reset(actor=world.trustlead, membership=world.membership("dsl"))

    assert not TOTPDevice.objects.filter(user=world.dsl).exists()


def test_sign_out_ends_the_session_on_the_server(world):
    client = signed_in_client(world.teacher)
    cookie = client.cookies["sessionid"].value

    client.post("/accounts/logout/")

    replay = Client()
    replay.cookies["sessionid"] = cookie
    assert "data-role" not in replay.get("/").content.decode()


LOOK_ALIKES = [
    "r\u0131verside_dsl@safeguard.example",  # a dotless ı, which PostgreSQL upper-cases to I
    "riverside_d\u017fl@safeguard.example",  # a long ſ, which case-folds to s
    "RIVERSIDE_DSL@\u017fAFEGUARD.EXAMPLE",
    "\uff52iverside_dsl@safeguard.example",  # a full-width ｒ
]


def lock_out(client, user, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, user, password="wrong password")


def password_accepted(client, response) -> bool:
    return response.get("Location") == "/accounts/login/code/" or "signin_pending_user" in client.session


@pytest.mark.parametrize("written", LOOK_ALIKES)
def test_a_locked_dsl_account_stays_locked_whatever_letters_the_address_is_written_in(world, settings, written):
    lock_out(Client(), world.riverside_dsl, settings)

    client = Client()
    response = client.post("/accounts/login/", {"email": written, "password": PASSWORD})

    assert not password_accepted(client, response)
    assert response.status_code in (200, 429)


def test_failures_under_look_alike_spellings_count_towards_the_dsls_lock_out(world, settings):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        written = "riverside_d\u017fl@safeguard.example" if attempt % 2 else world.riverside_dsl.email
        Client().post("/accounts/login/", {"email": written, "password": "wrong password"})

    client = Client()
    response = sign_in(client, world.riverside_dsl)

    assert response.status_code == 429
    assert not password_accepted(client, response)


def test_the_dsls_address_with_a_dotless_i_is_refused_with_a_plain_message(world):
    response = Client().post("/accounts/login/", {"email": LOOK_ALIKES[0], "password": PASSWORD})

    assert "Write the email address with the letters a to z" in response.content.decode()
    assert "signin_pending_user" not in response.wsgi_request.session


def test_the_dsl_still_signs_in_after_a_look_alike_of_their_address_is_invited(world):
    services.staff_invite(
        actor=world.office, school=world.northfield, email="riverside_d\u017fl@safeguard.example", full_name="X"
    )

    assert User.objects.filter(email__iexact="riverside_dsl@safeguard.example").count() == 1
    client = Client()
    assert password_accepted(client, sign_in(client, world.riverside_dsl))
    with pytest.raises(services.AccountRuleError, match="letters a to z"):
        services.staff_invite(actor=world.office, school=world.northfield, email=LOOK_ALIKES[0], full_name="X")


def test_no_account_can_be_stored_under_a_look_alike_of_the_dsls_address(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=world.riverside_dsl.pk).update(email="riverside_d\u017fl@safeguard.example")
    with pytest.raises(ValueError, match="letters a to z"):
        User.objects.create_user(email=LOOK_ALIKES[0], full_name="X")

    form = UserAdminForm(
        instance=world.teacher,
        data={"email": LOOK_ALIKES[0], "full_name": "Teacher", "password": world.teacher.password, "is_active": "on"},
    )
    assert "letters a to z" in str(form.errors["email"])
