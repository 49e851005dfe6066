"""Mapping of the directory to FHIR R4B resources (``fhir.resources``).

Organisation → Organization; Site and Room → Location (a room is ``partOf`` its site); SiteUse →
HealthcareService; Professional → Practitioner; NetworkRole → PractitionerRole. Identifiers use the French
national systems and OIDs of ``maille.core.identifiers``; what national code systems lack (assisted
teleconsultation, organisation kinds, uses, equipment, network roles) uses Maille code systems below.

Resource ids: ``Organization/{pk}``, ``Location/site-{pk}`` and ``Location/room-{pk}``,
``HealthcareService/{SiteUse pk}``, ``Practitioner/{pk}``, ``PractitionerRole/{NetworkRole pk}``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

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

from .attestations import SiteAttestation, site_attestations
from .models import NetworkRole, OpeningHours, Organisation, Professional, Room, Sex, Site, SiteUse

MAILLE_FHIR_BASE = "https://maille.example.org/fhir"
CODE_SYSTEM = MAILLE_FHIR_BASE + "/CodeSystem/"
EXTENSION = MAILLE_FHIR_BASE + "/StructureDefinition/"

DATA_ORIGIN_SYSTEM = CODE_SYSTEM + "data-origin"
ORGANISATION_KIND_SYSTEM = CODE_SYSTEM + "organisation-kind"
SITE_LEVEL_SYSTEM = CODE_SYSTEM + "site-level"
USE_SYSTEM = CODE_SYSTEM + "use"
USE_KIND_SYSTEM = CODE_SYSTEM + "use-kind"
CARE_MODE_SYSTEM = CODE_SYSTEM + "care-delivery-mode"
EQUIPMENT_SYSTEM = CODE_SYSTEM + "equipment-type"
SPECIALTY_SYSTEM = CODE_SYSTEM + "specialty"
ATTESTATION_SYSTEM = CODE_SYSTEM + "site-attestation"
PROFESSION_SYSTEM = CODE_SYSTEM + "profession"
NETWORK_ROLE_SYSTEM = CODE_SYSTEM + "network-role"
# NOS TRE_R38 (ordinal specialties) where a Maille specialty carries its code.
NOS_SPECIALTY_SYSTEM = (
    "https://mos.esante.gouv.fr/NOS/TRE_R38-SpecialiteOrdinale/FHIR/TRE-R38-SpecialiteOrdinale"
)
PHYSICAL_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/location-physical-type"

CARE_MODE_EXTENSION = EXTENSION + "care-delivery-mode"
COMMUNE_EXTENSION = EXTENSION + "commune-insee"
ROOM_EQUIPMENT_EXTENSION = EXTENSION + "room-equipment"
SITE_LEVEL_EXTENSION = EXTENSION + "site-level"
REDUCED_MOBILITY_EXTENSION = EXTENSION + "reduced-mobility-access"
ATTESTATION_EXTENSION = EXTENSION + "site-attestation"

ASSISTED_TELECONSULTATION = {
    "system": CARE_MODE_SYSTEM,
    "code": "teleconsultation-assistee",
    "display": "Téléconsultation assistée par un professionnel de santé sur site",
}
FICTIONAL_TAG = {"system": DATA_ORIGIN_SYSTEM, "code": "fictif", "display": "Donnée fictive de démonstration"}

FHIR_WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
FHIR_GENDERS: dict[str, str] = {Sex.FEMALE: "female", Sex.MALE: "male", Sex.OTHER: "unknown"}


def site_location_id(site_id: int) -> str:
    return f"site-{site_id}"


def room_location_id(room_id: int) -> str:
    return f"room-{room_id}"


def _meta(is_fictional: bool) -> dict[str, Any]:
    return {"meta": {"tag": [FICTIONAL_TAG]}} if is_fictional else {}


def _coding(system: str, code: str, display: str = "") -> dict[str, str]:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = str(display)
    return coding


def _concept(system: str, code: str, display: str = "") -> dict[str, Any]:
    return {"coding": [_coding(system, code, display)], **({"text": str(display)} if display else {})}


def _address(line: str, postal_code: str, commune: Any) -> dict[str, Any]:
    address: dict[str, Any] = {
        "use": "work",
        "type": "physical",
        "city": commune.name,
        "country": "FR",
        "extension": [
            {
                "url": COMMUNE_EXTENSION,
                "valueCoding": _coding(INSEE_COMMUNE_SYSTEM, commune.code, commune.name),
            }
        ],
    }
    if line:
        address["line"] = [line]
    if postal_code:
        address["postalCode"] = postal_code
    return address


def _telecom(phone: str, email: str) -> list[dict[str, str]]:
    points = []
    if phone:
        points.append({"system": "phone", "value": phone, "use": "work"})
    if email:
        points.append({"system": "email", "value": email, "use": "work"})
    return points


def _specialty_concept(specialty: Any) -> dict[str, Any]:
    codings = [_coding(SPECIALTY_SYSTEM, specialty.code, specialty.label)]
    if specialty.nos_code:
        codings.insert(0, _coding(NOS_SPECIALTY_SYSTEM, specialty.nos_code, specialty.label))
    return {"coding": codings, "text": specialty.label}


def structure_identifiers(organisation: Organisation) -> list[dict[str, Any]]:
    identifiers = []
    if organisation.finess:
        identifiers.append({"system": FINESS_SYSTEM, "value": organisation.finess})
        identifiers.append({"system": OID_IDNAT_STRUCT, "value": "1" + organisation.finess})
    if organisation.siret:
        identifiers.append({"system": OID_IDNAT_STRUCT, "value": "3" + organisation.siret})
    return identifiers


def organization_from(organisation: Organisation) -> Organization:
    """``organisation`` needs its commune loaded (select_related)."""
    data: dict[str, Any] = {
        "resourceType": "Organization",
        "id": str(organisation.pk),
        **_meta(organisation.is_fictional),
        "active": True,
        "type": [_concept(ORGANISATION_KIND_SYSTEM, organisation.kind, organisation.get_kind_display())],
        "name": organisation.name,
        "address": [_address(organisation.address, organisation.postal_code, organisation.commune)],
    }
    if identifiers := structure_identifiers(organisation):
        data["identifier"] = identifiers
    if telecom := _telecom(organisation.phone, organisation.email):
        data["telecom"] = telecom
    return Organization.model_validate(data)


def hours_of_operation(opening_hours: Iterable[OpeningHours]) -> list[dict[str, Any]]:
    """Group the days sharing the same range: Mon–Fri 9–12 is one entry, as FHIR intends."""
    days_by_range: dict[tuple[str, str], list[int]] = {}
    for hours in opening_hours:
        key = (f"{hours.opens:%H:%M:%S}", f"{hours.closes:%H:%M:%S}")
        days_by_range.setdefault(key, []).append(hours.weekday)
    return [
        {
            "daysOfWeek": [FHIR_WEEKDAYS[day] for day in sorted(set(days))],
            "openingTime": opens,
            "closingTime": closes,
        }
        for (opens, closes), days in sorted(days_by_range.items(), key=lambda item: (min(item[1]), item[0]))
    ]


def _period_extension(attestation: SiteAttestation) -> list[dict[str, Any]]:
    period = {}
    if attestation.valid_from:
        period["start"] = attestation.valid_from.isoformat()
    if attestation.valid_until:
        period["end"] = attestation.valid_until.isoformat()
    return [{"url": "period", "valuePeriod": period}] if period else []


def location_from_site(site: Site) -> Location:
    """``site`` needs commune__departement and opening_hours loaded."""
    data: dict[str, Any] = {
        "resourceType": "Location",
        "id": site_location_id(site.pk),
        **_meta(site.is_fictional),
        "status": "active" if site.is_active else "inactive",
        "name": site.name,
        "mode": "instance",
        "physicalType": _concept(PHYSICAL_TYPE_SYSTEM, "si", "Site"),
        "address": {
            **_address(site.address, site.postal_code, site.commune),
            "district": str(site.commune.departement),
        },
        "position": {"latitude": site.latitude, "longitude": site.longitude},
        "managingOrganization": {"reference": f"Organization/{site.host_organisation_id}"},
        "extension": [
            {
                "url": SITE_LEVEL_EXTENSION,
                "valueCoding": _coding(SITE_LEVEL_SYSTEM, site.level, site.get_level_display()),
            },
            {"url": REDUCED_MOBILITY_EXTENSION, "valueBoolean": site.reduced_mobility_access},
        ],
    }
    for attestation in site_attestations(site):
        # Location has no "characteristic" in R4B: an extension, with the attestation's period.
        data["extension"].append(
            {
                "url": ATTESTATION_EXTENSION,
                "extension": [
                    {
                        "url": "code",
                        "valueCoding": _coding(ATTESTATION_SYSTEM, attestation.code, attestation.display),
                    },
                    *_period_extension(attestation),
                ],
            }
        )
    if site.access_notes:
        data["description"] = site.access_notes
    if telecom := _telecom(site.public_phone, site.public_email):
        data["telecom"] = telecom
    if hours := hours_of_operation(site.opening_hours.all()):
        data["hoursOfOperation"] = hours
    return Location.model_validate(data)


def location_from_room(room: Room) -> Location:
    """``room`` needs site and equipment loaded."""
    site = room.site
    data: dict[str, Any] = {
        "resourceType": "Location",
        "id": room_location_id(room.pk),
        **_meta(site.is_fictional),
        "status": "active" if site.is_active and room.is_bookable else "inactive",
        "name": room.name,
        "mode": "instance",
        "physicalType": _concept(PHYSICAL_TYPE_SYSTEM, "ro", "Room"),
        "partOf": {"reference": f"Location/{site_location_id(site.pk)}", "display": site.name},
        "managingOrganization": {"reference": f"Organization/{site.host_organisation_id}"},
    }
    equipment = sorted(room.equipment.all(), key=lambda item: item.code)
    if equipment:
        data["extension"] = [
            {"url": ROOM_EQUIPMENT_EXTENSION, "valueCoding": _coding(EQUIPMENT_SYSTEM, item.code, item.label)}
            for item in equipment
        ]
    if room.notes:
        data["description"] = room.notes
    return Location.model_validate(data)


def healthcare_service_from(site_use: SiteUse) -> HealthcareService:
    """``site_use`` needs site, use__remote_specialty and use__required_equipment loaded."""
    site, use = site_use.site, site_use.use
    data: dict[str, Any] = {
        "resourceType": "HealthcareService",
        "id": str(site_use.pk),
        **_meta(site.is_fictional),
        "active": site_use.is_active and site.is_active,
        "providedBy": {"reference": f"Organization/{site.host_organisation_id}"},
        "location": [{"reference": f"Location/{site_location_id(site.pk)}", "display": site.name}],
        "name": f"{use.name} — {site.name}",
        "category": [_concept(USE_KIND_SYSTEM, use.kind, use.get_kind_display())],
        "type": [_concept(USE_SYSTEM, use.code, use.name)],
        "appointmentRequired": True,
    }
    if use.assisting_professions:
        data["extension"] = [{"url": CARE_MODE_EXTENSION, "valueCoding": ASSISTED_TELECONSULTATION}]
    if use.remote_specialty is not None:
        data["specialty"] = [_specialty_concept(use.remote_specialty)]
    equipment = sorted(use.required_equipment.all(), key=lambda item: item.code)
    characteristics = [_concept(EQUIPMENT_SYSTEM, item.code, item.label) for item in equipment]
    # The site's attestations in force (its quality label) are characteristics of each service it offers.
    characteristics += [_concept(ATTESTATION_SYSTEM, a.code, a.display) for a in site_attestations(site)]
    if characteristics:
        data["characteristic"] = characteristics
    if use.description:
        data["comment"] = use.description
    return HealthcareService.model_validate(data)


def practitioner_identifiers(professional: Professional) -> list[dict[str, Any]]:
    """The national identifier only (IdNat_PS: "8" + RPPS under the ANS OID), as FR Core expects."""
    return [{"system": OID_IDNAT_PS, "value": professional.idnat_ps}]


def practitioner_from(professional: Professional) -> Practitioner:
    data: dict[str, Any] = {
        "resourceType": "Practitioner",
        "id": str(professional.pk),
        **_meta(professional.is_fictional),
        "identifier": practitioner_identifiers(professional),
        "active": True,
        "name": [
            {
                "use": "official",
                "family": professional.last_name,
                "given": [professional.first_name],
                "text": f"{professional.first_name} {professional.last_name}",
            }
        ],
        "gender": FHIR_GENDERS.get(professional.sex, "unknown"),
        "qualification": [
            {
                "code": _concept(
                    PROFESSION_SYSTEM, professional.profession, professional.get_profession_display()
                )
            }
        ],
    }
    if telecom := _telecom(professional.phone, professional.email):
        data["telecom"] = telecom
    if professional.languages:
        data["communication"] = [
            {"coding": [{"system": "urn:ietf:bcp:47", "code": language}]}
            for language in professional.languages
        ]
    return Practitioner.model_validate(data)


def practitioner_role_from(role: NetworkRole, visible_sites: Iterable[Site]) -> PractitionerRole:
    """``role`` needs professional__specialty; ``visible_sites`` are its sites inside the caller's scope."""
    professional = role.professional
    data: dict[str, Any] = {
        "resourceType": "PractitionerRole",
        "id": str(role.pk),
        **_meta(professional.is_fictional),
        "active": role.is_active,
        "practitioner": {"reference": f"Practitioner/{professional.pk}", "display": str(professional)},
        "code": [_concept(NETWORK_ROLE_SYSTEM, role.kind, role.get_kind_display())],
    }
    if role.organisation_id:
        data["organization"] = {"reference": f"Organization/{role.organisation_id}"}
    locations = [
        {"reference": f"Location/{site_location_id(site.pk)}", "display": site.name} for site in visible_sites
    ]
    if locations:
        data["location"] = locations
    if professional.specialty is not None:
        data["specialty"] = [_specialty_concept(professional.specialty)]
    period = {}
    if role.start_date:
        period["start"] = role.start_date.isoformat()
    if role.end_date:
        period["end"] = role.end_date.isoformat()
    if period:
        data["period"] = period
    return PractitionerRole.model_validate(data)
