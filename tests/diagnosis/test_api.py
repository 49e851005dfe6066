"""/api/v1/diagnosis: the same figures, layers, scenarios and optimisations as the pages, scoped, with problem
documents naming each refused field."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from maille.accounts.models import Role
from maille.diagnosis.figures import diagnose
from maille.diagnosis.models import OptimisationRun, Scenario
from maille.diagnosis.scenarios import scenario_create
from maille.diagnosis.zones import Zone
from tests.api.world import bearer_for
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db
MEUSE = Zone("departement", "55", "Meuse")


@pytest.fixture
def coordinator():
    return user_with_role(Role.COORDINATOR, departement_id="55")


def test_zones_and_figures_are_those_of_the_page(client, network, coordinator):
    headers = bearer_for(coordinator)
    zones = client.get("/api/v1/diagnosis/zones", headers=headers).json()
    assert [z["key"] for z in zones] == ["departement:55"]
    figures = client.get("/api/v1/diagnosis/figures", {"zone": "departement:55"}, headers=headers).json()
    page = diagnose(coordinator, MEUSE)
    assert figures["population"] == page.population == 3600
    assert figures["population_beyond_30_min"] == page.beyond[30]
    assert figures["sites"] == 1
    scenario = client.get(
        "/api/v1/diagnosis/figures", {"zone": "departement:55", "ajout": "55002"}, headers=headers
    )
    assert scenario.json()["population_beyond_30_min"] == 0
    layers = client.get("/api/v1/diagnosis/layers", {"zone": "departement:55"}, headers=headers).json()
    loin = next(row for row in layers if row["code"] == "55002")
    assert (loin["apl"], loin["coverage_gap"]) == (2.0, True)


def test_a_zone_outside_the_scope_is_not_found_and_a_bad_commune_is_named(client, network, coordinator):
    headers = bearer_for(coordinator)
    assert (
        client.get("/api/v1/diagnosis/figures", {"zone": "departement:52"}, headers=headers).status_code
        == 404
    )
    refused = client.get(
        "/api/v1/diagnosis/figures", {"zone": "departement:55", "ajout": "52001"}, headers=headers
    )
    assert refused.status_code == 422
    problem = refused.json()
    assert refused["Content-Type"] == "application/problem+json"
    assert problem["errors"][0]["parameter"] == "ajout"
    assert "hors de la zone" in problem["detail"]


def test_scenarios_are_created_read_and_refused_whole(client, network, coordinator):
    headers = bearer_for(coordinator)
    refused = client.post(
        "/api/v1/diagnosis/scenarios",
        {"name": "", "zone": "departement:55", "added_communes": ["55002"], "assumptions": {"use_rate": -1}},
        content_type="application/json",
        headers=headers,
    )
    assert refused.status_code == 422
    assert {e["parameter"] for e in refused.json()["errors"]} == {"name", "use_rate"}
    assert not Scenario.objects.exists()
    created = client.post(
        "/api/v1/diagnosis/scenarios",
        {
            "name": "Loin",
            "zone": "departement:55",
            "added_communes": ["55002"],
            "assumptions": {"use_rate": 0.1},
        },
        content_type="application/json",
        headers=headers,
    )
    assert created.status_code == 201
    scenario_id = created.json()["id"]
    detail = client.get(f"/api/v1/diagnosis/scenarios/{scenario_id}", headers=headers).json()
    assert detail["figures"]["population_beyond_30_min"] < detail["today"]["population_beyond_30_min"]
    assert {s["name"] for s in detail["sizing"]["sites"]} == {
        "Maison de santé de Près",
        "site envisagé à Loin",
    }
    listed = client.get("/api/v1/diagnosis/scenarios", headers=headers).json()
    assert [s["id"] for s in listed["results"]] == [scenario_id]
    evaluator = bearer_for(user_with_role(Role.EVALUATOR, departement_id="55"))
    assert client.get(f"/api/v1/diagnosis/scenarios/{scenario_id}", headers=evaluator).status_code == 200
    forbidden = client.post("/api/v1/diagnosis/scenarios", {"name": "x", "zone": "departement:55"},
                            content_type="application/json", headers=evaluator)  # fmt: skip
    assert forbidden.status_code == 403


@pytest.mark.django_db(transaction=True)  # the worker closes its database connection
def test_an_optimisation_through_the_api(client, network, coordinator):
    headers = bearer_for(coordinator)
    too_many = client.post("/api/v1/diagnosis/optimisations", {"zone": "departement:55", "k": 9},
                           content_type="application/json", headers=headers)  # fmt: skip
    assert too_many.status_code == 422
    assert too_many.json()["errors"][0]["parameter"] == "k"
    queued = client.post("/api/v1/diagnosis/optimisations", {"zone": "departement:55", "k": 1},
                         content_type="application/json", headers=headers)  # fmt: skip
    assert queued.status_code == 202
    run_id = queued.json()["id"]
    assert queued.json()["state"] == "queued"
    call_command("db_worker", "--batch", "--interval", "0", verbosity=0)
    done = client.get(f"/api/v1/diagnosis/optimisations/{run_id}", headers=headers).json()
    assert done["state"] == "done"
    assert done["summary"]["status"] == "Optimal"
    assert [c["code"] for c in done["proposed_communes"]] == ["55002"]
    other = scenario_create(user_with_role(Role.PLATFORM_ADMIN), Zone("departement", "52", "Haute-Marne"),
                            name="Ailleurs", added=["52001"])  # fmt: skip
    assert client.get(f"/api/v1/diagnosis/scenarios/{other.pk}", headers=headers).status_code == 404
    foreign = OptimisationRun.objects.create(zone_key="departement:52", parameters={"k": 1})
    assert (
        client.post(f"/api/v1/diagnosis/optimisations/{foreign.pk}/cancel", headers=headers).status_code
        == 404
    )
