"""All pairs of points closer than a distance, with a uniform grid in pure NumPy.

Why not ``scipy.spatial.cKDTree``: importing ``scipy.spatial`` alone takes about 0.5 s (it pulls in
``scipy.linalg`` and Qhull), longer than the whole national accessibility computation it serves. The 3-D
points (on the Earth's sphere) are projected on the plane facing them and bucketed in square cells half as
wide as the distance; two points within the distance are at most two cells apart on each axis, so scanning
the 5 × 5 neighbouring cells is exact. Between a set and itself only half of the neighbour cells are scanned
and the pairs are mirrored.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

# Cells half as wide as the search distance: a neighbour is at most two cells away on each axis.
_REACH = 2
_OFFSETS = np.array(
    [(a, b) for a in range(-_REACH, _REACH + 1) for b in range(-_REACH, _REACH + 1)], dtype=np.int64
)
# The "forward" offsets (lexicographically positive) plus the cell itself cover each unordered pair once.
_FORWARD = _OFFSETS[[tuple(o) > (0, 0) for o in _OFFSETS.tolist()]]


def _cell_keys(
    cells: NDArray[np.int64], low: NDArray[np.int64], span: NDArray[np.int64]
) -> NDArray[np.int64]:
    keys: NDArray[np.int64] = (cells[:, 0] - low[0]) * span[1] + (cells[:, 1] - low[1])
    return keys


def _plane_basis(points: NDArray[np.float64]) -> NDArray[np.float64]:
    """Two orthonormal axes of the plane facing the points' mean direction (tangent plane at their centre)."""
    normal = points.mean(axis=0)
    length = float(np.linalg.norm(normal))
    normal = normal / length if length > 0 else np.array([0.0, 0.0, 1.0])
    helper = np.eye(3)[int(np.argmin(np.abs(normal)))]
    first = np.cross(normal, helper)
    first /= np.linalg.norm(first)
    return np.stack((first, np.cross(normal, first)), axis=1)


def _expand(
    starts: NDArray[np.int64], counts: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """For ranges ``[starts[i], starts[i] + counts[i])``: the owner of each position, and the position."""
    total = int(counts.sum())
    owner = np.repeat(np.arange(counts.size, dtype=np.int64), counts)
    offsets = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
    return owner, offsets + np.repeat(starts, counts)


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
    same = destinations is None
    targets = origins if destinations is None else destinations
    if origins.shape[0] == 0 or targets.shape[0] == 0 or distance < 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    # Projected on a plane, two points within the distance stay within it on both plane axes (a projection
    # never lengthens), so a 2-D grid is exact; facing the points keeps the projection close to true size.
    basis = _plane_basis(origins if same else np.concatenate((origins, targets)))
    origin_plane = origins @ basis
    target_plane = origin_plane if same else targets @ basis
    extent = float(max(np.ptp(origin_plane, axis=0).max(), np.ptp(target_plane, axis=0).max(), 1.0))
    # cells of half the distance (a floor keeps the cell keys well within int64)
    cell_size = max(float(distance) / _REACH, extent / 1e6)
    origin_cells = np.floor(origin_plane / cell_size).astype(np.int64)
    target_cells = origin_cells if same else np.floor(target_plane / cell_size).astype(np.int64)
    low = np.minimum(origin_cells.min(axis=0), target_cells.min(axis=0)) - 1
    span = np.maximum(origin_cells.max(axis=0), target_cells.max(axis=0)) - low + 2
    target_keys = _cell_keys(target_cells, low, span)
    target_order = np.argsort(target_keys, kind="stable")
    sorted_keys = target_keys[target_order]
    # Work on both sets sorted by cell: neighbours are then close in memory (and the queries sorted).
    origin_order = target_order if same else np.argsort(_cell_keys(origin_cells, low, span), kind="stable")
    sorted_origin_cells = origin_cells[origin_order]
    ox, oy, oz = (np.ascontiguousarray(origins[origin_order, axis]) for axis in range(3))
    tx, ty, tz = (np.ascontiguousarray(targets[target_order, axis]) for axis in range(3))
    limit = distance * distance
    found_i: list[NDArray[np.int64]] = []
    found_j: list[NDArray[np.int64]] = []
    found_d: list[NDArray[np.float64]] = []
    for offset in [np.zeros(2, dtype=np.int64), *_FORWARD] if same else _OFFSETS:
        keys = _cell_keys(sorted_origin_cells + offset, low, span)
        starts = np.searchsorted(sorted_keys, keys, side="left")
        counts = np.searchsorted(sorted_keys, keys, side="right") - starts
        owner, other = _expand(starts.astype(np.int64), counts.astype(np.int64))
        if same and not offset.any():
            forward = other > owner  # each unordered pair once; the diagonal is added below
            owner, other = owner[forward], other[forward]
        squared = np.square(ox[owner] - tx[other])
        squared += np.square(oy[owner] - ty[other])
        squared += np.square(oz[owner] - tz[other])
        near = squared <= limit
        found_i.append(owner[near])
        found_j.append(other[near])
        found_d.append(np.sqrt(squared[near]))
    i = origin_order[np.concatenate(found_i)]
    j = target_order[np.concatenate(found_j)]
    d = np.concatenate(found_d)
    if same:
        diagonal = np.arange(origins.shape[0], dtype=np.int64)
        return (
            np.concatenate((i, j, diagonal)),
            np.concatenate((j, i, diagonal)),
            np.concatenate((d, d, np.zeros(diagonal.size))),
        )
    return i, j, d
