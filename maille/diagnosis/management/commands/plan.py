"""`maille plan accessibility|coverage|optimise|sizing`: the planning library on the loaded territory.

The result goes to stdout (or ``--output FILE``) as JSON or CSV; notes and the progress bar go to stderr,
so that the JSON on stdout always parses.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from maille.diagnosis.plan_runs import (
    PlanResult,
    run_accessibility,
    run_coverage,
    run_optimise,
    run_sizing,
)
from maille.diagnosis.progress import ProgressBar
from maille.diagnosis.territory_inputs import TerritoryInputError, load_territory, travel_time_engine
from maille.planning.errors import PlanningError

STEPS = {"accessibility": 2, "coverage": 2, "optimise": 2, "sizing": 2}


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(_("doit être un entier supérieur ou égal à 1"))
    return value


def non_negative(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(_("doit être un nombre positif ou nul"))
    return value


def positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(_("doit être un nombre strictement positif"))
    return value


Parents = tuple[CommandParser, CommandParser, CommandParser]


def _shared_parents() -> Parents:
    """Options several actions share: the study area and output, added sites, the queue model."""
    common = CommandParser(add_help=False)
    common.add_argument(
        "--departement",
        action="append",
        default=[],
        help=_("code de département de la zone d'étude (répétable)"),
    )
    common.add_argument("--region", default=None, help=_("code de région de la zone d'étude"))
    common.add_argument("--format", choices=["json", "csv"], default="json", help=_("format de sortie"))
    common.add_argument(
        "--output", default=None, help=_("fichier de sortie (par défaut : la sortie standard)")
    )
    common.add_argument("--no-progress", action="store_true", help=_("ne pas afficher la progression"))
    sites = CommandParser(add_help=False)
    sites.add_argument(
        "--add-at",
        action="append",
        default=[],
        metavar="CODE_INSEE",
        help=_("ajouter un site au centre de cette commune, en plus de ceux de l'annuaire (répétable)"),
    )
    queue = CommandParser(add_help=False)
    queue.add_argument(
        "--consultation-minutes", type=positive, default=20.0, help=_("durée d'une consultation")
    )
    queue.add_argument("--weeks-per-year", type=positive, default=47.0, help=_("semaines d'ouverture par an"))
    return common, sites, queue


def _add_accessibility(actions: Any, parents: Parents) -> None:
    common, sites, queue = parents
    access = actions.add_parser(
        "accessibility",
        parents=[common, sites, queue],
        help=_("APL officiel + accessibilité ajoutée par des heures de téléconsultation"),
    )
    access.add_argument(
        "--added-hours",
        type=non_negative,
        default=0.0,
        help=_("heures de téléconsultation ajoutées par semaine et par site"),
    )


def _add_coverage(actions: Any, parents: Parents) -> None:
    common, sites, _queue = parents
    coverage = actions.add_parser(
        "coverage",
        parents=[common, sites],
        help=_("population à moins de T minutes d'un site, par tranche d'APL"),
    )
    coverage.add_argument("--minutes", type=positive, default=20.0, help=_("temps de trajet maximal"))
    coverage.add_argument(
        "--apl-bands",
        default="1.5,2.5,4",
        help=_("seuils d'APL séparant les tranches, croissants (ex. 1.5,2.5,4)"),
    )


def _add_optimise(actions: Any, parents: Parents) -> None:
    common, _sites, _queue = parents
    optimise = actions.add_parser(
        "optimise", parents=[common], help=_("placer k nouveaux sites (sites de l'annuaire conservés)")
    )
    optimise.add_argument(
        "--model",
        choices=["mclp", "pmedian", "greedy"],
        default="mclp",
        help=_("couverture maximale (mclp), p-médian (pmedian) ou glouton (greedy)"),
    )
    optimise.add_argument("--k", type=positive_int, default=5, help=_("nombre de nouveaux sites"))
    optimise.add_argument(
        "--candidates",
        type=positive_int,
        default=100,
        help=_("les N communes les plus peuplées comme candidates"),
    )
    optimise.add_argument(
        "--minutes",
        type=positive,
        default=None,
        help=_("seuil de couverture (MCLP, glouton ; 20 par défaut) ou limite de trajet (p-médian ; 60)"),
    )
    optimise.add_argument(
        "--weights",
        choices=["need", "population"],
        default="need",
        help=_("besoin = population × max(0 ; 2,5 − APL), ou population"),
    )
    optimise.add_argument(
        "--unreachable-minutes",
        type=positive,
        default=None,
        help=_(
            "p-médian : temps compté pour une commune sans site dans la limite de trajet (au moins cette "
            "limite) ; sans cette option, ces communes sont une erreur qui les nomme"
        ),
    )
    optimise.add_argument("--gain-curve", action="store_true", help=_("courbe de gain pour k = 1…K"))
    optimise.add_argument("--time-limit", type=positive, default=120.0, help=_("secondes par résolution"))
    optimise.add_argument(
        "--gap", type=non_negative, default=0.0, help=_("écart relatif accepté (0 : optimum prouvé)")
    )


def _add_sizing(actions: Any, parents: Parents) -> None:
    common, sites, queue = parents
    sizing = actions.add_parser(
        "sizing",
        parents=[common, sites, queue],
        help=_("demande annuelle et heures hebdomadaires par site"),
    )
    sizing.add_argument("--minutes", type=positive, default=30.0, help=_("trajet maximal d'un bassin"))
    sizing.add_argument(
        "--use-rate",
        type=non_negative,
        default=0.05,
        help=_("téléconsultations assistées par habitant et par an dans un bassin"),
    )
    sizing.add_argument(
        "--target-wait", type=non_negative, default=15.0, help=_("attente moyenne visée (minutes)")
    )
    sizing.add_argument("--max-rooms", type=positive_int, default=4, help=_("salles au plus par site"))
    sizing.add_argument(
        "--doctor-hourly-cost", type=non_negative, default=None, help=_("coût horaire médecin (€)")
    )
    sizing.add_argument(
        "--assistant-hourly-cost", type=non_negative, default=None, help=_("coût horaire assistant (€)")
    )


class Command(BaseCommand):
    help = _(
        "Calculs de planification sur le territoire chargé : accessibilité (APL + téléconsultation), "
        "couverture par tranche d'APL, placement optimal de sites, dimensionnement des sites."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parents = _shared_parents()
        actions = parser.add_subparsers(dest="action", required=True, parser_class=CommandParser)
        for add_action in (_add_accessibility, _add_coverage, _add_optimise, _add_sizing):
            add_action(actions, parents)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        progress = ProgressBar(
            sys.stderr,
            total=STEPS[action] + 1 + (options.get("k") or 0) * bool(options.get("gain_curve")),
            enabled=not options["no_progress"] and sys.stderr.isatty(),
        )
        try:
            progress.step(_("lecture du territoire"))
            inputs = load_territory(departements=options["departement"] or None, region=options["region"])
            engine, engine_name = travel_time_engine()
            result = self._run(action, inputs, engine, options, progress.step)
        except TerritoryInputError as error:
            raise CommandError(str(error)) from error
        except PlanningError as error:
            raise CommandError(_("Calcul impossible : %(detail)s") % {"detail": str(error)}) from error
        finally:
            progress.close()
        result.parameters["travel_times"] = engine_name
        if getattr(engine, "used_fallback_", False):
            result.notes.append(_("Serveur OSRM injoignable : temps de trajet à vol d'oiseau utilisés."))
        result.parameters["departements"] = options["departement"]
        result.parameters["region"] = options["region"]
        text = self._render(result, options["format"])
        if options["output"]:
            Path(options["output"]).write_text(text, encoding="utf-8")
            self.stderr.write(_("Résultat écrit dans %(path)s") % {"path": options["output"]}, style_func=str)
        else:
            self.stdout.write(text, ending="")
        for note in result.notes:  # information, not errors: not in the error colour
            self.stderr.write(note, style_func=str)

    def _run(self, action: str, inputs: Any, engine: Any, options: dict[str, Any], step: Any) -> PlanResult:
        if action == "accessibility":
            return run_accessibility(
                inputs,
                engine,
                add_at=options["add_at"],
                added_hours=options["added_hours"],
                consultation_minutes=options["consultation_minutes"],
                weeks_per_year=options["weeks_per_year"],
                step=step,
            )
        if action == "coverage":
            try:
                edges = [float(e) for e in options["apl_bands"].split(",") if e.strip()]
            except ValueError as error:
                raise TerritoryInputError(
                    _("Seuils d'APL illisibles : %(value)s") % {"value": options["apl_bands"]}
                ) from error
            return run_coverage(
                inputs,
                engine,
                add_at=options["add_at"],
                minutes=options["minutes"],
                band_edges=edges,
                step=step,
            )
        if action == "optimise":
            default_minutes = 60.0 if options["model"] == "pmedian" else 20.0
            return run_optimise(
                inputs,
                engine,
                model_name=options["model"],
                k=options["k"],
                candidate_count=options["candidates"],
                minutes=options["minutes"] or default_minutes,
                weights=options["weights"],
                gain_curve=options["gain_curve"],
                time_limit=options["time_limit"],
                gap=options["gap"],
                step=step,
                unreachable_minutes=options["unreachable_minutes"],
            )
        return run_sizing(
            inputs,
            engine,
            add_at=options["add_at"],
            minutes=options["minutes"],
            use_rate=options["use_rate"],
            consultation_minutes=options["consultation_minutes"],
            target_wait_minutes=options["target_wait"],
            weeks_per_year=options["weeks_per_year"],
            max_rooms=options["max_rooms"],
            doctor_hourly_cost=options["doctor_hourly_cost"],
            assistant_hourly_cost=options["assistant_hourly_cost"],
            step=step,
        )

    def _render(self, result: PlanResult, output_format: str) -> str:
        if output_format == "json":
            return json.dumps(result.as_json(), ensure_ascii=False, indent=2) + "\n"
        buffer = io.StringIO()
        tables = [result.rows, *result.extra_tables.values()]
        for number, rows in enumerate(tables):
            if not rows:
                continue
            if number:
                buffer.write("\n")
            writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        return buffer.getvalue()
