"""Commune centroids from a CSV of coordinates (columns configurable; ``,``, ``;`` or tab separated).

Centroids computed from polygons are in ``geometry.import_centroids_from_geojson``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maille.core.validators import validate_in_france
from maille.territory.models import Commune

from .base import (
    Counts,
    ImportFileError,
    ImportResult,
    Reject,
    check_insee,
    check_number,
    csv_rows,
    ensure_no_rejects,
    line_at,
    read_text,
    upsert,
)

EXPECTED_CSV = gettext_lazy("un fichier CSV avec en-tête (code INSEE, latitude, longitude)")
SOURCE_CSV = "coordonnées (CSV)"


@dataclass(frozen=True)
class CsvColumns:
    code: str = "code_insee"
    latitude: str = "lat"
    longitude: str = "lon"


@dataclass
class ParsedCoordinates:
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    locations: dict[str, str] = field(default_factory=dict)
    rejects: list[Reject] = field(default_factory=list)


def parse_coordinates(path: Path | str, *, columns: CsvColumns = CsvColumns()) -> ParsedCoordinates:
    path = Path(path)
    reader = csv_rows(path, read_text(path, EXPECTED_CSV), EXPECTED_CSV)
    fieldnames = reader.fieldnames or []
    missing = [name for name in (columns.code, columns.latitude, columns.longitude) if name not in fieldnames]
    if missing:
        raise ImportFileError(
            path,
            _("colonne(s) absente(s) de l'en-tête : %(missing)s (colonnes trouvées : %(found)s)")
            % {"missing": ", ".join(missing), "found": ", ".join(fieldnames)},
            EXPECTED_CSV,
        )
    parsed = ParsedCoordinates()
    try:
        for row in reader:
            where = line_at(reader.line_num)
            problem = None
            if None in row or any(row.get(name) is None for name in fieldnames):
                problem = _("nombre de colonnes incorrect")
            code, problem = (None, problem) if problem else check_insee(row[columns.code])
            latitude = longitude = None
            if problem is None:
                latitude, problem = check_number(row[columns.latitude], columns.latitude, minimum=None)
            if problem is None:
                longitude, problem = check_number(row[columns.longitude], columns.longitude, minimum=None)
            if problem is None:
                assert latitude is not None
                assert longitude is not None
                try:
                    validate_in_france(latitude, longitude)
                except ValidationError as error:
                    problem = error.messages[0]
            if problem is None and code in parsed.rows:
                problem = _("code commune en double (déjà vu : %(where)s)") % {
                    "where": parsed.locations[code]
                }
            if problem is not None:
                parsed.rejects.append(Reject(path.name, where, problem))
                continue
            assert code is not None
            parsed.rows[code] = {"latitude": latitude, "longitude": longitude, "centroid_source": SOURCE_CSV}
            parsed.locations[code] = where
    except csv.Error as error:
        raise ImportFileError(
            path,
            _("CSV mal formé à la ligne %(line)d (%(error)s)") % {"line": reader.line_num, "error": error},
            EXPECTED_CSV,
        ) from None
    return parsed


def import_centroids_from_csv(
    path: Path | str,
    *,
    columns: CsvColumns = CsvColumns(),
    only_missing: bool = False,
    strict_communes: bool = False,
    skip_invalid: bool = False,
    show_progress: bool = False,
) -> ImportResult:
    """Set latitude/longitude/centroid_source; ``only_missing`` fills communes that have no centroid yet."""
    parsed = parse_coordinates(path, columns=columns)
    known = set(Commune.objects.values_list("code", flat=True))
    absent = [code for code in parsed.rows if code not in known]
    if strict_communes:
        parsed.rejects.extend(
            Reject(
                Path(path).name,
                parsed.locations[code],
                _("commune inconnue « %(code)s » (absente de la base)") % {"code": code},
            )
            for code in absent
        )
    ensure_no_rejects(parsed.rejects, skip_invalid=skip_invalid)
    targets = known
    if only_missing:
        targets = set(Commune.objects.filter(latitude__isnull=True).values_list("code", flat=True))
    rows = {code: values for code, values in parsed.rows.items() if code in targets}
    with transaction.atomic():
        counts: Counts = upsert(
            Commune,
            rows,
            update_fields=["latitude", "longitude", "centroid_source"],
            label=_("Communes (centroïdes)"),
            show_progress=show_progress,
        )
    counts.rejected = len(parsed.rejects)
    notes = []
    if absent and not strict_communes:
        notes.append(
            _(
                "%(count)d commune(s) du fichier hors territoire chargé (ignorées ; "
                "--strict-communes pour les rejeter)."
            )
            % {"count": len(absent)}
        )
    if only_missing:
        notes.append(
            _("%(count)d commune(s) sans centroïde complétée(s) depuis le CSV.") % {"count": len(rows)}
        )
    return ImportResult(counts=[counts], rejects=parsed.rejects, notes=notes)
