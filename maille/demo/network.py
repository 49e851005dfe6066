"""The illustrative demo network: sites in real communes of Meuse (55), Haute-Marne (52) and
Meurthe-et-Moselle (54), one cabinet de télémédecine in Souilly with four remote doctors, assisting
nurses and pharmacists, three CPTS.

Everything here is FICTIONAL and flagged ``is_fictional``: no real person, organisation or address; the
communes are real. RPPS numbers are valid by checksum but taken in the clearly fake range 19999990xxx;
FINESS/SIRET are left empty; phone numbers are in the range ARCEP keeps for fiction (03 53 01 xx xx). Site coordinates are the commune centroid shifted by a few hundred metres.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import time
from typing import Any

from django.db import transaction

from maille.core.identifiers import luhn_complete
from maille.directory.models import (
    EquipmentType,
    NetworkRole,
    NetworkRoleKind,
    OpeningHours,
    Organisation,
    OrganisationKind,
    Profession,
    Professional,
    Room,
    Sex,
    Site,
    SiteLevel,
    SiteUse,
    Specialty,
    Use,
)
from maille.territory.models import Commune, Cpts, Departement

FICTIONAL = " (fictif)"

# name, département, EPCI SIRENs whose communes form the perimeter
DEMO_CPTS: list[tuple[str, str, list[str]]] = [
    (
        "CPTS Cœur de Meuse",
        "55",
        ["200066165", "200049187", "245501242", "245501176", "200034874", "200066173"],
    ),
    ("CPTS Nord Meusien et Argonne", "55", ["200066132", "245501259", "200066116"]),
    ("CPTS Sud Haute-Marne", "52", ["200070332", "200027308", "200072999"]),
]

GENERAL_KIT = ["video", "stethoscope", "otoscope", "oximeter", "bp_monitor", "thermometer"]
SPECIALIST_KIT = [*GENERAL_KIT, "dermatoscope", "ecg", "scales"]

PHARMACY_HOURS = [(d, time(9), time(12, 15)) for d in range(6)] + [(d, time(14), time(19)) for d in range(5)]
MSP_HOURS = [(d, time(8, 30), time(12, 30)) for d in range(5)] + [
    (d, time(13, 30), time(18, 30)) for d in range(5)
]
NURSING_HOURS = [(d, time(8), time(12)) for d in range(5)] + [(d, time(14), time(17)) for d in (0, 2, 4)]
TOWN_HALL_HOURS = [(1, time(9), time(12)), (3, time(9), time(12)), (3, time(14), time(17))]


@dataclass(frozen=True)
class DemoSite:
    commune: str
    name: str
    host: str
    host_kind: str
    level: str
    rooms: int
    hours: list[tuple[int, time, time]]
    assistants: list[tuple[str, str, str]]  # (first name, last name, profession)
    step_free: bool = True


N, P = Profession.NURSE, Profession.PHARMACIST
HYPER, MSP2, HOUSE = SiteLevel.HYPER_PROXIMITY, SiteLevel.MSP_2_0, SiteLevel.TERRITORIAL_HOUSE
K = OrganisationKind

DEMO_SITES: list[DemoSite] = [
    DemoSite("55498", "Maison de santé de territoire de Souilly", "Maison de santé de Souilly", K.MSP, HOUSE, 2,
             MSP_HOURS, [("Sacha", "Exemple", N), ("Noa", "Témoin", N)]),
    DemoSite("55132", "Pharmacie des Forges", "Pharmacie des Forges", K.PHARMACY, HYPER, 1, PHARMACY_HOURS,
             [("Lou", "Fictif", P)]),
    DemoSite("55502", "MSP 2.0 de Stenay", "MSP du Pays de Stenay", K.MSP, MSP2, 2, MSP_HOURS,
             [("Eden", "Modèle", N), ("Ange", "Essai", N)]),
    DemoSite("55351", "Pharmacie de la Citadelle", "Pharmacie de la Citadelle", K.PHARMACY, HYPER, 1,
             PHARMACY_HOURS, [("Maël", "Démo", P)]),
    DemoSite("55145", "Cabinet infirmier de Damvillers", "Cabinet infirmier de Damvillers", K.NURSING_PRACTICE,
             HYPER, 1, NURSING_HOURS, [("Charlie", "Spécimen", N)]),
    DemoSite("55181", "MSP 2.0 du Pays d'Étain", "MSP du Pays d'Étain", K.MSP, MSP2, 2, MSP_HOURS,
             [("Alex", "Prototype", N), ("Sasha", "Maquette", P)]),
    DemoSite("55198", "Point santé de la mairie de Fresnes-en-Woëvre", "Commune de Fresnes-en-Woëvre",
             K.LOCAL_AUTHORITY, HYPER, 1, TOWN_HALL_HOURS, [("Yaël", "Échantillon", N)], step_free=False),
    DemoSite("55551", "Pharmacie des Côtes", "Pharmacie des Côtes", K.PHARMACY, HYPER, 1, PHARMACY_HOURS,
             [("Andréa", "Fictif", P)]),
    DemoSite("55117", "EHPAD de l'Argonne — salle de téléconsultation", "EHPAD de l'Argonne", K.EHPAD, HYPER, 1,
             NURSING_HOURS, [("Camille", "Essai", N)]),
    DemoSite("55427", "France Services de Revigny", "France Services de Revigny-sur-Ornain", K.FRANCE_SERVICES,
             HYPER, 1, TOWN_HALL_HOURS, [("Robin", "Témoin", N)]),
    DemoSite("52177", "Pharmacie du Rognon", "Pharmacie du Rognon", K.PHARMACY, HYPER, 1, PHARMACY_HOURS,
             [("Jules", "Exemple", P)]),
    DemoSite("52398", "Cabinet infirmier de Poissons", "Cabinet infirmier de Poissons", K.NURSING_PRACTICE, HYPER,
             1, NURSING_HOURS, [("Louison", "Démo", N)]),
    DemoSite("52197", "MSP 2.0 de Fayl-Billot", "MSP de Fayl-Billot", K.MSP, MSP2, 2, MSP_HOURS,
             [("Gabriel", "Modèle", N), ("Élie", "Spécimen", P)]),
    DemoSite("52023", "Point santé de la mairie d'Auberive", "Commune d'Auberive", K.LOCAL_AUTHORITY, HYPER, 1,
             TOWN_HALL_HOURS, [("Marion", "Essai", N)]),
    DemoSite("54129", "MSP de la Vezouze", "MSP de la Vezouze", K.MSP, MSP2, 2, MSP_HOURS,
             [("Noé", "Prototype", N)]),
    DemoSite("54135", "Pharmacie du Toulois", "Pharmacie du Toulois", K.PHARMACY, HYPER, 1, PHARMACY_HOURS,
             [("Lilou", "Maquette", P)]),
]  # fmt: skip

# first name, last name, sex, languages, specialty
DEMO_DOCTORS: list[tuple[str, str, str, list[str], str]] = [
    ("Claude", "Téléconsultant", Sex.FEMALE, ["fr", "en"], "medecine-generale"),
    ("Dominique", "Exemple", Sex.MALE, ["fr", "de"], "medecine-generale"),
    ("Jordan", "Fictif", Sex.FEMALE, ["fr"], "medecine-generale"),
    ("Morgan", "Spécimen", Sex.MALE, ["fr", "en"], "dermatologie"),
]

CABINET_NAME = "Cabinet de télémédecine de Souilly"


def fake_rpps(number: int) -> str:
    """A checksum-valid RPPS in the clearly fictional range 19999990000-19999999999."""
    return luhn_complete(f"1999999{number:03d}")


@transaction.atomic
def load_demo_network() -> dict[str, int]:
    """Create (idempotently) the demo CPTS, organisations, sites, rooms, professionals and roles."""
    communes = Commune.objects.in_bulk([site.commune for site in DEMO_SITES] + ["55498"])
    missing = sorted({site.commune for site in DEMO_SITES} - set(communes))
    if missing:
        raise RuntimeError(f"Communes absentes du territoire chargé : {', '.join(missing)}")
    _load_cpts()
    cabinet = _load_cabinet(communes["55498"])
    equipment = EquipmentType.objects.in_bulk()
    uses = Use.objects.in_bulk(field_name="code")
    sites: list[Site] = []
    serial = 100  # assistants' fictional RPPS numbers follow one another across sites
    for index, spec in enumerate(DEMO_SITES):
        sites.append(_load_site(index, spec, communes[spec.commune], equipment, uses, serial))
        serial += len(spec.assistants)
    _load_doctors(sites, cabinet)
    _load_coordinator()
    return {
        "sites": len(sites),
        "professionals": Professional.objects.filter(is_fictional=True).count(),
        "cpts": Cpts.objects.filter(is_fictional=True).count(),
    }


def _load_cpts() -> None:
    """The demo CPTS (their communes are the EPCI's) and an organisation for each."""
    for name, departement, epcis in DEMO_CPTS:
        cpts, _ = Cpts.objects.update_or_create(
            name=name + FICTIONAL,
            defaults={"departement": Departement.objects.get(pk=departement), "is_fictional": True},
        )
        cpts.communes.set(Commune.objects.filter(epci_id__in=epcis))
        Organisation.objects.update_or_create(
            name=name + FICTIONAL,
            defaults={"kind": K.CPTS, "commune_id": Commune.objects.filter(epci_id=epcis[0]).order_by("-population")
                      .values_list("pk", flat=True).first(), "cpts": cpts, "is_fictional": True},
        )  # fmt: skip


def _load_cabinet(commune: Commune) -> Organisation:
    """The telemedicine practice whose doctors serve every demo site."""
    cabinet, _ = Organisation.objects.update_or_create(
        name=CABINET_NAME + FICTIONAL,
        defaults={"kind": K.TELEMEDICINE_PRACTICE, "commune": commune, "is_fictional": True,
                  "address": "2 rue de la Voie Sacrée (adresse fictive)", "postal_code": "55220"},
    )  # fmt: skip
    return cabinet


def _load_site(
    index: int,
    spec: DemoSite,
    commune: Commune,
    equipment: dict[Any, Any],
    uses: dict[str, Use],
    first_serial: int,
) -> Site:
    """One demo site with its host, rooms and equipment, opening hours, uses and assistants."""
    host, _ = Organisation.objects.update_or_create(
        name=spec.host + FICTIONAL,
        defaults={"kind": spec.host_kind, "commune": commune, "is_fictional": True,
                  "address": f"{index + 1} place de la Mairie (adresse fictive)",
                  "postal_code": (commune.postal_codes or [""])[0]},
    )  # fmt: skip
    # Spread sites a few hundred metres from the centroid, deterministically.
    lat = (commune.latitude or 0.0) + 0.002 * ((index % 3) - 1)
    lon = (commune.longitude or 0.0) + 0.003 * ((index % 2) - 0.5)
    site, _ = Site.objects.update_or_create(
        name=spec.name + FICTIONAL,
        defaults={"host_organisation": host, "level": spec.level, "commune": commune,
                  "address": f"{index + 1} place de la Mairie (adresse fictive)",
                  "postal_code": (commune.postal_codes or [""])[0], "latitude": lat, "longitude": lon,
                  "reduced_mobility_access": spec.step_free, "public_phone": f"+3335301{index:04d}",
                  "access_notes": "Site fictif de démonstration.", "is_fictional": True},
    )  # fmt: skip
    kit = SPECIALIST_KIT if spec.level != HYPER else GENERAL_KIT
    for number in range(1, spec.rooms + 1):
        room, _ = Room.objects.get_or_create(site=site, name=f"Salle de téléconsultation {number}")
        room.equipment.set([equipment[code] for code in (kit if number == 1 else GENERAL_KIT)])
    OpeningHours.objects.filter(site=site).delete()
    OpeningHours.objects.bulk_create(
        OpeningHours(site=site, weekday=day, opens=opens, closes=closes) for day, opens, closes in spec.hours
    )
    offered = ["tlc-mg"] + (["tlc-dermato", "te-dermato"] if spec.level != HYPER else [])
    for code in offered:
        SiteUse.objects.get_or_create(site=site, use=uses[code])
    for offset, (first, last, profession) in enumerate(spec.assistants, start=1):
        assistant, _ = Professional.objects.update_or_create(
            rpps=fake_rpps(first_serial + offset),
            defaults={"first_name": first, "last_name": last, "email": demo_email(first, last),
                      "profession": profession, "sex": Sex.OTHER, "languages": ["fr"], "is_fictional": True},
        )  # fmt: skip
        role, _ = NetworkRole.objects.get_or_create(
            professional=assistant, kind=NetworkRoleKind.ASSISTANT, defaults={"organisation": host}
        )
        role.sites.add(site)
    return site


def demo_email(first: str, last: str) -> str:
    """An address of the example.org domain (reserved: it reaches nobody)."""
    ascii_name = unicodedata.normalize("NFKD", f"{first}.{last}").encode("ascii", "ignore").decode().lower()
    return f"{ascii_name.replace(' ', '-')}@example.org"


def _load_doctors(sites: list[Site], cabinet: Organisation) -> None:
    """Remote doctors of the practice: generalists serve every site, dermatologists the larger ones."""
    specialties = Specialty.objects.in_bulk()
    for number, (first, last, sex, languages, specialty) in enumerate(DEMO_DOCTORS, start=1):
        doctor, _ = Professional.objects.update_or_create(
            rpps=fake_rpps(number),
            defaults={"first_name": first, "last_name": last, "profession": Profession.DOCTOR, "sex": sex,
                      "languages": languages, "specialty": specialties[specialty], "is_fictional": True},
        )  # fmt: skip
        role, _ = NetworkRole.objects.get_or_create(
            professional=doctor, kind=NetworkRoleKind.REMOTE_DOCTOR, defaults={"organisation": cabinet}
        )
        if specialty == "dermatologie":
            role.sites.set([site for site in sites if site.level != HYPER])
        else:
            role.sites.set(sites)


def _load_coordinator() -> None:
    """The CPTS's fictional coordinator (a nurse), as a network role."""
    coordinator, _ = Professional.objects.update_or_create(
        rpps=fake_rpps(900),
        defaults={"first_name": "Ariel", "last_name": "Coordination", "profession": Profession.NURSE,
                  "sex": Sex.OTHER, "languages": ["fr"], "is_fictional": True},
    )  # fmt: skip
    cpts_organisation = Organisation.objects.get(name=DEMO_CPTS[0][0] + FICTIONAL)
    NetworkRole.objects.get_or_create(
        professional=coordinator,
        kind=NetworkRoleKind.COORDINATOR,
        defaults={"organisation": cpts_organisation},
    )
