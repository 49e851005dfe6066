"""`maille import centroids FILE…`: commune centroids from a CSV of coordinates or GeoJSON polygons."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from maille.territory.importers.centroids import CsvColumns, import_centroids_from_csv
from maille.territory.importers.command import ImportCommand
from maille.territory.importers.geometry import import_centroids_from_geojson

GEOJSON_SUFFIXES = (".geojson", ".json", ".geojson.gz", ".json.gz")


class Command(ImportCommand):
    help = _(
        "Importe les centroïdes des communes : depuis un CSV de coordonnées, ou calculés depuis des "
        "polygones GeoJSON (centroïde, ou point intérieur s'il tombe hors du polygone)."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help=_("un fichier CSV, ou un ou plusieurs GeoJSON"))
        parser.add_argument("--code-column", default="code_insee", help=_("CSV : colonne du code INSEE"))
        parser.add_argument("--lat-column", default="lat", help=_("CSV : colonne de la latitude"))
        parser.add_argument("--lon-column", default="lon", help=_("CSV : colonne de la longitude"))
        parser.add_argument("--code-property", default="code", help=_("GeoJSON : propriété du code INSEE"))
        parser.add_argument(
            "--only-missing",
            action="store_true",
            help=_("CSV : ne compléter que les communes sans centroïde (repli après les polygones)"),
        )
        parser.add_argument(
            "--strict-communes",
            action="store_true",
            help=_("rejeter les communes du fichier absentes de la base (par défaut : ignorées et comptées)"),
        )
        super().add_arguments(parser)

    def handle(self, *args, paths, skip_invalid, strict_communes, **options):
        common = {
            "skip_invalid": skip_invalid,
            "strict_communes": strict_communes,
            "show_progress": self.show_progress(options),
        }
        geojson = [p for p in paths if p.lower().endswith(GEOJSON_SUFFIXES)]
        if geojson and len(geojson) != len(paths):
            raise CommandError(_("Donnez soit un CSV, soit des fichiers GeoJSON, pas les deux."))
        if geojson:
            self.run(import_centroids_from_geojson, paths, code_property=options["code_property"], **common)
            return
        if len(paths) != 1:
            raise CommandError(_("Un seul fichier CSV à la fois."))
        columns = CsvColumns(options["code_column"], options["lat_column"], options["lon_column"])
        self.run(
            import_centroids_from_csv,
            Path(paths[0]),
            columns=columns,
            only_missing=options["only_missing"],
            **common,
        )
