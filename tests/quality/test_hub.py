"""The quality hub: one navigation entry, and on its page the quality pages each role may open."""

from __future__ import annotations

from html import unescape

import pytest
from django.urls import reverse

from maille.accounts.models import Role
from tests.factories import SiteFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        (Role.COORDINATOR, ["Maturité du territoire", "Labels qualité", "Auto-évaluations"], []),
        (Role.SITE_STAFF, ["Auto-évaluations", "Plans d'actions", "Charte de bonnes pratiques"],
         ["Maturité du territoire"]),
        (Role.REMOTE_DOCTOR, ["Référentiel qualité", "Charte de bonnes pratiques", "Vérifier un document"],
         ["Auto-évaluations", "Maturité du territoire"]),
    ],
)  # fmt: skip
def test_each_role_sees_the_quality_pages_it_may_open(client, role, shown, hidden):
    site = SiteFactory(host_organisation__commune__departement__code="55")
    scope = (
        {"site": site}
        if role == Role.SITE_STAFF
        else {"departement_id": "55"}
        if role == Role.COORDINATOR
        else {}
    )
    client.force_login(user_with_role(role, **scope))
    page = unescape(client.get(reverse("quality:hub")).content.decode())
    for title in shown:
        assert f">{title}</a>" in page, title
    for title in hidden:
        assert f">{title}</a>" not in page, title
    assert page.count('href="/qualite/"') == 1  # one navigation entry for all of them
