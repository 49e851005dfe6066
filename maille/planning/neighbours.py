"""All pairs of points closer than a distance, with a uniform grid in pure NumPy.

Why not ``scipy.spatial.cKDTree``: importing ``scipy.spatial`` alone takes about 0.5 s (it pulls in
``scipy.linalg`` and Qhull), longer than the whole national accessibility computation it serves. The 3-D
points (on the Earth's sphere) are projected on the plane facing them and cut into strips half as wide as
the distance, sorted by strip then height: two points within the distance are at most two strips apart,
and in a strip at ``x`` across, a neighbour lies within ``sqrt(distance² − x²)`` up or down, one run of the
sorted points. Each point scans five runs (three between a set and itself, where each unordered pair is
found once, from the point that comes first in that order); every candidate is then tested on its true
3-D distance, so the result is exact.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray

# Strips half as wide as the search distance: a neighbour is at most two strips away (narrower strips
# examine fewer candidates but more, shorter runs: no faster on all of France).
_REACH = 2
# Candidate pairs examined at once: the temporaries (a few arrays of this size) stay in the CPU caches
# and are reused, instead of hundreds of MB of fresh pages (peak memory; a fresh process's time).
_CHUNK = 1 << 16


def _plane_basis(points: NDArray[np.float64]) -> NDArray[np.float64]:
    """Two orthonormal axes of the plane facing the points' mean direction (tangent plane at their centre)."""
    normal = points.mean(axis=0)
    length = float(np.linalg.norm(normal))
    normal = normal / length if length > 0 else np.array([0.0, 0.0, 1.0])
    helper = np.eye(3)[int(np.argmin(np.abs(normal)))]
    first = np.cross(normal, helper)
    first /= np.linalg.norm(first)
    return np.stack((first, np.cross(normal, first)), axis=1)


def _empty() -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    empty = np.zeros(0, dtype=np.int64)
    return empty, empty, np.zeros(0)


def _candidate_runs(
    origins: NDArray[np.float64], targets: NDArray[np.float64], distance: float, same: bool
) -> tuple[NDArray[np.int64], NDArray[np.int64], list[NDArray[np.int64]], list[NDArray[np.int64]]]:
    """Both sets sorted by strip then height, and for each sorted origin the runs of targets to examine.

    Returns the origin order, the target order, and per scanned strip the start and stop of the runs.
    """
    # Projected on a plane, two points within the distance stay within it on both plane axes (a projection
    # never lengthens), so the strips are exact; facing the points keeps the projection close to true size.
    basis = _plane_basis(origins if same else np.concatenate((origins, targets)))
    origin_plane = origins @ basis
    target_plane = origin_plane if same else targets @ basis
    both = origin_plane if same else np.concatenate((origin_plane, target_plane))
    low, high = both.min(axis=0), both.max(axis=0)
    # (a floor on the width keeps the number of strips bounded for a tiny distance)
    width = max(float(distance) / _REACH, float(max(high - low)) / 1e6, 1e-6)
    # Key = strip × height + height within the strip, with room above and below: a run never wraps.
    height = float(high[1] - low[1]) + 4.0 * distance + 1.0
    first_strip = np.floor(low[0] / width) - _REACH

    def strips_and_keys(plane: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        strip = np.floor(plane[:, 0] / width)
        return strip, (strip - first_strip) * height + (plane[:, 1] - low[1] + 2.0 * distance)

    target_strip, target_keys = strips_and_keys(target_plane)
    target_order = np.argsort(target_keys, kind="stable")
    sorted_targets = target_keys[target_order]
    if same:
        origin_order, sorted_origins = target_order, sorted_targets
        origin_strip, origin_x = target_strip[target_order], target_plane[target_order, 0]
    else:
        origin_strip, origin_keys = strips_and_keys(origin_plane)
        origin_order = np.argsort(origin_keys, kind="stable")
        sorted_origins = origin_keys[origin_order]
        origin_strip, origin_x = origin_strip[origin_order], origin_plane[origin_order, 0]
    # Rounding of the projection and of the keys is covered by a margin (extra candidates are harmless:
    # every candidate is tested on its true distance).
    margin = 1e-9 * distance + 16.0 * float(np.spacing(abs(float(sorted_targets[-1])) + height * 4))
    starts: list[NDArray[np.int64]] = []
    stops: list[NDArray[np.int64]] = []
    if same:  # own strip: from the next point up to the distance above
        starts.append(np.arange(1, sorted_origins.size + 1, dtype=np.int64))
        stops.append(np.searchsorted(sorted_targets, sorted_origins + (distance + margin), side="right"))
    for step in range(1 if same else -_REACH, _REACH + 1):
        # how far the strip is across: the height of the run is what the distance leaves of it
        if step > 0:
            across = (origin_strip + step) * width - origin_x
        elif step < 0:
            across = origin_x - (origin_strip + step + 1) * width
        else:
            across = np.zeros(origin_x.size)
        across = np.maximum(across - margin, 0.0)
        half = np.sqrt(np.maximum(distance * distance - across * across, 0.0)) + margin
        base = sorted_origins + step * height
        starts.append(np.searchsorted(sorted_targets, base - half, side="left"))
        stops.append(np.searchsorted(sorted_targets, base + half, side="right"))
    return origin_order, target_order, starts, stops


def _chunks(counts: NDArray[np.int64]) -> Iterator[slice]:
    """Consecutive slices of the runs holding about ``_CHUNK`` candidates each."""
    ends = np.cumsum(counts)
    total = int(ends[-1]) if ends.size else 0
    cuts = np.searchsorted(ends, np.arange(_CHUNK, total + _CHUNK, _CHUNK), side="left") + 1
    previous = 0
    for cut in sorted(set(np.minimum(cuts, ends.size).tolist())):  # (np.unique would import numpy.ma)
        yield slice(previous, cut)
        previous = cut


def pairs_within(
    origins: NDArray[np.float64], destinations: NDArray[np.float64] | None, distance: float
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """Every (origin, destination, Euclidean distance) with distance ≤ ``distance``, in no particular order.

    ``destinations=None`` means the origins themselves (each point is paired with itself at 0).

    Examples
    --------
    >>> points = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [5.0, 0.0, 0.0]])
    >>> i, j, d = pairs_within(points, None, 1.5)
    >>> sorted(zip(i.tolist(), j.tolist(), d.tolist()))
    [(0, 0, 0.0), (0, 1, 1.0), (1, 0, 1.0), (1, 1, 0.0), (2, 2, 0.0)]
    """
    if destinations is not None:
        return _pairs_between(origins, destinations, distance, same=False)
    i, j, d = pairs_once(origins, distance)
    diagonal = np.arange(origins.shape[0] if distance >= 0 else 0, dtype=np.int64)
    return (
        np.concatenate((i, j, diagonal)),
        np.concatenate((j, i, diagonal)),
        np.concatenate((d, d, np.zeros(diagonal.size))),
    )


def pairs_once(
    points: NDArray[np.float64], distance: float
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """Each unordered pair of distinct points within ``distance`` once, as (first, second, distance).

    Half the work of :func:`pairs_within` on a set and itself, for sums that can use both directions
    of a pair without storing them (the pairs of a point with itself are left out).

    Examples
    --------
    >>> points = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [5.0, 0.0, 0.0], [5.5, 0.0, 0.0]])
    >>> first, second, d = pairs_once(points, 1.5)
    >>> sorted((min(a, b), max(a, b), c) for a, b, c in zip(first.tolist(), second.tolist(), d.tolist()))
    [(0, 1, 1.0), (2, 3, 0.5)]
    """
    return _pairs_between(points, points, distance, same=True)


def _pairs_between(
    origins: NDArray[np.float64], targets: NDArray[np.float64], distance: float, same: bool
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    if origins.shape[0] == 0 or targets.shape[0] == 0 or distance < 0:
        return _empty()
    origin_order, target_order, starts, stops = _candidate_runs(origins, targets, distance, same)
    ox, oy, oz = (np.ascontiguousarray(origins[origin_order, axis]) for axis in range(3))
    tx, ty, tz = (np.ascontiguousarray(targets[target_order, axis]) for axis in range(3))
    owner_of_run = np.tile(np.arange(origins.shape[0], dtype=np.int64), len(starts))
    run_starts = np.concatenate(starts)
    run_counts = np.concatenate(stops) - run_starts
    useful = run_counts > 0
    owner_of_run, run_starts, run_counts = owner_of_run[useful], run_starts[useful], run_counts[useful]
    limit = distance * distance
    found_i: list[NDArray[np.int64]] = []
    found_j: list[NDArray[np.int64]] = []
    found_d: list[NDArray[np.float64]] = []
    for runs in _chunks(run_counts):
        owners, run_start, run_count = owner_of_run[runs], run_starts[runs], run_counts[runs]
        size = int(run_count.sum())
        # the target of each candidate: consecutive positions from each run's start
        other = np.arange(size, dtype=np.int64)
        other += np.repeat(run_start - (np.cumsum(run_count) - run_count), run_count)
        squared = np.square(np.repeat(ox[owners], run_count) - tx[other])
        squared += np.square(np.repeat(oy[owners], run_count) - ty[other])
        squared += np.square(np.repeat(oz[owners], run_count) - tz[other])
        near = np.flatnonzero(squared <= limit)
        found_i.append(np.repeat(owners, run_count)[near])
        found_j.append(other[near])
        found_d.append(np.sqrt(squared[near]))
    if not found_i:
        return _empty()
    return (
        origin_order[np.concatenate(found_i)],
        target_order[np.concatenate(found_j)],
        np.concatenate(found_d),
    )
