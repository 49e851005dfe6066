"""A hand-placed territory (factories) with known travel-time bands, and the real extract of tests/territory."""

from __future__ import annotations

import pytest

from maille.territory.importers.apl import import_apl
from maille.territory.importers.centroids import import_centroids_from_csv
from maille.territory.importers.cog import import_cog
from maille.territory.models import AplParameter, CommuneGeometry
from tests.factories import CommuneFactory, DepartementFactory, RoomFactory, SiteFactory
from tests.scheduling.factories import weekly
from tests.territory.conftest import APL_WORKBOOK, COG_DIR, COORDINATES_CSV

# With the offline engine (great circle × 1.3 at 60 km/h = 1.3 min/km): 0.085° of latitude is 9.45 km,
# so 12.3 minutes (the 10–15 band, weight 2/3); 0.4° is 44 km, 58 minutes (out of reach).
BASE_LATITUDE, LONGITUDE = 49.0, 5.3
DREES_BANDS = [
    ("Moins de 10 minutes", 1.0, 10),
    ("Entre 10 et 15 minutes", 2 / 3, 15),
    ("Entre 15 et 20 minutes", 1 / 3, 20),
    ("Plus de 20 minutes", 0.0, None),
]


def save_drees_bands(year: int = 2023) -> None:
    for rank, (label, value, upper) in enumerate(DREES_BANDS, start=1):
        AplParameter.objects.create(
            year=year,
            table=AplParameter.Table.DISTANCE,
            rank=rank,
            label=label,
            value=value,
            upper_bound=upper,
        )


@pytest.fixture
def small_territory(db):
    """Three communes of the Meuse on a meridian and one site in the first.

    A (520 standardised inhabitants, APL 2.0) hosts the site; B (300, APL 1.2) is 12.3 minutes away;
    C (1,000, APL 3.0) is 58 minutes away. A fourth commune in the Vosges (88) is out of the study area.
    """
    save_drees_bands()
    meuse = DepartementFactory(code="55", name="Meuse")
    vosges = DepartementFactory(code="88", name="Vosges")
    a = CommuneFactory(
        code="55001",
        name="A",
        departement=meuse,
        latitude=BASE_LATITUDE,
        longitude=LONGITUDE,
        population=500,
        population_standardised=520.0,
        apl_gp=2.0,
    )
    b = CommuneFactory(
        code="55002",
        name="B",
        departement=meuse,
        latitude=BASE_LATITUDE + 0.085,
        longitude=LONGITUDE,
        population=300,
        population_standardised=300.0,
        apl_gp=1.2,
    )
    c = CommuneFactory(
        code="55003",
        name="C",
        departement=meuse,
        latitude=BASE_LATITUDE + 0.4,
        longitude=LONGITUDE,
        population=1000,
        population_standardised=1000.0,
        apl_gp=3.0,
    )
    d = CommuneFactory(
        code="88001",
        name="D",
        departement=vosges,
        latitude=BASE_LATITUDE - 0.4,
        longitude=LONGITUDE,
        population=200,
        population_standardised=200.0,
        apl_gp=None,
    )
    site = SiteFactory(host_organisation__commune=a, latitude=BASE_LATITUDE, longitude=LONGITUDE)
    return {"a": a, "b": b, "c": c, "d": d, "site": site}


@pytest.fixture
def real_extract(db):
    """The 27 real communes of tests/territory/fixtures (COG, centroids, DREES APL workbook)."""
    import_cog([COG_DIR])
    import_centroids_from_csv(COORDINATES_CSV)
    import_apl(APL_WORKBOOK)


SQUARE = {"type": "Polygon", "coordinates": [[[5.3, 49.0], [5.31, 49.0], [5.31, 49.01], [5.3, 49.0]]]}


@pytest.fixture
def network(db):
    """Près hosts a site open 15 h a week; Milieu is 12 min away (weight 2/3), Loin 58 min (out of reach),
    Sans APL 1 min away; Ailleurs is in the Haute-Marne."""
    save_drees_bands()
    meuse = DepartementFactory(code="55", name="Meuse")
    marne = DepartementFactory(code="52", name="Haute-Marne", region=meuse.region)
    communes = {
        "pres": CommuneFactory(code="55001", name="Près", departement=meuse, population=500,
                               population_standardised=500.0, apl_gp=1.2, apl_year=2023, latitude=49.0,
                               longitude=5.3),
        "loin": CommuneFactory(code="55002", name="Loin", departement=meuse, population=1000,
                               population_standardised=1000.0, apl_gp=2.0, apl_year=2023, latitude=49.4,
                               longitude=5.3),
        "milieu": CommuneFactory(code="55003", name="Milieu", departement=meuse, population=2000,
                                 population_standardised=2000.0, apl_gp=3.0, apl_year=2023, latitude=49.085,
                                 longitude=5.3),
        "sans": CommuneFactory(code="55004", name="Sans APL", departement=meuse, population=100,
                               population_standardised=100.0, apl_gp=None, latitude=49.0, longitude=5.31),
        "ailleurs": CommuneFactory(code="52001", name="Ailleurs", departement=marne, population=9000,
                                   apl_gp=1.0, latitude=48.1, longitude=5.1),
    }  # fmt: skip
    for commune in communes.values():
        CommuneGeometry.objects.create(commune=commune, geojson=SQUARE)
    site = SiteFactory(name="Maison de santé de Près", host_organisation__commune=communes["pres"],
                       commune=communes["pres"], latitude=49.0, longitude=5.3)  # fmt: skip
    weekly(room=RoomFactory(site=site), starts="09:00", ends="12:00")  # 5 × 3 h = 15 h a week
    return {**communes, "site": site}
