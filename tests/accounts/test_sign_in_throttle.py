"""Repeated wrong passwords are throttled per account and per address (django-axes), with a French page and
an audit row; API tokens are not affected."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

from maille.accounts.models import Role
from maille.core.models import AuditEvent
from tests.api.world import bearer_for
from tests.factories import DepartementFactory, user_with_role

pytestmark = pytest.mark.django_db
PASSWORD = "motdepasse-test-1"


@pytest.fixture
def operator():
    DepartementFactory(code="55")
    return user_with_role(Role.OPERATOR, departement_id="55")


def sign_in(client: Client, username: str, password: str, address: str = "192.0.2.10"):
    return client.post(
        reverse("accounts:login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_five_wrong_passwords_lock_the_account_even_with_the_right_one(client, operator, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    for _attempt in range(4):
        response = sign_in(client, operator.username, "mauvais-mot-de-passe")
        assert response.status_code == 200
        assert "Identifiant ou mot de passe incorrect." in response.content.decode()
    locked = sign_in(client, operator.username, "mauvais-mot-de-passe")
    assert locked.status_code == 429
    assert "Connexion suspendue" in locked.content.decode()
    assert "pendant 15 minutes" in locked.content.decode()
    assert locked["Retry-After"] == "900"
    # The right password no longer opens the account, from this address or another one.
    for address in ("192.0.2.10", "198.51.100.7"):
        response = sign_in(Client(), operator.username, PASSWORD, address)
        assert response.status_code == 429
        assert "_auth_user_id" not in Client().session
    events = AuditEvent.objects.filter(action="auth.locked_out")
    assert events.exists()
    assert {event.target_id for event in events} == {str(operator.pk)}
    assert all("192.0.2.10" not in str(event.details) for event in events)


def test_one_address_trying_many_accounts_is_throttled(client, operator):
    for number in range(5):
        sign_in(client, f"inconnu{number}", "mauvais-mot-de-passe", "203.0.113.5")
    response = sign_in(client, operator.username, PASSWORD, "203.0.113.5")
    assert response.status_code == 429
    # Another address signs in normally.
    assert sign_in(Client(), operator.username, PASSWORD, "203.0.113.99").status_code == 302


def test_a_successful_sign_in_resets_the_count(client, operator):
    for _attempt in range(4):
        sign_in(client, operator.username, "mauvais-mot-de-passe")
    assert sign_in(client, operator.username, PASSWORD).status_code == 302
    assert not AccessAttempt.objects.filter(username=operator.username).exists()
    client.logout()
    for _attempt in range(4):
        assert sign_in(client, operator.username, "mauvais-mot-de-passe").status_code == 200


def test_api_tokens_still_work_for_a_locked_account(client, operator):
    for _attempt in range(6):
        sign_in(client, operator.username, "mauvais-mot-de-passe")
    response = Client().get("/api/v1/organisations", headers=bearer_for(operator))
    assert response.status_code == 200


def test_the_address_behind_trusted_proxies(rf, settings):
    from maille.accounts.throttle import client_address

    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.9")
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_address(request) == "10.0.0.1"
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_address(request) == "203.0.113.9"
