"""FHIR searches: parameters, paging, scope, strict errors, authentication, metadata."""

from __future__ import annotations

import pytest
from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from maille.accounts.models import Role
from maille.core.identifiers import FINESS_SYSTEM, OID_IDNAT_PS, OID_IDNAT_STRUCT, RPPS_SYSTEM
from maille.directory.models import SiteUse
from tests.api.fhir_helpers import bundle_of, ids, outcome_of, resource_of
from tests.api.world import FINESS_SOUILLY, SIRET_PHARMACY, bearer_for
from tests.factories import UserFactory, user_with_role


@pytest.fixture
def admin(client, world):
    client.force_login(world.admin)
    return client


def search_ids(client, query: str) -> list[str]:
    return ids(bundle_of(client.get(f"/fhir/{query}")))


def test_organization_searches(admin, world):
    cabinet, pharmacy = str(world.cabinet.pk), str(world.pharmacy.pk)
    assert search_ids(admin, f"Organization?identifier={FINESS_SYSTEM}|{FINESS_SOUILLY}") == [cabinet]
    assert search_ids(admin, f"Organization?identifier={OID_IDNAT_STRUCT}|1{FINESS_SOUILLY}") == [cabinet]
    assert search_ids(admin, f"Organization?identifier={OID_IDNAT_STRUCT}|3{SIRET_PHARMACY}") == [pharmacy]
    assert search_ids(admin, f"Organization?identifier={SIRET_PHARMACY}") == [pharmacy]
    assert search_ids(admin, "Organization?identifier=https://other.example|" + FINESS_SOUILLY) == []
    assert search_ids(admin, "Organization?name=rozelier") == [pharmacy]
    assert search_ids(admin, "Organization?address-city=souilly") == [cabinet]
    assert search_ids(admin, "Organization?address-postalcode=55220") == [cabinet]
    assert search_ids(admin, "Organization?type=cabinet_telemedecine") == [cabinet]
    assert search_ids(admin, f"Organization?_id={cabinet},{pharmacy}") == sorted([cabinet, pharmacy], key=int)


def test_location_searches_cover_sites_and_rooms(admin, world):
    souilly = f"site-{world.site_souilly.pk}"
    room = f"room-{world.room_souilly.pk}"
    everything = search_ids(admin, "Location")
    assert len(everything) == 5  # three sites, two rooms
    assert everything[:3] == [
        f"site-{s.pk}"
        for s in sorted([world.site_souilly, world.site_verdun, world.site_nancy], key=lambda s: s.pk)
    ]
    assert search_ids(admin, f"Location?partof=Location/{souilly}") == [room]
    assert search_ids(admin, "Location?address-city=Souilly") == [souilly, room]
    assert search_ids(admin, f"Location?organization=Organization/{world.cabinet.pk}") == [souilly, room]
    assert search_ids(admin, f"Location?_id={room}") == [room]
    assert search_ids(admin, "Location?name=salle") == [room]


def test_healthcare_service_searches(admin, world):
    dermato = str(SiteUse.objects.get(use__code="tlc-dermato").pk)
    assert search_ids(admin, "HealthcareService?service-type=tlc-dermato") == [dermato]
    assert search_ids(admin, "HealthcareService?specialty=dermatologie") == [dermato]
    at_souilly = search_ids(admin, f"HealthcareService?location=Location/site-{world.site_souilly.pk}")
    assert len(at_souilly) == 2
    assert dermato in at_souilly
    by_cabinet = search_ids(admin, f"HealthcareService?organization={world.cabinet.pk}")
    assert sorted(by_cabinet) == sorted(at_souilly)
    assert len(search_ids(admin, "HealthcareService?service-category=tlc_generale")) == 3


def test_practitioner_searches(admin, world):
    doctor = str(world.doctor.pk)
    rpps = world.doctor.rpps
    assert search_ids(admin, f"Practitioner?identifier={RPPS_SYSTEM}|{rpps}") == [doctor]
    assert search_ids(admin, f"Practitioner?identifier={OID_IDNAT_PS}|8{rpps}") == [doctor]
    assert search_ids(admin, "Practitioner?name=camille&family=martin") == [doctor]


def test_practitioner_role_searches(admin, world):
    assert search_ids(admin, f"PractitionerRole?practitioner=Practitioner/{world.doctor.pk}") == [
        str(world.doctor_role.pk)
    ]
    at_verdun = search_ids(admin, f"PractitionerRole?location=Location/site-{world.site_verdun.pk}")
    assert sorted(at_verdun, key=int) == sorted(
        [str(world.doctor_role.pk), str(world.nurse_role.pk)], key=int
    )
    assert search_ids(
        admin, "PractitionerRole?role=assistant&location=site-" + str(world.site_verdun.pk)
    ) == [str(world.nurse_role.pk)]
    assert search_ids(admin, "PractitionerRole?specialty=medecine-generale") == [str(world.doctor_role.pk)]
    assert search_ids(admin, f"PractitionerRole?organization={world.cabinet.pk}") == [
        str(world.doctor_role.pk)
    ]


def test_paging_with_bundle_links(admin):
    first = bundle_of(admin.get("/fhir/Location?_count=2"))
    assert first.total == 5
    assert len(first.entry) == 2
    links = {link.relation: link.url for link in first.link}
    assert set(links) == {"self", "next"}
    second = bundle_of(admin.get(links["next"]))
    third = bundle_of(admin.get({link.relation: link.url for link in second.link}["next"]))
    assert len(third.entry) == 1
    assert {link.relation for link in third.link} == {"self", "previous"}
    seen = ids(first) + ids(second) + ids(third)
    assert len(set(seen)) == 5  # pages cross from sites to rooms without gap or repeat
    assert third.entry[0].fullUrl.startswith("http://testserver/fhir/Location/room-")
    summary = bundle_of(admin.get("/fhir/Location?_count=0"))
    assert summary.total == 5
    assert not summary.entry


def test_count_is_capped_at_500(admin):
    bundle = bundle_of(admin.get("/fhir/Organization?_count=100000"))
    assert bundle.total == 3


def test_scope_applies_to_search_and_read(client, world):
    client.force_login(world.coordinator_55)
    sites = [i for i in search_ids(client, "Location") if i.startswith("site-")]
    assert f"site-{world.site_nancy.pk}" not in sites
    assert len(sites) == 2
    outcome = outcome_of(client.get(f"/fhir/Location/site-{world.site_nancy.pk}"), 404)
    assert outcome.issue[0].code == "not-found"
    assert search_ids(client, f"Practitioner?_id={world.nancy_nurse.pk}") == []
    outcome_of(client.get(f"/fhir/PractitionerRole/{world.nancy_role.pk}"), 404)
    role = client.get(f"/fhir/PractitionerRole/{world.doctor_role.pk}")
    assert f"site-{world.site_nancy.pk}" not in role.content.decode()


def test_site_staff_sees_only_their_site(client, world):
    client.force_login(world.site_staff_verdun)
    assert [i for i in search_ids(client, "Location") if i.startswith("site-")] == [
        f"site-{world.site_verdun.pk}"
    ]
    assert len(search_ids(client, "HealthcareService")) == 1


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("Location?colour=blue", 400, "not-supported"),
        ("Location?name:exact=Salle", 400, "not-supported"),
        ("Location?_count=-1", 400, "invalid"),
        ("Location?_page=abc", 400, "invalid"),
        ("Location?_format=xml", 400, "not-supported"),
        ("Patient?name=x", 404, "not-supported"),
        ("Patient/1", 404, "not-supported"),
        ("Location/site-999999", 404, "not-found"),
        ("Location/nonsense", 404, "not-found"),
        ("HealthcareService?organization=Location/site-1", 400, "invalid"),
        ("Organization/1/_history/2", 404, "not-found"),
    ],
)
def test_errors_are_operation_outcomes(admin, query, status, code):
    outcome = outcome_of(admin.get(f"/fhir/{query}"), status)
    assert outcome.issue[0].code == code


def test_unknown_parameter_is_named(admin):
    outcome = outcome_of(admin.get("/fhir/Organization?colour=blue"), 400)
    assert "colour" in outcome.issue[0].diagnostics
    assert outcome.issue[0].expression == ["colour"]


@pytest.mark.django_db
def test_authentication_is_required(client):
    outcome = outcome_of(client.get("/fhir/Organization"), 401)
    assert outcome.issue[0].code == "login"


def test_bearer_token_and_role_without_access(client, world):
    assert bundle_of(client.get("/fhir/Organization", headers=bearer_for(world.coordinator_55))).total == 2
    outcome_of(client.get("/fhir/Organization", headers={"Authorization": "Bearer nope"}), 401)
    user = UserFactory()
    user.save()
    outcome = outcome_of(client.get("/fhir/Organization", headers=bearer_for(user)), 403)
    assert outcome.issue[0].code == "forbidden"


def test_only_reads(admin):
    assert admin.post("/fhir/Organization", data={}, content_type="application/fhir+json").status_code in {
        403,
        405,
    }


@pytest.mark.django_db
def test_metadata_lists_supported_types_and_parameters(client):
    statement = resource_of(client.get("/fhir/metadata"), CapabilityStatement)
    assert statement.fhirVersion == "4.3.0"
    resources = {resource.type: resource for resource in statement.rest[0].resource}
    assert set(resources) == {
        "Organization",
        "Location",
        "HealthcareService",
        "Practitioner",
        "PractitionerRole",
        "Schedule",
        "Slot",
        "Appointment",
    }
    location_params = {param.name for param in resources["Location"].searchParam}
    assert {
        "_id",
        "name",
        "address-city",
        "address-postalcode",
        "organization",
        "partof",
        "_count",
    } <= location_params
    assert {i.code for i in resources["Practitioner"].interaction} == {"read", "search-type"}


def test_search_query_count_is_constant(client, crowded, django_assert_max_num_queries):
    client.force_login(user_with_role(Role.PLATFORM_ADMIN))
    for resource_type in [
        "Organization",
        "Location",
        "HealthcareService",
        "Practitioner",
        "PractitionerRole",
    ]:
        # a first call fills the per-process caches (the caller's grants): then only the size may vary
        bundle_of(client.get(f"/fhir/{resource_type}?_count=1"))
        counts = []
        for count in (1, 200):
            with django_assert_max_num_queries(14) as captured:
                bundle_of(client.get(f"/fhir/{resource_type}?_count={count}"))
            counts.append(len(captured.captured_queries))
        assert counts[0] == counts[1], resource_type
        assert len(bundle_of(client.get(f"/fhir/{resource_type}?_count=200")).entry) == 200
