"""Accessibility: the enhanced two-step floating catchment area (E2SFCA) behind the DREES APL.

For supply ``S_j`` at site ``j``, demand ``P_i`` at commune ``i`` and a distance-decay weight ``w(t_ij)``:

* each site's weighted demand is ``D_j = sum_i w(t_ij) P_i`` and its supply ratio ``R_j = S_j / D_j``;
* each commune's accessibility is ``A_i = sum_j w(t_ij) R_j``.

``A`` is linear in ``S``, so the accessibility *added* by new capacity is the same computation on the new
sites alone, and adds exactly to the published APL (which cannot be recomputed from scratch here: the
per-doctor activity behind it is not open data).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from maille.planning.errors import InvalidInputError, row_names
from maille.planning.points import EARTH_RADIUS_KM, Points
from maille.planning.travel import GreatCircleEngine, SymmetricTravelTimes, TravelTimeEngine, TravelTimes

_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


@dataclass(frozen=True)
class DistanceDecay:
    """A step distance-decay: ``weights[b]`` for times in ``(upper_minutes[b-1], upper_minutes[b]]``, 0 beyond.

    A band includes its upper bound (a trip of exactly 10 minutes is "under 10 minutes"), as in PySAL
    ``access.weights.step_fn``.

    Examples
    --------
    >>> decay = DistanceDecay.from_labels(
    ...     [("Moins de  10 minutes", 1.0), ("Entre 10 et 15 minutes", 2 / 3),
    ...      ("Entre 15 et 20 minutes", 1 / 3), ("Plus de 20 minutes", 0.0)])
    >>> decay.upper_minutes, decay.max_minutes
    ((10.0, 15.0, 20.0), 20.0)
    >>> decay.weight([0.0, 10.0, 12.5, 20.0, 20.5]).round(3)
    array([1.   , 1.   , 0.667, 0.333, 0.   ])
    """

    upper_minutes: tuple[float, ...]
    weights: tuple[float, ...]

    def __post_init__(self) -> None:
        uppers = np.asarray(self.upper_minutes, dtype=np.float64)
        values = np.asarray(self.weights, dtype=np.float64)
        if uppers.size == 0 or uppers.size != values.size:
            raise InvalidInputError("a distance decay needs as many weights as band upper bounds")
        if not np.all(np.isfinite(uppers)) or np.any(np.diff(uppers) <= 0) or uppers[0] <= 0:
            raise InvalidInputError("band upper bounds must be positive and increasing", self.upper_minutes)
        if not np.all(np.isfinite(values)) or np.any(values < 0):
            raise InvalidInputError("distance-decay weights must be non-negative numbers", self.weights)

    @classmethod
    def from_labels(
        cls, rows: Iterable[tuple[str, float | None] | tuple[str, float | None, float | None]]
    ) -> DistanceDecay:
        """Read the DREES ``decroissance_distance`` rows: (label, weight[, upper bound in minutes]).

        The upper bound is read from the label ("Moins de 10 minutes", "Entre 10 et 15 minutes") when not
        given; a "Plus de …" band is the open-ended last band and must weigh 0.
        """
        uppers: list[float] = []
        weights: list[float] = []
        for row in rows:
            label, weight = row[0], row[1]
            upper = row[2] if len(row) > 2 else None
            if weight is None:
                raise InvalidInputError("distance-decay band without a weight", [label])
            open_ended = label.strip().lower().startswith(("plus", "au-del", "more", "over"))
            if upper is None and not open_ended:
                numbers = _NUMBER.findall(label)
                if not numbers:
                    raise InvalidInputError("cannot read the band's upper bound from its label", [label])
                upper = float(numbers[-1].replace(",", "."))
            if upper is None:
                if weight != 0:
                    raise InvalidInputError("the open-ended last band must weigh 0", [label])
                continue
            uppers.append(float(upper))
            weights.append(float(weight))
        order = np.argsort(uppers)
        return cls(tuple(uppers[i] for i in order), tuple(weights[i] for i in order))

    @property
    def max_minutes(self) -> float:
        """The largest time with a non-zero weight band: the catchment cut-off."""
        return float(self.upper_minutes[-1])

    def weight(self, minutes: ArrayLike) -> NDArray[np.float64]:
        """The weight of each travel time."""
        table = np.append(np.asarray(self.weights, dtype=np.float64), 0.0)
        times = np.asarray(minutes, np.float64)
        if len(self.upper_minutes) > 8:
            band = np.searchsorted(np.asarray(self.upper_minutes), times, side="left")
        else:  # a few comparisons are four times faster than a binary search over two million times
            band = np.zeros(times.shape, dtype=np.int8)
            for upper in self.upper_minutes:
                band += times > upper
        result: NDArray[np.float64] = table[band]
        return result


def _checked_amounts(
    values: ArrayLike, size: int, what: str, labels: Sequence[str] | None
) -> NDArray[np.float64]:
    array = np.ascontiguousarray(values, dtype=np.float64).reshape(-1)
    if array.size != size:
        raise InvalidInputError(f"{array.size} {what} values for {size} rows")
    bad = ~np.isfinite(array) | (array < 0)
    if bad.any():
        where = np.flatnonzero(bad)
        raise InvalidInputError(f"{what} must be a non-negative number", row_names(where, labels))
    return array


class E2SFCA:
    """Enhanced two-step floating catchment accessibility over a sparse demand × supply travel-time matrix.

    Parameters
    ----------
    decay : DistanceDecay
        The bands and weights (for the APL: read from the DREES ``Paramètres`` rows).

    Attributes
    ----------
    weighted_demand_ : ndarray, shape (n_sites,)
        ``D_j``: demand around each site, weighted by distance.
    ratio_ : ndarray, shape (n_sites,)
        ``R_j = S_j / D_j`` (0 where ``D_j`` is 0).
    accessibility_ : ndarray, shape (n_demand,)
        ``A_i``, in supply units per demand unit (consultations per standardised inhabitant for the APL).
    stranded_supply_ : ndarray of int
        Sites with supply but no demand within reach (their supply reaches nobody).

    Examples
    --------
    Two villages of 1,000 and 3,000 people, one doctor's office of 4,000 consultations in the first:

    >>> decay = DistanceDecay((10.0, 15.0, 20.0), (1.0, 2 / 3, 1 / 3))
    >>> times = TravelTimes.from_dense([[0.0], [12.0]], cutoff_minutes=20)
    >>> model = E2SFCA(decay).solve(times, demand=[1000, 3000], supply=[4000])
    >>> model.weighted_demand_  # 1000 × 1 + 3000 × 2/3
    array([3000.])
    >>> model.accessibility_.round(4)
    array([1.3333, 0.8889])
    """

    def __init__(self, decay: DistanceDecay) -> None:
        self.decay = decay

    def solve(
        self,
        times: TravelTimes,
        demand: ArrayLike,
        supply: ArrayLike,
        *,
        demand_labels: Sequence[str] | None = None,
        supply_labels: Sequence[str] | None = None,
    ) -> E2SFCA:
        """Compute the accessibility of each demand row; returns ``self``."""
        n_demand, n_sites = times.shape
        population = _checked_amounts(demand, n_demand, "demand", demand_labels)
        capacity = _checked_amounts(supply, n_sites, "supply", supply_labels)
        weights = self.decay.weight(times.minutes)
        origin = times.origin_of_each_pair()
        # Sums over the pairs with bincount: no sparse matrix to build (and SciPy not even imported).
        self.weighted_demand_: NDArray[np.float64] = np.bincount(
            times.indices, weights=weights * population[origin], minlength=n_sites
        ).astype(np.float64, copy=False)
        reached = self.weighted_demand_ > 0
        self.ratio_: NDArray[np.float64] = np.divide(
            capacity, self.weighted_demand_, out=np.zeros(n_sites), where=reached
        )
        self.accessibility_: NDArray[np.float64] = np.bincount(
            origin, weights=weights * self.ratio_[times.indices], minlength=n_demand
        ).astype(np.float64, copy=False)
        self.stranded_supply_: NDArray[np.intp] = np.flatnonzero(~reached & (capacity > 0))
        return self

    def solve_symmetric(
        self,
        times: SymmetricTravelTimes,
        demand: ArrayLike,
        supply: ArrayLike,
        *,
        labels: Sequence[str] | None = None,
    ) -> E2SFCA:
        """The same result as :meth:`solve` when demand and supply sit on the same points (communes).

        Each stored pair counts both ways and each point counts for itself, so the sums run over half
        the pairs and need no row order: for all of France, no sorting of two million pairs.

        Examples
        --------
        >>> decay = DistanceDecay((10.0, 20.0), (1.0, 0.5))
        >>> times = SymmetricTravelTimes(np.array([0]), np.array([1]), np.array([15.0]), 2, 0.0, 20.0)
        >>> E2SFCA(decay).solve_symmetric(times, demand=[1000, 3000], supply=[2500, 0]).weighted_demand_
        array([2500., 3500.])
        """
        n = times.size
        population = _checked_amounts(demand, n, "demand", labels)
        capacity = _checked_amounts(supply, n, "supply", labels)
        weights = self.decay.weight(times.minutes)
        own_weight = float(self.decay.weight(times.self_minutes))
        first, second = times.first, times.second

        def both_ways(values: NDArray[np.float64]) -> NDArray[np.float64]:
            """``sum_j w(t_ij) values_j`` for every point ``i``, over the pairs seen from both ends."""
            total = np.bincount(first, weights=weights * values[second], minlength=n).astype(np.float64)
            total += np.bincount(second, weights=weights * values[first], minlength=n)
            total += own_weight * values
            return total

        self.weighted_demand_ = both_ways(population)
        reached = self.weighted_demand_ > 0
        self.ratio_ = np.divide(capacity, self.weighted_demand_, out=np.zeros(n), where=reached)
        self.accessibility_ = both_ways(self.ratio_)
        self.stranded_supply_ = np.flatnonzero(~reached & (capacity > 0))
        return self


def added_accessibility(
    decay: DistanceDecay, times_to_new_sites: TravelTimes, demand: ArrayLike, added_supply: ArrayLike
) -> NDArray[np.float64]:
    """Accessibility added to each commune by new capacity at new sites, to add to the official APL.

    Exact because the E2SFCA is linear in supply: ``times_to_new_sites`` must list *every* demand row
    within reach of the sites (the whole study area plus a cut-off-wide margin), since the sites' weighted
    demand counts them all.

    Examples
    --------
    >>> decay = DistanceDecay((10.0, 20.0), (1.0, 0.5))
    >>> times = TravelTimes.from_dense([[5.0], [15.0], [40.0]], cutoff_minutes=20)
    >>> added_accessibility(decay, times, demand=[1000, 2000, 500], added_supply=[1000])
    array([0.5 , 0.25, 0.  ])
    """
    return E2SFCA(decay).solve(times_to_new_sites, demand, added_supply).accessibility_


class AccessibilityWhatIf:
    """Accessibility kept up to date while sites are added, moved or removed (the what-if on a map).

    Each change touches only the demand rows within reach of the site, so it takes well under a
    millisecond to a few milliseconds on all of France; the result equals a full recomputation.

    Parameters
    ----------
    decay : DistanceDecay
        Bands and weights.
    demand_points : Points
        The communes (demand rows).
    demand : array_like
        Standardised population of each commune.
    baseline : array_like, optional
        Accessibility before any added site (the official APL); zeros when omitted.
    engine : TravelTimeEngine, default GreatCircleEngine()
        Travel times; the great-circle engine is answered from a k-d tree built once.

    Examples
    --------
    >>> decay = DistanceDecay((10.0, 20.0), (1.0, 0.5))
    >>> communes = Points([49.00, 49.10, 49.50], [5.30, 5.30, 5.30])
    >>> what_if = AccessibilityWhatIf(decay, communes, demand=[1000, 2000, 500], baseline=[2.0, 2.0, 2.0])
    >>> site = what_if.add_site(49.0, 5.3, supply=2000)
    >>> what_if.accessibility_.round(3)
    array([3. , 2.5, 2. ])
    >>> what_if.remove_site(site)
    >>> what_if.accessibility_.round(3)
    array([2., 2., 2.])
    """

    def __init__(
        self,
        decay: DistanceDecay,
        demand_points: Points,
        demand: ArrayLike,
        baseline: ArrayLike | None = None,
        engine: TravelTimeEngine | None = None,
    ) -> None:
        self.decay = decay
        self.demand_points = demand_points
        self.engine: TravelTimeEngine = engine if engine is not None else GreatCircleEngine()
        n = len(demand_points)
        labels = demand_points.labels or None
        self.demand = _checked_amounts(demand, n, "demand", labels)
        start = np.zeros(n) if baseline is None else _checked_amounts(baseline, n, "baseline", labels)
        self.accessibility_: NDArray[np.float64] = start.copy()
        self.changed_rows_: NDArray[np.int32] = np.zeros(0, dtype=np.int32)
        self._sites: dict[int, tuple[NDArray[np.int32], NDArray[np.float64]]] = {}
        self._next_site = 0
        from scipy.spatial import cKDTree  # only for the interactive what-if, built once

        self._tree = (
            cKDTree(demand_points.unit_vectors()) if isinstance(self.engine, GreatCircleEngine) else None
        )

    def _reach(self, latitude: float, longitude: float) -> tuple[NDArray[np.int32], NDArray[np.float64]]:
        site = Points([latitude], [longitude], check_france=self.demand_points.check_france)
        engine = self.engine
        if self._tree is not None and isinstance(engine, GreatCircleEngine):
            radius = engine.radius_km(self.decay.max_minutes)
            chord = 2.0 * EARTH_RADIUS_KM * np.sin(min(radius / (2.0 * EARTH_RADIUS_KM), np.pi / 2))
            rows = np.asarray(self._tree.query_ball_point(site.unit_vectors()[0], chord), dtype=np.int32)
            minutes = engine.minutes_between(site, self.demand_points.subset(rows))[0]
        else:
            column = engine.travel_times(self.demand_points, site, self.decay.max_minutes)
            rows = column.origin_of_each_pair().astype(np.int32)
            minutes = column.minutes
        keep = minutes <= self.decay.max_minutes
        return rows[keep], minutes[keep]

    def add_site(self, latitude: float, longitude: float, supply: float) -> int:
        """Add capacity at a new site; returns the site's id."""
        if not (np.isfinite(supply) and supply >= 0):
            raise InvalidInputError("supply must be a non-negative number", [supply])
        rows, minutes = self._reach(latitude, longitude)
        weights = self.decay.weight(minutes)
        weighted_demand = float(weights @ self.demand[rows])
        contribution = weights * (supply / weighted_demand) if weighted_demand > 0 else np.zeros(rows.size)
        self.accessibility_[rows] += contribution
        site_id = self._next_site
        self._next_site += 1
        self._sites[site_id] = (rows, contribution)
        self.changed_rows_ = rows
        return site_id

    def remove_site(self, site_id: int) -> None:
        """Take a site added earlier away again."""
        if site_id not in self._sites:
            raise InvalidInputError("unknown site", [site_id])
        rows, contribution = self._sites.pop(site_id)
        self.accessibility_[rows] -= contribution
        self.changed_rows_ = rows

    def move_site(self, site_id: int, latitude: float, longitude: float, supply: float) -> int:
        """Move (and resize) a site; returns its new id."""
        old_rows = self._sites[site_id][0] if site_id in self._sites else np.zeros(0, np.int32)
        self.remove_site(site_id)
        new_id = self.add_site(latitude, longitude, supply)
        self.changed_rows_ = np.union1d(old_rows, self.changed_rows_).astype(np.int32)
        return new_id
