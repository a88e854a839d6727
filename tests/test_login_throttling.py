"""Password guessing meets a wait (django-axes): per account and per address, shared by all web processes."""

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.urls import reverse

from .factories import UserFactory

PASSWORD = "Correct-horse-battery-9"


@pytest.fixture
def clerk(db):
    user = UserFactory(username="clerk")
    user.set_password(PASSWORD)
    user.save()
    return user


def attempt(client, username, password, address="10.0.0.7"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def test_wrong_passwords_lead_to_a_wait_with_a_message_and_then_even_the_right_one_waits(client, clerk, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(client, "clerk", "wrong").status_code == 200
    locked = attempt(client, "clerk", "wrong")
    assert locked.status_code == 429
    assert "登录失败次数过多" in locked.content.decode()
    assert attempt(client, "clerk", PASSWORD).status_code == 429, "no more guesses, right or wrong"
    assert "_auth_user_id" not in client.session


def test_the_account_is_locked_from_every_address_and_the_address_for_every_account(client, clerk, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "clerk", "wrong", address="10.0.0.7")
    assert attempt(client, "clerk", PASSWORD, address="10.9.9.9").status_code == 429
    assert attempt(client, "someone-else", "guess", address="10.0.0.7").status_code == 429


def test_a_successful_sign_in_clears_the_count(client, clerk, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, "clerk", "wrong")
    assert attempt(client, "clerk", PASSWORD).status_code == 302
    client.logout()
    assert attempt(client, "clerk", "wrong").status_code == 200


def test_the_administrator_can_unlock(client, clerk, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "clerk", "wrong")
    assert AccessAttempt.objects.exists()
    call_command("axes_reset")
    assert attempt(client, "clerk", PASSWORD).status_code == 302
