"""The grid neighbour search equals brute force; the radix pair order equals lexsort; the matrix cache."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from maille.planning.neighbours import pairs_once, pairs_within
from maille.planning.points import Points
from maille.planning.travel import GreatCircleEngine, pair_order


def brute_force(a: np.ndarray, b: np.ndarray, distance: float) -> set[tuple[int, int]]:
    gaps = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2))
    return {(int(i), int(j)) for i, j in zip(*np.nonzero(gaps <= distance), strict=True)}


coordinates = st.lists(st.tuples(st.floats(-60, 70), st.floats(-179, 179)), min_size=1, max_size=40)


@settings(max_examples=60, deadline=None)
@given(coordinates, coordinates, st.sampled_from([0.0, 5.0, 80.0, 900.0, 20000.0]), st.booleans())
def test_pairs_within_equals_brute_force_anywhere_on_earth(first, second, distance, same):
    a = Points(*zip(*first, strict=True), check_france=False).unit_vectors()
    b = a if same else Points(*zip(*second, strict=True), check_france=False).unit_vectors()
    # clustered points too: a copy of the first set shifted by a few hundred metres
    i, j, d = pairs_within(a, None if same else b, distance)
    assert set(zip(i.tolist(), j.tolist(), strict=True)) == brute_force(a, b, distance)
    assert len(i) == len(set(zip(i.tolist(), j.tolist(), strict=True)))  # no pair twice
    np.testing.assert_allclose(d, np.sqrt(((a[i] - b[j]) ** 2).sum(axis=1)), atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(coordinates, st.sampled_from([0.0, 5.0, 80.0, 900.0, 20000.0]))
def test_pairs_once_finds_each_unordered_pair_of_distinct_points_once(first, distance):
    points = Points(*zip(*first, strict=True), check_france=False).unit_vectors()
    # duplicates and near-duplicates: pairs at distance 0 and just above it
    points = np.concatenate((points, points[:3], points[:2] + 1e-4))
    i, j, d = pairs_once(points, distance)
    expected = {(a, b) for a, b in brute_force(points, points, distance) if a < b}
    assert sorted(zip(np.minimum(i, j).tolist(), np.maximum(i, j).tolist(), strict=True)) == sorted(expected)
    np.testing.assert_allclose(d, np.sqrt(((points[i] - points[j]) ** 2).sum(axis=1)), atol=1e-9)


def test_symmetric_times_expand_to_the_matrix_computed_both_ways(lorraine):
    """The same-set path (each pair once, mirrored) equals the two-set path, bit for bit."""
    points = lorraine.points
    copy = Points(points.latitude.copy(), points.longitude.copy())  # another object: the two-set path
    for engine in (GreatCircleEngine(), GreatCircleEngine(fixed_minutes=4.0, speed_kmh=45)):
        symmetric = engine.symmetric_travel_times(points, 20)
        both_ways = engine.travel_times(points, copy, 20)
        full = symmetric.to_travel_times()
        assert symmetric.first.size * 2 + len(points) == both_ways.nnz > 50_000
        assert (full.indptr == both_ways.indptr).all()
        assert (full.indices == both_ways.indices).all()
        assert (full.minutes == both_ways.minutes).all()
        assert (engine.travel_times(points, points, 20).minutes == both_ways.minutes).all()
    unreachable = GreatCircleEngine(fixed_minutes=30.0).symmetric_travel_times(points, 20)
    assert unreachable.to_travel_times().nnz == 0


def test_pairs_within_on_a_dense_cluster_and_empty_sets():
    rng = np.random.default_rng(7)
    points = Points(48.8 + rng.normal(0, 0.05, 300), 2.3 + rng.normal(0, 0.05, 300)).unit_vectors()
    i, j, _ = pairs_within(points, None, 3.0)
    assert set(zip(i.tolist(), j.tolist(), strict=True)) == brute_force(points, points, 3.0)
    assert pairs_within(points[:0], None, 3.0)[0].size == 0
    assert pairs_within(points, points[:0], 3.0)[0].size == 0
    assert pairs_once(points[:0], 3.0)[0].size == 0


def test_pair_order_equals_lexsort_beyond_16_bits():
    rng = np.random.default_rng(3)
    origins = rng.integers(0, 70_000, 5_000)
    destinations = rng.integers(0, 140_000, 5_000)
    order = pair_order(origins, destinations, (70_000, 140_000))
    assert (order == np.lexsort((destinations, origins))).all()


def test_matrix_cache_is_read_back_and_keyed_by_inputs(lorraine, tmp_path):
    points = lorraine.points
    engine = GreatCircleEngine(cache_dir=tmp_path)
    built = engine.travel_times(points, points, 20)
    (stored,) = tmp_path.glob("great-circle-*.npz")
    again = engine.travel_times(points, points, 20)
    assert (again.indptr == built.indptr).all()
    assert (again.indices == built.indices).all()
    assert (again.minutes == built.minutes).all()
    assert again.shape == built.shape
    # another cut-off, another speed or other points: other files, never a stale matrix
    engine.travel_times(points, points, 15)
    GreatCircleEngine(speed_kmh=50, cache_dir=tmp_path).travel_times(points, points, 20)
    engine.travel_times(points.subset(np.arange(100)), points, 20)
    assert len(list(tmp_path.glob("great-circle-*.npz"))) == 4
    stored.write_bytes(b"PK")  # a damaged file is rebuilt, never read as an empty matrix
    rebuilt = engine.travel_times(points, points, 20)
    assert (rebuilt.indices == built.indices).all()
    assert stored.stat().st_size > 1000
