"""/api/v1 directory endpoints: organisations, sites, professionals, uses, equipment types."""

from __future__ import annotations

import pytest

from maille.accounts.models import Role
from tests.api.test_auth import assert_problem
from tests.api.world import SIRET_PHARMACY
from tests.factories import user_with_role


@pytest.fixture
def admin_client(client, world):
    client.force_login(world.admin)
    return client


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["name"] for item in response.json()["results"]]


def test_site_detail_shows_rooms_equipment_hours_and_uses(admin_client, world):
    body = admin_client.get(f"/api/v1/sites/{world.site_souilly.pk}").json()
    assert body["name"] == "Point de téléconsultation de Souilly"
    assert body["level"] == "msp_2_0"
    assert body["level_label"] == "MSP 2.0"
    assert body["host_organisation"] == {
        "id": world.cabinet.pk,
        "name": world.cabinet.name,
        "kind": "cabinet_telemedecine",
    }
    assert body["commune"] == {"code": "55502", "name": "Souilly", "departement": "55"}
    assert (body["latitude"], body["longitude"]) == (49.027, 5.283)
    assert body["rooms"] == [
        {
            "id": world.room_souilly.pk,
            "name": "Salle 1",
            "is_bookable": True,
            "equipment": ["dermatoscope", "stethoscope", "video"],
        }
    ]
    assert body["opening_hours"] == [
        {"weekday": 0, "opens": "09:00", "closes": "12:00"},
        {"weekday": 1, "opens": "09:00", "closes": "12:00"},
        {"weekday": 1, "opens": "14:00", "closes": "18:00"},
    ]
    durations = {use["code"]: use["duration_minutes"] for use in body["uses"]}
    assert durations == {"tlc-mg": 20, "tlc-dermato": 25}
    assert body["is_fictional"] is True


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["Cabine de Nancy", "Cabine de Verdun", "Point de téléconsultation de Souilly"]),
        ("text=souilly", ["Point de téléconsultation de Souilly"]),
        ("text=rozelier", ["Cabine de Verdun"]),
        ("commune=55545", ["Cabine de Verdun"]),
        ("departement=54", ["Cabine de Nancy"]),
        ("use=tlc-dermato", ["Point de téléconsultation de Souilly"]),
        ("level=msp_2_0", ["Point de téléconsultation de Souilly"]),
        ("equipment=video", ["Cabine de Verdun", "Point de téléconsultation de Souilly"]),
        ("equipment=stethoscope", ["Point de téléconsultation de Souilly"]),
        ("reduced_mobility_access=true", ["Point de téléconsultation de Souilly"]),
        ("reduced_mobility_access=false", ["Cabine de Nancy", "Cabine de Verdun"]),
    ],
)
def test_site_filters(admin_client, query, expected):
    assert names(admin_client.get(f"/api/v1/sites?{query}")) == expected


def test_site_filter_by_cpts(admin_client, world):
    assert names(admin_client.get(f"/api/v1/sites?cpts={world.cpts.pk}")) == [
        "Cabine de Verdun",
        "Point de téléconsultation de Souilly",
    ]


def test_unknown_level_is_422(admin_client):
    body = assert_problem(admin_client.get("/api/v1/sites?level=chateau"), 422)
    assert body["errors"][0]["parameter"] == "level"


@pytest.mark.parametrize(
    ("user_attribute", "visible"),
    [
        ("admin", {"Cabine de Nancy", "Cabine de Verdun", "Point de téléconsultation de Souilly"}),
        ("coordinator_55", {"Cabine de Verdun", "Point de téléconsultation de Souilly"}),
        ("site_staff_verdun", {"Cabine de Verdun"}),
    ],
)
def test_sites_follow_the_scope_of_each_role(client, world, user_attribute, visible):
    client.force_login(getattr(world, user_attribute))
    assert set(names(client.get("/api/v1/sites"))) == visible
    hidden = {world.site_souilly, world.site_verdun, world.site_nancy}
    for site in hidden:
        status = client.get(f"/api/v1/sites/{site.pk}").status_code
        assert status == (200 if site.name in visible else 404)


def test_remote_doctor_sees_the_sites_they_serve(client, world):
    doctor_user = user_with_role(Role.REMOTE_DOCTOR)
    world.doctor.user = doctor_user
    world.doctor.save()
    client.force_login(doctor_user)
    assert len(names(client.get("/api/v1/sites"))) == 3
    world.doctor_role.sites.set([world.site_souilly])
    client.force_login(doctor_user)
    assert names(client.get("/api/v1/sites")) == ["Point de téléconsultation de Souilly"]


def test_organisations_with_filters_and_scope(client, world):
    client.force_login(world.coordinator_55)
    assert set(names(client.get("/api/v1/organisations"))) == {world.cabinet.name, world.pharmacy.name}
    assert names(client.get("/api/v1/organisations?kind=cabinet_telemedecine")) == [world.cabinet.name]
    assert names(client.get(f"/api/v1/organisations?siret={SIRET_PHARMACY}")) == [world.pharmacy.name]
    assert names(client.get("/api/v1/organisations?q=rozel")) == [world.pharmacy.name]
    nancy_host = world.site_nancy.host_organisation
    assert_problem(client.get(f"/api/v1/organisations/{nancy_host.pk}"), 404)
    detail = client.get(f"/api/v1/organisations/{world.cabinet.pk}").json()
    assert detail["finess"] == world.cabinet.finess
    assert detail["kind_label"] == "Cabinet de télémédecine"


def test_professionals_with_roles_and_filters(client, world):
    client.force_login(world.coordinator_55)
    body = client.get("/api/v1/professionals").json()
    by_rpps = {p["rpps"]: p for p in body["results"]}
    assert set(by_rpps) == {world.doctor.rpps, world.nurse.rpps}
    doctor = by_rpps[world.doctor.rpps]
    assert doctor["specialty"] == {"code": "medecine-generale", "label": "Médecine générale"}
    [role] = doctor["roles"]
    assert role["kind"] == "medecin_distant"
    assert role["organisation"] == world.cabinet.pk
    # The Nancy site is outside the coordinator's scope: never listed, even inside a visible role.
    assert sorted(role["sites"]) == sorted([world.site_souilly.pk, world.site_verdun.pk])
    nurses = client.get("/api/v1/professionals?profession=infirmier").json()["results"]
    assert [p["rpps"] for p in nurses] == [world.nurse.rpps]
    assistants = client.get(f"/api/v1/professionals?role=assistant&site={world.site_verdun.pk}").json()
    assert [p["rpps"] for p in assistants["results"]] == [world.nurse.rpps]
    assert_problem(client.get(f"/api/v1/professionals/{world.nancy_nurse.pk}"), 404)
    assert client.get(f"/api/v1/professionals?rpps={world.doctor.rpps}").json()["count"] == 1


def test_uses_catalogue_with_required_equipment(admin_client):
    body = admin_client.get("/api/v1/uses?page_size=500").json()
    uses = {use["code"]: use for use in body["results"]}
    assert uses["tlc-dermato"]["required_equipment"] == ["dermatoscope", "video"]
    assert uses["tlc-dermato"]["remote_specialty"]["code"] == "dermatologie"
    assert body["count"] == len(uses)
    kinds = admin_client.get("/api/v1/uses?kind=prevention").json()["results"]
    assert {use["kind"] for use in kinds} == {"prevention"}


def test_equipment_types(admin_client):
    body = admin_client.get("/api/v1/equipment-types").json()
    codes = {item["code"] for item in body["results"]}
    assert {"video", "stethoscope", "ecg"} <= codes
    assert body["count"] == len(codes)
