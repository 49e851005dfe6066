"""`maille import polygons FILE…`: commune outlines (GeoJSON), simplified for the browser."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from maille.territory.importers.command import ImportCommand
from maille.territory.importers.geometry import DEFAULT_TOLERANCE_DEGREES, import_polygons


class Command(ImportCommand):
    help = _(
        "Importe les contours des communes (FeatureCollection GeoJSON, propriété « code »), simplifiés "
        "pour les cartes et arrondis à 5 décimales."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help=_("fichiers GeoJSON (éventuellement .gz)"))
        parser.add_argument(
            "--tolerance",
            type=float,
            default=DEFAULT_TOLERANCE_DEGREES,
            help=_("tolérance de simplification en degrés (0 : aucune ; défaut : %(default)s)"),
        )
        parser.add_argument("--code-property", default="code", help=_("propriété du code INSEE"))
        parser.add_argument("--source", default="", help=_("libellé de la source (défaut : nom du fichier)"))
        parser.add_argument(
            "--strict-communes",
            action="store_true",
            help=_("rejeter les communes du fichier absentes de la base (par défaut : ignorées et comptées)"),
        )
        super().add_arguments(parser)

    def handle(self, *args, paths, tolerance, skip_invalid, strict_communes, **options):
        if not 0 <= tolerance < 1:
            raise CommandError(_("--tolerance doit être comprise entre 0 et 1 degré."))
        self.run(
            import_polygons,
            paths,
            tolerance=tolerance,
            code_property=options["code_property"],
            source=options["source"],
            strict_communes=strict_communes,
            skip_invalid=skip_invalid,
            show_progress=self.show_progress(options),
        )
