"""The role × interaction matrix of /fhir, generated from its CapabilityStatement.

Every resource type the CapabilityStatement declares must have an entry in ``TYPES`` (the permission its
reads need and how to name an object of it) or the test fails; so must every write interaction. For each
role: a read answers 403 without the permission, otherwise 200 for an object in the role's scope and 404
for one outside it (the administrator has no outside); a search answers 403 without the permission,
otherwise a bundle holding the object in scope and never the one outside. Roles without the right to book
never write.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from maille.accounts.models import Role
from maille.accounts.permissions import PERMISSION_ROLES
from maille.api.fhir.capability import capability_statement
from maille.directory.models import NetworkRole, SiteUse
from maille.scheduling.engine import SlotQuery, find_slots
from maille.scheduling.fhir import slot_id
from maille.scheduling.models import Appointment
from tests.api.world import bearer_for
from tests.factories import RegionFactory
from tests.scheduling.factories import make_network
from tests.scheduling.test_views_support import appointment_at, matrix_user


def _free_slot(net) -> str:
    slot = find_slots(SlotQuery(use=net.use, site_ids=(net.site.pk,), limit=1))[0]
    return slot_id(net.use.pk, net.site.pk, slot.starts_at)


# Resource type → (the permission its reads need, the id of the object of a network, search parameters).
Naming = Callable[[object, dict], str]
TYPES: dict[str, tuple[str, Naming, dict[str, str]]] = {
    "Organization": ("api.read", lambda net, side: str(net.site.host_organisation_id), {}),
    "Location": ("api.read", lambda net, side: f"site-{net.site.pk}", {}),
    "HealthcareService": (
        "api.read",
        lambda net, side: str(SiteUse.objects.get(site=net.site, use=net.use).pk),
        {},
    ),
    "Practitioner": ("api.read", lambda net, side: str(net.doctor.pk), {}),
    "PractitionerRole": (
        "api.read",
        lambda net, side: str(NetworkRole.objects.get(professional=net.doctor).pk),
        {},
    ),
    "Schedule": ("scheduling.view_agenda", lambda net, side: f"room-{net.room.pk}", {}),
    "Appointment": ("scheduling.view_agenda", lambda net, side: str(side["appointment"]), {}),
    "Slot": ("scheduling.view_agenda", lambda net, side: side["slot"], {"service-type": "test-tlc"}),
}
# Write interaction → (permission, HTTP method, path).
WRITES = {
    ("Appointment", "create"): ("scheduling.book", "post", "/fhir/Appointment"),
    ("Appointment", "update"): ("scheduling.book", "put", "/fhir/Appointment/{id}"),
    ("Appointment", "patch"): ("scheduling.book", "patch", "/fhir/Appointment/{id}"),
}
READ_INTERACTIONS = {"read", "search-type"}


def _declared() -> list[tuple[str, str]]:
    statement = capability_statement(_Request()).model_dump(mode="json")
    return [
        (resource["type"], interaction["code"])
        for resource in statement["rest"][0]["resource"]
        for interaction in resource["interaction"]
    ]


class _Request:
    """Enough of a request for building the CapabilityStatement outside a view."""

    path = "/fhir/metadata"

    @staticmethod
    def build_absolute_uri(path: str) -> str:
        return f"http://testserver{path}"


def test_every_declared_interaction_has_an_entry():
    declared = _declared()
    types = {resource_type for resource_type, _ in declared}
    assert types == set(TYPES), "add the new resource types to TYPES"
    writes = {(t, code) for t, code in declared if code not in READ_INTERACTIONS}
    assert writes == set(WRITES), "add the new write interactions to WRITES"
    assert {(t, code) for t, code in declared if code in READ_INTERACTIONS} == {
        (t, code) for t in TYPES for code in READ_INTERACTIONS
    }
    assert {permission for permission, _, _ in TYPES.values()} <= set(PERMISSION_ROLES)


@pytest.fixture
def world(db):
    """A network in the Meuse (every role's scope) and one in the Haute-Marne (only the administrator's)."""
    RegionFactory(code="44")
    inside = make_network(departement="55")
    outside = make_network(use=inside.use, departement="52", latitude=48.1)
    world = {"site": inside.site, "doctor": inside.doctor, "nets": {}}
    for name, net in (("inside", inside), ("outside", outside)):
        world["nets"][name] = net
        world[name] = {"appointment": appointment_at(net.site, net.doctor), "slot": _free_slot(net)}
    return world


def _id(world: dict, resource_type: str, side: str) -> str:
    return TYPES[resource_type][1](world["nets"][side], world[side])


def _read(client, role: str, world: dict, resource_type: str, side: str):
    url = f"/fhir/{resource_type}/{_id(world, resource_type, side)}"
    return client.get(url, headers=bearer_for(matrix_user(role, world)))


CASES = [
    pytest.param(resource_type, side, id=f"{resource_type}-{side}")
    for resource_type in TYPES
    for side in ("inside", "outside")
]


@pytest.mark.django_db
@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize(("resource_type", "side"), CASES)
def test_read_matrix(client, world, role, resource_type, side):
    response = _read(client, role, world, resource_type, side)
    if role not in PERMISSION_ROLES[TYPES[resource_type][0]]:
        expected = 403
    elif role == Role.PLATFORM_ADMIN or side == "inside":
        expected = 200
    else:
        expected = 404
    assert response.status_code == expected, f"{role} {resource_type} {side}: {response.content[:300]!r}"
    if expected != 200:
        assert response.json()["resourceType"] == "OperationOutcome"


@pytest.mark.django_db
@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize("resource_type", list(TYPES))
def test_search_matrix(client, world, role, resource_type):
    permission, _, parameters = TYPES[resource_type]
    response = client.get(
        f"/fhir/{resource_type}",
        {**parameters, "_count": "100"},
        headers=bearer_for(matrix_user(role, world)),
    )
    if role not in PERMISSION_ROLES[permission]:
        assert response.status_code == 403, response.content[:300]
        return
    assert response.status_code == 200, f"{role} {resource_type}: {response.content[:300]!r}"
    found = {entry["resource"]["id"] for entry in response.json().get("entry", [])}
    assert _id(world, resource_type, "inside") in found, f"{role} does not find its own {resource_type}"
    if role != Role.PLATFORM_ADMIN:
        assert _id(world, resource_type, "outside") not in found, f"{role} finds a {resource_type} outside"


WRITE_CASES = [
    pytest.param(interaction, role, id=f"{interaction[0]}.{interaction[1]}-{role}")
    for interaction, (permission, _method, _path) in WRITES.items()
    for role in Role.values
    if role not in PERMISSION_ROLES[permission]
]


@pytest.mark.django_db
@pytest.mark.parametrize(("interaction", "role"), WRITE_CASES)
def test_roles_without_the_permission_never_write(client, world, interaction, role):
    _permission, method, path = WRITES[interaction]
    before = list(Appointment.objects.values_list("pk", "status", "starts_at").order_by("pk"))
    response = getattr(client, method)(
        path.format(id=world["inside"]["appointment"]),
        data={"resourceType": "Appointment", "status": "cancelled"},
        content_type="application/fhir+json",
        headers=bearer_for(matrix_user(role, world)),
    )
    assert response.status_code == 403, f"{role} {interaction}: {response.content[:300]!r}"
    assert list(Appointment.objects.values_list("pk", "status", "starts_at").order_by("pk")) == before
