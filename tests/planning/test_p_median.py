"""Internals of the p-median solver that the enumeration tests do not isolate: the swap local search."""

from __future__ import annotations

import numpy as np
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
