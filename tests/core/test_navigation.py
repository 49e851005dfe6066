"""The navigation marks one entry as the current page: the most specific one."""

from __future__ import annotations

import pytest

from maille.accounts.models import Role
from tests.factories import user_with_role


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "expected"),
    [("/agendas/reserver/", "Prendre un rendez-vous"), ("/agendas/", "Agendas"), ("/", "Accueil")],
)
def test_exactly_one_entry_is_current(client, path, expected):
    client.force_login(user_with_role(Role.PLATFORM_ADMIN))
    response = client.get(path)
    assert response.status_code == 200
    current = [item["label"] for item in response.context["nav_items"] if item["active"]]
    assert [str(label) for label in current] == [expected]
