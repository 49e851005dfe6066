"""Browser tests: a small Meuse territory drawn as a grid of communes, a few sites, a coordinator."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from maille.accounts.models import Role
from maille.directory.models import (
    EquipmentType,
    NetworkRoleKind,
    OpeningHours,
    Profession,
    SiteLevel,
    SiteUse,
    Specialty,
    Use,
    Weekday,
)
from maille.directory.reference_data import load_reference_data
from maille.territory.models import CommuneGeometry
from tests.factories import (
    CommuneFactory,
    CptsFactory,
    DepartementFactory,
    NetworkRoleFactory,
    ProfessionalFactory,
    RegionFactory,
    RoomFactory,
    SiteFactory,
    user_with_role,
)

PASSWORD = "motdepasse-test-1"
GRID_COLUMNS, GRID_ROWS = 6, 5
CELL = 0.1  # degrees
APL_VALUES = [1.1, 1.9, 2.4, 2.7, 3.2, 3.9, 4.6, 5.8, None]


def _square(lon: float, lat: float) -> dict:
    ring = [
        [lon, lat],
        [lon + CELL, lat],
        [lon + CELL, lat + CELL * 0.7],
        [lon, lat + CELL * 0.7],
        [lon, lat],
    ]
    return {"type": "Polygon", "coordinates": [[[round(x, 5), round(y, 5)] for x, y in ring]]}


# A request thread of the live server (socketserver names each one after its target).
REQUEST_THREAD_SUFFIX = "(process_request_thread)"


@pytest.fixture(autouse=True)
def _browsers_closed_and_requests_done_before_the_flush(request):
    """A transactional test's tables are flushed at its teardown. A page still open then (a day page polls every
    few seconds) or a request the live server is still running would write into the flush: once in CI it
    deadlocked it. Set up before the test's pages (autouse) and after its database, this teardown runs between
    the two: it closes every browser context the test left open, then waits for the server's requests to end."""
    if "live_server" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("transactional_db")
    browser = request.getfixturevalue("browser") if "browser" in request.fixturenames else None
    yield
    if browser is not None:
        for context in list(browser.contexts):
            context.close()
    for thread in threading.enumerate():
        if thread.name.endswith(REQUEST_THREAD_SUFFIX):
            thread.join(timeout=60)  # a safety valve against a hung request; a request ends in milliseconds


@pytest.fixture
def territory(db):
    # Transactional tests flush the tables the data migration filled: put the catalogues back.
    load_reference_data(EquipmentType, Specialty, Use)
    region = RegionFactory(code="44", name="Grand Est")
    DepartementFactory(code="55", name="Meuse", region=region)
    DepartementFactory(code="52", name="Haute-Marne", region=region)
    communes = []
    for row in range(GRID_ROWS):
        for column in range(GRID_COLUMNS):
            index = row * GRID_COLUMNS + column
            lon, lat = 5.0 + column * CELL, 48.8 + row * CELL * 0.7
            commune = CommuneFactory(
                code=f"55{index + 1:03d}",
                name=f"Commune fictive {index + 1}",
                population=200 + 37 * index,
                apl_gp=APL_VALUES[index % len(APL_VALUES)],
                latitude=lat + CELL * 0.35,
                longitude=lon + CELL / 2,
            )
            CommuneGeometry.objects.create(commune=commune, geojson=_square(lon, lat))
            communes.append(commune)
    haute_marne = CommuneFactory(code="52121", name="Chaumont", departement_id="52", apl_gp=3.0)
    CommuneGeometry.objects.create(commune=haute_marne, geojson=_square(5.1, 48.1))
    cpts = CptsFactory(name="CPTS du Val de Meuse (fictive)", departement_id="55", is_fictional=True)
    cpts.communes.add(*communes[:12])
    return {"communes": communes, "cpts": cpts}


@pytest.fixture
def network(territory):
    communes = territory["communes"]
    general = Use.objects.get(code="tlc-mg")
    dermato = Use.objects.get(code="tlc-dermato")
    sites = {}
    for name, commune, level, accessible, uses, equipment in [
        (
            "MSP de Souilly",
            communes[8],
            SiteLevel.MSP_2_0,
            True,
            [general, dermato],
            ["video", "dermatoscope"],
        ),
        ("Pharmacie du Centre", communes[14], SiteLevel.HYPER_PROXIMITY, False, [general], ["video"]),
        (
            "Maison de santé du territoire",
            communes[21],
            SiteLevel.TERRITORIAL_HOUSE,
            True,
            [general],
            ["video"],
        ),
    ]:
        site = SiteFactory(
            name=name,
            host_organisation__commune=commune,
            host_organisation__name=f"Structure de {name}",
            level=level,
            reduced_mobility_access=accessible,
            latitude=commune.latitude,
            longitude=commune.longitude,
            is_fictional=True,
        )
        for use in uses:
            SiteUse.objects.create(site=site, use=use)
        room = RoomFactory(site=site, name="Cabine de téléconsultation")
        room.equipment.add(*EquipmentType.objects.filter(code__in=[*equipment, "stethoscope", "oximeter"]))
        OpeningHours.objects.create(site=site, weekday=Weekday.TUESDAY, opens=dt.time(9), closes=dt.time(17))
        sites[name] = site
    doctor = NetworkRoleFactory(
        professional=ProfessionalFactory(last_name="Médecin-Fictif", first_name="Alex", is_fictional=True),
        kind=NetworkRoleKind.REMOTE_DOCTOR,
    )
    doctor.sites.add(*sites.values())
    nurse = NetworkRoleFactory(
        professional=ProfessionalFactory(
            last_name="Infirmier-Fictif", first_name="Sam", profession=Profession.NURSE, is_fictional=True
        ),
        kind=NetworkRoleKind.ASSISTANT,
    )
    nurse.sites.add(sites["MSP de Souilly"])
    coordinator = user_with_role(Role.COORDINATOR, departement_id="55")
    return {"sites": sites, "coordinator": coordinator, "password": PASSWORD}


@pytest.fixture
def audit_page(browser):
    """A page whose CSP lets the test inject axe-core (the pages under test never rely on that)."""
    context = browser.new_context(bypass_csp=True)
    yield context.new_page()
    context.close()
