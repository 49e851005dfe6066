"""Travel times: sparse origin × destination matrices within a cut-off, and the engines that build them.

Only pairs within the cut-off are stored (a CSR layout), so all of France (35,000 communes, about two
million pairs within 20 minutes) fits in a few tens of MB. A pair at zero minutes (a commune to itself)
is stored explicitly: absence means "beyond the cut-off", never "zero".
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
from numpy.typing import NDArray

from maille.planning.errors import InvalidInputError, PlanningError
from maille.planning.neighbours import pairs_once, pairs_within
from maille.planning.points import EARTH_RADIUS_KM, Points

if TYPE_CHECKING:  # SciPy is imported only where a sparse array is asked for (it costs 0.25 s to import)
    from scipy import sparse


def pair_order(
    origins: NDArray[np.integer], destinations: NDArray[np.integer], shape: tuple[int, int]
) -> NDArray[np.intp]:
    """The order that sorts pairs by origin, then destination: a least-significant-digit radix sort.

    NumPy's stable sort of 16-bit keys is a radix sort: one pass per 16 bits of destination, then of
    origin (two passes for all of France) sorts two million pairs ten times faster than ``np.lexsort``.
    """
    order: NDArray[np.intp] | None = None
    for values, bound in ((destinations, shape[1]), (origins, shape[0])):
        shift = 0
        while shift == 0 or (max(bound - 1, 0) >> shift) > 0:
            digit = ((values >> shift) & 0xFFFF).astype(np.uint16)
            step = np.argsort(digit if order is None else digit[order], kind="stable")
            order = step if order is None else order[step]
            shift += 16
    assert order is not None
    return order


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
        if not keep.all():  # (copying two million pairs costs more than this test)
            origins, destinations, minutes = origins[keep], destinations[keep], minutes[keep]
        order = pair_order(origins, destinations, shape)
        counts = np.bincount(origins, minlength=shape[0])
        indptr = np.zeros(shape[0] + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        return cls(
            indptr,
            destinations[order].astype(np.int32),
            minutes[order].astype(np.float64, copy=False),
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
        from scipy import sparse

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
        from scipy import sparse

        keep = self.minutes <= minutes
        matrix = sparse.csr_array((keep, self.indices, self.indptr), shape=self.shape)
        matrix.eliminate_zeros()
        return matrix


@dataclass(frozen=True)
class SymmetricTravelTimes:
    """Travel times within one set of points by a symmetric engine: each unordered pair stored once.

    The pair ``(first[k], second[k])`` takes ``minutes[k]`` both ways, every point reaches itself in
    ``self_minutes`` (not stored; beyond the cut-off, no point reaches itself), and pairs beyond
    ``cutoff_minutes`` are absent. Half the pairs of the
    :class:`TravelTimes` it stands for, in no particular order: enough for sums over pairs (accessibility),
    without the cost of sorting them into rows.

    Examples
    --------
    >>> three = Points([48.69, 48.70, 49.12], [6.18, 6.18, 6.18])
    >>> times = GreatCircleEngine().symmetric_travel_times(three, cutoff_minutes=20)
    >>> times.first.size, times.size
    (1, 3)
    >>> times.to_travel_times().nnz  # the pair both ways and the three points to themselves
    5
    """

    first: NDArray[np.int64]
    second: NDArray[np.int64]
    minutes: NDArray[np.float64]
    size: int
    self_minutes: float
    cutoff_minutes: float

    def to_travel_times(self) -> TravelTimes:
        """The full matrix, both directions of each pair and the diagonal stored (CSR layout)."""
        diagonal = np.arange(self.size if self.self_minutes <= self.cutoff_minutes else 0, dtype=np.int64)
        return TravelTimes.from_pairs(
            np.concatenate((self.first, self.second, diagonal)),
            np.concatenate((self.second, self.first, diagonal)),
            np.concatenate((self.minutes, self.minutes, np.full(diagonal.size, self.self_minutes))),
            (self.size, self.size),
            self.cutoff_minutes,
        )


def save_travel_times(times: TravelTimes, path: Path) -> None:
    """Write a matrix as an uncompressed ``.npz`` (atomically: a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with partial.open("wb") as handle:
        np.savez(
            handle,
            indptr=times.indptr,
            indices=times.indices,
            minutes=times.minutes,
            shape=np.asarray(times.shape, dtype=np.int64),
        )
    os.replace(partial, path)


def load_travel_times(path: Path, cutoff_minutes: float) -> TravelTimes | None:
    """A matrix written by :func:`save_travel_times`, or None when the file is damaged (then rebuilt)."""
    import zipfile  # (np.load imports it too: only a cache reader pays for it)

    try:
        with np.load(path) as stored:
            shape = stored["shape"].tolist()
            return TravelTimes(
                stored["indptr"],
                stored["indices"],
                stored["minutes"],
                (shape[0], shape[1]),
                float(cutoff_minutes),
            )
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, PlanningError):
        return None


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
    cache_dir : path, optional
        Keep each matrix built in this folder (``great-circle-<hash>.npz``, the hash of the coordinates,
        parameters and cut-off): a later process with the same inputs reads it back instead of
        rebuilding it (about 40 ms instead of 0.15–0.25 s for all of France). Not used by
        :meth:`symmetric_travel_times`, which is about as fast to rebuild as the cache is to read.

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
    cache_dir: Path | str | None = None

    def __post_init__(self) -> None:
        if not (self.detour_factor >= 1.0 and self.speed_kmh > 0 and self.fixed_minutes >= 0):
            raise InvalidInputError("detour factor must be >= 1, speed > 0 and fixed minutes >= 0")

    def minutes_per_km(self) -> float:
        return 60.0 * self.detour_factor / self.speed_kmh

    def radius_km(self, cutoff_minutes: float) -> float:
        """Straight-line distance reachable within the cut-off."""
        return max(cutoff_minutes - self.fixed_minutes, 0.0) / self.minutes_per_km()

    def distances_from(self, origin: Points, destinations: Points) -> NDArray[np.float64]:
        """Great-circle kilometres from one point to each destination (dense, no cut-off): the slot search
        ranks a patient's nearest sites with it."""
        if len(origin) != 1:
            raise InvalidInputError("distances_from takes exactly one origin")
        row: NDArray[np.float64] = self.distances_between(origin, destinations)[0]
        return row

    def distances_between(self, origins: Points, destinations: Points) -> NDArray[np.float64]:
        """Great-circle kilometres from each origin to each destination, a dense ``(origins, destinations)``
        matrix (no cut-off: for a few hundred points on each side; ``travel_times`` for more)."""
        chords = np.linalg.norm(
            destinations.unit_vectors()[np.newaxis, :, :] - origins.unit_vectors()[:, np.newaxis, :], axis=2
        )
        arcs: NDArray[np.float64] = (
            2.0 * EARTH_RADIUS_KM * np.arcsin(np.minimum(chords / (2.0 * EARTH_RADIUS_KM), 1.0))
        )
        return arcs

    def minutes_for(self, distances_km: NDArray[np.float64]) -> NDArray[np.float64]:
        """Travel minutes for great-circle distances, by the same model as ``travel_times``."""
        minutes: NDArray[np.float64] = distances_km * self.minutes_per_km() + self.fixed_minutes
        return minutes

    def travel_times(self, origins: Points, destinations: Points, cutoff_minutes: float) -> TravelTimes:
        """Sparse minutes within the cut-off, found with a grid on 3-D chord distances (module neighbours)."""
        if cutoff_minutes < self.fixed_minutes:
            shape = (len(origins), len(destinations))
            empty = np.zeros(shape[0] + 1, dtype=np.int64)
            return TravelTimes(empty, np.zeros(0, np.int32), np.zeros(0), shape, float(cutoff_minutes))
        cache = self._cache_path(origins, destinations, cutoff_minutes)
        if cache is not None and cache.exists():
            stored = load_travel_times(cache, cutoff_minutes)
            if stored is not None and stored.shape == (len(origins), len(destinations)):
                return stored
        times = self._build(origins, destinations, cutoff_minutes)
        if cache is not None:
            save_travel_times(times, cache)
        return times

    def _cache_path(self, origins: Points, destinations: Points, cutoff_minutes: float) -> Path | None:
        if self.cache_dir is None:
            return None
        import hashlib  # (only with a cache: not on the path of a computation without one)

        digest = hashlib.sha256()
        for array in (origins.latitude, origins.longitude, destinations.latitude, destinations.longitude):
            digest.update(np.ascontiguousarray(array, dtype=np.float64).tobytes())
        parameters = (self.detour_factor, self.speed_kmh, self.fixed_minutes, float(cutoff_minutes))
        digest.update(repr(("great-circle-v1", len(origins), *parameters)).encode())
        return Path(self.cache_dir) / f"great-circle-{digest.hexdigest()[:32]}.npz"

    def symmetric_travel_times(self, points: Points, cutoff_minutes: float) -> SymmetricTravelTimes:
        """Minutes between the points and themselves, each unordered pair once (the engine is symmetric)."""
        if cutoff_minutes < self.fixed_minutes:  # not even a point to itself
            none = np.zeros(0, dtype=np.int64)
            return SymmetricTravelTimes(none, none, np.zeros(0), len(points), np.inf, float(cutoff_minutes))
        first, second, chords = pairs_once(points.unit_vectors(), self._search_chord(cutoff_minutes))
        minutes = self._minutes(chords)
        keep = minutes <= cutoff_minutes
        if not keep.all():  # (copying a million pairs costs more than this test)
            first, second, minutes = first[keep], second[keep], minutes[keep]
        return SymmetricTravelTimes(
            first, second, minutes, len(points), float(self.fixed_minutes), float(cutoff_minutes)
        )

    def _search_chord(self, cutoff_minutes: float) -> float:
        radius = self.radius_km(cutoff_minutes)
        # A chord is shorter than its arc: search by chord, then convert back to the arc.
        chord = 2.0 * EARTH_RADIUS_KM * np.sin(min(radius / (2.0 * EARTH_RADIUS_KM), np.pi / 2))
        return float(chord) * (1 + 1e-12)

    def _minutes(self, chords: NDArray[np.float64]) -> NDArray[np.float64]:
        arc_km = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.minimum(chords / (2.0 * EARTH_RADIUS_KM), 1.0))
        minutes: NDArray[np.float64] = self.fixed_minutes + arc_km * self.minutes_per_km()
        return minutes

    def _build(self, origins: Points, destinations: Points, cutoff_minutes: float) -> TravelTimes:
        if destinations is origins:
            return self.symmetric_travel_times(origins, cutoff_minutes).to_travel_times()
        rows, cols, chords = pairs_within(
            origins.unit_vectors(), destinations.unit_vectors(), self._search_chord(cutoff_minutes)
        )
        minutes = self._minutes(chords)
        return TravelTimes.from_pairs(rows, cols, minutes, (len(origins), len(destinations)), cutoff_minutes)

    def minutes_between(self, origins: Points, destinations: Points) -> NDArray[np.float64]:
        """Dense minutes for every pair (for small sets: site spacing, tests)."""
        a = origins.unit_vectors()[:, None, :]
        b = destinations.unit_vectors()[None, :, :]
        chord = np.sqrt(((a - b) ** 2).sum(axis=2))
        arc_km = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.minimum(chord / (2.0 * EARTH_RADIUS_KM), 1.0))
        result: NDArray[np.float64] = self.fixed_minutes + arc_km * self.minutes_per_km()
        return result
