"""Scenario pages: save a drawn network, read one with its sizing, change its assumptions, compare several,
and the committee report of one to four of them (HTML and PDF)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from maille.accounts.permissions import has_permission, require_permission
from maille.territory.selectors import APL_CLASSES

from .assumptions import FIELDS, Assumptions
from .figures import Diagnosis, diagnose, size_network
from .models import Scenario
from .optimiser import (
    runs_visible_to,
)
from .report import Bar, commune_outlines, svg_bars, svg_map
from .scenarios import (
    ScenarioError,
    evaluate_scenario,
    scenario_create,
    scenario_delete,
    scenario_update,
    scenario_zone,
    scenarios_visible_to,
    what_if_query,
)
from .views import diagnosis_page_response
from .zones import zone_for, zones_visible_to

MAX_COMPARED = 4


# --- scenarios ----------------------------------------------------------------------------------------------
@require_GET
@require_permission("diagnosis.view")
def scenario_list(request: HttpRequest) -> HttpResponse:
    scenarios = scenarios_visible_to(request.user).select_related("created_by")
    zone_key = request.GET.get("zone", "")
    zone = zone_for(request.user, zone_key) if zone_key else None
    if zone_key and zone is None:
        raise Http404
    if zone is not None:
        scenarios = scenarios.filter(zone_key=zone.key)
    labels = {}
    for key in {s.zone_key for s in scenarios}:
        found = zone_for(request.user, key)
        labels[key] = found.label if found else key
    context = {
        "scenarios": [(s, labels.get(s.zone_key, s.zone_key)) for s in scenarios],
        "zone": zone,
        "can_plan": has_permission(request.user, "diagnosis.plan"),
        "max_compared": MAX_COMPARED,
        "runs": list(runs_visible_to(request.user).filter(scenario__isnull=True)[:10]),
    }
    return render(request, "diagnosis/scenario_list.html", context)


def _scenario_or_404(request: HttpRequest, pk: int) -> Scenario:
    return get_object_or_404(scenarios_visible_to(request.user), pk=pk)


@require_permission("diagnosis.plan")
@require_POST
def scenario_create_view(request: HttpRequest) -> HttpResponse:
    """Save the network drawn on the diagnosis page; refused, the page comes back with its messages and the
    name typed (nothing saved)."""
    query = QueryDict(mutable=True)
    query.setlist("zone", [request.POST.get("zone", "")])
    query.setlist("ajout", request.POST.getlist("ajout"))
    query.setlist("retrait", request.POST.getlist("retrait"))
    zone = zone_for(request.user, request.POST.get("zone", ""))
    if zone is None:
        raise Http404
    try:
        scenario = scenario_create(
            request.user, zone, name=request.POST.get("name", ""), added=request.POST.getlist("ajout"),
            removed=request.POST.getlist("retrait"),
        )  # fmt: skip
    except ScenarioError as error:
        zones = zones_visible_to(request.user)
        return diagnosis_page_response(
            request, zone, zones, query, extra={"save_errors": error.errors, "save_name": request.POST.get("name", "")},
            status=422,
        )  # fmt: skip
    return redirect("diagnosis:scenario_detail", scenario_id=scenario.pk)


def evaluated(request: HttpRequest, scenario: Scenario, *, with_today: bool = True) -> dict[str, Any]:
    """A scenario's figures and sizing (beside today's with the same assumptions, unless ``with_today`` is
    false: a comparison computes today's network once for all its columns)."""
    result = evaluate_scenario(request.user, scenario, with_today=with_today)
    inputs = result.inputs
    return {
        "scenario": scenario,
        "zone": inputs.zone,
        "notes": inputs.notes,
        "today": result.today,
        "figures": result.figures,
        "today_sizing": result.today_sizing,
        "sizing": result.sizing,
        "assumptions": inputs.assumptions,
        "map_query": urlencode([("zone", inputs.zone.key), *what_if_query(inputs.what_if)]),
    }


def indicators(today: Diagnosis, columns: list[tuple[Diagnosis, Any]]) -> list[dict[str, Any]]:
    """The comparison's rows: each figure for today and each scenario (with its difference to today)."""

    def row(label: str, value: Any, *, higher_is_better: bool = False, unit: str = "") -> dict[str, Any]:
        base = value(today, None)
        cells = []
        for diagnosis, sizing in columns:
            current = value(diagnosis, sizing)
            delta = None if current is None or base is None else current - base
            cells.append(
                {
                    "value": current,
                    "delta": delta,
                    "improves": delta is not None and (delta > 0) == higher_is_better,
                }
            )
        return {"label": label, "today": base, "cells": cells, "unit": unit}

    return [
        row(_("Sites de téléconsultation"), lambda d, s: d.sites_in_zone, higher_is_better=True),
        row(_("Population à moins de 20 min d'un site"), lambda d, s: d.within[20], higher_is_better=True),
        row(_("Population à moins de 30 min d'un site"), lambda d, s: d.within[30], higher_is_better=True),
        row(_("Population à plus de 30 min d'un site"), lambda d, s: d.beyond[30]),
        row(_("Trajet moyen jusqu'au site le plus proche"), lambda d, s: None if d.mean_travel_minutes is None else round(d.mean_travel_minutes, 1), unit=_("min")),
        row(_("Population en écart de couverture"), lambda d, s: d.gap_population),
        row(_("Population relevée au-dessus d'une APL de 2,5 par le réseau"), lambda d, s: d.lifted_population, higher_is_better=True),
        row(_("Population sous 2,5 même avec le réseau"), lambda d, s: d.under_with_network),
    ]  # fmt: skip


def sizing_rows(today_sizing: Any, sizings: list[Any]) -> list[dict[str, Any]]:
    def row(label: str, attribute: str) -> dict[str, Any]:
        base = getattr(today_sizing, attribute)
        cells = []
        for sizing in sizings:
            value = None if sizing.error else getattr(sizing, attribute)
            delta = None if value is None or today_sizing.error else value - base
            cells.append({"value": value, "delta": delta, "improves": False, "neutral": True})
        return {"label": label, "today": None if today_sizing.error else base, "cells": cells, "unit": _("h")}

    return [
        row(_("Heures de médecin téléconsultant par semaine"), "doctor_hours_per_week"),
        row(_("Heures d'assistant (infirmier, pharmacien) par semaine"), "assistant_hours_per_week"),
    ]


@require_http_methods(["GET", "POST"])
@require_permission("diagnosis.view")
def scenario_detail(request: HttpRequest, scenario_id: int) -> HttpResponse:
    scenario = _scenario_or_404(request, scenario_id)
    try:
        scenario_zone(request.user, scenario)
    except Scenario.DoesNotExist as missing:
        raise Http404 from missing
    can_plan = has_permission(request.user, "diagnosis.plan")
    errors: dict[str, str] = {}
    submitted: dict[str, Any] = {}
    if request.method == "POST":
        if not can_plan:
            raise PermissionDenied
        submitted = {f.name: request.POST.get(f.name, "") for f in FIELDS}
        try:
            scenario_update(
                request.user, scenario, name=request.POST.get("name", scenario.name),
                description=request.POST.get("description", scenario.description),
                assumptions={k: v for k, v in submitted.items() if str(v).strip()},
            )  # fmt: skip
            return redirect("diagnosis:scenario_detail", scenario_id=scenario.pk)
        except ScenarioError as error:
            errors = error.errors
    context = evaluated(request, scenario)
    context.update({
        "can_plan": can_plan,
        "errors": errors,
        "single_column": [{"scenario": scenario}],
        "fields": _assumption_fields(context["assumptions"], submitted, errors),
        "rows": indicators(context["today"], [(context["figures"], context["sizing"])]),
        "sizing_rows": sizing_rows(context["today_sizing"], [context["sizing"]]),
        "name_value": request.POST.get("name", scenario.name) if errors else scenario.name,
        "description_value": request.POST.get("description", scenario.description) if errors else scenario.description,
    })  # fmt: skip
    return render(request, "diagnosis/scenario_detail.html", context, status=422 if errors else 200)


def _assumption_fields(
    assumptions: Assumptions, submitted: dict[str, Any], errors: dict[str, str]
) -> list[dict[str, Any]]:
    """Each assumption for the form: its value (what was typed, when refused), bounds and error."""
    return [
        {
            "spec": spec,
            "value": submitted.get(spec.name) if spec.name in errors else getattr(assumptions, spec.name),
            "error": errors.get(spec.name, ""),
            "default": spec.default,
        }
        for spec in FIELDS
    ]


@require_permission("diagnosis.plan")
@require_POST
def scenario_delete_view(request: HttpRequest, scenario_id: int) -> HttpResponse:
    scenario = _scenario_or_404(request, scenario_id)
    zone_key = scenario.zone_key
    scenario_delete(request.user, scenario)
    return redirect(f"{reverse('diagnosis:scenario_list')}?{urlencode({'zone': zone_key})}")


@require_GET
@require_permission("diagnosis.view")
def scenario_compare(request: HttpRequest) -> HttpResponse:
    """Two to four scenarios of one zone side by side, today's network first."""
    if not request.GET.getlist("s"):  # nothing chosen yet: say how, no error
        prompt: dict[str, Any] = {"errors": [], "columns": [], "zone": None, "prompt": True,
                                  "max_compared": MAX_COMPARED}  # fmt: skip
        return render(request, "diagnosis/scenario_compare.html", prompt)
    scenarios, errors = chosen_scenarios(request, minimum=2)
    if errors:
        context = {
            "errors": errors,
            "columns": [],
            "zone": None,
            "prompt": False,
            "max_compared": MAX_COMPARED,
        }
        return render(request, "diagnosis/scenario_compare.html", context, status=400)
    return render(
        request, "diagnosis/scenario_compare.html", {**comparison(request, scenarios), "prompt": False}
    )


def chosen_scenarios(request: HttpRequest, *, minimum: int) -> tuple[list[Scenario], list[str]]:
    """The scenarios of ``?s=…`` in the order given (404 for one the user may not see), or what is wrong."""
    raw = request.GET.getlist("s")
    ids = [int(value) for value in raw if value.isdigit()]
    errors = []
    if len(ids) != len(raw):
        errors.append(_("Identifiant de scénario illisible."))
    scenarios = list(scenarios_visible_to(request.user).filter(pk__in=ids))
    scenarios.sort(key=lambda s: ids.index(s.pk))
    if len(scenarios) != len(set(ids)):
        raise Http404
    if not minimum <= len(scenarios) <= MAX_COMPARED:
        errors.append(
            _("Choisissez de %(min)s à %(max)s scénarios à comparer.") % {"min": minimum, "max": MAX_COMPARED}
        )
    elif len({s.zone_key for s in scenarios}) > 1:
        errors.append(_("Les scénarios comparés doivent porter sur la même zone."))
    return scenarios, errors


def comparison(request: HttpRequest, scenarios: list[Scenario]) -> dict[str, Any]:
    columns = [evaluated(request, scenario, with_today=False) for scenario in scenarios]
    zone = columns[0]["zone"]
    today = diagnose(request.user, zone)
    today_sizing = size_network(today)
    return {
        "errors": [],
        "zone": zone,
        "columns": columns,
        "rows": indicators(today, [(c["figures"], c["sizing"]) for c in columns]),
        "sizing_rows": sizing_rows(today_sizing, [c["sizing"] for c in columns]),
        "today": today,
        "today_sizing": today_sizing,
        "compare_query": urlencode([("s", s.pk) for s in scenarios]),
    }


# --- the committee report -------------------------------------------------------------------------------------
def _report_context(request: HttpRequest) -> tuple[dict[str, Any] | None, list[str]]:
    if not request.GET.getlist("s"):
        return None, []
    scenarios, errors = chosen_scenarios(request, minimum=1)
    if errors:
        return None, errors
    context = comparison(request, scenarios)
    today, columns = context["today"], context["columns"]
    outlines = commune_outlines([r.code for r in today.rows])
    context["maps"] = [
        {"title": _("Réseau d'aujourd'hui"), "svg": svg_map(today, outlines, _("Réseau d'aujourd'hui"))},
        *[
            {"title": c["scenario"].name, "svg": svg_map(c["figures"], outlines, c["scenario"].name)}
            for c in columns
        ],
    ]
    names = [_("Aujourd'hui"), *[c["scenario"].name for c in columns]]
    networks = [today, *[c["figures"] for c in columns]]
    sizings = [context["today_sizing"], *[c["sizing"] for c in columns]]
    context["charts"] = [
        svg_bars(_("Population à plus de 30 min d'un site"),
                 [Bar(n, d.beyond[30]) for n, d in zip(names, networks, strict=True)], ""),
        svg_bars(_("Population relevée au-dessus d'une APL de 2,5"),
                 [Bar(n, d.lifted_population) for n, d in zip(names, networks, strict=True)], ""),
        svg_bars(_("Heures de médecin téléconsultant par semaine"),
                 [Bar(n, 0 if s.error else s.doctor_hours_per_week) for n, s in zip(names, sizings, strict=True)],
                 _("h")),
    ]  # fmt: skip
    context["apl_classes"] = APL_CLASSES
    context["generated_at"] = timezone.now()
    return context, []


@require_GET
@require_permission("diagnosis.view")
def scenario_report(request: HttpRequest) -> HttpResponse:
    """The committee report of one to four scenarios of a zone, as a page (printable, and the PDF's source)."""
    context, errors = _report_context(request)
    if context is None:
        return _report_refused(request, errors)
    return render(request, "diagnosis/report.html", {**context, "as_pdf": False})


def _report_refused(request: HttpRequest, errors: list[str]) -> HttpResponse:
    """No scenario chosen yet (how to choose), or a wrong choice (what is wrong, 400)."""
    context = {"errors": errors, "max_compared": MAX_COMPARED}
    return render(request, "diagnosis/report_errors.html", context, status=400 if errors else 200)


@require_GET
@require_permission("diagnosis.view")
def scenario_report_pdf(request: HttpRequest) -> HttpResponse:
    context, errors = _report_context(request)
    if context is None:
        return _report_refused(request, errors)
    try:
        from weasyprint import HTML  # Pango is loaded here: a machine without it still serves every page
    except OSError:
        message = _("Le rendu PDF demande la bibliothèque Pango (paquets libpango-1.0-0 et libpangoft2-1.0-0) "
                    "sur le serveur ; le rapport reste lisible et imprimable en HTML.")  # fmt: skip
        return render(request, "diagnosis/report_errors.html", {"errors": [message], "max_compared": MAX_COMPARED},
                      status=503)  # fmt: skip
    html = render_to_string("diagnosis/report.html", {**context, "as_pdf": True}, request=request)
    pdf = HTML(string=html).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    zone = context["zone"]
    response["Content-Disposition"] = (
        f'attachment; filename="rapport-{zone.kind}-{zone.code.replace(",", "-")}.pdf"'
    )
    return response
