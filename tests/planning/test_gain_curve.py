"""The exact gain curve equals exhaustive enumeration for every k (hypothesis)."""

from __future__ import annotations

import itertools
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maille.planning.errors import InfeasibleSpecificationError
from maille.planning.gain_curve import CoverageGainCurve
from maille.planning.travel import TravelTimes


def best_coverage(reach: np.ndarray, weights: np.ndarray, fixed: list[int], k: int) -> float:
    free = [j for j in range(reach.shape[1]) if j not in fixed]
    best = 0.0
    for chosen in itertools.combinations(free, k):
        sites = list(chosen) + fixed
        best = max(best, float(weights[reach[:, sites].any(axis=1)].sum()))
    return best


@settings(max_examples=40, deadline=None)
@given(
    st.integers(2, 8).flatmap(
        lambda n_demand: st.tuples(
            st.lists(
                st.lists(st.sampled_from([3.0, 12.0, 40.0]), min_size=5, max_size=5),
                min_size=n_demand,
                max_size=n_demand,
            ),
            st.lists(st.integers(0, 30), min_size=n_demand, max_size=n_demand),
            st.lists(st.integers(0, 4), max_size=1, unique=True),
        )
    )
)
def test_each_point_is_the_enumerated_optimum(case):
    minutes, weights, fixed = case
    times = TravelTimes.from_dense(minutes, cutoff_minutes=30)
    need = np.asarray(weights, dtype=float)
    curve = CoverageGainCurve(k_max=3, within_minutes=15).solve(times, need, fixed=fixed)
    reach = np.asarray(minutes) <= 15
    expected = [best_coverage(reach, need, fixed, k) for k in (1, 2, 3)]
    assert curve.objective_.tolist() == pytest.approx(expected)
    assert curve.status_ == ["Optimal"] * 3
    assert curve.baseline_ == pytest.approx(best_coverage(reach, need, fixed, 0))
    assert curve.marginal_gain_.sum() == pytest.approx(expected[-1] - curve.baseline_)
    assert all(len(s) == k for k, s in zip((1, 2, 3), curve.selected_, strict=True))


def test_k_max_below_one_and_above_the_candidates_are_refused():
    times = TravelTimes.from_dense([[1.0, 2.0]], cutoff_minutes=20)
    with pytest.raises(InfeasibleSpecificationError):
        CoverageGainCurve(k_max=0).solve(times, [1.0])
    with pytest.raises(InfeasibleSpecificationError, match="only 2 eligible candidates"):
        CoverageGainCurve(k_max=3).solve(times, [1.0])


def test_highs_banner_never_reaches_stdout():
    """A command's JSON on stdout must parse: HiGHS prints its banner on file descriptor 1 otherwise."""
    script = (
        "import json\n"
        "from maille.planning.location import MaximalCoverage\n"
        "from maille.planning.travel import TravelTimes\n"
        "times = TravelTimes.from_dense([[5, 30], [30, 5]], cutoff_minutes=20)\n"
        "for k in (1, 2):\n"
        "    model = MaximalCoverage(k).solve(times, [1, 2])\n"
        "print(json.dumps({'objective': model.objective_}))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout == '{"objective": 3.0}\n'
