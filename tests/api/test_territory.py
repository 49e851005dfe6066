"""/api/v1 territory endpoints: communes, départements, EPCI, CPTS; filters, paging, scope."""

from __future__ import annotations

import pytest

from maille.territory.models import FormerCommune
from tests.api.test_auth import assert_problem


@pytest.fixture
def admin_client(client, world):
    client.force_login(world.admin)
    return client


def codes(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["code"] for item in response.json()["results"]]


def test_commune_fields(admin_client):
    response = admin_client.get("/api/v1/communes/55502")
    assert response.status_code == 200
    assert response.json() == {
        "code": "55502",
        "name": "Souilly",
        "population": 500,
        "population_standardised": 520.0,
        "latitude": 49.0,
        "longitude": 5.3,
        "apl_gp": 1.9,
        "apl_year": 2023,
        "sous_dense": True,
        "departement": "55",
        "epci": "200066587",
        "former_communes": [],
    }


def test_a_commune_shows_the_published_apl_of_the_communes_merged_into_it(admin_client):
    FormerCommune.objects.create(code="55999", name="Ancienne", commune_id="55502", apl_gp=2.7, apl_year=2023)
    response = admin_client.get("/api/v1/communes/55502")
    assert response.json()["former_communes"] == [
        {
            "code": "55999",
            "name": "Ancienne",
            "apl_gp": 2.7,
            "apl_year": 2023,
            "population_standardised": None,
        }
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["54395", "55502", "55545"]),
        ("departement=55", ["55502", "55545"]),
        ("epci=200066587", ["55502"]),
        ("q=verd", ["55545"]),
        ("q=555", ["55502", "55545"]),
        ("q=543", ["54395"]),
        ("sous_dense=true", ["55502"]),
        ("sous_dense=false", ["54395", "55545"]),
    ],
)
def test_commune_filters(admin_client, query, expected):
    assert codes(admin_client.get(f"/api/v1/communes?{query}")) == expected


def test_commune_filter_by_cpts(admin_client, world):
    assert codes(admin_client.get(f"/api/v1/communes?cpts={world.cpts.pk}")) == ["55502", "55545"]


def test_communes_are_scoped_and_outside_is_404(client, world):
    client.force_login(world.coordinator_55)
    assert codes(client.get("/api/v1/communes")) == ["55502", "55545"]
    assert_problem(client.get("/api/v1/communes/54395"), 404)
    assert_problem(client.get("/api/v1/communes/99999"), 404)


def test_paging_links_and_counts(admin_client):
    first = admin_client.get("/api/v1/communes?page_size=2&departement=")
    body = first.json()
    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert body["previous"] is None
    assert body["next"].startswith("http://testserver/api/v1/communes?")
    assert "page=2" in body["next"]
    assert "page_size=2" in body["next"]
    second = admin_client.get(body["next"]).json()
    assert [c["code"] for c in second["results"]] == ["55545"]
    assert second["next"] is None
    assert "page=1" in second["previous"]


def test_page_beyond_the_last_is_404_problem(admin_client):
    body = assert_problem(admin_client.get("/api/v1/communes?page=3&page_size=2"), 404)
    assert "page" in body["detail"]


@pytest.mark.parametrize(("query", "parameter"), [("page_size=501", "page_size"), ("page=0", "page")])
def test_invalid_paging_is_422_naming_the_parameter(admin_client, query, parameter):
    body = assert_problem(admin_client.get(f"/api/v1/communes?{query}"), 422)
    assert [error["parameter"] for error in body["errors"]] == [parameter]
    assert body["errors"][0]["in"] == "query"


def test_invalid_filter_type_is_422(admin_client):
    body = assert_problem(admin_client.get("/api/v1/communes?cpts=abc"), 422)
    assert body["errors"][0]["parameter"] == "cpts"


def test_departements_and_epci_follow_the_scope(client, world):
    client.force_login(world.coordinator_55)
    assert codes(client.get("/api/v1/departements")) == ["55"]
    epci = client.get("/api/v1/epci").json()
    assert [e["siren"] for e in epci["results"]] == ["200066587"]
    client.force_login(world.admin)
    assert codes(client.get("/api/v1/departements")) == ["54", "55"]


def test_cpts_lists_its_communes(client, world):
    client.force_login(world.coordinator_55)
    body = client.get("/api/v1/cpts").json()
    assert body["count"] == 1
    assert body["results"][0]["communes"] == ["55502", "55545"]
    assert body["results"][0]["is_fictional"] is True
    detail = client.get(f"/api/v1/cpts/{world.cpts.pk}").json()
    assert detail["name"] == world.cpts.name


def test_cpts_outside_scope_is_404(client, world):
    from maille.accounts.models import Role
    from tests.factories import user_with_role

    client.force_login(user_with_role(Role.COORDINATOR, departement=world.meurthe))
    assert client.get("/api/v1/cpts").json()["count"] == 0
    assert_problem(client.get(f"/api/v1/cpts/{world.cpts.pk}"), 404)
