"""The estimated kilometres avoided, against distances computed by hand (haversine × the road detour factor)."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from maille.accounts.models import Role
from maille.diagnosis.models import SupplyImport
from maille.evaluation.distances import supply_for
from maille.evaluation.indicators import compute_indicators
from maille.evaluation.models import Act
from tests.factories import user_with_role
from tests.patients.factories import PatientFactory
from tests.scheduling.factories import make_network, paris
from tests.territory.factories import CommuneFactory, DepartementFactory

from .helpers import completed

pytestmark = pytest.mark.django_db
MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))


def road_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h)) * 1.3


@pytest.fixture
def world():
    meuse = DepartementFactory(code="55", name="Meuse")
    net = make_network(latitude=49.05, longitude=5.3, commune_code="55463")
    home = CommuneFactory(code="55001", departement=meuse, latitude=49.0, longitude=5.3)
    gp_town = CommuneFactory(code="55002", departement=meuse, latitude=49.2, longitude=5.3)
    far_gp = CommuneFactory(code="55003", departement=meuse, latitude=48.5, longitude=5.3)
    supply = SupplyImport.objects.create(name="Médecins 2026", sha256="0" * 64, departements=["55"],
                                         communes={"55002": {"gps": 2, "activity": 8000.0},
                                                   "55003": {"gps": 1, "activity": 5000.0},
                                                   "55463": {"gps": 0, "activity": 0.0}},
                                         practitioners=3)  # fmt: skip
    for day in (2, 3, 4):
        completed(net, at=paris(2026, 3, day, 9), patient=PatientFactory(commune=home))
    completed(net, at=paris(2026, 3, 5, 9), patient=PatientFactory(commune=None))  # commune unknown
    return {"net": net, "home": home, "gp_town": gp_town, "far_gp": far_gp, "supply": supply}


def kilometres_avoided(supply):
    """The figure as the indicators compute it, in the fields of ``distances.kilometres_from_trips``."""
    figure = compute_indicators(Act.objects.all(), [], *MARCH, supply=supply).figure("km_avoided")
    return {"km": figure.value, "acts": figure.numerator, "known": figure.denominator, "note": figure.note}


def test_kilometres_avoided_against_hand_computed_distances(world):
    result = kilometres_avoided(world["supply"])
    home, gp, site = (49.0, 5.3), (49.2, 5.3), (49.05, 5.3)  # the nearest GP is 55002, not 55003
    expected = 3 * 2 * (road_km(home, gp) - road_km(home, site))
    assert result["km"] == round(expected) == 130
    assert (result["acts"], result["known"]) == (3, 3)
    assert "Médecins 2026" in result["note"]


def test_a_site_farther_than_the_nearest_gp_counts_negatively(world):
    world["supply"].communes = {"55001": {"gps": 1, "activity": 4000.0}}  # a GP in the patient's own commune
    world["supply"].save()
    result = kilometres_avoided(world["supply"])
    assert result["km"] == round(-3 * 2 * road_km((49.0, 5.3), (49.05, 5.3))) == -43


def test_without_supply_data_the_figure_is_unknown_and_says_why(world):
    result = kilometres_avoided(None)
    assert result["km"] is None
    assert result["known"] == 3
    assert "Aucune offre de soins importée" in result["note"]


def test_the_indicator_and_the_supply_the_reader_may_see(world):
    coordinator = user_with_role(Role.COORDINATOR, departement_id="55")
    assert supply_for(coordinator, {"55"}) == world["supply"]
    assert supply_for(coordinator, {"52"}) is None
    DepartementFactory(code="52", name="Haute-Marne")
    assert (
        supply_for(user_with_role(Role.COORDINATOR, departement_id="52"), {"55"}) is None
    )  # not in their scope
    report = compute_indicators(Act.objects.all(), [world["net"].site.pk], *MARCH, supply=world["supply"])
    figure = report.figure("km_avoided")
    assert (figure.value, figure.numerator, figure.denominator) == (130, 3, 3)


@pytest.mark.parametrize("pairs_per_block", [2, 4])
def test_origins_read_by_blocks_give_the_distances_computed_by_hand(world, monkeypatch, pairs_per_block):
    """Three patients' communes, in blocks of one or two (two GP communes a row): each origin keeps its own
    nearest GP and sites."""
    from maille.evaluation import distances

    monkeypatch.setattr(distances, "_PAIRS_PER_BLOCK", pairs_per_block)
    site = world["net"].site
    pairs = [("55001", site.pk, 3), ("55003", site.pk, 2), ("55002", site.pk, 1)]
    result = distances.kilometres_from_trips(pairs, world["supply"])
    site_point = (49.05, 5.3)
    expected = (
        3 * 2 * (road_km((49.0, 5.3), (49.2, 5.3)) - road_km((49.0, 5.3), site_point))  # nearest GP 55002
        + 2 * 2 * (0.0 - road_km((48.5, 5.3), site_point))  # a GP in its own commune
        + 1 * 2 * (0.0 - road_km((49.2, 5.3), site_point))
    )
    assert result["km"] == round(expected)
    assert (result["acts"], result["known"]) == (6, 6)
