"""Great-circle travel times: distances against known values, the sparse matrix against a dense one."""

from __future__ import annotations

import numpy as np
import pytest

from maille.planning.errors import InvalidInputError
from maille.planning.points import Points
from maille.planning.travel import GreatCircleEngine, TravelTimes


def test_paris_marseille_distance_is_the_known_great_circle():
    # Notre-Dame de Paris to the Vieux-Port: 660.5 km on the sphere (haversine, R = 6371 km).
    points = Points([48.8530, 43.2951], [2.3499, 5.3744])
    engine = GreatCircleEngine(detour_factor=1.0, speed_kmh=60.0)
    minutes = engine.minutes_between(points, points)
    lat1, lon1, lat2, lon2 = np.radians([48.8530, 2.3499, 43.2951, 5.3744])
    haversine = (
        2
        * 6371.0088
        * np.arcsin(
            np.sqrt(
                np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
            )
        )
    )
    assert minutes[0, 1] == pytest.approx(haversine, rel=1e-9)
    assert 655 < haversine < 665
    assert minutes[0, 0] == 0


def test_sparse_matrix_equals_dense_within_cutoff(lorraine):
    engine = GreatCircleEngine(detour_factor=1.25, speed_kmh=70.0, fixed_minutes=2.0)
    points = lorraine.points.subset(np.arange(0, 2322, 7))
    sparse_times = engine.travel_times(points, points, cutoff_minutes=20)
    dense = engine.minutes_between(points, points)
    expected = np.argwhere(dense <= 20)
    got = np.column_stack((sparse_times.origin_of_each_pair(), sparse_times.indices))
    assert sorted(map(tuple, got.tolist())) == sorted(map(tuple, expected.tolist()))
    assert np.allclose(sparse_times.minutes, dense[got[:, 0], got[:, 1]], rtol=1e-12)
    # self pairs are stored at the fixed time, never dropped as sparse zeros
    assert sparse_times.nnz > len(points)
    assert np.all(np.diff(sparse_times.indptr) >= 1)


def test_origins_and_destinations_can_differ(lorraine):
    engine = GreatCircleEngine()
    communes = lorraine.points
    sites = lorraine.points.subset([0, 500, 1000])
    times = engine.travel_times(communes, sites, cutoff_minutes=15)
    dense = engine.minutes_between(communes, sites)
    assert times.shape == (len(communes), 3)
    assert times.nnz == int((dense <= 15).sum())
    back = times.transpose()
    assert back.shape == (3, len(communes))
    assert back.nnz == times.nnz
    assert np.allclose(back.to_csr().toarray(), times.to_csr().toarray().T)


def test_within_gives_the_coverage_matrix():
    times = TravelTimes.from_dense([[0.0, 25.0], [14.0, 3.0]], cutoff_minutes=30)
    assert times.within(15).toarray().tolist() == [[True, False], [True, True]]


def test_bad_coordinates_name_the_rows():
    with pytest.raises(InvalidInputError) as error:
        Points([48.0, float("nan"), 6.1, 45.0], [2.0, 5.0, 48.5, float("inf")], labels=["a", "b", "c", "d"])
    assert error.value.rows == ["b", "c", "d"]  # c has latitude and longitude swapped


def test_overseas_points_are_in_france():
    points = Points([-20.88, 4.93, 16.24], [55.45, -52.33, -61.53], labels=["974", "973", "971"])
    assert len(points) == 3


def test_engine_rejects_impossible_parameters():
    with pytest.raises(InvalidInputError):
        GreatCircleEngine(detour_factor=0.8)
    with pytest.raises(InvalidInputError):
        GreatCircleEngine(speed_kmh=0)


def test_negative_or_nan_times_are_refused():
    with pytest.raises(InvalidInputError):
        TravelTimes.from_dense([[-1.0]], cutoff_minutes=10)


def test_distances_from_one_origin_match_the_sparse_matrix():
    """The dense one-to-many form the slot search uses gives the sparse matrix's own minutes."""
    engine = GreatCircleEngine()
    nancy = Points([48.6921], [6.1844])
    others = Points([49.1193, 48.6921, 49.1601], [6.1757, 6.1844, 5.3844])
    km = engine.distances_from(nancy, others)
    assert km[1] == 0.0
    assert 47.0 < km[0] < 48.0  # Nancy–Metz as the crow flies
    sparse = engine.travel_times(nancy, others, cutoff_minutes=500)
    columns, minutes = sparse.row(0)
    assert np.allclose(engine.minutes_for(km)[columns], minutes)
    with pytest.raises(InvalidInputError):
        engine.distances_from(others, others)


def test_distances_between_many_points_are_the_one_origin_distances_row_by_row():
    engine = GreatCircleEngine()
    origins = Points([48.6921, 49.1193, 48.7], [6.1844, 6.1757, 5.3])
    destinations = Points([49.1193, 48.6921, 49.1601, 47.3], [6.1757, 6.1844, 5.3844, 5.04])
    matrix = engine.distances_between(origins, destinations)
    assert matrix.shape == (3, 4)
    for row in range(3):
        one = Points([origins.latitude[row]], [origins.longitude[row]])
        assert np.array_equal(matrix[row], engine.distances_from(one, destinations))
    assert matrix[0, 1] == 0.0
    assert matrix[1, 0] == 0.0
