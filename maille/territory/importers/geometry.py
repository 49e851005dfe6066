"""Commune polygons from GeoJSON FeatureCollections: outlines for maps, and centroids computed from them.

Each feature carries the commune's INSEE code in a property (``code`` by default). Features of communes
absent from the database are counted "hors territoire chargé" (rejected with ``strict_communes``): a
national file may be imported into a regional deployment.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import shapely
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

from maille.core.validators import validate_in_france
from maille.territory.models import Commune, CommuneGeometry

from .base import (
    ImportFileError,
    ImportResult,
    Reject,
    check_insee,
    ensure_no_rejects,
    progress,
    read_json,
    upsert,
)

EXPECTED_GEOJSON = gettext_lazy("une FeatureCollection GeoJSON de polygones de communes")
# About 110 m north-south and 70 m east-west at 49° N: a département's communes (≈ 500) weigh about
# 300-470 kB of GeoJSON once simplified, against 500-780 kB for the IGN outlines as published.
DEFAULT_TOLERANCE_DEGREES = 0.001
COORDINATE_DECIMALS = 5
KM_PER_DEGREE_LATITUDE = 110.574
KM_PER_DEGREE_LONGITUDE_AT_EQUATOR = 111.320
SOURCE_CENTROID = "polygone : centroïde"
SOURCE_INTERIOR_POINT = "polygone : point intérieur"


@dataclass
class Feature:
    code: str
    geometry: BaseGeometry
    location: str
    source: str


@dataclass
class ParsedFeatures:
    features: dict[str, Feature] = field(default_factory=dict)
    rejects: list[Reject] = field(default_factory=list)


def _feature_location(index: int) -> str:
    return _("entité %(number)d") % {"number": index}


def parse_features(
    paths: Sequence[Path | str], *, code_property: str = "code", show_progress: bool = False
) -> ParsedFeatures:
    """Read and check every feature of every file; a code may appear only once across all files."""
    parsed = ParsedFeatures()
    for raw_path in paths:
        path = Path(raw_path)
        collection = read_json(path, EXPECTED_GEOJSON)
        features = collection.get("features") if isinstance(collection, dict) else None
        if not isinstance(features, list) or collection.get("type") != "FeatureCollection":
            raise ImportFileError(path, _("ce n'est pas une FeatureCollection GeoJSON"), EXPECTED_GEOJSON)
        for index, feature in progress(
            enumerate(features, start=1), total=len(features), desc=path.name, enabled=show_progress
        ):
            where = _feature_location(index)
            properties = feature.get("properties") if isinstance(feature, dict) else None
            raw_code = properties.get(code_property) if isinstance(properties, dict) else None
            code, problem = check_insee(raw_code)
            if code is not None:
                where = f"{where} ({code})"
            geometry = None
            if problem is None:
                geometry, problem = _checked_geometry(feature.get("geometry"))
            if problem is None and code in parsed.features:
                problem = _("code commune en double (déjà vu : %(where)s)") % {
                    "where": f"{parsed.features[code].source}, {parsed.features[code].location}"
                }
            if problem is not None:
                parsed.rejects.append(Reject(path.name, where, problem))
                continue
            assert code is not None
            assert geometry is not None
            parsed.features[code] = Feature(code, geometry, where, path.name)
    return parsed


def _checked_geometry(raw: Any) -> tuple[BaseGeometry | None, str | None]:
    try:
        geometry = shape(raw)
    except (AttributeError, KeyError, TypeError, ValueError, IndexError, shapely.errors.GEOSException):
        return None, _("géométrie illisible")
    if geometry.geom_type not in ("Polygon", "MultiPolygon"):
        return None, _("polygone attendu, « %(type)s » trouvé") % {"type": geometry.geom_type}
    if geometry.is_empty:
        return None, _("géométrie vide")
    if not math.isfinite(geometry.area):
        return None, _("coordonnées non finies")
    if not geometry.is_valid:
        # Self-intersections are common in hand-edited outlines: repair them, keep the polygonal part.
        geometry = shapely.make_valid(geometry)
        polygons = [g for g in getattr(geometry, "geoms", [geometry]) if g.geom_type.endswith("Polygon")]
        if not polygons:
            return None, _("géométrie invalide et irréparable")
        geometry = shapely.union_all(polygons)
    min_x, min_y, max_x, max_y = geometry.bounds
    try:
        validate_in_france(min_y, min_x)
        validate_in_france(max_y, max_x)
    except ValidationError as error:
        return None, error.messages[0]
    return geometry, None


def _outside_territory(parsed: ParsedFeatures, strict_communes: bool) -> tuple[list[str], list[str]]:
    """Split codes into (known to the database, absent); absent ones become rejects when strict."""
    known = set(Commune.objects.values_list("code", flat=True))
    absent = [code for code in parsed.features if code not in known]
    if strict_communes:
        parsed.rejects.extend(
            Reject(
                feature.source,
                feature.location,
                _("commune inconnue « %(code)s » (absente de la base)") % {"code": feature.code},
            )
            for feature in (parsed.features[code] for code in absent)
        )
    return [code for code in parsed.features if code in known], absent


def _outside_note(absent: list[str], strict_communes: bool) -> list[str]:
    if not absent or strict_communes:
        return []
    return [
        _(
            "%(count)d commune(s) du fichier hors territoire chargé (ignorées ; "
            "--strict-communes pour les rejeter)."
        )
        % {"count": len(absent)}
    ]


def centroid_of(geometry: BaseGeometry) -> tuple[float, float, str]:
    """(latitude, longitude, source): the centroid, or a point surely inside when the centroid falls out."""
    point = geometry.centroid
    source = SOURCE_CENTROID
    if not geometry.contains(point):
        point = geometry.representative_point()
        source = SOURCE_INTERIOR_POINT
    return round(point.y, 6), round(point.x, 6), source


def area_km2(geometry: BaseGeometry) -> float:
    """Area from degrees with the local scale at the commune's latitude (well under 1 % off for a commune)."""
    latitude = math.radians(geometry.centroid.y)
    scale = KM_PER_DEGREE_LATITUDE * KM_PER_DEGREE_LONGITUDE_AT_EQUATOR * math.cos(latitude)
    return round(geometry.area * scale, 3)


def import_centroids_from_geojson(
    paths: Sequence[Path | str],
    *,
    code_property: str = "code",
    strict_communes: bool = False,
    skip_invalid: bool = False,
    show_progress: bool = False,
) -> ImportResult:
    """Set latitude, longitude, centroid_source and area_km2 of each commune from its polygon."""
    parsed = parse_features(paths, code_property=code_property, show_progress=show_progress)
    known, absent = _outside_territory(parsed, strict_communes)
    ensure_no_rejects(parsed.rejects, skip_invalid=skip_invalid)
    rows = {}
    for code in known:
        geometry = parsed.features[code].geometry
        latitude, longitude, source = centroid_of(geometry)
        rows[code] = {
            "latitude": latitude,
            "longitude": longitude,
            "centroid_source": source,
            "area_km2": area_km2(geometry),
        }
    with transaction.atomic():
        counts = upsert(
            Commune,
            rows,
            update_fields=["latitude", "longitude", "centroid_source", "area_km2"],
            label=_("Communes (centroïdes)"),
            show_progress=show_progress,
        )
    counts.rejected = len(parsed.rejects)
    interior = sum(1 for row in rows.values() if row["centroid_source"] == SOURCE_INTERIOR_POINT)
    notes = _outside_note(absent, strict_communes)
    if interior:
        notes.append(
            _("%(count)d centroïde(s) hors du polygone remplacé(s) par un point intérieur.")
            % {"count": interior}
        )
    return ImportResult(counts=[counts], rejects=parsed.rejects, notes=notes)


def _rounded(coordinates: Any) -> Any:
    """Coordinates rounded to COORDINATE_DECIMALS, dropping points that rounding made repeat."""
    if coordinates and isinstance(coordinates[0], float | int):
        return [round(coordinates[0], COORDINATE_DECIMALS), round(coordinates[1], COORDINATE_DECIMALS)]
    rounded = [_rounded(part) for part in coordinates]
    if rounded and isinstance(rounded[0][0], float | int):
        deduplicated = [rounded[0]]
        deduplicated.extend(point for previous, point in pairwise(rounded) if point != previous)
        return deduplicated
    return rounded


def simplified_geojson(geometry: BaseGeometry, tolerance: float) -> dict[str, Any]:
    simplified = geometry.simplify(tolerance, preserve_topology=True) if tolerance > 0 else geometry
    mapped = mapping(simplified)
    return {"type": mapped["type"], "coordinates": _rounded(mapped["coordinates"])}


def import_polygons(
    paths: Sequence[Path | str],
    *,
    tolerance: float = DEFAULT_TOLERANCE_DEGREES,
    code_property: str = "code",
    source: str = "",
    strict_communes: bool = False,
    skip_invalid: bool = False,
    show_progress: bool = False,
) -> ImportResult:
    """Store each commune's outline, simplified for the browser, in CommuneGeometry."""
    if not (0 <= tolerance < 1):
        raise ValueError(
            _("tolérance de simplification hors de [0, 1[ degré : %(value)s") % {"value": tolerance}
        )
    parsed = parse_features(paths, code_property=code_property, show_progress=show_progress)
    known, absent = _outside_territory(parsed, strict_communes)
    ensure_no_rejects(parsed.rejects, skip_invalid=skip_invalid)
    rows = {
        code: {
            "geojson": simplified_geojson(parsed.features[code].geometry, tolerance),
            "source": (source or parsed.features[code].source)[:80],
        }
        for code in known
    }
    with transaction.atomic():
        counts = upsert(
            CommuneGeometry,
            rows,
            update_fields=["geojson", "source"],
            label=_("Contours de communes"),
            show_progress=show_progress,
        )
    counts.rejected = len(parsed.rejects)
    return ImportResult(counts=[counts], rejects=parsed.rejects, notes=_outside_note(absent, strict_communes))
