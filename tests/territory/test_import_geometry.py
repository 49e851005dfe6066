from __future__ import annotations

import gzip
import json

import pytest
from shapely.geometry import Point, shape

from maille.territory.importers.base import ImportFileError, RejectedRowsError
from maille.territory.importers.centroids import CsvColumns, import_centroids_from_csv
from maille.territory.importers.geometry import (
    SOURCE_INTERIOR_POINT,
    centroid_of,
    import_centroids_from_geojson,
    import_polygons,
)
from maille.territory.models import Commune, CommuneGeometry

from .conftest import COORDINATES_CSV, FIXTURE_COMMUNES, GEO_FILES


def _meuse_copy(tmp_path, change):
    data = json.loads(GEO_FILES[1].read_text())
    change(data)
    path = tmp_path / "communes-55.geojson"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.django_db
def test_centroids_from_polygons_fall_inside_and_are_idempotent(loaded_cog):
    result = import_centroids_from_geojson(GEO_FILES)
    assert result.counts[0].updated == FIXTURE_COMMUNES
    outlines = {
        f["properties"]["code"]: shape(f["geometry"])
        for p in GEO_FILES
        for f in json.loads(p.read_text())["features"]
    }
    for commune in Commune.objects.all():
        assert outlines[commune.code].contains(Point(commune.longitude, commune.latitude))
        assert 0.1 < commune.area_km2 < 100
    assert import_centroids_from_geojson(GEO_FILES).counts[0].unchanged == FIXTURE_COMMUNES


def test_centroid_falls_back_to_an_interior_point_for_a_crescent():
    crescent = shape(
        {
            "type": "Polygon",
            "coordinates": [
                [
                    [5, 49],
                    [5.1, 49],
                    [5.1, 49.1],
                    [5, 49.1],
                    [5, 49.09],
                    [5.09, 49.09],
                    [5.09, 49.01],
                    [5, 49.01],
                    [5, 49],
                ]
            ],
        }
    )
    latitude, longitude, source = centroid_of(crescent)
    assert source == SOURCE_INTERIOR_POINT
    assert crescent.contains(Point(longitude, latitude))


@pytest.mark.django_db
def test_polygons_are_simplified_rounded_and_idempotent(loaded_cog):
    result = import_polygons(GEO_FILES)
    assert result.counts[0].created == FIXTURE_COMMUNES
    stored = CommuneGeometry.objects.get(commune_id="55463").geojson
    original = next(
        f for f in json.loads(GEO_FILES[1].read_text())["features"] if f["properties"]["code"] == "55463"
    )
    assert stored["type"] in ("Polygon", "MultiPolygon")
    assert len(json.dumps(stored)) < len(json.dumps(original["geometry"]))
    ring = stored["coordinates"][0] if stored["type"] == "Polygon" else stored["coordinates"][0][0]
    assert all(round(x, 5) == x and round(y, 5) == y for x, y in ring)
    assert shape(stored).is_valid
    assert import_polygons(GEO_FILES).counts[0].unchanged == FIXTURE_COMMUNES
    assert CommuneGeometry.objects.count() == FIXTURE_COMMUNES


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["features"][0]["properties"].update(code="5X063"),
            "entité 1 : code commune INSEE invalide",
        ),
        (
            lambda d: d["features"][1].update(geometry={"type": "Point", "coordinates": [5.2, 49]}),
            "polygone attendu",
        ),
        (
            lambda d: d["features"][2].update(geometry={"type": "Polygon", "coordinates": "x"}),
            "géométrie illisible",
        ),
        (
            lambda d: d["features"][3].update(
                geometry={"type": "Polygon", "coordinates": [[[49, 5], [49.1, 5], [49.1, 5.1], [49, 5]]]}
            ),
            "coordonnées hors de France",
        ),
        (lambda d: d["features"].append(d["features"][4]), "code commune en double"),
    ],
)
@pytest.mark.django_db
def test_bad_features_are_rejected_and_nothing_is_written(tmp_path, loaded_cog, change, message):
    path = _meuse_copy(tmp_path, change)
    with pytest.raises(RejectedRowsError, match=message):
        import_polygons([path])
    with pytest.raises(RejectedRowsError, match=message):
        import_centroids_from_geojson([path])
    assert not CommuneGeometry.objects.exists()
    assert not Commune.objects.filter(latitude__isnull=False).exists()


@pytest.mark.django_db
def test_unknown_communes_are_outside_unless_strict(tmp_path, loaded_cog):
    path = _meuse_copy(tmp_path, lambda d: d["features"][0]["properties"].update(code="55999"))
    result = import_polygons([path])
    assert any("1 commune(s) du fichier hors territoire chargé" in note for note in result.notes)
    with pytest.raises(RejectedRowsError, match="entité 1 .55999. : commune inconnue"):
        import_polygons([path], strict_communes=True)


@pytest.mark.django_db
def test_geojson_wrong_format(tmp_path, loaded_cog):
    path = tmp_path / "communes.geojson"
    path.write_text('{"type": "Feature"}')
    with pytest.raises(ImportFileError, match="pas une FeatureCollection"):
        import_polygons([path])
    compressed = tmp_path / "communes.geojson.gz"
    compressed.write_bytes(gzip.compress(GEO_FILES[0].read_bytes()))
    assert import_polygons([compressed]).counts[0].created > 0


@pytest.mark.django_db
def test_query_count_does_not_grow_with_rows(loaded_cog, django_assert_max_num_queries):
    with django_assert_max_num_queries(10) as few:
        import_polygons(GEO_FILES[:1])
    CommuneGeometry.objects.all().delete()
    with django_assert_max_num_queries(10) as many:
        import_polygons(GEO_FILES)
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.django_db
def test_centroids_from_csv(tmp_path, loaded_cog):
    result = import_centroids_from_csv(COORDINATES_CSV)
    assert result.counts[0].updated == FIXTURE_COMMUNES
    assert Commune.objects.get(code="55463").centroid_source == "coordonnées (CSV)"
    assert import_centroids_from_csv(COORDINATES_CSV).counts[0].unchanged == FIXTURE_COMMUNES
    custom = tmp_path / "coords.csv"
    custom.write_text("insee;y;x\n55463;48,9;5,5\n")
    result = import_centroids_from_csv(custom, columns=CsvColumns("insee", "y", "x"), only_missing=True)
    assert result.counts[0].updated == 0  # every commune already has a centroid


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("55463,,Saint-Mihiel,55,44,nan,5.5", "ligne 2 : lat : valeur non finie"),
        ("55463,,Saint-Mihiel,55,44,5.5,48.9", "ligne 2 : coordonnées hors de France"),
        ("5X463,,Saint-Mihiel,55,44,48.9,5.5", "ligne 2 : code commune INSEE invalide"),
        ("55463,,Saint-Mihiel,55", "ligne 2 : nombre de colonnes incorrect"),
    ],
)
@pytest.mark.django_db
def test_centroids_csv_bad_rows(tmp_path, loaded_cog, line, message):
    path = tmp_path / "coords.csv"
    path.write_text(f"code_insee,x,nom,dep,reg,lat,lon\n{line}\n55467,,Autre,55,44,48.9,5.5\n")
    with pytest.raises(RejectedRowsError, match=message):
        import_centroids_from_csv(path)
    assert not Commune.objects.filter(latitude__isnull=False).exists()


@pytest.mark.django_db
def test_centroids_csv_missing_column(tmp_path, loaded_cog):
    path = tmp_path / "coords.csv"
    path.write_text("code,latitude,longitude\n55463,48.9,5.5\n")
    with pytest.raises(ImportFileError, match="colonne.*absente.*code_insee, lat, lon"):
        import_centroids_from_csv(path)
