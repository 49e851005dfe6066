"""The optimiser from the web: k new sites for a zone, run by the task worker, with progress and cancel.

A request is checked whole before anything is written (the model, k against the candidates the rule leaves,
the coverage time): a refused request saves nothing. The worker then loads the territory, computes the
travel times and asks HiGHS (``plan_runs.run_optimise``, the same computation as ``maille plan optimise``),
writing its progress on the run row between steps; a cancel is seen between steps and inside HiGHS's
branch-and-bound (``planning.highs_model.interrupt_when``). Only a solve HiGHS proved is called optimal; a
run stopped by the time limit keeps its best solution and shows its proven gap.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django_tasks import task

from maille.core.audit import audit_record
from maille.directory.models import Organisation, OrganisationKind
from maille.planning.highs_model import interrupt_when

from .assumptions import checked_number
from .models import OptimisationRun, RunState
from .plan_runs import run_optimise
from .territory_inputs import TerritoryInputError, load_territory, travel_time_engine
from .zones import Zone, visible_zone_keys, zone_communes, zone_for

logger = logging.getLogger(__name__)

MODELS = {
    "mclp": _lazy(
        "Couverture maximale : le plus de besoin possible à moins du trajet de couverture d'un site"
    ),
    "pmedian": _lazy("p-médiane : le trajet moyen le plus court, pondéré par le besoin"),
}
CANDIDATE_RULES = {
    "structures": _lazy("Communes ayant une pharmacie, une maison ou un centre de santé (annuaire)"),
    "toutes": _lazy("Toutes les communes habitées de la zone"),
}
WEIGHTS = {
    "besoin": _lazy("Besoin : population × écart de l'APL sous 2,5"),
    "population": _lazy("Population"),
}
HOST_KINDS = (OrganisationKind.PHARMACY, OrganisationKind.MSP, OrganisationKind.HEALTH_CENTRE)
MAX_K = 30
MINUTES_RANGE = (10, 60)
# HiGHS's rough share of a run: the travel matrix first, the solve after
PROGRESS = (5, 15, 35, 60, 80, 90)


class OptimisationError(ValueError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


class Cancelled(Exception):
    """The user cancelled the run: stop at the next step."""


@dataclass(frozen=True)
class OptimisationRequest:
    model: str = "mclp"
    k: int = 4
    minutes: float = 20.0
    candidates: str = "toutes"
    weights: str = "besoin"

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def runs_visible_to(user: Any) -> QuerySet[OptimisationRun]:
    """Runs whose zone the user may see (the same rule as scenarios)."""
    keys = OptimisationRun.objects.values_list("zone_key", flat=True).distinct()
    return OptimisationRun.objects.filter(zone_key__in=visible_zone_keys(user, keys))


def candidate_codes(user: Any, zone: Zone, rule: str) -> list[str]:
    """INSEE codes of the zone's inhabited, placed communes the rule allows."""
    communes = zone_communes(user, zone).filter(
        latitude__isnull=False, longitude__isnull=False, population__gt=0
    )
    if rule == "structures":
        hosts = Organisation.objects.filter(kind__in=HOST_KINDS).values("commune_id")
        communes = communes.filter(code__in=hosts)
    return list(communes.order_by("code").values_list("code", flat=True))


def parse_request(user: Any, zone: Zone, values: dict[str, Any]) -> OptimisationRequest:
    """The request from submitted values, or :class:`OptimisationError` naming every wrong field (French)."""
    errors: dict[str, str] = {}
    model = str(values.get("model") or "mclp")
    if model not in MODELS:
        errors["model"] = _("Modèle inconnu : choisissez la couverture maximale ou la p-médiane.")
    rule = str(values.get("candidates") or "toutes")
    if rule not in CANDIDATE_RULES:
        errors["candidates"] = _("Règle de choix des communes candidates inconnue.")
    weights = str(values.get("weights") or "besoin")
    if weights not in WEIGHTS:
        errors["weights"] = _("Pondération inconnue : besoin ou population.")
    k = _number(values.get("k"), 4, errors, "k", _("Nombre de nouveaux sites"), 1, MAX_K, integer=True)
    minutes = _number(values.get("minutes"), 20, errors, "minutes", _("Trajet de couverture"), *MINUTES_RANGE)
    if "candidates" not in errors and "k" not in errors:
        count = len(candidate_codes(user, zone, rule))
        if count == 0 and rule == "structures":
            errors["candidates"] = _(
                "L'annuaire ne connaît aucune pharmacie, maison ou centre de santé dans cette zone : "
                "choisissez toutes les communes."
            )
        elif k > count:
            errors["k"] = _(
                "%(k)s nouveaux sites demandés mais seulement %(count)s communes candidates dans la zone."
            ) % {"k": k, "count": count}
    if errors:
        raise OptimisationError(errors)
    return OptimisationRequest(model, int(k), float(minutes), rule, weights)


def _number(
    raw: Any, default: float, errors: dict[str, str], field: str, label: str, low: float, high: float,
    *, integer: bool = False,
) -> float:  # fmt: skip
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return default
    try:
        return checked_number(raw, label=label, low=low, high=high, integer=integer)
    except ValueError as error:
        errors[field] = str(error)
        return default


def request_optimisation(
    user: Any, zone: Zone, request: OptimisationRequest, *, enqueue: bool = True
) -> OptimisationRun:
    """Record the request and hand it to the task worker (``enqueue=False``: the caller runs it itself with
    :func:`execute`, as the demo loader and the benchmark do)."""
    with transaction.atomic():
        run = OptimisationRun.objects.create(
            zone_key=zone.key, parameters=request.as_dict(), requested_by=user
        )
        audit_record(actor=user, action="optimisation.request", target=run, details=request.as_dict())
        if enqueue:
            transaction.on_commit(lambda: run_optimisation.enqueue(run.pk))
    return run


def cancel_optimisation(user: Any, run: OptimisationRun) -> OptimisationRun:
    """A queued run stops at once; a running one at its next step (or inside HiGHS, within a second)."""
    with transaction.atomic():
        run = OptimisationRun.objects.select_for_update().get(pk=run.pk)
        if run.is_finished:
            return run
        run.cancel_requested = True
        fields = ["cancel_requested"]
        if run.state == RunState.QUEUED:
            run.state, run.finished_at, run.step = RunState.CANCELLED, timezone.now(), _("annulée")
            fields += ["state", "finished_at", "step"]
        run.save(update_fields=fields)
        audit_record(actor=user, action="optimisation.cancel", target=run)
    return run


@task()
def run_optimisation(run_id: int) -> str:
    """The worker's side of a request."""
    return execute(run_id)


def _cancel_requested(run_id: int) -> bool:
    return OptimisationRun.objects.filter(pk=run_id, cancel_requested=True).exists()


def execute(run_id: int) -> str:
    """Run one queued optimisation to its end (done, failed or cancelled); returns the final state."""
    started = OptimisationRun.objects.filter(pk=run_id, state=RunState.QUEUED).update(
        state=RunState.RUNNING,
        started_at=timezone.now(),
        progress=PROGRESS[0],
        step=_("chargement du territoire"),
    )
    if not started:  # cancelled while queued, or already taken by another worker
        return str(OptimisationRun.objects.filter(pk=run_id).values_list("state", flat=True).first() or "")
    run = OptimisationRun.objects.select_related("requested_by").get(pk=run_id)
    steps = iter(PROGRESS[1:])

    def step(label: str) -> None:
        if _cancel_requested(run_id):
            raise Cancelled
        OptimisationRun.objects.filter(pk=run_id).update(progress=next(steps, PROGRESS[-1]), step=label[:200])

    try:
        result = _optimise(run, step)
    except Cancelled:
        return _finish(run_id, RunState.CANCELLED, step=_("annulée"))
    except TerritoryInputError as error:
        return _finish(run_id, RunState.FAILED, error=str(error))
    except Exception:  # a bug must not leave the run "en cours" for ever: logged, and said plainly
        logger.exception("optimisation %s failed", run_id)
        return _finish(run_id, RunState.FAILED, error=_("Erreur inattendue pendant l'optimisation."))
    if _cancel_requested(run_id):
        return _finish(run_id, RunState.CANCELLED, step=_("annulée"))
    return _finish(run_id, RunState.DONE, result=result, step=_("terminée"), progress=100)


def _finish(run_id: int, state: str, **fields: Any) -> str:
    OptimisationRun.objects.filter(pk=run_id).update(state=state, finished_at=timezone.now(), **fields)
    return state


def _optimise(run: OptimisationRun, step: Any) -> dict[str, Any]:
    user = run.requested_by
    zone = zone_for(user, run.zone_key) if user is not None else None
    if zone is None:
        raise TerritoryInputError(_("La zone n'est plus dans le territoire du demandeur."))
    request = OptimisationRequest(**run.parameters)
    codes = set(zone_communes(user, zone).values_list("code", flat=True))
    inputs = load_territory()
    inputs = dataclasses.replace(
        inputs, in_study_area=np.array([c in codes for c in inputs.codes], dtype=bool)
    )
    position = inputs.position_of
    allowed = [position[c] for c in candidate_codes(user, zone, request.candidates) if c in position]
    if request.k > len(allowed):
        raise TerritoryInputError(
            _("%(k)s nouveaux sites demandés mais seulement %(count)s communes candidates.")
            % {"k": request.k, "count": len(allowed)}
        )
    engine, _engine_name = travel_time_engine()
    with interrupt_when(lambda: _cancel_requested(run.pk)):
        result = run_optimise(
            inputs,
            engine,
            model_name=request.model,
            k=request.k,
            candidate_count=len(allowed),
            minutes=request.minutes,
            weights="population" if request.weights == "population" else "need",
            gain_curve=False,
            time_limit=settings.DIAGNOSIS_OPTIMISER_SECONDS,
            gap=0.0,
            step=step,
            unreachable_minutes=2 * request.minutes if request.model == "pmedian" else None,
            candidates=np.asarray(sorted(allowed), dtype=np.int64),
        )
    return result.as_json()


def fail_abandoned_runs(*, now: dt.datetime | None = None) -> int:
    """Runs left "en cours" by a worker that stopped (a restart, a crash): said failed, not left spinning."""
    limit = (now or timezone.now()) - dt.timedelta(seconds=settings.DIAGNOSIS_OPTIMISER_SECONDS + 600)
    return OptimisationRun.objects.filter(state=RunState.RUNNING, started_at__lt=limit).update(
        state=RunState.FAILED,
        finished_at=now or timezone.now(),
        error=_("Le calcul a été interrompu (redémarrage du serveur de tâches) : relancez-le."),
    )
