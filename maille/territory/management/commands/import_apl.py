"""`maille import apl WORKBOOK [--year 2023]`: the DREES APL workbook exactly as published."""

from __future__ import annotations

from django.utils.translation import gettext as _

from maille.territory.importers.apl import import_apl
from maille.territory.importers.command import ImportCommand


class Command(ImportCommand):
    help = _(
        "Importe l'APL aux médecins généralistes depuis le classeur .xlsx de la DREES (feuille « APL AAAA » "
        "et feuille « Paramètres »)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help=_("classeur .xlsx (ou .xlsx.gz)"))
        parser.add_argument(
            "--year", type=int, default=None, help=_("millésime à lire (par défaut : le plus récent présent)")
        )
        parser.add_argument(
            "--strict-communes",
            action="store_true",
            help=_(
                "rejeter les communes du classeur absentes de la base (par défaut : ignorées et comptées)"
            ),
        )
        super().add_arguments(parser)

    def handle(self, *args, path, year, strict_communes, skip_invalid, **options):
        self.run(
            import_apl,
            path,
            year=year,
            strict_communes=strict_communes,
            skip_invalid=skip_invalid,
            show_progress=self.show_progress(options),
        )
