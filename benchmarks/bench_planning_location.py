"""MCLP and p-median: Maille (HiGHS through highspy, sparse model) against PySAL spopt (HiGHS through PuLP)."""

from __future__ import annotations

import time

import numpy as np

from benchmarks.planning_data import load_communes

GRAND_EST = "44"


def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def main() -> None:
    import pulp
    from spopt.locate import MCLP
    from spopt.locate import PMedian as SpoptPMedian

    from maille.planning.greedy import LazyGreedyCoverage
    from maille.planning.location import MaximalCoverage, PMedian
    from maille.planning.points import Points
    from maille.planning.travel import GreatCircleEngine

    engine = GreatCircleEngine()
    region = load_communes(GRAND_EST)
    points = Points(region.latitude, region.longitude)
    candidates = np.argsort(-region.population, kind="stable")[:500]
    sites = points.subset(candidates)
    need = region.population
    times = engine.travel_times(points, sites, cutoff_minutes=20)
    dense = engine.minutes_between(points, sites)
    print(
        f"Grand Est: {len(points):,} demand communes, {candidates.size} candidates, {times.nnz:,} pairs within 20 min"
    )
    for k in (5, 10, 20, 30):
        ours_s, ours = timed(lambda k=k: MaximalCoverage(k).solve(times, need))

        def spopt_run(k=k):
            model = MCLP.from_cost_matrix(dense, need, service_radius=20.0, p_facilities=k)
            return model.solve(pulp.HiGHS(msg=False))

        theirs_s, theirs = timed(spopt_run)
        spopt_objective = pulp.value(theirs.problem.objective)
        print(
            f"MCLP k={k}: maille {ours_s:.2f} s ({ours.status_}, gap {ours.gap_:.1e}, HiGHS {ours.solver_seconds_:.2f} s,"
            f" {ours.model_rows_} merged rows), spopt {theirs_s:.2f} s, ratio {theirs_s / ours_s:.1f}x;"
            f" covered {ours.objective_:,.0f} vs {spopt_objective:,.0f}"
        )

    wide = engine.travel_times(points, sites, cutoff_minutes=60)
    ours_s, ours = timed(lambda: PMedian(10).solve(wide, need))
    theirs_s, theirs = timed(
        lambda: SpoptPMedian.from_cost_matrix(dense, need, p_facilities=10).solve(pulp.HiGHS(msg=False))
    )
    print(
        f"p-median k=10 (60-min sparse matrix vs dense): maille {ours_s:.2f} s ({ours.status_}, gap {ours.gap_:.1e}),"
        f" spopt {theirs_s:.2f} s, ratio {theirs_s / ours_s:.1f}x; objective {ours.objective_:,.0f}"
        f" vs {pulp.value(theirs.problem.objective):,.0f}"
    )

    france = load_communes()
    all_points = Points(france.latitude, france.longitude)
    national_candidates = np.argsort(-france.population, kind="stable")[:5000]
    build_s, national = timed(
        lambda: engine.travel_times(all_points, all_points.subset(national_candidates), cutoff_minutes=20)
    )
    print(
        f"France: {len(all_points):,} communes, 5,000 candidates, {national.nnz:,} pairs (built in {build_s:.2f} s)"
    )
    for k in (50, 100):
        ours_s, ours = timed(
            lambda k=k: MaximalCoverage(k, mip_rel_gap=1e-3, time_limit_seconds=60).solve(
                national, france.population
            )
        )
        greedy_s, greedy = timed(lambda k=k: LazyGreedyCoverage(k).solve(national, france.population))
        print(
            f"national MCLP k={k}: {ours_s:.2f} s ({ours.status_}, gap {ours.gap_:.2e}, {ours.model_rows_:,} merged rows),"
            f" covered {ours.objective_:,.0f}; lazy greedy {greedy_s:.2f} s covered {greedy.objective_:,.0f}"
            f" ({greedy.objective_ / ours.objective_:.4f} of HiGHS, bound gap {greedy.bound_gap_:.2%})"
        )
