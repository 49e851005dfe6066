"""A NUL character in a page's query or form field is a 400 naming the field, before any view runs (PostgreSQL
refuses NUL in text, even as a query parameter: it was a server error on the scenario and supply forms)."""

from __future__ import annotations

from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from maille.accounts.models import Role
from maille.diagnosis.models import Scenario, SupplyImport
from tests.factories import DepartementFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    DepartementFactory(code="55")
    client.force_login(user_with_role(Role.PLATFORM_ADMIN))
    return client


def test_a_nul_in_a_form_field_is_refused_naming_it_and_nothing_is_saved(admin_client):
    response = admin_client.post(
        reverse("diagnosis:scenario_create"), {"zone": "departement:55", "ajout": "55001", "name": "a\x00b"}
    )
    assert response.status_code == 400
    assert "Champ « name » : Le caractère NUL (0x00) n'est pas accepté." in unescape(
        response.content.decode()
    )
    assert not Scenario.objects.exists()
    upload = SimpleUploadedFile("medecins.csv", b"code_commune;activite_actes\n", content_type="text/csv")
    refused = admin_client.post(reverse("diagnosis:supply_list"), {"nom": "x\x00", "fichier": upload})
    assert refused.status_code == 400
    assert not SupplyImport.objects.exists()


def test_a_nul_in_a_query_is_refused_before_any_lookup(admin_client):
    for url, query in [
        (reverse("diagnosis:diagnosis"), {"zone": "departement:55", "ajout": "\x00"}),
        (reverse("diagnosis:diagnosis"), {"communes": "55001\x00"}),
        (reverse("diagnosis:scenario_list"), {"zone": "communes:5\x00"}),
    ]:
        response = admin_client.get(url, query)
        assert response.status_code == 400, url
        assert "NUL" in unescape(response.content.decode())


def test_the_api_keeps_its_own_problem_document(admin_client):
    response = admin_client.get("/api/v1/communes", {"q": "a\x00"})
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
