"""Pages of the cost and funding model: the scenarios of the scope and a new one (blank, drafted from a planning
scenario, with the seeds' example funding), a scenario's results and its grid (sites, costs, funding per year), its
workbook, and the comparison of two to four scenarios."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from maille.accounts.permissions import has_permission, require_permission
from maille.core.input_guards import row_number
from maille.diagnosis.scenarios import scenarios_visible_to
from maille.directory.models import Profession
from maille.quality.views import FieldErrors
from maille.territory.selectors import departements_visible_to

from .charts import svg_cost_funding
from .costs import (
    DRAFT_UNIT_COSTS,
    MAX_YEARS,
    CostInputError,
    amounts_of,
    compute_costs,
    cost_scenario_create,
    cost_scenario_delete,
    cost_scenario_save,
    cost_scenarios_visible_to,
)
from .downloads import xlsx_download
from .models import CostCategory, CostNature, CostScenario, Funder

BLANK_ROWS = 3
MAX_COMPARED = 4


def _scenario(request: HttpRequest, cost_scenario_id: int) -> CostScenario:
    scenario = (
        cost_scenarios_visible_to(request.user)
        .select_related("departement")
        .filter(pk=cost_scenario_id)
        .first()
    )
    if scenario is None:
        raise Http404(_("Scénario inconnu ou hors de votre périmètre."))
    return scenario


def _list_context(request: HttpRequest, errors: FieldErrors, typed: dict[str, Any]) -> dict[str, Any]:
    scenarios = list(cost_scenarios_visible_to(request.user).select_related("departement")[:100])
    return {
        "scenarios": scenarios,
        "departements": list(departements_visible_to(request.user)),
        "planning_scenarios": list(scenarios_visible_to(request.user).order_by("name")[:100]),
        "can_manage": has_permission(request.user, "evaluation.manage_costs"),
        "errors": errors,
        "typed": typed,
        "max_years": MAX_YEARS,
        "unit_costs": DRAFT_UNIT_COSTS.values(),
    }


@require_GET
@require_permission("evaluation.view_costs")
def cost_scenarios(request: HttpRequest) -> HttpResponse:
    year = timezone.localdate().year + 1
    typed = {"name": "", "departement": "", "first_year": year, "years": 4, "planning": "", "seed": ""}
    return render(request, "evaluation/costs.html", _list_context(request, FieldErrors(), typed))


@require_permission("evaluation.manage_costs")
@require_POST
def cost_scenario_new(request: HttpRequest) -> HttpResponse:
    data = request.POST
    typed = {
        key: data.get(key, "")[:200]
        for key in ("name", "departement", "first_year", "years", "planning", "seed")
    }
    errors = FieldErrors()
    planning = None
    if typed["planning"]:
        number = row_number(typed["planning"])
        planning = (
            scenarios_visible_to(request.user).filter(pk=number).first() if number is not None else None
        )
        if planning is None:
            errors["diagnosis_scenario"] = _("Scénario de planification inconnu ou hors de votre périmètre.")
    if not errors:
        try:
            scenario = cost_scenario_create(
                request.user, name=typed["name"], departement_code=typed["departement"],
                first_year=typed["first_year"], years=typed["years"], diagnosis_scenario=planning,
                seed_example=bool(typed["seed"]),
            )  # fmt: skip
        except CostInputError as error:
            errors.update(error.errors)
        else:
            messages.success(request, _("Scénario « %(name)s » créé.") % {"name": scenario.name})
            return redirect(reverse("evaluation:cost_scenario", args=[scenario.pk]))
    return render(request, "evaluation/costs.html", _list_context(request, errors, typed), status=422)


def _cell(name: str, value: Any, typed: Any, errors: FieldErrors) -> dict[str, Any]:
    """A cell of the grid: what was typed when the form comes back with errors, else the saved value."""
    shown = typed.get(name, "") if typed is not None else value
    return {"name": name, "value": "" if shown is None else shown, "error": errors[name]}


def _amount_text(value: Any) -> str:
    return "" if not value else f"{value:.2f}".replace(".", ",").removesuffix(",00")


def _grid(scenario: CostScenario, typed: Any, errors: FieldErrors) -> dict[str, Any]:
    """The rows of the three grids (saved rows then blank ones), each cell with its value and error."""
    n = scenario.years
    years = scenario.year_list
    sites = list(scenario.sites.all())
    site_rows = []
    for i, site in enumerate([*sites, *[None] * BLANK_ROWS]):
        key = f"site-{i}"
        site_rows.append({
            "index": i, "id": site.pk if site else "", "saved": site is not None,
            "name": _cell(f"{key}-name", site.name if site else "", typed, errors),
            "opening_year": _cell(f"{key}-opening_year", site.opening_year if site else "", typed, errors),
            "teleconsultations": _cell(f"{key}-teleconsultations", site.teleconsultations_per_year if site else "",
                                       typed, errors),
            "profession": _cell(f"{key}-profession", site.assisting_profession if site else Profession.NURSE, typed,
                                errors),
            "hours": _cell(f"{key}-hours", str(site.assistant_hours_per_week).replace(".", ",") if site else "",
                           typed, errors),
        })  # fmt: skip

    def line_rows(prefix: str, lines: list[Any], fields: list[str]) -> list[dict[str, Any]]:
        rows = []
        for i, line in enumerate([*lines, *[None] * BLANK_ROWS]):
            key = f"{prefix}-{i}"
            amounts = amounts_of(line, n) if line else [None] * n
            row = {"index": i, "id": line.pk if line else "", "saved": line is not None,
                   "years": [_cell(f"{key}-y{k}", _amount_text(a), typed, errors) | {"year": years[k]}
                             for k, a in enumerate(amounts)]}  # fmt: skip
            for name in fields:
                value = getattr(line, "site_id" if name == "site" else name) if line else ""
                row[name] = _cell(f"{key}-{name}", value if value is not None else "", typed, errors)
            rows.append(row)
        return rows

    return {
        "site_rows": site_rows,
        "cost_rows": line_rows(
            "cost", list(scenario.cost_lines.all()), ["label", "site", "category", "nature"]
        ),
        "funding_rows": line_rows(
            "funding", list(scenario.funding_lines.all()), ["label", "funder", "nature"]
        ),
        "saved_sites": sites,
        "categories": CostCategory.choices,
        "natures": CostNature.choices,
        "funders": Funder.choices,
        "professions": Profession.choices,
        "header": {
            "name": _cell("name", scenario.name, typed, errors),
            "description": _cell("description", scenario.description, typed, errors),
            "departement": _cell("departement", scenario.departement_id, typed, errors),
            "first_year": _cell("first_year", scenario.first_year, typed, errors),
            "years": _cell("years", scenario.years, typed, errors),
        },
    }


def _detail(request: HttpRequest, scenario: CostScenario, *, errors: FieldErrors | None = None,
            status: int = 200) -> HttpResponse:  # fmt: skip
    results = compute_costs(scenario)
    context = {
        "scenario": scenario,
        "results": results,
        "chart": mark_safe(
            svg_cost_funding(
                _("Coûts et financements par année (€)"),
                results.years,
                results.total_costs,
                results.total_funding,
            )
        ),  # fmt: skip
        "can_manage": has_permission(request.user, "evaluation.manage_costs"),
        "departements": list(departements_visible_to(request.user)),
        "errors": errors if errors is not None else FieldErrors(),
        "error_list": list((errors or {}).values()),
        "max_years": MAX_YEARS,
        **_grid(scenario, request.POST if errors else None, errors if errors is not None else FieldErrors()),
    }
    return render(request, "evaluation/cost_scenario.html", context, status=status)


@require_GET
@require_permission("evaluation.view_costs")
def cost_scenario(request: HttpRequest, cost_scenario_id: int) -> HttpResponse:
    return _detail(request, _scenario(request, cost_scenario_id))


@require_permission("evaluation.manage_costs")
@require_POST
def cost_scenario_edit(request: HttpRequest, cost_scenario_id: int) -> HttpResponse:
    scenario = _scenario(request, cost_scenario_id)
    try:
        cost_scenario_save(request.user, scenario, request.POST)
    except CostInputError as error:
        errors = FieldErrors()
        errors.update(error.errors)
        scenario.refresh_from_db()
        return _detail(request, scenario, errors=errors, status=422)
    messages.success(request, _("Scénario enregistré."))
    return redirect(reverse("evaluation:cost_scenario", args=[scenario.pk]))


@require_permission("evaluation.manage_costs")
@require_POST
def cost_scenario_remove(request: HttpRequest, cost_scenario_id: int) -> HttpResponse:
    scenario = _scenario(request, cost_scenario_id)
    name = scenario.name
    cost_scenario_delete(request.user, scenario)
    messages.success(request, _("Scénario « %(name)s » supprimé.") % {"name": name})
    return redirect(reverse("evaluation:cost_scenarios"))


def _money(value: Any) -> float | None:
    return None if value is None else float(value)


@require_GET
@require_permission("evaluation.view_costs")
def cost_scenario_xlsx(request: HttpRequest, cost_scenario_id: int) -> HttpResponse:
    from openpyxl import Workbook

    scenario = _scenario(request, cost_scenario_id)
    results = compute_costs(scenario)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Synthèse")
    years = [str(y) for y in results.years]
    sheet.append([_("ligne"), *years, _("total")])
    sheet.append([_("téléconsultations"), *results.teleconsultations, sum(results.teleconsultations)])

    def add(label: str, values: list[Any]) -> None:
        sheet.append([label, *[_money(v) for v in values], _money(sum(v for v in values if v is not None))])

    add(_("coûts du soin"), results.care_costs)
    add(_("coûts de l'accès aux soins"), results.access_costs)
    add(_("coûts totaux"), results.total_costs)
    add(_("financements du soin"), results.care_funding)
    add(_("financements de l'accès aux soins"), results.access_funding)
    add(_("financements totaux"), results.total_funding)
    add(_("solde"), results.balance)
    sheet.append([_("solde cumulé"), *[_money(v) for v in results.cumulative_balance]])
    sheet.append([_("coût par téléconsultation"), *[_money(v) for v in results.cost_per_teleconsultation],
                  _money(results.total_cost_per_teleconsultation)])  # fmt: skip
    for title, rows in ((_("Coûts par poste"), results.costs_by_category),
                        (_("Financements"), results.funding_by_funder),
                        (_("Accès aux soins (collectivités)"), results.local_authorities),
                        (_("Coûts par site"), results.per_site)):  # fmt: skip
        detail = workbook.create_sheet(title[:31])
        detail.append([_("ligne"), *years, _("total")])
        for row in rows:
            detail.append([row.label, *[_money(v) for v in row.amounts], _money(row.total)])
    return xlsx_download(workbook, f"scenario-couts-{scenario.pk}.xlsx")


@require_GET
@require_permission("evaluation.view_costs")
def cost_compare(request: HttpRequest) -> HttpResponse:
    visible = cost_scenarios_visible_to(request.user).select_related("departement")
    numbers = [row_number(raw) for raw in request.GET.getlist("s")[:10]]
    chosen = [n for n in dict.fromkeys(numbers) if n is not None]
    errors = FieldErrors()
    scenarios = list(visible.filter(pk__in=chosen))
    if any(n is None for n in numbers):
        errors["s"] = _("Scénario illisible dans la demande.")
    elif len(scenarios) != len(chosen):
        errors["s"] = _("Scénario inconnu ou hors de votre périmètre.")
    elif request.GET.getlist("s") and not 2 <= len(scenarios) <= MAX_COMPARED:
        errors["s"] = _("Choisissez de 2 à %(n)s scénarios.") % {"n": MAX_COMPARED}
    compared = (
        [] if errors else [compute_costs(s) for s in sorted(scenarios, key=lambda s: chosen.index(s.pk))]
    )
    context = {"all_scenarios": list(visible[:100]), "compared": compared, "chosen": chosen, "errors": errors,
               "max_compared": MAX_COMPARED}  # fmt: skip
    return render(request, "evaluation/cost_compare.html", context, status=400 if errors else 200)
