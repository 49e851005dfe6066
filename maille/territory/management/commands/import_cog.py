"""`maille import cog FOLDER|FILE… [--region 44]`: régions, départements, EPCI and communes from the COG."""

from __future__ import annotations

from django.utils.translation import gettext as _

from maille.territory.importers.cog import import_cog
from maille.territory.importers.command import ImportCommand


class Command(ImportCommand):
    help = _(
        "Importe le code officiel géographique (format @etalab/decoupage-administratif : regions.json, "
        "departements.json, epci.json, communes.json, éventuellement .gz)."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help=_("dossier contenant les 4 fichiers, ou les fichiers"))
        parser.add_argument(
            "--region",
            action="append",
            dest="regions",
            metavar="CODE",
            help=_("ne garder que cette région (répétable), ex. --region 44"),
        )
        super().add_arguments(parser)

    def handle(self, *args, paths, regions, skip_invalid, **options):
        self.run(
            import_cog,
            paths,
            regions=regions,
            skip_invalid=skip_invalid,
            show_progress=self.show_progress(options),
        )
