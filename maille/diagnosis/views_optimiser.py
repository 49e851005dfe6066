"""The optimiser's pages: ask for k new sites, follow the run, cancel it, save its proposal as a scenario."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from maille.accounts.permissions import has_permission, require_permission

from .models import OptimisationRun, ScenarioOrigin
from .optimiser import (
    CANDIDATE_RULES,
    MODELS,
    WEIGHTS,
    OptimisationError,
    OptimisationRequest,
    cancel_optimisation,
    parse_request,
    request_optimisation,
    runs_visible_to,
)
from .scenarios import (
    ScenarioError,
    scenario_create,
)
from .views import _zone_of
from .zones import zone_for


# --- the optimiser ------------------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
@require_permission("diagnosis.plan")
def optimise(request: HttpRequest) -> HttpResponse:
    source = request.POST if request.method == "POST" else request.GET
    query = QueryDict(mutable=True)
    query["zone"] = source.get("zone", "")
    zone, zones = _zone_of(request, query if query["zone"] else None)
    errors: dict[str, str] = {}
    values = OptimisationRequest().as_dict()
    if request.method == "POST":
        values.update({k: request.POST.get(k, "") for k in values})
        try:
            run = request_optimisation(request.user, zone, parse_request(request.user, zone, request.POST))
            return redirect("diagnosis:optimisation", run_id=run.pk)
        except OptimisationError as error:
            errors = error.errors
    context = {
        "zone": zone,
        "zones": zones,
        "values": values,
        "errors": errors,
        "models": MODELS,
        "rules": CANDIDATE_RULES,
        "weights": WEIGHTS,
        "runs": list(runs_visible_to(request.user).filter(zone_key=zone.key)[:10]),
    }
    return render(request, "diagnosis/optimise.html", context, status=422 if errors else 200)


def _run_or_404(request: HttpRequest, pk: int) -> OptimisationRun:
    return get_object_or_404(runs_visible_to(request.user), pk=pk)


def _run_context(request: HttpRequest, run: OptimisationRun) -> dict[str, Any]:
    zone = zone_for(request.user, run.zone_key)
    if zone is None:
        raise Http404
    rows = run.result.get("rows", []) if run.result else []
    summary = run.result.get("summary", {}) if run.result else {}
    proposal_query = urlencode([("zone", zone.key), *[("ajout", row["code"]) for row in rows]])
    return {
        "run": run,
        "zone": zone,
        "rows": rows,
        "summary": summary,
        "parameters": run.parameters,
        "model_label": MODELS.get(run.parameters.get("model", ""), ""),
        "rule_label": CANDIDATE_RULES.get(run.parameters.get("candidates", ""), ""),
        "proposal_query": proposal_query,
        "proven": summary.get("status") == "Optimal",
        "can_plan": has_permission(request.user, "diagnosis.plan"),
        "default_name": _("Proposition de %(k)s sites — %(zone)s") % {"k": run.parameters.get("k"), "zone": zone.label},
        "save_errors": {},
    }  # fmt: skip


@require_GET
@require_permission("diagnosis.view")
def optimisation(request: HttpRequest, run_id: int) -> HttpResponse:
    run = _run_or_404(request, run_id)
    return render(request, "diagnosis/optimisation.html", _run_context(request, run))


@require_GET
@require_permission("diagnosis.view")
def optimisation_state(request: HttpRequest, run_id: int) -> HttpResponse:
    """The run's progress (HTMX, polled every second while it runs)."""
    run = _run_or_404(request, run_id)
    # a finished run's fragment has no trigger left: the swap itself ends the polling
    return render(request, "diagnosis/_optimisation_state.html", _run_context(request, run))


@require_permission("diagnosis.plan")
@require_POST
def optimisation_cancel(request: HttpRequest, run_id: int) -> HttpResponse:
    run = cancel_optimisation(request.user, _run_or_404(request, run_id))
    return redirect("diagnosis:optimisation", run_id=run.pk)


@require_permission("diagnosis.plan")
@require_POST
def optimisation_save(request: HttpRequest, run_id: int) -> HttpResponse:
    """Save a finished run's proposal as a scenario (its parameters, status and gap kept with it)."""
    run = _run_or_404(request, run_id)
    context = _run_context(request, run)
    if run.state != "done" or not context["rows"]:
        context["save_errors"] = {"run": _("Seule une optimisation terminée peut être enregistrée.")}
        return render(request, "diagnosis/optimisation.html", context, status=409)
    try:
        scenario = scenario_create(
            request.user, context["zone"], name=request.POST.get("name", ""),
            added=[row["code"] for row in context["rows"]], origin=ScenarioOrigin.OPTIMISER,
            optimisation={"parameters": run.parameters, "summary": context["summary"], "run": run.pk},
        )  # fmt: skip
    except ScenarioError as error:
        context["save_errors"] = error.errors
        context["default_name"] = request.POST.get("name", "")
        return render(request, "diagnosis/optimisation.html", context, status=422)
    OptimisationRun.objects.filter(pk=run.pk).update(scenario=scenario)
    return redirect("diagnosis:scenario_detail", scenario_id=scenario.pk)
