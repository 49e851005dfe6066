"""A small directory in two départements (Meuse 55 in scope of most users, Meurthe-et-Moselle 54 outside),
shared by the /api/v1 and /fhir tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from maille.accounts.models import ApiToken, Role
from maille.directory.models import (
    EquipmentType,
    NetworkRoleKind,
    OpeningHours,
    Organisation,
    OrganisationKind,
    Profession,
    Sex,
    SiteLevel,
    SiteUse,
    Specialty,
    Use,
)
from maille.territory.models import Epci
from tests.factories import (
    CommuneFactory,
    CptsFactory,
    DepartementFactory,
    NetworkRoleFactory,
    OrganisationFactory,
    ProfessionalFactory,
    RoomFactory,
    SiteFactory,
    user_with_role,
)

FINESS_SOUILLY = "550000046"  # Luhn-valid, fictional
SIRET_PHARMACY = "73282932000074"  # Luhn-valid SIRET of the stdnum examples


@dataclass
class World:
    meuse: Any
    meurthe: Any
    souilly: Any
    verdun: Any
    nancy: Any
    cpts: Any
    cabinet: Any
    pharmacy: Any
    site_souilly: Any
    site_verdun: Any
    site_nancy: Any
    room_souilly: Any
    doctor: Any
    nurse: Any
    nancy_nurse: Any
    doctor_role: Any
    nurse_role: Any
    nancy_role: Any
    admin: Any
    coordinator_55: Any
    site_staff_verdun: Any


def build_world() -> World:
    meuse = DepartementFactory(code="55", name="Meuse")
    meurthe = DepartementFactory(code="54", name="Meurthe-et-Moselle", region=meuse.region)
    epci = Epci.objects.create(siren="200066587", name="CC Val de Meuse - Voie Sacrée", kind="CC")
    souilly = CommuneFactory(code="55502", name="Souilly", departement=meuse, epci=epci, apl_gp=1.9)
    verdun = CommuneFactory(code="55545", name="Verdun", departement=meuse, apl_gp=3.1, population=16000)
    nancy = CommuneFactory(code="54395", name="Nancy", departement=meurthe, apl_gp=4.2, population=104000)
    cpts = CptsFactory(name="CPTS Cœur de Meuse (fictive)", departement=meuse, is_fictional=True)
    cpts.communes.set([souilly, verdun])

    cabinet = Organisation.objects.create(
        name="Cabinet de télémédecine de Souilly (fictif)",
        kind=OrganisationKind.TELEMEDICINE_PRACTICE,
        finess=FINESS_SOUILLY,
        address="2 rue de la Voie Sacrée",
        postal_code="55220",
        commune=souilly,
        is_fictional=True,
    )
    pharmacy = OrganisationFactory(
        name="Pharmacie du Rozelier (fictive)", commune=verdun, siret=SIRET_PHARMACY
    )
    site_souilly = SiteFactory(
        name="Point de téléconsultation de Souilly",
        host_organisation=cabinet,
        level=SiteLevel.MSP_2_0,
        postal_code="55220",
        latitude=49.027,
        longitude=5.283,
        reduced_mobility_access=True,
        is_fictional=True,
    )
    site_verdun = SiteFactory(name="Cabine de Verdun", host_organisation=pharmacy, is_fictional=True)
    site_nancy = SiteFactory(
        name="Cabine de Nancy", host_organisation=OrganisationFactory(commune=nancy), is_fictional=True
    )
    room_souilly = RoomFactory(site=site_souilly, name="Salle 1")
    room_souilly.equipment.set(
        EquipmentType.objects.filter(code__in=["video", "stethoscope", "dermatoscope"])
    )
    RoomFactory(site=site_verdun, name="Cabine").equipment.set(EquipmentType.objects.filter(code="video"))
    OpeningHours.objects.create(site=site_souilly, weekday=0, opens=dt.time(9), closes=dt.time(12))
    OpeningHours.objects.create(site=site_souilly, weekday=1, opens=dt.time(9), closes=dt.time(12))
    OpeningHours.objects.create(site=site_souilly, weekday=1, opens=dt.time(14), closes=dt.time(18))
    SiteUse.objects.create(site=site_souilly, use=Use.objects.get(code="tlc-mg"))
    SiteUse.objects.create(site=site_souilly, use=Use.objects.get(code="tlc-dermato"), duration_minutes=25)
    SiteUse.objects.create(site=site_verdun, use=Use.objects.get(code="tlc-mg"))
    SiteUse.objects.create(site=site_nancy, use=Use.objects.get(code="tlc-mg"))

    doctor = ProfessionalFactory(
        last_name="Fictif-Martin",
        first_name="Camille",
        specialty=Specialty.objects.get(code="medecine-generale"),
        sex=Sex.FEMALE,
        is_fictional=True,
    )
    nurse = ProfessionalFactory(last_name="Fictif-Leroy", profession=Profession.NURSE, sex=Sex.MALE)
    nancy_nurse = ProfessionalFactory(last_name="Fictif-Nancy", profession=Profession.NURSE)
    doctor_role = NetworkRoleFactory(
        professional=doctor, organisation=cabinet, start_date=dt.date(2026, 1, 1)
    )
    doctor_role.sites.set([site_souilly, site_verdun, site_nancy])
    nurse_role = NetworkRoleFactory(professional=nurse, kind=NetworkRoleKind.ASSISTANT)
    nurse_role.sites.set([site_verdun])
    nancy_role = NetworkRoleFactory(professional=nancy_nurse, kind=NetworkRoleKind.ASSISTANT)
    nancy_role.sites.set([site_nancy])

    return World(
        meuse=meuse,
        meurthe=meurthe,
        souilly=souilly,
        verdun=verdun,
        nancy=nancy,
        cpts=cpts,
        cabinet=cabinet,
        pharmacy=pharmacy,
        site_souilly=site_souilly,
        site_verdun=site_verdun,
        site_nancy=site_nancy,
        room_souilly=room_souilly,
        doctor=doctor,
        nurse=nurse,
        nancy_nurse=nancy_nurse,
        doctor_role=doctor_role,
        nurse_role=nurse_role,
        nancy_role=nancy_role,
        admin=user_with_role(Role.PLATFORM_ADMIN),
        coordinator_55=user_with_role(Role.COORDINATOR, departement=meuse),
        site_staff_verdun=user_with_role(Role.SITE_STAFF, site=site_verdun),
    )


def bearer_for(user: Any) -> dict[str, str]:
    """Headers of a client authenticated by a fresh API token of ``user``."""
    _token, raw = ApiToken.issue(user=user, name="tests")
    return {"Authorization": f"Bearer {raw}"}
