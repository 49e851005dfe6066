"""The territory map page and the GeoJSON of a département's communes: roles, scope, size, caching."""

from __future__ import annotations

import gzip
import json
import math
import random

import pytest
from django.urls import reverse

from maille.accounts.models import Role
from maille.territory.models import CommuneGeometry
from maille.territory.selectors import apl_class_for
from tests.factories import (
    CommuneFactory,
    CptsFactory,
    DepartementFactory,
    RegionFactory,
    SiteFactory,
    user_with_role,
)

# Meuse holds 499 communes; the shipped IGN outlines average 59 vertices per commune (4 decimals).
MEUSE_COMMUNES = 499
VERTICES_PER_COMMUNE = 60


def _ring(centre_lon: float, centre_lat: float, vertices: int, rng: random.Random) -> list[list[float]]:
    """A closed, irregular ring about 3 km across, coordinates rounded to 5 decimals like the importer's."""
    points = []
    for index in range(vertices):
        angle = 2 * math.pi * index / vertices
        radius = 0.02 * (0.7 + 0.6 * rng.random())
        points.append(
            [
                round(centre_lon + radius * math.cos(angle), 5),
                round(centre_lat + radius * math.sin(angle) * 0.66, 5),
            ]
        )
    return [*points, points[0]]


def _commune_with_outline(code: str, name: str, *, apl: float | None, rng: random.Random, **extra):
    commune = CommuneFactory(code=code, name=name, apl_gp=apl, **extra)
    lon, lat = 4.9 + rng.random() * 0.9, 48.4 + rng.random() * 1.2
    CommuneGeometry.objects.create(
        commune=commune,
        geojson={"type": "Polygon", "coordinates": [_ring(lon, lat, VERTICES_PER_COMMUNE, rng)]},
    )
    return commune


@pytest.fixture
def meuse(db):
    region = RegionFactory(code="44", name="Grand Est")
    DepartementFactory(code="55", name="Meuse", region=region)
    DepartementFactory(code="52", name="Haute-Marne", region=region)
    rng = random.Random(55)
    low = _commune_with_outline("55001", "Basse-APL", apl=1.2, rng=rng, population=800)
    _commune_with_outline("55002", "Haute-APL", apl=4.8, rng=rng, population=3000)
    _commune_with_outline("55003", "Sans-valeur", apl=None, rng=rng, population=0)
    _commune_with_outline("52001", "Ailleurs", apl=2.0, rng=rng, departement_id="52")
    site = SiteFactory(host_organisation__commune=low, name="Pharmacie de Basse-APL", is_fictional=True)
    return {"low": low, "site": site}


def _geojson_url(code: str = "55") -> str:
    return reverse("territory:departement_geojson", args=[code])


# --- map page ----------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_anonymous_user_is_sent_to_login(client, meuse):
    response = client.get(reverse("diagnosis:map"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.SITE_STAFF, Role.REMOTE_DOCTOR])
def test_roles_without_the_map_get_a_clear_403(client, meuse, role):
    scope = {"site": meuse["site"]} if role == Role.SITE_STAFF else {}
    client.force_login(user_with_role(role, **scope))
    response = client.get(reverse("diagnosis:map"))
    assert response.status_code == 403
    assert "Accès refusé" in response.content.decode()


@pytest.mark.django_db
def test_coordinator_sees_their_departement_with_legend_table_and_sites(client, meuse):
    client.force_login(user_with_role(Role.COORDINATOR, departement_id="55"))
    response = client.get(reverse("diagnosis:map"))
    assert response.status_code == 200
    page = response.content.decode()
    assert [d.code for d in response.context["departements"]] == ["55"]
    assert response.context["selected"].code == "55"
    assert "sous-dense" in page
    assert "pas de valeur publiée" in page
    # The accessible companion: lowest APL first, uninhabited communes left out.
    assert [c.code for c, _ in response.context["communes_in_need"]] == ["55001", "55002"]
    config = response.context["map_config"]
    assert config["geojsonUrl"] == _geojson_url("55")
    assert config["tilesUrl"] == ""
    assert [s["name"] for s in config["sites"]] == ["Pharmacie de Basse-APL"]
    assert config["sites"][0]["url"] == reverse("directory:site_detail", args=[meuse["site"].pk])
    assert 'id="map-config"' in page
    assert "<script>" not in page  # strict CSP: no inline script


@pytest.mark.django_db
def test_departement_parameter_selects_within_scope_only(client, meuse):
    client.force_login(user_with_role(Role.COORDINATOR, region_id="44"))
    response = client.get(reverse("diagnosis:map"), {"departement": "55"})
    assert response.context["selected"].code == "55"
    assert [d.code for d in response.context["departements"]] == ["52", "55"]
    assert response.context["map_config"]["geojsonUrl"] == _geojson_url("55")

    client.force_login(user_with_role(Role.COORDINATOR, departement_id="55"))
    assert client.get(reverse("diagnosis:map"), {"departement": "52"}).status_code == 404


@pytest.mark.django_db
def test_tiles_are_added_only_when_configured(client, meuse, settings):
    settings.MAILLE_MAP_TILES_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    client.force_login(user_with_role(Role.PLATFORM_ADMIN))
    response = client.get(reverse("diagnosis:map"), {"departement": "55"})
    assert response.context["map_config"]["tilesUrl"] == settings.MAILLE_MAP_TILES_URL
    assert "https://tiles.example.org" in response.headers["Content-Security-Policy"]


@pytest.mark.django_db
def test_cpts_coordinator_sees_the_departement_of_their_cpts(client, meuse):
    cpts = CptsFactory(departement_id="55")
    cpts.communes.add(meuse["low"])
    client.force_login(user_with_role(Role.COORDINATOR, cpts=cpts))
    response = client.get(reverse("diagnosis:map"))
    assert response.status_code == 200
    assert [d.code for d in response.context["departements"]] == ["55"]
    collection = json.loads(client.get(_geojson_url("55")).content)
    assert [f["properties"]["code"] for f in collection["features"]] == ["55001"]


def test_apl_classes_put_the_sous_dense_threshold_on_a_boundary():
    assert apl_class_for(2.49) in {"apl-0", "apl-1"}
    assert apl_class_for(2.5) == "apl-2"
    assert apl_class_for(None) == "apl-none"
    assert apl_class_for(9.0) == "apl-5"


# --- GeoJSON endpoint -----------------------------------------------------------------------------------
@pytest.mark.django_db
def test_geojson_is_a_compact_feature_collection_of_the_departement(client, meuse):
    client.force_login(user_with_role(Role.EVALUATOR, departement_id="55"))
    response = client.get(_geojson_url("55"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    collection = json.loads(response.content)
    assert collection["type"] == "FeatureCollection"
    by_code = {f["properties"]["code"]: f for f in collection["features"]}
    assert sorted(by_code) == ["55001", "55002", "55003"]
    assert by_code["55001"]["properties"] == {
        "code": "55001",
        "name": "Basse-APL",
        "population": 800,
        "apl": 1.2,
    }
    assert by_code["55003"]["properties"]["apl"] is None
    stored = CommuneGeometry.objects.get(commune_id="55001").geojson
    assert by_code["55001"]["geometry"] == stored


@pytest.mark.django_db
def test_geojson_refuses_other_roles_and_departements_out_of_scope(client, meuse):
    assert client.get(_geojson_url("55")).status_code == 302
    client.force_login(user_with_role(Role.SITE_STAFF, site=meuse["site"]))
    assert client.get(_geojson_url("55")).status_code == 403
    client.force_login(user_with_role(Role.COORDINATOR, departement_id="55"))
    assert client.get(_geojson_url("52")).status_code == 404
    assert client.get(_geojson_url("99")).status_code == 404


@pytest.mark.django_db
def test_geojson_is_cacheable_with_etag_and_conditional_get(client, meuse):
    client.force_login(user_with_role(Role.COORDINATOR, departement_id="55"))
    first = client.get(_geojson_url("55"))
    etag = first["ETag"]
    assert etag
    cache_control = first["Cache-Control"]
    assert "private" in cache_control
    assert "max-age=3600" in cache_control
    again = client.get(_geojson_url("55"), headers={"if-none-match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert "private" in again["Cache-Control"]
    # A changed APL changes the payload, hence the ETag.
    meuse["low"].apl_gp = 1.3
    meuse["low"].save()
    changed = client.get(_geojson_url("55"), headers={"if-none-match": etag})
    assert changed.status_code == 200
    assert changed["ETag"] != etag


@pytest.mark.django_db
def test_etag_differs_between_scopes(client, meuse):
    cpts = CptsFactory(departement_id="55")
    cpts.communes.add(meuse["low"])
    client.force_login(user_with_role(Role.COORDINATOR, departement_id="55"))
    whole = client.get(_geojson_url("55"))["ETag"]
    client.force_login(user_with_role(Role.COORDINATOR, cpts=cpts))
    assert client.get(_geojson_url("55"), headers={"if-none-match": whole}).status_code == 200


@pytest.mark.django_db
def test_a_realistic_departement_stays_under_one_megabyte_and_is_gzipped(client, db):
    region = RegionFactory(code="44")
    DepartementFactory(code="55", region=region)
    rng = random.Random(499)
    for index in range(MEUSE_COMMUNES):
        _commune_with_outline(
            f"55{index:03d}",
            f"Commune de la Meuse numéro {index}",
            apl=round(rng.uniform(0.5, 6.0), 3),
            rng=rng,
            population=rng.randint(0, 20000),
        )
    client.force_login(user_with_role(Role.COORDINATOR, departement_id="55"))
    response = client.get(_geojson_url("55"), headers={"accept-encoding": "gzip"})
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    body = gzip.decompress(response.content)
    collection = json.loads(body)
    assert len(collection["features"]) == MEUSE_COMMUNES
    assert len(body) < 1_000_000, f"{len(body)} bytes uncompressed"
    assert len(response.content) < len(body) / 2


@pytest.mark.django_db
def test_map_explains_when_no_territory_is_loaded(client):
    client.force_login(user_with_role(Role.PLATFORM_ADMIN))
    response = client.get(reverse("diagnosis:map"))
    assert response.status_code == 200
    assert "Aucune commune de votre périmètre" in response.content.decode()
