"""The exact gain curve of maximal coverage: the best coverage with k = 1, 2, …, K new sites.

Unlike the greedy curve (one ordering whose prefixes are the answers), each point is its own proven
optimum: the best 3 sites need not contain the best 2. The curve shows where one more site stops paying.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from maille.planning.errors import InfeasibleSpecificationError
from maille.planning.location import MaximalCoverage
from maille.planning.travel import TravelTimes


class CoverageGainCurve:
    """Solve the MCLP exactly (HiGHS) for every k from 1 to ``k_max``.

    Parameters
    ----------
    k_max : int
    within_minutes : float, optional
        Coverage threshold (the matrix cut-off when omitted).
    mip_rel_gap : float, default 0
        0 asks HiGHS for a proven optimum at each k.
    time_limit_seconds : float, default 600
        For each k.

    Attributes
    ----------
    k_ : ndarray of int
        1 … k_max.
    objective_ : ndarray
        Weight covered at each k (open sites included).
    marginal_gain_ : ndarray
        ``objective_[k] - objective_[k - 1]`` (the first against the open sites alone).
    selected_ : list of ndarray
        The new sites at each k.
    status_ : list of str
        HiGHS's model status at each k; ``gap_`` its relative gap.

    Examples
    --------
    Site 0 covers the two heaviest rows, but the best pair is sites 1 and 2, which cover everything:

    >>> times = TravelTimes.from_dense([[5, 5, 30], [5, 30, 5], [30, 5, 30], [30, 30, 5]], cutoff_minutes=20)
    >>> curve = CoverageGainCurve(k_max=2).solve(times, weights=[3, 3, 2, 2])
    >>> curve.objective_.tolist(), [s.tolist() for s in curve.selected_], curve.status_
    ([6.0, 10.0], [[0], [1, 2]], ['Optimal', 'Optimal'])
    >>> curve.marginal_gain_.tolist()
    [6.0, 4.0]
    """

    def __init__(
        self,
        k_max: int,
        *,
        within_minutes: float | None = None,
        mip_rel_gap: float = 0.0,
        time_limit_seconds: float = 600.0,
    ) -> None:
        self.k_max = k_max
        self.within_minutes = within_minutes
        self.mip_rel_gap = mip_rel_gap
        self.time_limit_seconds = time_limit_seconds

    def solve(
        self,
        times: TravelTimes,
        weights: ArrayLike,
        *,
        candidates: ArrayLike | None = None,
        fixed: ArrayLike = (),
        demand_labels: Sequence[str] | None = None,
        site_labels: Sequence[str] | None = None,
        on_step: Callable[[int], None] | None = None,
    ) -> CoverageGainCurve:
        """Solve each k (``on_step(k)`` is called before each, e.g. for a progress bar); returns ``self``."""
        if self.k_max < 1:
            raise InfeasibleSpecificationError("the gain curve needs k_max >= 1", [self.k_max])
        objectives: list[float] = []
        gaps: list[float] = []
        self.selected_: list[NDArray[np.int64]] = []
        self.status_: list[str] = []
        baseline = MaximalCoverage(0, within_minutes=self.within_minutes).solve(
            times, weights, candidates=candidates, fixed=fixed, demand_labels=demand_labels
        )
        for k in range(1, self.k_max + 1):
            if on_step is not None:
                on_step(k)
            model = MaximalCoverage(
                k,
                within_minutes=self.within_minutes,
                mip_rel_gap=self.mip_rel_gap,
                time_limit_seconds=self.time_limit_seconds,
            ).solve(
                times,
                weights,
                candidates=candidates,
                fixed=fixed,
                demand_labels=demand_labels,
                site_labels=site_labels,
            )
            objectives.append(model.objective_)
            gaps.append(model.gap_)
            self.selected_.append(model.selected_)
            self.status_.append(model.status_)
        self.k_: NDArray[np.int64] = np.arange(1, self.k_max + 1)
        self.objective_: NDArray[np.float64] = np.asarray(objectives)
        self.gap_: NDArray[np.float64] = np.asarray(gaps)
        self.baseline_: float = baseline.objective_
        self.marginal_gain_: NDArray[np.float64] = np.diff(self.objective_, prepend=baseline.objective_)
        return self
