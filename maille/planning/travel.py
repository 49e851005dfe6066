"""Travel times: sparse origin × destination matrices within a cut-off, and the engines that build them.

Only pairs within the cut-off are stored (a CSR layout), so all of France (35,000 communes, about two
million pairs within 20 minutes) fits in a few tens of MB. A pair at zero minutes (a commune to itself)
is stored explicitly: absence means "beyond the cut-off", never "zero".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.spatial import cKDTree

from maille.planning.errors import InvalidInputError
from maille.planning.points import EARTH_RADIUS_KM, Points


@dataclass(frozen=True)
class TravelTimes:
    """Travel times in minutes for the origin × destination pairs within ``cutoff_minutes`` (CSR layout).

    Row ``i`` lists the destinations ``indices[indptr[i]:indptr[i + 1]]`` reachable from origin ``i`` and
    their times ``minutes[indptr[i]:indptr[i + 1]]``; indices are sorted within each row.

    Examples
    --------
    >>> times = TravelTimes.from_dense([[0.0, 12.0], [12.0, 0.0], [30.0, 8.0]], cutoff_minutes=20)
    >>> times.shape, times.nnz
    ((3, 2), 5)
    >>> times.row(2)
    (array([1], dtype=int32), array([8.]))
    """

    indptr: NDArray[np.int64]
    indices: NDArray[np.int32]
    minutes: NDArray[np.float64]
    shape: tuple[int, int]
    cutoff_minutes: float

    def __post_init__(self) -> None:
        if self.indptr.size != self.shape[0] + 1 or self.indices.size != self.minutes.size:
            raise InvalidInputError("inconsistent sparse travel-time arrays")
        if self.minutes.size and (np.isnan(self.minutes).any() or (self.minutes < 0).any()):
            raise InvalidInputError("travel times must be non-negative numbers")

    @classmethod
    def from_dense(cls, minutes: object, cutoff_minutes: float) -> TravelTimes:
        """Build from a dense matrix; entries above the cut-off (or NaN, inf) are dropped."""
        dense = np.asarray(minutes, dtype=np.float64)
        if dense.ndim != 2:
            raise InvalidInputError("a travel-time matrix must have two dimensions")
        keep = np.isfinite(dense) & (dense <= cutoff_minutes)
        if (dense[keep] < 0).any():
            raise InvalidInputError("travel times must be non-negative numbers")
        rows, cols = np.nonzero(keep)
        return cls.from_pairs(rows, cols, dense[rows, cols], dense.shape, cutoff_minutes)

    @classmethod
    def from_pairs(
        cls,
        origins: NDArray[np.integer],
        destinations: NDArray[np.integer],
        minutes: NDArray[np.floating],
        shape: tuple[int, int],
        cutoff_minutes: float,
    ) -> TravelTimes:
        """Build from unordered (origin, destination, minutes) triples, keeping those within the cut-off."""
        keep = minutes <= cutoff_minutes
        origins, destinations, values = origins[keep], destinations[keep], minutes[keep]
        order = np.lexsort((destinations, origins))
        counts = np.bincount(origins, minlength=shape[0])
        indptr = np.zeros(shape[0] + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        return cls(
            indptr,
            destinations[order].astype(np.int32),
            values[order].astype(np.float64),
            (int(shape[0]), int(shape[1])),
            float(cutoff_minutes),
        )

    @property
    def nnz(self) -> int:
        return int(self.minutes.size)

    def row(self, origin: int) -> tuple[NDArray[np.int32], NDArray[np.float64]]:
        """Destinations reachable from one origin and their times."""
        start, stop = self.indptr[origin], self.indptr[origin + 1]
        return self.indices[start:stop], self.minutes[start:stop]

    def origin_of_each_pair(self) -> NDArray[np.int64]:
        """The origin (row) of each stored pair, aligned with ``indices`` and ``minutes``."""
        return np.repeat(np.arange(self.shape[0], dtype=np.int64), np.diff(self.indptr))

    def to_csr(self, values: NDArray[np.float64] | None = None) -> sparse.csr_array:
        """A SciPy CSR array of the times (or of ``values`` aligned with the pairs), zeros kept explicit."""
        data = self.minutes if values is None else values
        return sparse.csr_array((data, self.indices, self.indptr), shape=self.shape)

    def transpose(self) -> TravelTimes:
        """Destination × origin times (the same pairs, seen from the other side)."""
        order = np.argsort(self.indices, kind="stable")
        origins = self.origin_of_each_pair()
        counts = np.bincount(self.indices, minlength=self.shape[1])
        indptr = np.zeros(self.shape[1] + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        return TravelTimes(
            indptr,
            origins[order].astype(np.int32),
            self.minutes[order],
            (self.shape[1], self.shape[0]),
            self.cutoff_minutes,
        )

    def within(self, minutes: float) -> sparse.csr_array:
        """Boolean CSR array of the pairs within ``minutes`` (a coverage matrix)."""
        keep = self.minutes <= minutes
        matrix = sparse.csr_array((keep, self.indices, self.indptr), shape=self.shape)
        matrix.eliminate_zeros()
        return matrix


class TravelTimeEngine(Protocol):
    """Anything that computes sparse travel times between two sets of points within a cut-off."""

    def travel_times(self, origins: Points, destinations: Points, cutoff_minutes: float) -> TravelTimes:
        """Minutes from each origin to each destination reachable within ``cutoff_minutes``."""
        ...


@dataclass(frozen=True)
class GreatCircleEngine:
    """Offline travel times: great-circle distance × detour factor ÷ speed (+ a fixed access time).

    The defaults (detour 1.3, 60 km/h, so 46 km/h as the crow flies) give 2.06 million commune pairs
    within 20 minutes over France, the same count as the road-time matrices used as reference. Against
    real road times the error is typically ±25 % per pair (more in mountains, around lakes and estuaries,
    less on plains): good for regional diagnosis, not for one patient's journey. See docs/planning.md.

    Parameters
    ----------
    detour_factor : float, default 1.3
        Road distance ÷ straight-line distance.
    speed_kmh : float, default 60
        Average road speed.
    fixed_minutes : float, default 0
        Time added to every trip (parking, walking), including a trip within the same commune.

    Examples
    --------
    >>> nancy_metz = Points([48.6921, 49.1193], [6.1844, 6.1757])
    >>> times = GreatCircleEngine().travel_times(nancy_metz, nancy_metz, cutoff_minutes=90)
    >>> round(float(times.row(0)[1][1]), 1)  # 47.5 km as the crow flies
    61.8
    """

    detour_factor: float = 1.3
    speed_kmh: float = 60.0
    fixed_minutes: float = 0.0

    def __post_init__(self) -> None:
        if not (self.detour_factor >= 1.0 and self.speed_kmh > 0 and self.fixed_minutes >= 0):
            raise InvalidInputError("detour factor must be >= 1, speed > 0 and fixed minutes >= 0")

    def minutes_per_km(self) -> float:
        return 60.0 * self.detour_factor / self.speed_kmh

    def radius_km(self, cutoff_minutes: float) -> float:
        """Straight-line distance reachable within the cut-off."""
        return max(cutoff_minutes - self.fixed_minutes, 0.0) / self.minutes_per_km()

    def travel_times(self, origins: Points, destinations: Points, cutoff_minutes: float) -> TravelTimes:
        """Sparse minutes within the cut-off, found with a k-d tree on 3-D chord distances."""
        if cutoff_minutes < self.fixed_minutes:
            shape = (len(origins), len(destinations))
            empty = np.zeros(shape[0] + 1, dtype=np.int64)
            return TravelTimes(empty, np.zeros(0, np.int32), np.zeros(0), shape, float(cutoff_minutes))
        radius = self.radius_km(cutoff_minutes)
        # A chord is shorter than its arc: search by chord, then convert back to the arc.
        chord = 2.0 * EARTH_RADIUS_KM * np.sin(min(radius / (2.0 * EARTH_RADIUS_KM), np.pi / 2))
        origin_tree = cKDTree(origins.unit_vectors())
        destination_tree = origin_tree if destinations is origins else cKDTree(destinations.unit_vectors())
        pairs = origin_tree.sparse_distance_matrix(
            destination_tree, chord * (1 + 1e-12), output_type="ndarray"
        )
        arc_km = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.minimum(pairs["v"] / (2.0 * EARTH_RADIUS_KM), 1.0))
        minutes = self.fixed_minutes + arc_km * self.minutes_per_km()
        return TravelTimes.from_pairs(
            pairs["i"], pairs["j"], minutes, (len(origins), len(destinations)), cutoff_minutes
        )

    def minutes_between(self, origins: Points, destinations: Points) -> NDArray[np.float64]:
        """Dense minutes for every pair (for small sets: site spacing, tests)."""
        a = origins.unit_vectors()[:, None, :]
        b = destinations.unit_vectors()[None, :, :]
        chord = np.sqrt(((a - b) ** 2).sum(axis=2))
        arc_km = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.minimum(chord / (2.0 * EARTH_RADIUS_KM), 1.0))
        result: NDArray[np.float64] = self.fixed_minutes + arc_km * self.minutes_per_km()
        return result
