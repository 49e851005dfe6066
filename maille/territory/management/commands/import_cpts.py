"""`maille import cpts FILE [--fictional]`: CPTS perimeters from a CSV nom;departement;communes."""

from __future__ import annotations

from django.utils.translation import gettext as _

from maille.territory.importers.command import ImportCommand
from maille.territory.importers.cpts import import_cpts


class Command(ImportCommand):
    help = _(
        "Importe des CPTS et leur périmètre depuis un CSV « nom;departement;communes » (codes INSEE séparés "
        "par des espaces ou des virgules)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help=_("fichier CSV (éventuellement .gz)"))
        parser.add_argument(
            "--fictional", action="store_true", help=_("marquer ces CPTS comme fictives (démonstration)")
        )
        super().add_arguments(parser)

    def handle(self, *args, path, fictional, skip_invalid, **options):
        self.run(import_cpts, path, fictional=fictional, skip_invalid=skip_invalid)
