from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from maille.accounts.models import ApiToken, Role
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db


def test_anonymous_user_is_sent_to_the_login_page(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_login_then_logout(client):
    user = user_with_role(Role.PLATFORM_ADMIN)
    response = client.post(
        reverse("accounts:login"), {"username": user.username, "password": "motdepasse-test-1"}
    )
    assert response.status_code == 302
    home = client.get(reverse("home"))
    assert home.status_code == 200
    assert "Carte du territoire" in home.content.decode()
    client.post(reverse("accounts:logout"))
    assert client.get(reverse("home")).status_code == 302


def test_wrong_password_gets_a_clear_message(client):
    user = user_with_role(Role.PLATFORM_ADMIN)
    response = client.post(reverse("accounts:login"), {"username": user.username, "password": "faux"})
    assert response.status_code == 200
    assert "Identifiant ou mot de passe incorrect" in response.content.decode()


def test_password_reset_by_email(client):
    user = user_with_role(Role.PLATFORM_ADMIN)
    user.email = "agent@example.org"
    user.save()
    response = client.post(reverse("accounts:password_reset"), {"email": "agent@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/\S+)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    assert form.status_code == 200
    done = client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else link,
        {"new_password1": "Un-nouveau-mot-2026", "new_password2": "Un-nouveau-mot-2026"},
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Un-nouveau-mot-2026")


def test_password_reset_does_not_reveal_unknown_addresses(client):
    response = client.post(reverse("accounts:password_reset"), {"email": "personne@example.org"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_api_tokens_are_stored_hashed_and_found_by_their_raw_value():
    user = user_with_role(Role.PLATFORM_ADMIN)
    token, raw = ApiToken.issue(user=user, name="ROR")
    assert raw not in token.key_hash
    assert ApiToken.objects.find_active(raw) == token
    assert ApiToken.objects.find_active(raw + "x") is None
