"""Passwords easy to guess are refused when set or reset, with a plain reason; a few unrelated words pass."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

from tests.accounts.test_signin import reset_link


@pytest.mark.parametrize(
    "password", ["Password123456", "qwertyuiop123", "iloveyou12345", "Northfield Academy", "helen.marsh2026"]
)
def test_guessable_passwords_are_refused(world, password):
    world.dsl.full_name = "Helen Marsh"
    world.dsl.email = "helen.marsh@northfield.example"

    with pytest.raises(ValidationError) as refused:
        validate_password(password, user=world.dsl)

    assert any("too easy to guess" in message for message in refused.value.messages) or any(
        "too common" in message or "too similar" in message for message in refused.value.messages
    )


@pytest.mark.parametrize("password", ["a fresh long passphrase 42", "kettle orbit saffron lantern"])
def test_a_few_unrelated_words_pass(world, password):
    validate_password(password, user=world.teacher)


def test_a_reset_to_a_guessable_password_is_refused_with_the_reason(world, run_tasks):
    client = Client()
    client.post("/accounts/password-reset/", {"email": world.teacher.email})
    form_page = client.get(reset_link(run_tasks), follow=True)

    response = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": "Password123456", "new_password2": "Password123456"}
    )

    assert response.status_code == 200
    assert "This password is too easy to guess" in response.content.decode()


def test_a_very_long_password_is_checked_without_error(world):
    validate_password("kettle orbit saffron lantern " * 20, user=world.teacher)
