"""The computations behind ``maille plan``: the planning library run on the loaded territory.

Each ``run_*`` takes the territory arrays and the options, and returns a :class:`PlanResult` of plain data
(a summary and rows), which the command writes as JSON or CSV. Library errors are turned into French
messages here, naming the offending communes or sites.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.utils.translation import gettext as _
from numpy.typing import NDArray

from maille.diagnosis.territory_inputs import TerritoryInputError, TerritoryInputs, distance_decay
from maille.planning.errors import InfeasibleSpecificationError, PlanningError
from maille.planning.points import Points
from maille.planning.travel import TravelTimeEngine, TravelTimes

Step = Callable[[str], None]


@dataclass
class PlanResult:
    """What a run produced: a summary (one level of keys) and rows, plus notes for the user (French)."""

    command: str
    parameters: dict[str, Any]
    summary: dict[str, Any]
    rows: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)
    extra_tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "parameters": self.parameters,
            "summary": self.summary,
            "rows": self.rows,
            **self.extra_tables,
            "notes": self.notes,
        }


@dataclass(frozen=True)
class SiteSet:
    """The sites a run works with: the directory's active sites and new ones at commune centroids."""

    labels: list[str]
    names: list[str]
    communes: list[str]
    kinds: list[str]  # "directory" or "added"
    points: Points


def site_set(inputs: TerritoryInputs, add_at: list[str]) -> SiteSet:
    positions = inputs.commune_positions(add_at)
    added = inputs.points.subset(positions)
    return SiteSet(
        labels=[f"site-{pk}" for pk in inputs.site_ids] + [f"commune-{code}" for code in add_at],
        names=inputs.site_names + [inputs.names[p] for p in positions],
        communes=inputs.site_communes + list(add_at),
        kinds=["directory"] * len(inputs.site_ids) + ["added"] * len(add_at),
        points=Points(
            np.concatenate((inputs.site_points.latitude, added.latitude)),
            np.concatenate((inputs.site_points.longitude, added.longitude)),
            check_france=False,
        ),
    )


def french_error(error: PlanningError) -> TerritoryInputError:
    """A library error as a French message for the user, its rows kept."""
    rows = ", ".join(str(r) for r in error.rows[:20]) + (" …" if len(error.rows) > 20 else "")
    if isinstance(error, InfeasibleSpecificationError):
        text = _("Spécification impossible à satisfaire (%(detail)s).") % {"detail": str(error)}
    else:
        text = _("Données invalides (%(detail)s).") % {"detail": str(error)}
    if rows:
        text += " " + _("Lignes en cause : %(rows)s") % {"rows": rows}
    return TerritoryInputError(text)


def territory_notes(inputs: TerritoryInputs, *, uses_standardised: bool = False) -> list[str]:
    notes = []
    if inputs.skipped_communes:
        notes.append(
            _("%(count)d commune(s) sans coordonnées laissée(s) de côté : %(codes)s")
            % {"count": len(inputs.skipped_communes), "codes": ", ".join(inputs.skipped_communes[:20])}
        )
    if uses_standardised and inputs.missing_standardised:
        notes.append(
            _(
                "%(count)d commune(s) sans population standardisée : population municipale utilisée (%(codes)s)"
            )
            % {
                "count": len(inputs.missing_standardised),
                "codes": ", ".join(inputs.missing_standardised[:20]),
            }
        )
    return notes


def _number(value: float) -> float | None:
    """A JSON-safe float (NaN and infinities become null)."""
    return float(value) if np.isfinite(value) else None


def _weighted_mean(values: NDArray[np.float64], weights: NDArray[np.float64]) -> float | None:
    known = np.isfinite(values) & (weights > 0)
    return _number(float(np.average(values[known], weights=weights[known]))) if known.any() else None


def run_accessibility(
    inputs: TerritoryInputs,
    engine: TravelTimeEngine,
    *,
    add_at: list[str],
    added_hours: float,
    consultation_minutes: float,
    weeks_per_year: float,
    step: Step,
) -> PlanResult:
    """Official APL + the accessibility added by ``added_hours`` of teleconsultation a week at each site."""
    from maille.planning.accessibility import added_accessibility

    sites = site_set(inputs, add_at)
    decay = distance_decay(inputs.apl_year)
    yearly_per_site = added_hours * weeks_per_year * 60.0 / consultation_minutes
    step(_("temps de trajet communes → sites"))
    # Every placed commune is demand (not only the study area): a site near a border serves both sides.
    times = engine.travel_times(inputs.points, sites.points, decay.max_minutes)
    step(_("accessibilité ajoutée (E2SFCA)"))
    added = added_accessibility(
        decay, times, inputs.standardised_population, np.full(len(sites.points), yearly_per_site)
    )
    total = inputs.apl + added
    area = inputs.in_study_area
    rows = [
        {
            "code": inputs.codes[i],
            "name": inputs.names[i],
            "departement": inputs.departements[i],
            "population": int(inputs.population[i]),
            "standardised_population": round(float(inputs.standardised_population[i]), 3),
            "apl": _number(inputs.apl[i]),
            "added": round(float(added[i]), 6),
            "total": None if np.isnan(total[i]) else round(float(total[i]), 6),
        }
        for i in np.flatnonzero(area)
    ]
    threshold = 2.5
    before = area & (inputs.apl < threshold)
    after = area & (total < threshold)
    summary = {
        "communes": int(area.sum()),
        "sites": len(sites.points),
        "added_consultations_per_year": round(yearly_per_site * len(sites.points), 1),
        "apl_year": inputs.apl_year,
        "distance_decay": [[u, w] for u, w in zip(decay.upper_minutes, decay.weights, strict=True)],
        "mean_apl_before": _weighted_mean(inputs.apl[area], inputs.standardised_population[area]),
        "mean_apl_after": _weighted_mean(total[area], inputs.standardised_population[area]),
        "sous_dense_communes_before": int(before.sum()),
        "sous_dense_communes_after": int(after.sum()),
        "sous_dense_population_before": int(inputs.population[before].sum()),
        "sous_dense_population_after": int(inputs.population[after].sum()),
        "communes_without_apl": int((area & np.isnan(inputs.apl)).sum()),
    }
    parameters = {
        "added_hours_per_week": added_hours,
        "consultation_minutes": consultation_minutes,
        "weeks_per_year": weeks_per_year,
        "add_at": add_at,
    }
    return PlanResult(
        "accessibility", parameters, summary, rows, territory_notes(inputs, uses_standardised=True)
    )


def band_label(lower: float | None, upper: float | None, unknown: bool) -> str:
    if unknown:
        return _("APL inconnu")
    if lower is None and upper is None:
        return _("toutes les communes")
    if lower is None:
        return _("APL < %(upper)s") % {"upper": f"{upper:g}"}
    if upper is None:
        return _("APL ≥ %(lower)s") % {"lower": f"{lower:g}"}
    return _("%(lower)s ≤ APL < %(upper)s") % {"lower": f"{lower:g}", "upper": f"{upper:g}"}


def run_coverage(
    inputs: TerritoryInputs,
    engine: TravelTimeEngine,
    *,
    add_at: list[str],
    minutes: float,
    band_edges: list[float],
    step: Step,
) -> PlanResult:
    """Population and need within ``minutes`` of the sites, by APL band, over the study area."""
    from maille.planning.coverage import CoverageByBand

    sites = site_set(inputs, add_at)
    area = np.flatnonzero(inputs.in_study_area)
    step(_("temps de trajet communes → sites"))
    times = engine.travel_times(inputs.points.subset(area), sites.points, minutes)
    step(_("couverture par tranche d'APL"))
    model = CoverageByBand(within_minutes=minutes, band_edges=band_edges).solve(
        times,
        np.arange(len(sites.points)),
        inputs.population[area],
        inputs.apl[area],
        demand_labels=[inputs.codes[i] for i in area],
    )
    rows = [
        {
            "band": band_label(b.lower, b.upper, b.unknown),
            "apl_from": b.lower,
            "apl_to": b.upper,
            "communes": b.communes,
            "population": int(b.population),
            "covered_population": int(b.covered_population),
            "covered_share": round(b.covered_share, 4),
            "need": round(b.need, 1),
            "covered_need": round(b.covered_need, 1),
            "covered_need_share": round(b.covered_need_share, 4),
        }
        for b in [*model.bands_, model.total_]
    ]
    summary = {
        "communes": int(area.size),
        "sites": len(sites.points),
        "covered_communes": int(model.covered_.sum()),
        "population": int(model.total_.population),
        "covered_population": int(model.total_.covered_population),
        "covered_share": round(model.total_.covered_share, 4),
        "need": round(model.total_.need, 1),
        "covered_need": round(model.total_.covered_need, 1),
    }
    parameters = {"minutes": minutes, "band_edges": band_edges, "add_at": add_at}
    return PlanResult("coverage", parameters, summary, rows, territory_notes(inputs))


def optimisation_weights(
    inputs: TerritoryInputs, rows: NDArray[np.int64], weights: str
) -> NDArray[np.float64]:
    from maille.planning.coverage import need_weights

    if weights == "population":
        return inputs.population[rows]
    # A commune without an APL gets no need weight (counted in the notes, never guessed).
    return need_weights(inputs.population[rows], inputs.apl[rows], missing_apl=2.5)


def run_optimise(
    inputs: TerritoryInputs,
    engine: TravelTimeEngine,
    *,
    model_name: str,
    k: int,
    candidate_count: int,
    minutes: float,
    weights: str,
    gain_curve: bool,
    time_limit: float,
    gap: float,
    step: Step,
    unreachable_minutes: float | None = None,
    candidates: NDArray[np.int64] | None = None,
) -> PlanResult:
    """Place ``k`` new sites among ``candidates`` (positions of communes; by default the ``candidate_count``
    most populous of the study area), the directory's sites kept open."""
    area = np.flatnonzero(inputs.in_study_area)
    if candidates is None:
        candidates = inputs.most_populous(candidate_count)
    if k > candidates.size:
        raise TerritoryInputError(
            _("%(k)d nouveaux sites demandés mais seulement %(count)d communes candidates.")
            % {"k": k, "count": candidates.size}
        )
    site_points = Points(
        np.concatenate((inputs.points.latitude[candidates], inputs.site_points.latitude)),
        np.concatenate((inputs.points.longitude[candidates], inputs.site_points.longitude)),
        check_france=False,
    )
    fixed = np.arange(candidates.size, candidates.size + len(inputs.site_ids))
    need = optimisation_weights(inputs, area, weights)
    labels = [inputs.codes[i] for i in area]
    step(_("temps de trajet communes → candidats"))
    times = engine.travel_times(inputs.points.subset(area), site_points, minutes)
    curve_rows: list[dict[str, Any]] = []
    try:
        step(_("résolution (%(model)s, k = %(k)d)") % {"model": model_name, "k": k})
        solved = _solve_location(
            model_name,
            k,
            times,
            need,
            fixed,
            labels,
            time_limit,
            gap,
            unreachable_minutes=unreachable_minutes,
        )
        if gain_curve and model_name != "pmedian":
            curve_rows = _gain_curve(model_name, k, times, need, fixed, labels, time_limit, gap, solved, step)
    except PlanningError as error:
        raise french_error(error) from error
    covered = np.asarray(getattr(solved, "covered_", np.zeros(area.size, bool)))
    if model_name == "pmedian":
        covered = _within(times, solved.open_sites_, minutes)
    rows = _chosen_communes(inputs, candidates, solved)
    summary = _optimise_summary(model_name, k, inputs, candidates, area, solved, covered, need)
    parameters = {
        "model": model_name,
        "k": k,
        "candidates": candidate_count,
        "minutes": minutes,
        "weights": weights,
        "time_limit_seconds": time_limit,
        "mip_rel_gap": gap,
        "unreachable_minutes": unreachable_minutes,
    }
    result = PlanResult("optimise", parameters, summary, rows, territory_notes(inputs))
    if curve_rows:
        result.extra_tables["gain_curve"] = curve_rows
    elif gain_curve:
        result.notes.append(_("Courbe de gain disponible pour les modèles mclp et greedy seulement."))
    return result


def _chosen_communes(inputs: TerritoryInputs, candidates: np.ndarray, solved: Any) -> list[dict[str, Any]]:
    """The communes chosen for new sites, in the solver's order."""
    return [
        {
            "rank": rank,
            "code": inputs.codes[candidates[j]],
            "name": inputs.names[candidates[j]],
            "departement": inputs.departements[candidates[j]],
            "population": int(inputs.population[candidates[j]]),
        }
        for rank, j in enumerate((int(j) for j in solved.selected_), start=1)
    ]


def _optimise_summary(
    model_name: str,
    k: int,
    inputs: TerritoryInputs,
    candidates: np.ndarray,
    area: np.ndarray,
    solved: Any,
    covered: np.ndarray,
    need: np.ndarray,
) -> dict[str, Any]:
    """Key figures of a placement; "gap" is the solver's proven gap (a heuristic's own bound gap)."""
    summary = {
        "model": model_name,
        "k": k,
        "candidates": int(candidates.size),
        "open_sites": len(inputs.site_ids),
        "demand_communes": int(area.size),
        "status": getattr(solved, "status_", "Heuristic"),
        "gap": _number(getattr(solved, "gap_", getattr(solved, "bound_gap_", np.nan))),
        "objective": round(float(solved.objective_), 3),
        "covered_population": int(inputs.population[area][covered].sum()),
        "population": int(inputs.population[area].sum()),
        "covered_need": round(float(need[covered].sum()), 1),
        "need": round(float(need.sum()), 1),
    }
    if model_name == "greedy":
        summary["upper_bound"] = round(float(solved.upper_bound_), 3)
    if model_name == "pmedian":
        summary["unreachable_communes"] = int(solved.unreachable_.size)
    return summary


def _within(times: TravelTimes, sites: NDArray[np.int64], minutes: float) -> NDArray[np.bool_]:
    is_site = np.zeros(times.shape[1], dtype=bool)
    is_site[sites] = True
    covered = np.zeros(times.shape[0], dtype=bool)
    pairs = is_site[times.indices] & (times.minutes <= minutes)
    covered[times.origin_of_each_pair()[pairs]] = True
    return covered


def _solve_location(
    model_name: str,
    k: int,
    times: TravelTimes,
    need: NDArray[np.float64],
    fixed: NDArray[np.int64],
    labels: list[str],
    time_limit: float,
    gap: float,
    *,
    unreachable_minutes: float | None = None,
) -> Any:
    if model_name == "greedy":
        from maille.planning.greedy import LazyGreedyCoverage

        return LazyGreedyCoverage(k).solve(times, need, fixed=fixed, demand_labels=labels)
    if model_name == "pmedian":
        from maille.planning.location import PMedian

        return PMedian(
            k, time_limit_seconds=time_limit, mip_rel_gap=gap, unreachable_minutes=unreachable_minutes
        ).solve(times, need, fixed=fixed, demand_labels=labels)
    from maille.planning.location import MaximalCoverage

    return MaximalCoverage(k, time_limit_seconds=time_limit, mip_rel_gap=gap).solve(
        times, need, fixed=fixed, demand_labels=labels
    )


def _gain_curve(
    model_name: str,
    k: int,
    times: TravelTimes,
    need: NDArray[np.float64],
    fixed: NDArray[np.int64],
    labels: list[str],
    time_limit: float,
    gap: float,
    solved: Any,
    step: Step,
) -> list[dict[str, Any]]:
    """Weight covered for each k = 1…K: exact (one MCLP per k) or the greedy prefixes."""
    if model_name == "greedy":
        values = np.asarray(solved.gain_curve_, dtype=np.float64)
        statuses = ["Heuristic"] * values.size
        baseline = float(need[_within(times, fixed, times.cutoff_minutes)].sum())
    else:
        from maille.planning.gain_curve import CoverageGainCurve

        curve = CoverageGainCurve(k, time_limit_seconds=time_limit, mip_rel_gap=gap).solve(
            times,
            need,
            fixed=fixed,
            demand_labels=labels,
            on_step=lambda j: step(_("courbe de gain exacte, k = %(k)d") % {"k": j}),
        )
        values, statuses, baseline = curve.objective_, curve.status_, curve.baseline_
    previous = np.concatenate(([baseline], values[:-1]))
    return [
        {"k": j + 1, "objective": round(float(v), 3), "marginal_gain": round(float(v - p), 3), "status": s}
        for j, (v, p, s) in enumerate(zip(values, previous, statuses, strict=True))
    ]


def run_sizing(
    inputs: TerritoryInputs,
    engine: TravelTimeEngine,
    *,
    add_at: list[str],
    minutes: float,
    use_rate: float,
    consultation_minutes: float,
    target_wait_minutes: float,
    weeks_per_year: float,
    max_rooms: int,
    doctor_hourly_cost: float | None,
    assistant_hourly_cost: float | None,
    step: Step,
) -> PlanResult:
    """Yearly demand per site (nearest-site catchments), weekly hours (Erlang C) and cost inputs."""
    from maille.planning.sizing import NetworkSizing, SiteSizing

    sites = site_set(inputs, add_at)
    position = inputs.position_of
    in_area = [
        j
        for j, code in enumerate(sites.communes)
        if code in position and inputs.in_study_area[position[code]]
    ]
    if not sites.labels:
        raise TerritoryInputError(
            _("Aucun site à dimensionner : l'annuaire n'a pas de site actif (ou utilisez --add-at).")
        )
    step(_("temps de trajet communes → sites"))
    times = engine.travel_times(inputs.points, sites.points, minutes)
    step(_("bassins et dimensionnement (Erlang C)"))
    try:
        model = NetworkSizing(
            use_rate,
            within_minutes=minutes,
            site_sizing=SiteSizing(
                consultation_minutes=consultation_minutes,
                target_wait_minutes=target_wait_minutes,
                weeks_per_year=weeks_per_year,
            ),
            max_rooms=max_rooms,
            doctor_hourly_cost=doctor_hourly_cost,
            assistant_hourly_cost=assistant_hourly_cost,
        ).solve(times, np.arange(len(sites.labels)), inputs.population, site_labels=sites.names)
    except PlanningError as error:
        raise french_error(error) from error
    rows: list[dict[str, Any]] = []
    for j in in_area:
        sized = model.sites_[j]
        rows.append(
            {
                "site": sites.labels[j],
                "name": sites.names[j],
                "commune": sites.communes[j],
                "kind": sites.kinds[j],
                "catchment_population": int(model.catchment_population_[j]),
                "yearly_demand": round(sized.yearly_demand, 1),
                "rooms": sized.rooms,
                "weekly_hours": sized.weekly_hours,
                "doctor_hours_per_year": round(sized.doctor_hours_per_year, 1),
                "assistant_hours_per_year": round(sized.assistant_hours_per_year, 1),
                "doctor_cost_per_year": sized.doctor_cost_per_year,
                "assistant_cost_per_year": sized.assistant_cost_per_year,
            }
        )
    beyond = inputs.in_study_area & (model.assignment_ < 0)
    summary = {
        "sites": len(rows),
        "catchment_population": int(sum(r["catchment_population"] for r in rows)),
        "study_area_population_beyond_reach": int(inputs.population[beyond].sum()),
        "yearly_demand": round(sum(r["yearly_demand"] for r in rows), 1),
        "doctor_hours_per_year": round(sum(r["doctor_hours_per_year"] for r in rows), 1),
        "assistant_hours_per_year": round(sum(r["assistant_hours_per_year"] for r in rows), 1),
    }
    parameters = {
        "minutes": minutes,
        "use_rate": use_rate,
        "consultation_minutes": consultation_minutes,
        "target_wait_minutes": target_wait_minutes,
        "weeks_per_year": weeks_per_year,
        "max_rooms": max_rooms,
        "doctor_hourly_cost": doctor_hourly_cost,
        "assistant_hourly_cost": assistant_hourly_cost,
        "add_at": add_at,
    }
    return PlanResult("sizing", parameters, summary, rows, territory_notes(inputs))
