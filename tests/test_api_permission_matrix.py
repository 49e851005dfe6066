"""The role × operation matrix of /api/v1, generated from its OpenAPI document.

Every operation must have an entry in ``OPERATIONS`` (the permission it needs) or the test fails. For each role
and each read operation: 403 when the role lacks the permission; otherwise 200 for an object in the role's scope
and 404 for one outside it (the administrator has no outside). Writes are checked for the roles that may not
make them (never a success); what they do for the others is tested in tests/api and by the fuzz.
"""

from __future__ import annotations

import re

import pytest

from maille.accounts.models import Role
from maille.accounts.permissions import PERMISSION_ROLES
from maille.api.v1 import api
from maille.diagnosis.models import OptimisationRun, Scenario
from maille.directory.models import Use
from tests.api.world import bearer_for
from tests.factories import (
    CptsFactory,
    DepartementFactory,
    NetworkRoleFactory,
    RegionFactory,
    SiteFactory,
)
from tests.scheduling.test_views_support import appointment_at, matrix_user

# (method, path) → the permission of PERMISSION_ROLES the operation needs.
OPERATIONS = {
    ("GET", "/api/v1/communes"): "api.read",
    ("GET", "/api/v1/communes/{code}"): "api.read",
    ("GET", "/api/v1/departements"): "api.read",
    ("GET", "/api/v1/epci"): "api.read",
    ("GET", "/api/v1/cpts"): "api.read",
    ("GET", "/api/v1/cpts/{cpts_id}"): "api.read",
    ("GET", "/api/v1/organisations"): "api.read",
    ("GET", "/api/v1/organisations/{organisation_id}"): "api.read",
    ("GET", "/api/v1/sites"): "api.read",
    ("GET", "/api/v1/sites/{site_id}"): "api.read",
    ("GET", "/api/v1/professionals"): "api.read",
    ("GET", "/api/v1/professionals/{professional_id}"): "api.read",
    ("GET", "/api/v1/uses"): "api.read",
    ("GET", "/api/v1/equipment-types"): "api.read",
    ("GET", "/api/v1/scheduling/sites/{site_id}/availability"): "scheduling.view_agenda",
    ("GET", "/api/v1/scheduling/doctors/{doctor_id}/availability"): "scheduling.view_agenda",
    ("GET", "/api/v1/scheduling/sites/{site_id}/week"): "scheduling.view_agenda",
    ("GET", "/api/v1/scheduling/slots"): "scheduling.view_agenda",
    ("POST", "/api/v1/scheduling/holds"): "scheduling.book",
    ("DELETE", "/api/v1/scheduling/holds/{hold_id}"): "scheduling.book",
    ("POST", "/api/v1/scheduling/bookings"): "scheduling.book",
    ("GET", "/api/v1/scheduling/bookings"): "scheduling.view_agenda",
    ("GET", "/api/v1/scheduling/bookings/{booking_id}"): "scheduling.view_agenda",
    ("POST", "/api/v1/scheduling/bookings/{booking_id}/cancel"): "scheduling.book",
    ("POST", "/api/v1/scheduling/bookings/{booking_id}/reschedule"): "scheduling.book",
    ("POST", "/api/v1/scheduling/patients"): "scheduling.book",
    ("GET", "/api/v1/scheduling/patients/duplicates"): "scheduling.view_patient",
    ("GET", "/api/v1/scheduling/webhooks"): "admin.reference_data",
    ("POST", "/api/v1/scheduling/webhooks"): "admin.reference_data",
    ("GET", "/api/v1/diagnosis/zones"): "diagnosis.view",
    ("GET", "/api/v1/diagnosis/figures"): "diagnosis.view",
    ("GET", "/api/v1/diagnosis/layers"): "diagnosis.view",
    ("GET", "/api/v1/diagnosis/scenarios"): "diagnosis.view",
    ("GET", "/api/v1/diagnosis/scenarios/{scenario_id}"): "diagnosis.view",
    ("POST", "/api/v1/diagnosis/scenarios"): "diagnosis.plan",
    ("POST", "/api/v1/diagnosis/optimisations"): "diagnosis.plan",
    ("GET", "/api/v1/diagnosis/optimisations/{run_id}"): "diagnosis.view",
    ("POST", "/api/v1/diagnosis/optimisations/{run_id}/cancel"): "diagnosis.plan",
}
# Query parameters an operation requires.
QUERIES = {
    "/api/v1/scheduling/slots": {"use": "tlc-mg"},
    "/api/v1/scheduling/patients/duplicates": {"phone": "0612345678"},
    "/api/v1/diagnosis/figures": {"zone": "departement:55"},
    "/api/v1/diagnosis/layers": {"zone": "departement:55"},
}
# Territory reads follow territory grants: site staff and remote doctors hold none, so even the commune of
# their site is outside their scope.
TERRITORY_PATHS = {"/api/v1/communes/{code}", "/api/v1/cpts/{cpts_id}"}
WITHOUT_TERRITORY = {Role.SITE_STAFF, Role.REMOTE_DOCTOR}


def _documented_operations() -> list[tuple[str, str]]:
    schema = api.get_openapi_schema()
    return sorted((method.upper(), path) for path, ops in schema["paths"].items() for method in ops)


def test_every_operation_has_an_entry():
    documented = set(_documented_operations())
    assert documented - set(OPERATIONS) == set(), "add the new operations to OPERATIONS"
    assert set(OPERATIONS) - documented == set(), "remove operations that no longer exist"
    assert set(OPERATIONS.values()) <= set(PERMISSION_ROLES)


@pytest.fixture
def world(db):
    """Souilly (Meuse) is in every role's scope, Chaumont (Haute-Marne) in none but the administrator's."""
    region = RegionFactory(code="44")
    meuse = DepartementFactory(code="55", region=region)
    marne = DepartementFactory(code="52", region=region)
    inside = SiteFactory(host_organisation__commune__code="55498", host_organisation__commune__name="Souilly")
    outside = SiteFactory(
        host_organisation__commune__code="52121",
        host_organisation__commune__name="Chaumont",
        host_organisation__commune__departement=marne,
    )
    doctor_role, other_role = NetworkRoleFactory(), NetworkRoleFactory()
    doctor_role.sites.add(inside)
    other_role.sites.add(outside)
    cpts_in, cpts_out = CptsFactory(departement=meuse), CptsFactory(departement=marne)
    cpts_in.communes.add(inside.commune)
    cpts_out.communes.add(outside.commune)
    scenarios, runs = {}, {}
    for code, commune in (("55", "55498"), ("52", "52121")):
        scenarios[code] = Scenario.objects.create(
            name=code, zone_key=f"departement:{code}", added_communes=[commune]
        )
        runs[code] = OptimisationRun.objects.create(zone_key=f"departement:{code}", parameters={"k": 1})
    return {
        "inside": {
            "site_id": inside.pk,
            "organisation_id": inside.host_organisation_id,
            "professional_id": doctor_role.professional_id,
            "doctor_id": doctor_role.professional_id,
            "booking_id": appointment_at(inside, doctor_role.professional),
            "hold_id": appointment_at(inside, doctor_role.professional),
            "code": "55498",
            "cpts_id": cpts_in.pk,
            "scenario_id": scenarios["55"].pk,
            "run_id": runs["55"].pk,
        },
        "outside": {
            "site_id": outside.pk,
            "organisation_id": outside.host_organisation_id,
            "professional_id": other_role.professional_id,
            "doctor_id": other_role.professional_id,
            "booking_id": appointment_at(outside, other_role.professional),
            "hold_id": appointment_at(outside, other_role.professional),
            "code": "52121",
            "cpts_id": cpts_out.pk,
            "scenario_id": scenarios["52"].pk,
            "run_id": runs["52"].pk,
        },
        "site": inside,
        "doctor": doctor_role.professional,
    }


def _url(path: str, objects: dict) -> str:
    return re.sub(r"\{(\w+)\}", lambda match: str(objects[match.group(1)]), path)


READS = [
    pytest.param(path, in_scope, id=f"{path}-{'in' if in_scope else 'out'}")
    for method, path in OPERATIONS
    if method == "GET"
    for in_scope in ([True, False] if "{" in path else [True])
]


@pytest.mark.django_db
@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize(("path", "in_scope"), READS)
def test_role_operation_matrix_for_reads(client, world, role, path, in_scope):
    url = _url(path, world["inside" if in_scope else "outside"])
    response = client.get(url, QUERIES.get(path, {}), headers=bearer_for(matrix_user(role, world)))
    if role not in PERMISSION_ROLES[OPERATIONS[("GET", path)]]:
        expected = 403
    elif role == Role.PLATFORM_ADMIN:
        expected = 200
    elif not in_scope or (path in TERRITORY_PATHS and role in WITHOUT_TERRITORY):
        expected = 404
    else:
        expected = 200
    assert response.status_code == expected, f"{role} GET {url}: {response.content[:200]!r}"


# Each write with each role that may not make it (what the others do is tested in tests/api and the fuzz).
WRITES = [
    pytest.param(method, path, role, id=f"{method} {path}-{role}")
    for (method, path), permission in OPERATIONS.items()
    if method != "GET"
    for role in Role.values
    if role not in PERMISSION_ROLES[permission]
]


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path", "role"), WRITES)
def test_roles_without_the_permission_never_write(client, world, method, path, role):
    url = _url(path, world["inside"])
    headers = bearer_for(matrix_user(role, world))
    if method == "DELETE":
        response = client.delete(url, headers=headers)
        assert response.status_code == 403
    else:
        response = client.post(url, {}, content_type="application/json", headers=headers)
        assert response.status_code in {403, 422}, response.content[:200]
    assert Use.objects.exists()  # the catalogue is loaded: a 422 is about the body, not a missing world
