"""MCLP and p-median: Maille (HiGHS through highspy, sparse model) against PySAL spopt (HiGHS through PuLP).

spopt runs in a child process with a time cap (``SPOPT_CAP_SECONDS``, default 60 s) so that ``make bench``
stays usable: a capped run is reported as "> N s" and its ratio as a lower bound.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

from benchmarks.planning_data import load_communes

GRAND_EST = "44"
SPOPT_CAP_SECONDS = float(os.environ.get("SPOPT_CAP_SECONDS", "60"))
WHOLE_MATRIX_MINUTES = 24 * 60  # longer than any trip within a région: every pair is kept

SPOPT_CHILD = """
import json, sys, time
import numpy as np, pulp
from spopt.locate import MCLP, PMedian
from benchmarks.planning_data import load_communes
from maille.planning.points import Points
from maille.planning.travel import GreatCircleEngine
model_name, k = sys.argv[1], int(sys.argv[2])
region = load_communes("44")
points = Points(region.latitude, region.longitude)
candidates = np.argsort(-region.population, kind="stable")[:500]
dense = GreatCircleEngine().minutes_between(points, points.subset(candidates))
print("ready", flush=True)
start = time.perf_counter()
if model_name == "mclp":
    model = MCLP.from_cost_matrix(dense, region.population, service_radius=20.0, p_facilities=k)
else:
    model = PMedian.from_cost_matrix(dense, region.population, p_facilities=k)
model = model.solve(pulp.HiGHS(msg=False))
print(json.dumps({"seconds": time.perf_counter() - start, "objective": pulp.value(model.problem.objective)}))
"""


def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def spopt(model_name: str, k: int) -> tuple[float, float | None, bool]:
    """spopt's time on the Grand Est instance (data loading excluded), its objective, and whether capped."""
    child = subprocess.Popen(
        [sys.executable, "-c", SPOPT_CHILD, model_name, str(k)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert child.stdout is not None
    child.stdout.readline()  # "ready": the timer starts once the data are loaded
    started = time.perf_counter()
    try:
        output, _ = child.communicate(timeout=SPOPT_CAP_SECONDS)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        return time.perf_counter() - started, None, True
    answer = json.loads(output.strip().splitlines()[-1])
    return float(answer["seconds"]), float(answer["objective"]), False


def ratio(theirs: float, ours: float, capped: bool) -> str:
    return f"{'> ' if capped else ''}{theirs / ours:.1f}x"


def main() -> None:
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
    print(
        f"Grand Est: {len(points):,} demand communes, {candidates.size} candidates, {times.nnz:,} pairs within"
        f" 20 min; spopt capped at {SPOPT_CAP_SECONDS:.0f} s"
    )
    for k in (5, 10, 20, 30):
        ours_s, ours = timed(lambda k=k: MaximalCoverage(k).solve(times, need))
        theirs_s, theirs_objective, capped = spopt("mclp", k)
        shown = f"> {theirs_s:.0f}" if capped else f"{theirs_s:.2f}"
        compared = "capped" if theirs_objective is None else f"{theirs_objective:,.0f}"
        print(
            f"MCLP k={k}: maille {ours_s:.2f} s ({ours.status_}, gap {ours.gap_:.1e}, HiGHS"
            f" {ours.solver_seconds_:.2f} s, {ours.model_rows_} merged rows), spopt {shown} s,"
            f" ratio {ratio(theirs_s, ours_s, capped)}; covered {ours.objective_:,.0f} vs {compared}"
        )

    # p-median on the whole matrix (every commune to every candidate, as spopt's dense matrix): same instance
    whole = engine.travel_times(points, sites, cutoff_minutes=WHOLE_MATRIX_MINUTES)
    theirs_s, theirs_objective, capped = spopt("pmedian", 10)
    shown = f"> {theirs_s:.0f}" if capped else f"{theirs_s:.2f}"
    theirs_text = "capped" if theirs_objective is None else f"{theirs_objective:,.0f}"
    ours_s, ours = timed(lambda: PMedian(10, time_limit_seconds=60).solve(whole, need))
    print(
        f"p-median k=10 (all {whole.nnz:,} pairs, as spopt's dense matrix): maille {ours_s:.2f} s"
        f" ({ours.status_} by {ours.proof_}, gap {ours.gap_:.1e}, {ours.rounds_} rounds, {ours.cuts_:,} cuts),"
        f" spopt {shown} s, ratio {ratio(theirs_s, ours_s, capped)}; objective {ours.objective_:,.0f}"
        f" vs {theirs_text}"
    )
    # a 60-minute matrix: communes beyond 60 minutes of every chosen site charged 120 minutes (stated penalty)
    short = engine.travel_times(points, sites, cutoff_minutes=60)
    ours_s, ours = timed(
        lambda: PMedian(10, unreachable_minutes=120, time_limit_seconds=60).solve(short, need)
    )
    print(
        f"p-median k=10 ({short.nnz:,} pairs within 60 min, 120 min beyond): maille {ours_s:.2f} s"
        f" ({ours.status_} by {ours.proof_}, gap {ours.gap_:.1e}); {ours.unreachable_.size} communes beyond"
        f" 60 min; objective {ours.objective_:,.0f}"
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
    for k in (10, 50, 100):
        ours_s, ours = timed(
            lambda k=k: MaximalCoverage(k, mip_rel_gap=1e-3, time_limit_seconds=60).solve(
                national, france.population
            )
        )
        greedy_s, greedy = timed(lambda k=k: LazyGreedyCoverage(k).solve(national, france.population))
        print(
            f"national MCLP k={k}: {ours_s:.2f} s ({ours.status_}, gap {ours.gap_:.2e} read from HiGHS,"
            f" {ours.model_rows_:,} merged rows, {ours.dominated_candidates_} dominated candidates fixed at 0),"
            f" covered {ours.objective_:,.0f}; lazy greedy {greedy_s:.3f} s covered {greedy.objective_:,.0f}"
            f" ({greedy.objective_ / ours.objective_:.4f} of HiGHS, its own bound gap {greedy.bound_gap_:.2%})"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this benchmark process (all of the above): {peak:.0f} MB")


if __name__ == "__main__":
    main()
