"""Optimal site placement solved exactly with HiGHS: maximal coverage (MCLP); the p-median is in ``p_median``.

Both take a sparse demand × site travel-time matrix (:class:`TravelTimes`), need weights, a budget of ``k``
new sites, the columns that are candidates and those already open. The models are built as whole sparse
matrices and passed to HiGHS in one call; status, objective, bound and gap are read from HiGHS itself.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import sparse

from maille.planning.highs_model import LocationModel, SolverReport, quiet_highs, solve_with_highs
from maille.planning.p_median import PMedian
from maille.planning.sites import checked_weights
from maille.planning.travel import TravelTimes

__all__ = ["MaximalCoverage", "PMedian", "SolverReport", "quiet_highs", "solve_with_highs"]


class MaximalCoverage(LocationModel):
    """Maximal covering location (MCLP): open ``k`` new sites to cover the most need within ``within_minutes``.

    Demand already covered by open sites counts as covered and leaves the model; demand rows with the same
    set of covering candidates are merged, so the model stays small even for all of France.

    Parameters
    ----------
    k : int
        Number of new sites.
    within_minutes : float, optional
        Coverage threshold (the matrix cut-off when omitted).
    min_spacing_minutes : float, optional
        No two sites (new or open) closer than this (needs ``site_times`` in ``solve``).
    time_limit_seconds : float, default 600
    mip_rel_gap : float, default 0
        Relative gap at which HiGHS may stop; 0 asks for a proven optimum.
    threads : int, optional
    warm_start : bool, default True
        Give HiGHS the greedy answer as its first incumbent (when there are no spacing or area rules).
    highs_options : dict, optional
        Any other HiGHS option (``{"mip_heuristic_effort": 0.2}``…), set as given.

    Attributes
    ----------
    selected_ : ndarray of int
        The new sites (columns of the matrix).
    open_sites_ : ndarray of int
        New and already open sites.
    covered_ : ndarray of bool
        Demand rows within ``within_minutes`` of an open site.
    objective_ : float
        Weight covered. ``bound_`` is HiGHS's proven upper bound, ``gap_`` its relative gap,
        ``status_`` its model status ("Optimal" when proven).

    Examples
    --------
    >>> times = TravelTimes.from_dense([[5, 30, 30], [30, 5, 30], [30, 8, 30], [30, 30, 2]], cutoff_minutes=20)
    >>> model = MaximalCoverage(k=1).solve(times, weights=[10, 4, 4, 9])
    >>> model.selected_.tolist(), model.objective_, model.status_
    ([0], 10.0, 'Optimal')
    >>> MaximalCoverage(k=1).solve(times, [10, 4, 4, 9], fixed=[0]).selected_.tolist()
    [2]
    """

    def __init__(
        self, k: int, *, within_minutes: float | None = None, warm_start: bool = True, **options: object
    ) -> None:
        super().__init__(k, **options)  # type: ignore[arg-type]
        self.within_minutes = within_minutes
        self.warm_start = warm_start

    def solve(
        self,
        times: TravelTimes,
        weights: ArrayLike,
        *,
        candidates: ArrayLike | None = None,
        fixed: ArrayLike = (),
        site_times: TravelTimes | None = None,
        site_areas: Sequence[str] | None = None,
        required_areas: Sequence[str] = (),
        demand_labels: Sequence[str] | None = None,
        site_labels: Sequence[str] | None = None,
    ) -> MaximalCoverage:
        """Choose the sites; returns ``self``."""
        need = checked_weights(weights, times.shape[0], demand_labels)
        rules = self._rules(times, candidates, fixed, site_times, site_areas, required_areas, site_labels)
        reach = times.within(self.within_minutes if self.within_minutes is not None else times.cutoff_minutes)
        covered_by_open = np.zeros(times.shape[0], dtype=bool)
        if rules.fixed.size:
            covered_by_open = np.asarray(reach[:, rules.fixed].sum(axis=1)).reshape(-1) > 0
        constant = float(need[covered_by_open].sum())
        open_rows = np.flatnonzero(~covered_by_open & (need > 0))
        sub = sparse.csr_array(reach[open_rows][:, rules.free], dtype=np.float64)
        sub.sort_indices()
        merged, merged_need = _merge_identical_rows(sub, need[open_rows])
        n_free, n_rows = rules.free.size, merged.shape[0]
        # z_r - sum_j a_rj y_j <= 0 over columns [y (free sites) | z (merged demand rows)]
        link = sparse.hstack((-merged, sparse.identity(n_rows, format="csr")), format="csr")
        budget, budget_lower, budget_upper = rules.budget_rows(self.k, n_rows)
        matrix = sparse.vstack((link, budget), format="csr")
        row_lower = np.concatenate((np.full(n_rows, -np.inf), budget_lower))
        row_upper = np.concatenate((np.zeros(n_rows), budget_upper))
        costs = np.concatenate((np.zeros(n_free), merged_need))
        # the greedy answer as HiGHS's first incumbent (only when no side rule could make it infeasible)
        simple = not rules.pairs_too_close.size and not rules.area_groups
        # A candidate covering a subset of what another covers is never needed (swap it for the other):
        # fixing it at 0 shrinks the search; only without side rules, and while k others remain.
        dominated = _dominated_columns(merged) if simple else np.zeros(n_free, dtype=bool)
        if n_free - int(dominated.sum()) < self.k:
            dominated[:] = False
        col_upper = np.concatenate((np.where(dominated, 0.0, 1.0), np.ones(n_rows)))
        start = _greedy_start(merged, merged_need, self.k, dominated) if self.warm_start and simple else None
        report = solve_with_highs(
            costs,
            matrix,
            row_lower,
            row_upper,
            n_free,
            maximize=True,
            time_limit_seconds=self.time_limit_seconds,
            mip_rel_gap=self.mip_rel_gap,
            threads=self.threads,
            start=start,
            col_upper=col_upper,
            options=self.highs_options,
        )
        self.dominated_candidates_ = int(dominated.sum())
        self._record(report, rules, constant)
        self.covered_: NDArray[np.bool_] = np.asarray(reach[:, self.open_sites_].sum(axis=1)).reshape(-1) > 0
        self.objective_: float = float(need[self.covered_].sum())
        self.model_rows_ = int(n_rows)
        return self


def _dominated_columns(merged: sparse.csr_array) -> NDArray[np.bool_]:
    """Columns whose covered rows are a subset of another column's (the larger, or the first if equal)."""
    n_free = merged.shape[1]
    cover = sparse.csc_array(merged, dtype=np.float64)
    cover.data[:] = 1.0
    sizes = np.diff(cover.indptr)
    overlap = sparse.coo_array(cover.T @ cover)
    j, other, shared = overlap.row, overlap.col, overlap.data
    wider = (sizes[other] > sizes[j]) | ((sizes[other] == sizes[j]) & (other < j))
    dominated = np.zeros(n_free, dtype=bool)
    dominated[j[(j != other) & (shared == sizes[j]) & wider]] = True
    dominated[sizes == 0] = bool(n_free > 1)  # covering nothing: any other column does at least as well
    if n_free and dominated.all():  # (no candidate left at all: nothing to fix)
        dominated[0] = False
    return dominated


def _greedy_start(
    merged: sparse.csr_array, need: NDArray[np.float64], k: int, excluded: NDArray[np.bool_]
) -> NDArray[np.float64]:
    """A feasible start for the merged MCLP: k sites chosen greedily, and the rows they cover."""
    n_rows, n_free = merged.shape
    by_site = sparse.csr_array(merged.T)
    remaining = need.copy()
    chosen = np.zeros(n_free, dtype=bool)
    for _ in range(min(k, n_free)):
        gains = by_site @ remaining
        gains[chosen | excluded] = -1.0
        best = int(np.argmax(gains))
        chosen[best] = True
        remaining[by_site.indices[by_site.indptr[best] : by_site.indptr[best + 1]]] = 0.0
    covered = (merged @ chosen.astype(np.float64)) > 0
    return np.concatenate((chosen.astype(np.float64), covered.astype(np.float64)))


def _merge_identical_rows(
    matrix: sparse.csr_array, need: NDArray[np.float64]
) -> tuple[sparse.csr_array, NDArray[np.float64]]:
    """Merge demand rows covered by exactly the same candidates (summing their need); drop uncoverable rows."""
    groups: dict[bytes, int] = {}
    owner = np.empty(matrix.shape[0], dtype=np.int64)
    first_rows: list[int] = []
    indptr, indices = matrix.indptr, matrix.indices
    for row in range(matrix.shape[0]):
        if indptr[row] == indptr[row + 1]:
            owner[row] = -1
            continue
        key = indices[indptr[row] : indptr[row + 1]].tobytes()
        slot = groups.setdefault(key, len(groups))
        if slot == len(first_rows):
            first_rows.append(row)
        owner[row] = slot
    kept = owner >= 0
    merged_need = np.bincount(owner[kept], weights=need[kept], minlength=len(first_rows)).astype(np.float64)
    return sparse.csr_array(matrix[np.asarray(first_rows, dtype=np.int64)]), merged_need
