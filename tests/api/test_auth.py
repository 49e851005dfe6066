"""Authentication (bearer token, session) and the 401/403 answers of /api/v1."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from maille.accounts.models import ApiToken
from tests.api.world import bearer_for
from tests.factories import UserFactory

COMMUNES = "/api/v1/communes"


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("https://")
    assert body["title"]
    assert body["detail"]
    return body


@pytest.mark.django_db
def test_without_credentials_is_401_problem_with_bearer_challenge(client):
    response = client.get(COMMUNES)
    body = assert_problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "Authentification" in body["title"]


def test_bearer_token_reads_as_its_user(client, world):
    response = client.get(COMMUNES, headers=bearer_for(world.coordinator_55))
    assert response.status_code == 200
    codes = {commune["code"] for commune in response.json()["results"]}
    assert codes == {"55502", "55545"}


def test_unknown_or_revoked_token_is_401(client, world):
    assert_problem(client.get(COMMUNES, headers={"Authorization": "Bearer nope"}), 401)
    token, raw = ApiToken.issue(user=world.admin, name="revoked")
    token.revoked_at = timezone.now()
    token.save()
    body = assert_problem(client.get(COMMUNES, headers={"Authorization": f"Bearer {raw}"}), 401)
    assert "révoqué" in body["detail"]


def test_a_token_that_just_worked_is_refused_at_the_next_call_once_revoked(client, world):
    # On PostgreSQL the caller is kept per process behind the "access" stamp: the revocation must move it.
    token, raw = ApiToken.issue(user=world.coordinator_55, name="bientôt révoqué")
    headers = {"Authorization": f"Bearer {raw}"}
    assert client.get(COMMUNES, headers=headers).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    assert_problem(client.get(COMMUNES, headers=headers), 401)


def test_a_role_withdrawn_stops_at_the_next_call(client, world):
    headers = bearer_for(world.coordinator_55)
    assert client.get(COMMUNES, headers=headers).status_code == 200
    world.coordinator_55.role_grants.all().delete()
    assert_problem(client.get(COMMUNES, headers=headers), 403)


def test_a_user_deactivated_after_a_call_is_refused_at_the_next(client, world):
    headers = bearer_for(world.coordinator_55)
    assert client.get(COMMUNES, headers=headers).status_code == 200
    type(world.coordinator_55).objects.filter(pk=world.coordinator_55.pk).update(is_active=False)
    assert_problem(client.get(COMMUNES, headers=headers), 401)


def test_invalid_token_wins_over_a_valid_session(client, world):
    client.force_login(world.admin)
    assert client.get(COMMUNES).status_code == 200
    assert_problem(client.get(COMMUNES, headers={"Authorization": "Bearer wrong"}), 401)


def test_token_of_inactive_user_is_401(client, world):
    headers = bearer_for(world.admin)
    world.admin.is_active = False
    world.admin.save()
    assert_problem(client.get(COMMUNES, headers=headers), 401)


def test_last_used_at_is_written_at_most_once_a_minute(client, world):
    token, raw = ApiToken.issue(user=world.admin, name="usage")
    headers = {"Authorization": f"Bearer {raw}"}
    client.get(COMMUNES, headers=headers)
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    client.get(COMMUNES, headers=headers)
    token.refresh_from_db()
    assert token.last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - dt.timedelta(minutes=2))
    client.get(COMMUNES, headers=headers)
    token.refresh_from_db()
    assert token.last_used_at > first


def test_session_authentication(client, world):
    client.force_login(world.site_staff_verdun)
    response = client.get("/api/v1/sites")
    assert response.status_code == 200
    assert [site["name"] for site in response.json()["results"]] == ["Cabine de Verdun"]


@pytest.mark.django_db
def test_user_without_role_is_403_with_a_clear_message(client):
    user = UserFactory()
    user.save()
    client.force_login(user)
    body = assert_problem(client.get(COMMUNES), 403)
    assert "rôle" in body["detail"]
    # The same for a token of that user.
    assert_problem(client.get(COMMUNES, headers=bearer_for(user)), 403)


def test_unsafe_method_with_session_needs_csrf(world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.admin)
    response = client.post(COMMUNES)
    # No write endpoint exists: the method is refused, never executed with a forged session.
    body = assert_problem(response, 405)
    assert response["Allow"] == "GET"
    assert "lecture seule" in body["detail"]
