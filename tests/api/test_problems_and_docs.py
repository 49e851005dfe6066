"""Problem details for every error, and the OpenAPI documentation."""

from __future__ import annotations

import json
import re

import pytest
from django.test import RequestFactory

from maille.api.urls import api
from maille.core.errors import ConflictError, DomainError
from tests.api.test_auth import assert_problem


def test_unknown_path_is_a_404_problem(client, world):
    client.force_login(world.admin)
    assert_problem(client.get("/api/v1/nowhere"), 404)


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (ConflictError("Créneau déjà pris.", code="conflit"), 409),
        (DomainError("Refusé.", details={"site": "fermé"}), 422),
    ],
)
def test_domain_errors_become_problems(error, status):
    response = api.on_exception(RequestFactory().get("/api/v1/x"), error)
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    body = json.loads(response.content)
    assert body["status"] == status
    assert body["detail"] == error.message
    if error.details:
        assert body["errors"] == [{"parameter": "site", "detail": "fermé"}]


def test_unexpected_error_is_500_without_internals(client, world, monkeypatch):
    import maille.directory.api as directory_api

    def broken(user):
        raise RuntimeError("secret internals: /srv/maille/db.sqlite3")

    monkeypatch.setattr(directory_api, "sites_for_api", broken)
    client.force_login(world.admin)
    response = client.get("/api/v1/sites")
    body = assert_problem(response, 500)
    assert "secret" not in response.content.decode()
    assert "RuntimeError" not in json.dumps(body)


@pytest.mark.django_db
def test_openapi_schema_lists_every_endpoint(client):
    schema = client.get("/api/v1/openapi.json").json()
    for path in [
        "/communes",
        "/communes/{code}",
        "/departements",
        "/epci",
        "/cpts",
        "/organisations",
        "/sites",
        "/sites/{site_id}",
        "/professionals",
        "/uses",
        "/equipment-types",
    ]:
        assert f"/api/v1{path}" in schema["paths"]
    assert schema["components"]["securitySchemes"]["TokenOrSession"]["scheme"] == "bearer"


@pytest.mark.django_db
def test_docs_page_has_no_inline_script_and_vendored_assets(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "script-src 'self'" in response["Content-Security-Policy"]
    # every asset from this server (a random CSRF token once held the letters "cdn": the test looks at addresses)
    addresses = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert addresses
    assert all(a.startswith("/") and not a.startswith("//") for a in addresses), addresses
    scripts = html.split("<script")[1:]
    assert len(scripts) == 4  # settings (JSON), Swagger UI bundle, its init, our accessibility fixes
    for script in scripts:
        opening = script.split(">", 1)[0]
        assert "src=" in opening or 'type="application/json"' in opening
