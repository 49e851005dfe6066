"""/api/v1/diagnosis: the zones, key figures and map layers of a diagnosis, scenarios and optimisations.

The same computations as the pages (``figures.diagnose``, ``scenarios``, ``optimiser``), the same scope (a zone
is answered only within the caller's, unknown and outside alike: 404) and the same refusals, as problem
documents naming each field.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from maille.accounts.permissions import has_permission
from maille.core.api_pagination import Page, PageQuery, paginate
from maille.core.errors import DomainError

from .assumptions import FIELDS
from .figures import Diagnosis, diagnose
from .models import OptimisationRun, Scenario
from .optimiser import (
    OptimisationError,
    cancel_optimisation,
    parse_request,
    request_optimisation,
    runs_visible_to,
)
from .scenarios import (
    ScenarioError,
    check_what_if,
    evaluate_scenario,
    scenario_create,
    scenarios_visible_to,
)
from .zones import Zone, zone_for, zones_visible_to

router = Router(tags=["diagnostic"])


def _require(user: Any, permission: str) -> None:
    if not has_permission(user, permission):
        raise HttpError(403, _("Votre rôle ne permet pas cette opération du diagnostic."))


def _zone(user: Any, key: str) -> Zone:
    zone = zone_for(user, key)
    if zone is None:
        raise Http404
    return zone


# --- schemas ------------------------------------------------------------------------------------------------
class ZoneOut(Schema):
    key: str = Field(
        description="Clé de la zone, à passer en paramètre zone (departement:55, epci:…, cpts:…)"
    )
    kind: str
    code: str
    label: str


class ZoneQuery(Schema):
    zone: str = Field(
        description="Clé de la zone (departement:55, departements:52,54,55, epci:SIREN, cpts:id)"
    )
    ajout: list[str] = Field(
        default_factory=list, description="Communes où un site est envisagé (code INSEE)"
    )
    retrait: list[int] = Field(
        default_factory=list, description="Sites actifs de la zone retirés (identifiants)"
    )


class FiguresOut(Schema):
    zone: ZoneOut
    apl_year: int | None = Field(description="Millésime de l'APL (DREES)")
    computed_at: str
    population: int
    communes: int
    population_under_2_5: int = Field(description="Population sous une APL de 2,5 (sous-dense)")
    population_under_1_5: int
    population_beyond_20_min: int = Field(description="Population à plus de 20 min du site le plus proche")
    population_beyond_30_min: int
    coverage_gap_population: int = Field(description="APL sous 2,5 et aucun site à moins de 30 min")
    lifted_population: int | None = Field(
        description="Sous 2,5 par l'APL officielle, au-dessus avec le réseau"
    )
    under_2_5_with_network: int | None
    mean_travel_minutes: float | None
    sites: int = Field(description="Sites actifs de la zone (du réseau décrit)")
    room_hours_per_week: float | None = Field(description="Temps de salle hebdomadaire des sites de la zone")
    occupancy: float | None = Field(description="Part réservée de ce temps sur les 4 dernières semaines")
    network_note: str = Field(description="Pourquoi l'APL avec le réseau manque, quand elle manque")


class CommuneLayerOut(Schema):
    code: str
    name: str
    population: int
    apl: float | None
    apl_with_network: float | None
    travel_minutes: float | None = Field(description="Minutes jusqu'au site le plus proche")
    nearest_site: str
    coverage_gap: bool


class SizedSiteOut(Schema):
    name: str
    commune: str
    envisaged: bool
    catchment_population: int
    yearly_demand: float
    rooms: int
    weekly_hours: float
    doctor_hours_per_week: float
    assistant_hours_per_week: float


class SizingOut(Schema):
    error: str
    doctor_hours_per_week: float | None
    assistant_hours_per_week: float | None
    sites: list[SizedSiteOut]


class ScenarioOut(Schema):
    id: int
    name: str
    description: str
    zone: str
    origin: str
    added_communes: list[str]
    removed_sites: list[int]
    assumptions: dict[str, float]
    optimisation: dict[str, Any]
    created_at: str
    updated_at: str


class ScenarioDetailOut(ScenarioOut):
    notes: list[str]
    today: FiguresOut
    figures: FiguresOut
    sizing_today: SizingOut
    sizing: SizingOut


class ScenarioIn(Schema):
    name: str = Field(max_length=200)
    zone: str = Field(examples=["departement:55"])
    description: str = Field("", max_length=2000)
    added_communes: list[str] = Field(default_factory=list, max_length=100)
    removed_sites: list[int] = Field(default_factory=list, max_length=500)
    assumptions: dict[str, float] = Field(
        default_factory=dict,
        description="Hypothèses différentes des valeurs par défaut : " + ", ".join(f.name for f in FIELDS),
    )


class ScenarioFilters(Schema):
    zone: str | None = Field(None, description="Clé de la zone")


class OptimisationIn(Schema):
    zone: str = Field(examples=["departement:55"])
    k: int = Field(4, description="Nombre de nouveaux sites (1 à 30)")
    model: str = Field("mclp", description="mclp (couverture maximale) ou pmedian")
    minutes: float = Field(20.0, description="Trajet de couverture, 10 à 60 minutes")
    candidates: str = Field(
        "toutes", description="toutes, ou structures (pharmacie, maison ou centre de santé)"
    )
    weights: str = Field("besoin", description="besoin ou population")


class OptimisationOut(Schema):
    id: int
    zone: str
    parameters: dict[str, Any]
    state: str = Field(description="queued, running, done, failed ou cancelled")
    progress: int
    step: str
    error: str
    proposed_communes: list[dict[str, Any]]
    summary: dict[str, Any] = Field(description="status « Optimal » : optimum prouvé ; sinon gap")
    scenario: int | None


# --- conversions --------------------------------------------------------------------------------------------
def zone_dict(zone: Zone) -> dict[str, str]:
    return {"key": zone.key, "kind": zone.kind, "code": zone.code, "label": zone.label}


def figures_dict(diagnosis: Diagnosis) -> dict[str, Any]:
    missing = bool(diagnosis.network_note)
    return {
        "zone": zone_dict(diagnosis.zone),
        "apl_year": diagnosis.apl_year,
        "computed_at": diagnosis.computed_at.isoformat(),
        "population": diagnosis.population,
        "communes": len(diagnosis.rows),
        "population_under_2_5": diagnosis.under_sous_dense,
        "population_under_1_5": diagnosis.under_very_low,
        "population_beyond_20_min": diagnosis.beyond[20],
        "population_beyond_30_min": diagnosis.beyond[30],
        "coverage_gap_population": diagnosis.gap_population,
        "lifted_population": None if missing else diagnosis.lifted_population,
        "under_2_5_with_network": None if missing else diagnosis.under_with_network,
        "mean_travel_minutes": None
        if diagnosis.mean_travel_minutes is None
        else round(diagnosis.mean_travel_minutes, 2),
        "sites": diagnosis.sites_in_zone,
        "room_hours_per_week": round(diagnosis.room_hours_per_week, 1) if diagnosis.sites else None,
        "occupancy": None if diagnosis.occupancy is None else round(diagnosis.occupancy, 4),
        "network_note": diagnosis.network_note,
    }


def sizing_dict(sizing: Any) -> dict[str, Any]:
    return {
        "error": sizing.error,
        "doctor_hours_per_week": None if sizing.error else sizing.doctor_hours_per_week,
        "assistant_hours_per_week": None if sizing.error else sizing.assistant_hours_per_week,
        "sites": [vars(site) for site in sizing.sites],
    }


def scenario_dict(scenario: Scenario) -> dict[str, Any]:
    return {
        "id": scenario.pk,
        "name": scenario.name,
        "description": scenario.description,
        "zone": scenario.zone_key,
        "origin": scenario.origin,
        "added_communes": scenario.added_communes,
        "removed_sites": scenario.removed_sites,
        "assumptions": scenario.assumptions,
        "optimisation": scenario.optimisation,
        "created_at": scenario.created_at.isoformat(),
        "updated_at": scenario.updated_at.isoformat(),
    }


def run_dict(run: OptimisationRun) -> dict[str, Any]:
    return {
        "id": run.pk,
        "zone": run.zone_key,
        "parameters": run.parameters,
        "state": run.state,
        "progress": run.progress,
        "step": run.step,
        "error": run.error,
        "proposed_communes": run.result.get("rows", []) if run.result else [],
        "summary": run.result.get("summary", {}) if run.result else {},
        "scenario": run.scenario_id,
    }


def _drawn(request: HttpRequest, query: ZoneQuery) -> tuple[Zone, Any]:
    zone = _zone(request.user, query.zone)
    drawn = check_what_if(request.user, zone, query.ajout, query.retrait)
    if drawn.errors:
        raise DomainError(
            " ".join(drawn.errors), code="invalid_scenario", details={"ajout": " ".join(drawn.errors)}
        )
    return zone, drawn.what_if


# --- operations ---------------------------------------------------------------------------------------------
@router.get("/diagnosis/zones", response=list[ZoneOut], summary="Zones de diagnostic du périmètre")
def list_zones(request: HttpRequest) -> list[dict[str, str]]:
    _require(request.user, "diagnosis.view")
    return [zone_dict(zone) for zones in zones_visible_to(request.user).values() for zone in zones]


@router.get("/diagnosis/figures", response=FiguresOut, summary="Chiffres clés d'une zone (ou d'un scénario)")
def figures(request: HttpRequest, query: Query[ZoneQuery]) -> dict[str, Any]:
    _require(request.user, "diagnosis.view")
    zone, what_if = _drawn(request, query)
    return figures_dict(diagnose(request.user, zone, what_if=what_if))


@router.get(
    "/diagnosis/layers",
    response=list[CommuneLayerOut],
    summary="Couches de la carte : chaque commune de la zone",
)
def layers(request: HttpRequest, query: Query[ZoneQuery]) -> list[dict[str, Any]]:
    _require(request.user, "diagnosis.view")
    zone, what_if = _drawn(request, query)
    diagnosis = diagnose(request.user, zone, what_if=what_if, with_sites=False)
    return [
        {
            "code": r.code,
            "name": r.name,
            "population": r.population,
            "apl": r.apl,
            "apl_with_network": r.network_apl,
            "travel_minutes": r.travel_minutes,
            "nearest_site": r.nearest_site,
            "coverage_gap": r.gap,
        }
        for r in diagnosis.rows
    ]


@router.get("/diagnosis/scenarios", response=Page[ScenarioOut], summary="Scénarios du périmètre")
def list_scenarios(
    request: HttpRequest, filters: Query[ScenarioFilters], paging: Query[PageQuery]
) -> dict[str, Any]:
    _require(request.user, "diagnosis.view")
    scenarios = scenarios_visible_to(request.user)
    if filters.zone:
        scenarios = scenarios.filter(zone_key=_zone(request.user, filters.zone).key)
    return paginate(
        request, scenarios.order_by("pk"), paging, lambda items: [scenario_dict(s) for s in items]
    )


@router.get(
    "/diagnosis/scenarios/{scenario_id}", response=ScenarioDetailOut, summary="Un scénario et ses chiffres"
)
def get_scenario(request: HttpRequest, scenario_id: int) -> dict[str, Any]:
    _require(request.user, "diagnosis.view")
    scenario = scenarios_visible_to(request.user).filter(pk=scenario_id).first()
    if scenario is None:
        raise Http404
    try:
        result = evaluate_scenario(request.user, scenario)
    except Scenario.DoesNotExist as missing:
        raise Http404 from missing
    today, today_sizing = result.today, result.today_sizing
    if today is None or today_sizing is None:  # evaluate_scenario computes them unless told not to
        raise RuntimeError("today's network was not evaluated")
    return {
        **scenario_dict(scenario),
        "notes": result.inputs.notes,
        "today": figures_dict(today),
        "figures": figures_dict(result.figures),
        "sizing_today": sizing_dict(today_sizing),
        "sizing": sizing_dict(result.sizing),
    }


@router.post("/diagnosis/scenarios", response={201: ScenarioOut}, summary="Enregistrer un scénario")
def create_scenario(request: HttpRequest, payload: ScenarioIn) -> Status[dict[str, Any]]:
    _require(request.user, "diagnosis.plan")
    zone = _zone(request.user, payload.zone)
    try:
        scenario = scenario_create(
            request.user, zone, name=payload.name, added=payload.added_communes, removed=payload.removed_sites,
            assumptions=dict(payload.assumptions), description=payload.description,
        )  # fmt: skip
    except ScenarioError as error:
        raise DomainError(
            error.args[0], code="invalid_scenario", details=dict[str, object](error.errors)
        ) from error
    return Status(201, scenario_dict(scenario))


@router.post(
    "/diagnosis/optimisations", response={202: OptimisationOut}, summary="Demander de nouveaux sites"
)
def create_optimisation(request: HttpRequest, payload: OptimisationIn) -> Status[dict[str, Any]]:
    """The run is queued for the task worker: follow it with GET until its state is done, failed or cancelled."""
    _require(request.user, "diagnosis.plan")
    zone = _zone(request.user, payload.zone)
    try:
        parsed = parse_request(request.user, zone, payload.dict())
    except OptimisationError as error:
        raise DomainError(
            error.args[0], code="invalid_optimisation", details=dict[str, object](error.errors)
        ) from error
    return Status(202, run_dict(request_optimisation(request.user, zone, parsed)))


@router.get("/diagnosis/optimisations/{run_id}", response=OptimisationOut, summary="Une optimisation")
def get_optimisation(request: HttpRequest, run_id: int) -> dict[str, Any]:
    _require(request.user, "diagnosis.view")
    run = runs_visible_to(request.user).filter(pk=run_id).first()
    if run is None:
        raise Http404
    return run_dict(run)


@router.post(
    "/diagnosis/optimisations/{run_id}/cancel", response=OptimisationOut, summary="Annuler une optimisation"
)
def cancel(request: HttpRequest, run_id: int) -> dict[str, Any]:
    _require(request.user, "diagnosis.plan")
    run = runs_visible_to(request.user).filter(pk=run_id).first()
    if run is None:
        raise Http404
    return run_dict(cancel_optimisation(request.user, run))
