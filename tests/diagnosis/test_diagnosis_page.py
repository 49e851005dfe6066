"""The diagnosis of a zone: key figures from the official APL and the travel time to the nearest site,
coverage gaps, the network's capacity and occupancy; the page, its sorting, its CSV and GeoJSON, its scope."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from maille.accounts.models import Role
from maille.core.models import Channel
from maille.diagnosis.figures import diagnose, sorted_rows
from maille.diagnosis.zones import Zone, zone_for, zones_visible_to
from maille.scheduling.models import Appointment, AppointmentStatus
from maille.territory.models import CommuneGeometry, Cpts
from tests.factories import CommuneFactory, DepartementFactory, RoomFactory, SiteFactory, user_with_role
from tests.patients.factories import PatientFactory
from tests.scheduling.factories import weekly

pytestmark = pytest.mark.django_db
SQUARE = {"type": "Polygon", "coordinates": [[[5.3, 49.0], [5.31, 49.0], [5.31, 49.01], [5.3, 49.0]]]}


@pytest.fixture
def zone_world():
    meuse = DepartementFactory(code="55", name="Meuse")
    marne = DepartementFactory(code="52", name="Haute-Marne", region=meuse.region)
    # with the offline travel model (1.3 min/km): 0.085° of latitude ≈ 12 min, 0.4° ≈ 58 min
    near = CommuneFactory(code="55001", name="Près", departement=meuse, population=500, apl_gp=1.2,
                          apl_year=2023, latitude=49.0, longitude=5.3)  # fmt: skip
    far = CommuneFactory(code="55002", name="Loin", departement=meuse, population=1000, apl_gp=2.0,
                         apl_year=2023, latitude=49.4, longitude=5.3)  # fmt: skip
    middle = CommuneFactory(code="55003", name="Milieu", departement=meuse, population=2000, apl_gp=3.0,
                            apl_year=2023, latitude=49.085, longitude=5.3)  # fmt: skip
    unknown = CommuneFactory(code="55004", name="Sans APL", departement=meuse, population=100, apl_gp=None,
                             latitude=49.0, longitude=5.31)  # fmt: skip
    elsewhere = CommuneFactory(code="52001", name="Ailleurs", departement=marne, population=9000, apl_gp=1.0,
                               latitude=48.1, longitude=5.1)  # fmt: skip
    for commune in (near, far, middle, unknown, elsewhere):
        CommuneGeometry.objects.create(commune=commune, geojson=SQUARE)
    site = SiteFactory(name="Maison de santé de Près", host_organisation__commune=near, commune=near,
                       latitude=49.0, longitude=5.3)  # fmt: skip
    room = RoomFactory(site=site)
    weekly(room=room, starts="09:00", ends="12:00")  # 5 × 3 h
    cpts = Cpts.objects.create(name="CPTS du Nord meusien", departement=meuse)
    cpts.communes.add(near, far)
    return {"site": site, "room": room, "cpts": cpts}


def test_the_key_figures_of_a_departement(zone_world):
    admin = user_with_role(Role.PLATFORM_ADMIN)
    diagnosis = diagnose(admin, Zone("departement", "55", "Meuse"))
    assert diagnosis.population == 3600
    assert diagnosis.under_sous_dense == 1500  # Près (1.2) and Loin (2.0)
    assert diagnosis.under_very_low == 500
    assert diagnosis.beyond == {20: 1000, 30: 1000}  # Loin, about an hour away
    assert diagnosis.gap_population == 1000
    assert diagnosis.communes_without_apl == 1
    assert diagnosis.apl_year == 2023
    rows = {row.code: row for row in diagnosis.rows}
    assert rows["55001"].travel_minutes == 0.0
    assert 11 < rows["55003"].travel_minutes < 14
    assert rows["55002"].nearest_site == "Maison de santé de Près"
    assert [row.code for row in sorted_rows(diagnosis.rows, "apl")] == ["55001", "55002", "55003", "55004"]
    assert [row.code for row in sorted_rows(diagnosis.rows, "trajet")][0] == "55002"
    assert [row.code for row in sorted_rows(diagnosis.rows, "ecart")][0] == "55002"


def test_capacity_and_occupancy_of_the_zone_s_sites(zone_world):
    site, room = zone_world["site"], zone_world["room"]
    started = timezone.now() - dt.timedelta(days=3)
    Appointment.objects.create(
        use=_use(), site=site, room=room, doctor=_doctor(), patient=PatientFactory(), starts_at=started,
        ends_at=started + dt.timedelta(minutes=90), status=AppointmentStatus.COMPLETED, channel=Channel.PHONE,
    )  # fmt: skip
    diagnosis = diagnose(user_with_role(Role.PLATFORM_ADMIN), Zone("departement", "55", "Meuse"))
    (row,) = diagnosis.sites
    assert row.room_hours_per_week == 15
    assert row.occupancy == pytest.approx(90 / (15 * 60 * 4))
    assert diagnosis.occupancy == pytest.approx(row.occupancy)


def _use():
    from tests.scheduling.factories import make_use

    return make_use()


def _doctor():
    from maille.directory.models import Profession
    from tests.factories import ProfessionalFactory

    return ProfessionalFactory(profession=Profession.DOCTOR)


def test_zones_follow_the_scope(zone_world):
    coordinator = user_with_role(Role.COORDINATOR, departement_id="55")
    zones = zones_visible_to(coordinator)
    assert [z.key for z in zones["departement"]] == ["departement:55"]
    assert [z.name for z in zones["cpts"]] == ["CPTS du Nord meusien"]
    assert zone_for(coordinator, "departement:52") is None
    assert zone_for(coordinator, "nimportequoi") is None
    cpts = zone_for(coordinator, f"cpts:{zone_world['cpts'].pk}")
    assert diagnose(coordinator, cpts).population == 1500


def test_the_page_shows_figures_sources_and_the_sorted_table(client, zone_world):
    client.force_login(user_with_role(Role.COORDINATOR, departement_id="55"))
    page = client.get(reverse("diagnosis:diagnosis"))
    assert page.status_code == 200
    html = page.content.decode()
    population = re.search(r'data-testid="figure-population">([^<]+)<', html).group(1)
    assert re.sub(r"\D", "", population) == "3600"
    assert "DREES" in html
    assert "INSEE" in html
    assert html.index("Près") < html.index("Milieu")  # lowest APL first
    by_travel = client.get(reverse("diagnosis:diagnosis"), {"zone": "departement:55", "tri": "trajet"})
    rows = by_travel.content.decode().split('data-testid="commune-row"')
    assert "Loin" in rows[1]
    assert client.get(reverse("diagnosis:diagnosis"), {"zone": "departement:52"}).status_code == 404
    assert client.get(reverse("diagnosis:diagnosis"), {"zone": "epci:x"}).status_code == 404


def test_csv_and_geojson_downloads(client, zone_world):
    client.force_login(user_with_role(Role.COORDINATOR, departement_id="55"))
    response = client.get(reverse("diagnosis:csv"), {"zone": "departement:55"})
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:3] == ["code_insee", "commune", "population"]
    loin = next(r for r in rows if r[0] == "55002")
    assert (loin[3], loin[7]) == ("2,000", "oui")
    geo = json.loads(client.get(reverse("diagnosis:geojson"), {"zone": "departement:55"}).content)
    properties = {f["properties"]["code"]: f["properties"] for f in geo["features"]}
    assert set(properties) == {"55001", "55002", "55003", "55004"}  # never the other département's
    assert properties["55002"]["gap"] is True
    assert properties["55004"]["apl"] is None
    assert client.get(reverse("diagnosis:geojson"), {"zone": "departement:52"}).status_code == 404


def test_roles_without_diagnosis_get_403(client, zone_world):
    client.force_login(user_with_role(Role.SITE_STAFF, site=zone_world["site"]))
    assert client.get(reverse("diagnosis:diagnosis")).status_code == 403


def test_a_site_envisaged_or_removed_by_hand_changes_the_figures(zone_world):
    from maille.diagnosis.figures import WhatIf

    admin = user_with_role(Role.PLATFORM_ADMIN)
    meuse = Zone("departement", "55", "Meuse")
    with_loin = diagnose(admin, meuse, what_if=WhatIf(added=(("55002", "Loin", 49.4, 5.3),)))
    assert with_loin.beyond == {20: 0, 30: 0}
    assert with_loin.gap_population == 0
    assert with_loin.envisaged == ["Loin"]
    assert {r.code: r.nearest_site for r in with_loin.rows}["55002"] == "site envisagé à Loin"
    without = diagnose(admin, meuse, what_if=WhatIf(removed=frozenset({zone_world["site"].pk})))
    assert without.beyond == {20: 3600, 30: 3600}  # no site left anywhere
    assert without.gap_population == 1500
    assert without.sites == []


def test_the_page_compares_a_hand_drawn_scenario_with_today(client, zone_world):
    client.force_login(user_with_role(Role.COORDINATOR, departement_id="55"))
    page = client.get(reverse("diagnosis:diagnosis"), {"zone": "departement:55", "ajout": "loin"})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="scenario-summary"' in html
    assert "site envisagé à Loin" in html
    assert html.count('data-testid="change"') == 4  # beyond 20, beyond 30, gap, lifted by the network
    fragment = client.get(reverse("diagnosis:figures"), {"zone": "departement:55", "ajout": "55002"})
    assert fragment.status_code == 200
    assert fragment.content.decode().lstrip().startswith('<div id="figures"')
    refused = client.get(reverse("diagnosis:figures"), {"zone": "departement:55", "ajout": "52001"})
    assert refused.status_code == 400  # a commune outside the coordinator's territory
    assert "hors de la zone" in unescape(refused.content.decode())
    foreign = client.get(reverse("diagnosis:diagnosis"), {"zone": "departement:55", "retrait": "999999"})
    assert foreign.status_code == 400
    assert 'data-testid="what-if-error"' in foreign.content.decode()
