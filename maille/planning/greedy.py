"""Lazy greedy maximal coverage, for instances too large to prove optimal quickly.

Coverage is submodular, so the greedy choice covers at least (1 − 1/e) ≈ 63 % of the optimum; in practice
much more. The solver also reports a data-dependent upper bound on the optimum (the covered weight so far
plus the ``k`` largest marginal gains still possible, taken at the step where it is smallest), so the
distance to the optimum is known for each run, not only in the worst case.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import sparse

from maille.planning.sites import SiteRules, checked_weights
from maille.planning.travel import TravelTimes

WORST_CASE_RATIO = 1.0 - 1.0 / np.e


class LazyGreedyCoverage:
    """Greedy maximal coverage with lazy evaluation of marginal gains (CELF).

    Parameters
    ----------
    k : int
        Number of new sites.
    within_minutes : float, optional
        Coverage threshold (the matrix cut-off when omitted).

    Attributes
    ----------
    selected_ : ndarray of int
        New sites in the order chosen: the first ``j`` are the greedy answer for ``k = j``.
    gain_curve_ : ndarray
        Weight covered after each new site (``gain_curve_[j - 1]`` for ``j`` sites), open sites included.
    objective_ : float
        Weight covered by the open and selected sites.
    upper_bound_ : float
        Proven upper bound on the best coverage with ``k`` new sites.
    bound_gap_ : float
        ``1 - objective_ / upper_bound_``: how far from the optimum the answer can be at worst.

    Examples
    --------
    >>> times = TravelTimes.from_dense([[5, 30, 30], [30, 5, 30], [30, 8, 30], [30, 30, 2]], cutoff_minutes=20)
    >>> model = LazyGreedyCoverage(k=2).solve(times, weights=[10, 4, 4, 9])
    >>> model.selected_.tolist(), model.gain_curve_.tolist(), model.objective_ >= 0.632 * 19
    ([0, 2], [10.0, 19.0], True)
    """

    def __init__(self, k: int, *, within_minutes: float | None = None) -> None:
        self.k = k
        self.within_minutes = within_minutes

    def solve(
        self,
        times: TravelTimes,
        weights: ArrayLike,
        *,
        candidates: ArrayLike | None = None,
        fixed: ArrayLike = (),
        demand_labels: Sequence[str] | None = None,
    ) -> LazyGreedyCoverage:
        """Choose the sites; returns ``self``."""
        need = checked_weights(weights, times.shape[0], demand_labels)
        rules = SiteRules.build(times.shape[1], self.k, candidates, fixed)
        reach = times.within(self.within_minutes if self.within_minutes is not None else times.cutoff_minutes)
        covered = np.zeros(times.shape[0], dtype=bool)
        if rules.fixed.size:
            covered = np.asarray(reach[:, rules.fixed].sum(axis=1)).reshape(-1) > 0
        by_site = sparse.csc_array(reach[:, rules.free])
        indptr, rows = by_site.indptr, by_site.indices
        remaining = np.where(covered, 0.0, need)
        gains = np.add.reduceat(np.append(remaining[rows], 0.0), indptr[:-1]) * (np.diff(indptr) > 0)
        heap: list[tuple[float, int, int]] = [(-float(g), int(j), 0) for j, g in enumerate(gains)]
        heapq.heapify(heap)
        value = float(need[covered].sum())
        best_bound = value + float(np.sort(gains)[::-1][: self.k].sum())
        chosen: list[int] = []
        curve: list[float] = []
        step = 0
        while len(chosen) < self.k and heap:
            negative_gain, j, stamp = heapq.heappop(heap)
            if stamp != step:  # stale: recompute this site's gain and put it back
                members = rows[indptr[j] : indptr[j + 1]]
                heapq.heappush(heap, (-float(remaining[members].sum()), j, step))
                continue
            members = rows[indptr[j] : indptr[j + 1]]
            value += -negative_gain
            remaining[members] = 0.0
            chosen.append(j)
            curve.append(value)
            step += 1
            # stale gains are upper bounds of the true ones (submodularity): a valid bound at every step
            top = heapq.nsmallest(self.k, heap)
            best_bound = min(best_bound, value + sum(-g for g, _, _ in top))
        self.selected_: NDArray[np.int64] = rules.free[np.asarray(chosen, dtype=np.int64)]
        self.open_sites_: NDArray[np.int64] = np.union1d(rules.fixed, self.selected_)
        self.gain_curve_: NDArray[np.float64] = np.asarray(curve)
        self.objective_: float = value
        self.upper_bound_: float = max(best_bound, value)
        self.bound_gap_: float = 1.0 - value / self.upper_bound_ if self.upper_bound_ > 0 else 0.0
        self.covered_: NDArray[np.bool_] = np.asarray(reach[:, self.open_sites_].sum(axis=1)).reshape(-1) > 0
        return self
