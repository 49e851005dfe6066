"""Coverage: population and need-weighted population within T minutes of a set of sites, by APL band.

The APL bands follow the thresholds used in French zoning: under 2.5 consultations per standardised
inhabitant per year is "sous-dense" (arrêté of 13 November 2017), under 1.5 the most under-served.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from maille.planning.errors import InvalidInputError, row_names
from maille.planning.sites import checked_weights
from maille.planning.travel import TravelTimes

SOUS_DENSE_THRESHOLD = 2.5
DEFAULT_APL_BAND_EDGES: tuple[float, ...] = (1.5, 2.5, 4.0)


def need_weights(
    population: ArrayLike,
    apl: ArrayLike,
    *,
    threshold: float = SOUS_DENSE_THRESHOLD,
    missing_apl: float | None = None,
    labels: Sequence[str] | None = None,
) -> NDArray[np.float64]:
    """Need of each commune: ``population × max(0, threshold − APL)``.

    A missing (NaN) APL raises :class:`InvalidInputError` naming the rows, unless ``missing_apl`` gives the
    value to use instead (a documented choice of the caller, e.g. the threshold itself for "no need").

    Examples
    --------
    >>> need_weights([1000, 500, 200], [1.5, 3.0, 2.0]).tolist()
    [1000.0, 0.0, 100.0]
    >>> need_weights([1000], [float("nan")], labels=["55001"])
    Traceback (most recent call last):
    ...
    maille.planning.errors.InvalidInputError: APL missing: 55001
    """
    people = np.ascontiguousarray(population, dtype=np.float64).reshape(-1)
    values = np.array(apl, dtype=np.float64).reshape(-1)
    if values.size != people.size:
        raise InvalidInputError(f"{values.size} APL values for {people.size} communes")
    missing = np.isnan(values)
    if missing.any():
        if missing_apl is None:
            raise InvalidInputError("APL missing", row_names(np.flatnonzero(missing), labels))
        values[missing] = missing_apl
    result: NDArray[np.float64] = checked_weights(people, people.size, labels) * np.maximum(
        0.0, threshold - values
    )
    return result


@dataclass(frozen=True)
class BandCoverage:
    """Coverage of the communes whose APL is in ``[lower, upper)`` (``None``: open end; both ``None`` and
    ``unknown``: the communes without an APL)."""

    lower: float | None
    upper: float | None
    unknown: bool
    communes: int
    population: float
    covered_population: float
    need: float
    covered_need: float

    @property
    def covered_share(self) -> float:
        """Share of the band's population covered (0 for an empty band)."""
        return self.covered_population / self.population if self.population > 0 else 0.0

    @property
    def covered_need_share(self) -> float:
        return self.covered_need / self.need if self.need > 0 else 0.0


class CoverageByBand:
    """Population and need within ``within_minutes`` of any of a set of sites, overall and by APL band.

    Parameters
    ----------
    within_minutes : float, optional
        Coverage threshold (the matrix cut-off when omitted).
    band_edges : sequence of float, default (1.5, 2.5, 4.0)
        Increasing APL thresholds; the bands are ``[-inf, e0), [e0, e1), …, [e_last, inf)``.

    Attributes
    ----------
    covered_ : ndarray of bool
        Demand rows within reach of a site.
    nearest_minutes_ : ndarray
        Minutes to the nearest site (inf beyond the matrix cut-off).
    bands_ : list of BandCoverage
        One per band, then one for the communes without an APL when there are any.
    total_ : BandCoverage
        All communes.

    Examples
    --------
    Three communes (APL 1.2, 2.0, 3.0), one site reaching the first two within 20 minutes:

    >>> times = TravelTimes.from_dense([[5.0], [18.0], [40.0]], cutoff_minutes=30)
    >>> model = CoverageByBand(within_minutes=20).solve(
    ...     times, sites=[0], population=[100, 200, 400], apl=[1.2, 2.0, 3.0])
    >>> [(b.lower, b.upper, b.population, b.covered_population) for b in model.bands_]
    [(None, 1.5, 100.0, 100.0), (1.5, 2.5, 200.0, 200.0), (2.5, 4.0, 400.0, 0.0), (4.0, None, 0.0, 0.0)]
    >>> model.total_.covered_population, model.total_.need, model.total_.covered_need  # need = pop × (2.5 − APL)
    (300.0, 230.0, 230.0)
    """

    def __init__(
        self, within_minutes: float | None = None, band_edges: Sequence[float] = DEFAULT_APL_BAND_EDGES
    ) -> None:
        self.within_minutes = within_minutes
        self.band_edges = tuple(float(e) for e in band_edges)

    def solve(
        self,
        times: TravelTimes,
        sites: ArrayLike,
        population: ArrayLike,
        apl: ArrayLike,
        *,
        need: ArrayLike | None = None,
        demand_labels: Sequence[str] | None = None,
    ) -> CoverageByBand:
        """Measure the coverage of ``sites`` (columns of ``times``); returns ``self``.

        ``need`` defaults to ``population × max(0, 2.5 − APL)`` (0 where the APL is missing).
        """
        edges = np.asarray(self.band_edges)
        if edges.size and (np.any(~np.isfinite(edges)) or np.any(np.diff(edges) <= 0)):
            raise InvalidInputError("APL band edges must be finite and increasing", self.band_edges)
        n_rows, n_sites = times.shape
        people = checked_weights(population, n_rows, demand_labels)
        values = np.asarray(apl, dtype=np.float64).reshape(-1)
        if values.size != n_rows:
            raise InvalidInputError(f"{values.size} APL values for {n_rows} communes")
        weights = (
            need_weights(people, values, missing_apl=SOUS_DENSE_THRESHOLD)
            if need is None
            else checked_weights(need, n_rows, demand_labels)
        )
        chosen = np.unique(np.asarray(sites, dtype=np.int64).reshape(-1))
        outside = chosen[(chosen < 0) | (chosen >= n_sites)]
        if outside.size:
            raise InvalidInputError("unknown site columns", outside.tolist())
        is_site = np.zeros(n_sites, dtype=bool)
        is_site[chosen] = True
        limit = self.within_minutes if self.within_minutes is not None else times.cutoff_minutes
        pairs = is_site[times.indices] & (times.minutes <= limit)
        nearest = np.full(n_rows, np.inf)
        np.minimum.at(nearest, times.origin_of_each_pair()[pairs], times.minutes[pairs])
        self.nearest_minutes_: NDArray[np.float64] = nearest
        self.covered_: NDArray[np.bool_] = np.isfinite(nearest)
        known = ~np.isnan(values)
        band = np.searchsorted(edges, np.where(known, values, 0.0), side="right")
        bounds: list[tuple[float | None, float | None]] = [
            (None if b == 0 else float(edges[b - 1]), None if b == edges.size else float(edges[b]))
            for b in range(edges.size + 1)
        ]
        self.bands_: list[BandCoverage] = [
            self._band(lower, upper, False, known & (band == b), people, weights)
            for b, (lower, upper) in enumerate(bounds)
        ]
        if not known.all():
            self.bands_.append(self._band(None, None, True, ~known, people, weights))
        self.total_: BandCoverage = self._band(None, None, False, np.ones(n_rows, bool), people, weights)
        return self

    def _band(
        self,
        lower: float | None,
        upper: float | None,
        unknown: bool,
        members: NDArray[np.bool_],
        people: NDArray[np.float64],
        weights: NDArray[np.float64],
    ) -> BandCoverage:
        covered = members & self.covered_
        return BandCoverage(
            lower,
            upper,
            unknown,
            int(members.sum()),
            float(people[members].sum()),
            float(people[covered].sum()),
            float(weights[members].sum()),
            float(weights[covered].sum()),
        )
