"""FHIR read of each resource type, parsed back with fhir.resources."""

from __future__ import annotations

import pytest
from fhir.resources.R4B.healthcareservice import HealthcareService
from fhir.resources.R4B.location import Location
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.practitionerrole import PractitionerRole

from maille.core.identifiers import (
    FINESS_SYSTEM,
    INSEE_COMMUNE_SYSTEM,
    OID_IDNAT_PS,
    OID_IDNAT_STRUCT,
)
from maille.directory import fhir as mapping
from maille.directory.models import SiteUse
from tests.api.fhir_helpers import resource_of
from tests.api.world import FINESS_SOUILLY, SIRET_PHARMACY, bearer_for


@pytest.fixture
def admin(client, world):
    client.defaults.update({f"HTTP_{k.upper()}": v for k, v in bearer_for(world.admin).items()})
    return client


def identifier_pairs(resource) -> set[tuple[str, str]]:
    return {(identifier.system, identifier.value) for identifier in resource.identifier or []}


def test_organization_with_finess_and_national_identifiers(admin, world):
    organization = resource_of(admin.get(f"/fhir/Organization/{world.cabinet.pk}"), Organization)
    assert organization.name == world.cabinet.name
    assert identifier_pairs(organization) == {
        (FINESS_SYSTEM, FINESS_SOUILLY),
        (OID_IDNAT_STRUCT, "1" + FINESS_SOUILLY),
    }
    assert organization.type[0].coding[0].code == "cabinet_telemedecine"
    address = organization.address[0]
    assert (address.city, address.postalCode) == ("Souilly", "55220")
    assert address.extension[0].valueCoding.system == INSEE_COMMUNE_SYSTEM
    assert address.extension[0].valueCoding.code == "55502"
    assert organization.meta.tag[0].code == "fictif"


def test_organization_with_siret(admin, world):
    organization = resource_of(admin.get(f"/fhir/Organization/{world.pharmacy.pk}"), Organization)
    assert identifier_pairs(organization) == {(OID_IDNAT_STRUCT, "3" + SIRET_PHARMACY)}
    assert organization.meta is None  # real-looking (not flagged fictional) rows carry no demo tag


def test_site_location(admin, world):
    location = resource_of(admin.get(f"/fhir/Location/site-{world.site_souilly.pk}"), Location)
    assert location.physicalType.coding[0].code == "si"
    assert (float(location.position.latitude), float(location.position.longitude)) == (49.027, 5.283)
    assert location.managingOrganization.reference == f"Organization/{world.cabinet.pk}"
    assert location.address.city == "Souilly"
    assert location.address.district == "Meuse (55)"
    hours = [(h.daysOfWeek, str(h.openingTime), str(h.closingTime)) for h in location.hoursOfOperation]
    assert hours == [(["mon", "tue"], "09:00:00", "12:00:00"), (["tue"], "14:00:00", "18:00:00")]
    extensions = {extension.url: extension for extension in location.extension}
    assert extensions[mapping.SITE_LEVEL_EXTENSION].valueCoding.code == "msp_2_0"
    assert extensions[mapping.REDUCED_MOBILITY_EXTENSION].valueBoolean is True
    assert location.meta.tag[0].system == mapping.DATA_ORIGIN_SYSTEM


def test_room_location_is_part_of_its_site(admin, world):
    room = resource_of(admin.get(f"/fhir/Location/room-{world.room_souilly.pk}"), Location)
    assert room.physicalType.coding[0].code == "ro"
    assert room.partOf.reference == f"Location/site-{world.site_souilly.pk}"
    equipment = [extension.valueCoding.code for extension in room.extension]
    assert equipment == ["dermatoscope", "stethoscope", "video"]


def test_healthcare_service_marks_assisted_teleconsultation(admin, world):
    site_use = SiteUse.objects.get(site=world.site_souilly, use__code="tlc-dermato")
    service = resource_of(admin.get(f"/fhir/HealthcareService/{site_use.pk}"), HealthcareService)
    assert service.providedBy.reference == f"Organization/{world.cabinet.pk}"
    assert service.location[0].reference == f"Location/site-{world.site_souilly.pk}"
    assert service.type[0].coding[0].code == "tlc-dermato"
    assert service.category[0].coding[0].code == "tlc_specialisee"
    assert service.extension[0].url == mapping.CARE_MODE_EXTENSION
    assert service.extension[0].valueCoding.code == "teleconsultation-assistee"
    assert [c.coding[0].code for c in service.characteristic] == ["dermatoscope", "video"]
    specialty_codes = {(coding.system, coding.code) for coding in service.specialty[0].coding}
    assert (mapping.NOS_SPECIALTY_SYSTEM, "SM15") in specialty_codes


def test_practitioner_with_rpps_and_idnat_ps(admin, world):
    practitioner = resource_of(admin.get(f"/fhir/Practitioner/{world.doctor.pk}"), Practitioner)
    rpps = world.doctor.rpps
    assert identifier_pairs(practitioner) == {(OID_IDNAT_PS, "8" + rpps)}
    assert practitioner.name[0].family == "Fictif-Martin"
    assert practitioner.name[0].given == ["Camille"]
    assert practitioner.gender == "female"
    assert practitioner.meta.tag[0].code == "fictif"


def test_practitioner_role(admin, world):
    role = resource_of(admin.get(f"/fhir/PractitionerRole/{world.doctor_role.pk}"), PractitionerRole)
    assert role.practitioner.reference == f"Practitioner/{world.doctor.pk}"
    assert role.organization.reference == f"Organization/{world.cabinet.pk}"
    assert role.code[0].coding[0].code == "medecin_distant"
    assert {location.reference for location in role.location} == {
        f"Location/site-{site.pk}" for site in (world.site_souilly, world.site_verdun, world.site_nancy)
    }
    assert role.specialty[0].coding[0].code == "SM54"
    assert str(role.period.start) == "2026-01-01"
