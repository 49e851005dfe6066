"""Loads the shipped Grand Est territory (maille/data/grand_est, see maille/data/README.md).

Runs the same importers as the ``import_*`` commands, strict, in one transaction: either the whole
territory is loaded (or refreshed: re-running changes nothing) or nothing is.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TextIO

from django.db import transaction
from django.utils.translation import gettext as _

from maille.territory.models import Commune

from .importers.apl import import_apl
from .importers.base import ImportResult
from .importers.centroids import CsvColumns, import_centroids_from_csv
from .importers.cog import import_cog
from .importers.geometry import import_centroids_from_geojson, import_polygons

GRAND_EST_DIR = Path(__file__).resolve().parent.parent / "data" / "grand_est"
GRAND_EST_REGION = "44"
POLYGONS_SOURCE = "IGN Admin Express 2018 (COG 2024)"


def grand_est_polygon_files(data_dir: Path = GRAND_EST_DIR) -> list[Path]:
    return sorted((data_dir / "geo").glob("communes-*.geojson*"))


def load_grand_est(*, stdout: TextIO, data_dir: Path = GRAND_EST_DIR) -> str:
    """Import COG, centroids, polygons and APL of the Grand Est; returns a one-line French summary."""
    started = time.perf_counter()
    polygons = grand_est_polygon_files(data_dir)
    fallback = data_dir / "centroids_fallback.csv"
    with transaction.atomic():
        steps: list[tuple[str, ImportResult]] = [
            (_("Code géographique"), import_cog([data_dir / "cog"], regions=[GRAND_EST_REGION])),
            (_("Centroïdes"), import_centroids_from_geojson(polygons)),
        ]
        if fallback.exists():
            steps.append(
                (
                    _("Centroïdes (repli CSV)"),
                    import_centroids_from_csv(fallback, columns=CsvColumns(), only_missing=True),
                )
            )
        steps.append((_("Contours"), import_polygons(polygons, source=POLYGONS_SOURCE)))
        steps.append(
            (_("APL"), import_apl(next((data_dir / "apl").glob("*.xlsx*")), year=None)),
        )
    for title, result in steps:
        stdout.write(f"{title} — " + " · ".join(result.summary_lines()) + "\n")
    communes = Commune.objects.filter(departement__region_id=GRAND_EST_REGION)
    total = communes.count()
    with_apl = communes.filter(apl_gp__isnull=False).count()
    with_outline = communes.filter(geometry__isnull=False).count()
    return _(
        "Grand Est chargé en %(seconds).1f s : %(communes)d communes, %(outlines)d contours, "
        "%(apl)d avec APL."
    ) % {
        "seconds": time.perf_counter() - started,
        "communes": total,
        "outlines": with_outline,
        "apl": with_apl,
    }
