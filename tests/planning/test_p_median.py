"""Internals of the p-median solver that the enumeration tests do not isolate: the swap local search."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from maille.planning.p_median import _relevant_pairs
from maille.planning.p_median_search import SiteSearch
from maille.planning.sites import SiteRules
from maille.planning.travel import TravelTimes


def cost_of(minutes, weights, chosen):
    return float((weights * minutes[:, chosen].min(axis=1)).sum())


@settings(max_examples=80, deadline=None)
@given(
    arrays(np.int64, (10, 7), elements=st.integers(0, 30)),
    arrays(np.int64, 10, elements=st.integers(1, 9)),
    st.permutations(range(7)),
)
def test_swaps_stop_at_a_local_optimum_never_worse_than_the_start(minutes, weights, order):
    minutes, weights, k = minutes.astype(float), weights.astype(float), 3
    rules = SiteRules.build(7, k, None, [])
    pairs, _ = _relevant_pairs(
        TravelTimes.from_dense(minutes, cutoff_minutes=100), weights, rules, None, None
    )
    start = np.zeros(pairs.n_columns)
    start[list(order[:k])] = 1.0
    improved = SiteSearch(pairs, k).improved(start)
    chosen = np.flatnonzero(improved > 0.5)
    assert chosen.size == k
    assert cost_of(minutes, weights, chosen) <= cost_of(minutes, weights, np.flatnonzero(start > 0.5)) + 1e-9
    for out in chosen:
        for into in set(range(7)) - set(chosen.tolist()):
            swapped = [j for j in chosen if j != out] + [into]
            assert cost_of(minutes, weights, swapped) >= cost_of(minutes, weights, chosen) - 1e-9


class ExpiringClock:
    """A clock that stands still until told the time is up: the solver's time limit, without waiting."""

    def __init__(self) -> None:
        self.now = 0.0

    def perf_counter(self) -> float:
        return self.now


def _instance(seed: int = 7) -> tuple[TravelTimes, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    points = rng.uniform(0, 60, size=(60, 2))
    minutes = np.hypot(*(points[:, None, :] - points[None, :25, :]).transpose(2, 0, 1)).round()
    weights = rng.integers(1, 500, size=60).astype(float)
    return TravelTimes.from_dense(minutes, cutoff_minutes=200), minutes, weights


def _optimum(minutes: np.ndarray, weights: np.ndarray, k: int) -> float:
    from itertools import combinations

    return min(cost_of(minutes, weights, list(chosen)) for chosen in combinations(range(minutes.shape[1]), k))


def test_out_of_time_after_the_first_lp_round_reports_its_bound_and_a_finite_gap(monkeypatch):
    from types import SimpleNamespace

    from maille.planning import p_median
    from maille.planning.location import PMedian

    times, minutes, weights = _instance()
    clock = ExpiringClock()
    monkeypatch.setattr(p_median, "time", SimpleNamespace(perf_counter=clock.perf_counter))
    first_round = p_median._BendersSolver._run_highs

    def round_then_time_is_up(solver):
        answer = first_round(solver)
        clock.now = 1e6
        return answer

    monkeypatch.setattr(p_median._BendersSolver, "_run_highs", round_then_time_is_up)
    model = PMedian(3, time_limit_seconds=60).solve(times, weights)

    optimum = _optimum(minutes, weights, 3)
    assert model.rounds_ == 1
    assert model.status_ == "Time limit reached"
    assert np.isfinite(model.bound_)
    assert model.bound_ <= optimum + 1e-6
    assert model.objective_ >= optimum - 1e-6
    assert model.gap_ == pytest.approx((model.objective_ - model.bound_) / model.objective_)


def test_with_time_the_same_instance_is_proven_optimal():
    from maille.planning.location import PMedian

    times, minutes, weights = _instance()
    model = PMedian(3).solve(times, weights)
    assert model.status_ == "Optimal"
    assert model.gap_ == pytest.approx(0.0, abs=1e-9)
    assert model.objective_ == pytest.approx(_optimum(minutes, weights, 3))
    assert model.rounds_ > 1  # so that the test above did stop the solver early
