"""The shared shape of the import commands: common options, errors as CommandError, a French summary."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from .base import ImportFileError, ImportResult, RejectedRowsError, format_rejects


class ImportCommand(BaseCommand):
    """Subclasses add their arguments and call ``self.run(importer, **kwargs)`` from ``handle``."""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help=_(
                "importer les lignes valides et lister les rejets (par défaut : rien n'est écrit s'il y a un rejet)"
            ),
        )
        parser.add_argument(
            "--no-progress", action="store_true", help=_("ne pas afficher la barre de progression")
        )

    def show_progress(self, options: dict[str, Any]) -> bool:
        return not options["no_progress"] and sys.stderr.isatty()

    def run(self, importer: Callable[..., ImportResult], *args: Any, **kwargs: Any) -> ImportResult:
        try:
            result = importer(*args, **kwargs)
        except (ImportFileError, RejectedRowsError) as error:
            raise CommandError(str(error)) from error
        for line in result.summary_lines():
            self.stdout.write(line)
        if result.rejects:
            self.stderr.write(
                _("%(count)d ligne(s) rejetée(s), non importée(s) :") % {"count": len(result.rejects)}
            )
            self.stderr.write(format_rejects(result.rejects))
        return result
