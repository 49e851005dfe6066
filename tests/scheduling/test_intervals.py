"""Interval arithmetic against a minute-by-minute reference (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from maille.scheduling.engine import intervals as iv

interval = st.tuples(st.integers(0, 2), st.integers(0, 60), st.integers(1, 30)).map(
    lambda t: (t[0], t[1], t[1] + t[2])
)
interval_sets = st.lists(interval, max_size=8)


def build(rows):
    if not rows:
        return iv.Intervals.empty()
    g, s, e = zip(*rows, strict=True)
    return iv.Intervals.of(g, s, e)


def minutes(rows) -> set[tuple[int, int]]:
    return {(g, m) for g, s, e in rows for m in range(s, e)}


def covered(result: iv.Intervals) -> set[tuple[int, int]]:
    return minutes(result.as_tuples())


@settings(max_examples=150, deadline=None)
@given(interval_sets, interval_sets)
def test_operations_match_minute_sets(a, b):
    assert covered(iv.union(build(a), build(b))) == minutes(a) | minutes(b)
    assert covered(iv.intersect(build(a), build(b))) == minutes(a) & minutes(b)
    assert covered(iv.subtract(build(a), build(b))) == minutes(a) - minutes(b)


@settings(max_examples=100, deadline=None)
@given(interval_sets)
def test_normalize_gives_disjoint_sorted_non_touching_intervals(a):
    result = iv.normalize(build(a)).as_tuples()
    assert minutes(result) == minutes(a)
    for (g1, _s1, e1), (g2, s2, _e2) in zip(result, result[1:], strict=False):
        assert (g1, e1) < (g2, s2)


def test_shrink_ends_keeps_starts_where_a_duration_fits():
    starts = iv.Intervals.of([0, 0], [0, 100], [60, 110]).shrink_ends(20)
    assert starts.as_tuples() == [(0, 0, 41)]


def test_aligned_starts_limits_per_group():
    data = iv.Intervals.of([0, 1, 1], [3, 0, 100], [50, 25, 200])
    groups, starts = iv.aligned_starts(data, 10, 3)
    assert list(zip(groups.tolist(), starts.tolist(), strict=True)) == [
        (0, 10),
        (0, 20),
        (0, 30),
        (1, 0),
        (1, 10),
        (1, 20),
    ]
    assert np.all(starts % 10 == 0)
