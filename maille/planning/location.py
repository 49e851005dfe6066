"""Optimal site placement solved exactly with HiGHS: maximal coverage (MCLP) and p-median.

Both take a sparse demand × site travel-time matrix (:class:`TravelTimes`), need weights, a budget of ``k``
new sites, the columns that are candidates and those already open. The models are built as whole sparse
matrices and passed to HiGHS in one call; status, objective, bound and gap are read from HiGHS itself.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import highspy
import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import sparse

from maille.planning.errors import InfeasibleSpecificationError, row_names
from maille.planning.sites import SiteRules, checked_weights
from maille.planning.travel import TravelTimes


@dataclass(frozen=True)
class SolverReport:
    status: str
    objective: float
    bound: float
    gap: float
    seconds: float
    values: NDArray[np.float64]
    has_solution: bool


def solve_with_highs(
    costs: NDArray[np.float64],
    matrix: sparse.csr_array,
    row_lower: NDArray[np.float64],
    row_upper: NDArray[np.float64],
    n_integer: int,
    *,
    maximize: bool,
    time_limit_seconds: float,
    mip_rel_gap: float,
    threads: int | None = None,
    start: NDArray[np.float64] | None = None,
    col_upper: NDArray[np.float64] | None = None,
    options: dict[str, bool | int | float | str] | None = None,
) -> SolverReport:
    """Pass a whole model to HiGHS (the first ``n_integer`` columns binary, the others in [0, 1]).

    ``start`` is a feasible solution (every column) given to HiGHS as its first incumbent.
    """
    if costs.size == 0:  # nothing left to choose (k = 0 and no demand left): trivially optimal
        return SolverReport("Optimal", 0.0, 0.0, 0.0, 0.0, np.zeros(0), True)
    highs = quiet_highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("time_limit", float(time_limit_seconds))
    highs.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    if threads is not None:
        highs.setOptionValue("threads", int(threads))
    for name, value in (options or {}).items():
        highs.setOptionValue(name, value)
    model = highspy.HighsLp()
    n_cols = costs.size
    model.num_col_ = n_cols
    model.num_row_ = matrix.shape[0]
    model.col_cost_ = costs
    model.col_lower_ = np.zeros(n_cols)
    model.col_upper_ = np.ones(n_cols) if col_upper is None else col_upper
    model.row_lower_ = row_lower
    model.row_upper_ = row_upper
    model.sense_ = highspy.ObjSense.kMaximize if maximize else highspy.ObjSense.kMinimize
    model.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    model.a_matrix_.num_col_ = n_cols
    model.a_matrix_.num_row_ = matrix.shape[0]
    model.a_matrix_.start_ = matrix.indptr.astype(np.int32)
    model.a_matrix_.index_ = matrix.indices.astype(np.int32)
    model.a_matrix_.value_ = matrix.data.astype(np.float64)
    model.integrality_ = [highspy.HighsVarType.kInteger] * n_integer + [highspy.HighsVarType.kContinuous] * (
        n_cols - n_integer
    )
    highs.passModel(model)
    if start is not None:
        highs.setSolution(n_cols, np.arange(n_cols, dtype=np.int32), start.astype(np.float64))
    highs.run()
    status = highs.modelStatusToString(highs.getModelStatus())
    info = highs.getInfo()
    values = np.asarray(highs.getSolution().col_value, dtype=np.float64)
    return SolverReport(
        status,
        float(info.objective_function_value),
        float(info.mip_dual_bound),
        float(info.mip_gap),
        float(highs.getRunTime()),
        values,
        int(info.primal_solution_status) == 2,  # kSolutionStatusFeasible
    )


_banner_lock = threading.Lock()
_banner_shown = False


def quiet_highs() -> highspy.Highs:
    """A new HiGHS instance, its output off.

    HiGHS prints its banner on the process's standard output (file descriptor 1, out of reach of
    ``output_flag``) when the first instance is created; that output is sent to the null device once, so
    that a command's JSON on stdout stays parseable.
    """
    global _banner_shown
    with _banner_lock:
        if _banner_shown:
            highs = highspy.Highs()  # type: ignore[no-untyped-call]
        else:
            sys.stdout.flush()
            saved = os.dup(1)
            try:
                with open(os.devnull, "wb") as null:
                    os.dup2(null.fileno(), 1)
                    highs = highspy.Highs()  # type: ignore[no-untyped-call]
            finally:
                os.dup2(saved, 1)
                os.close(saved)
            _banner_shown = True
    highs.setOptionValue("output_flag", False)
    return highs


def _raise_unless_solved(report: SolverReport) -> None:
    if report.status == "Infeasible":
        raise InfeasibleSpecificationError("no set of sites satisfies every constraint", [report.status])
    if not report.has_solution:
        raise InfeasibleSpecificationError("HiGHS found no solution in the time allowed", [report.status])


class _LocationModel:
    """Shared settings and results of the exact location models."""

    def __init__(
        self,
        k: int,
        *,
        min_spacing_minutes: float | None = None,
        time_limit_seconds: float = 600.0,
        mip_rel_gap: float = 0.0,
        threads: int | None = None,
        highs_options: dict[str, bool | int | float | str] | None = None,
    ) -> None:
        self.k = k
        self.highs_options = highs_options
        self.min_spacing_minutes = min_spacing_minutes
        self.time_limit_seconds = time_limit_seconds
        self.mip_rel_gap = mip_rel_gap
        self.threads = threads

    def _rules(
        self,
        times: TravelTimes,
        candidates: ArrayLike | None,
        fixed: ArrayLike,
        site_times: TravelTimes | None,
        site_areas: Sequence[str] | None,
        required_areas: Sequence[str],
        site_labels: Sequence[str] | None,
    ) -> SiteRules:
        return SiteRules.build(
            times.shape[1],
            self.k,
            candidates,
            fixed,
            min_spacing_minutes=self.min_spacing_minutes,
            site_times=site_times,
            site_areas=site_areas,
            required_areas=required_areas,
            site_labels=site_labels,
        )

    def _record(self, report: SolverReport, rules: SiteRules, constant: float) -> NDArray[np.float64]:
        _raise_unless_solved(report)
        chosen = report.values[: rules.free.size] > 0.5
        self.selected_: NDArray[np.int64] = rules.free[chosen]
        self.open_sites_: NDArray[np.int64] = np.union1d(rules.fixed, self.selected_)
        self.status_: str = report.status
        self.gap_: float = report.gap
        self.bound_: float = report.bound + constant
        self.solver_seconds_: float = report.seconds
        return report.values


class MaximalCoverage(_LocationModel):
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
    if dominated.all():
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


class PMedian(_LocationModel):
    """p-median: open ``k`` new sites to minimise the need-weighted travel time to the nearest open site.

    Every demand row with positive weight must reach an open or candidate site within the matrix
    cut-off, else the rows are named in an :class:`InfeasibleSpecificationError`.

    Attributes
    ----------
    selected_, open_sites_, status_, gap_, bound_ : as in :class:`MaximalCoverage`
    assignment_ : ndarray of int
        The open site serving each demand row (-1 for rows of weight 0 out of reach).
    objective_ : float
        Sum of weight × minutes to the assigned site.

    Examples
    --------
    >>> times = TravelTimes.from_dense([[0, 12, 18], [12, 0, 9], [18, 9, 0]], cutoff_minutes=20)
    >>> model = PMedian(k=1).solve(times, weights=[100, 10, 10])
    >>> model.selected_.tolist(), model.objective_
    ([0], 300.0)
    """

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
    ) -> PMedian:
        """Choose the sites; returns ``self``."""
        need = checked_weights(weights, times.shape[0], demand_labels)
        rules = self._rules(times, candidates, fixed, site_times, site_areas, required_areas, site_labels)
        n_sites = times.shape[1]
        free_position = np.full(n_sites, -1, dtype=np.int64)
        free_position[rules.free] = np.arange(rules.free.size)
        is_open = np.zeros(n_sites, dtype=bool)
        is_open[rules.fixed] = True
        origin = times.origin_of_each_pair()
        site = times.indices.astype(np.int64)
        minutes = times.minutes
        # nearest open site of each row (inf when none), to drop candidates that could never serve it
        nearest_open = np.full(times.shape[0], np.inf)
        np.minimum.at(nearest_open, origin[is_open[site]], minutes[is_open[site]])
        usable = (need[origin] > 0) & (
            ((free_position[site] >= 0) & (minutes < nearest_open[origin]))
            | (is_open[site] & (minutes == nearest_open[origin]))
        )
        origin, site, minutes = origin[usable], site[usable], minutes[usable]
        # one open pair per row is enough (ties between open sites are equivalent)
        first = np.ones(origin.size, dtype=bool)
        open_pair = is_open[site]
        seen = np.zeros(times.shape[0], dtype=bool)
        for pair in np.flatnonzero(open_pair):
            first[pair] = not seen[origin[pair]]
            seen[origin[pair]] = True
        origin, site, minutes = origin[first], site[first], minutes[first]
        served = np.zeros(times.shape[0], dtype=bool)
        served[origin] = True
        stranded = np.flatnonzero((need > 0) & ~served)
        if stranded.size:
            raise InfeasibleSpecificationError(
                "demand rows with no open or candidate site within the cut-off",
                row_names(stranded, demand_labels),
            )
        n_free, n_pairs = rules.free.size, origin.size
        rows_used, row_of_pair = np.unique(origin, return_inverse=True)
        # columns [y (free sites) | x (pairs)]; rows: assignment (= 1), x - y <= 0 for candidate pairs, budget
        assign = sparse.csr_array(
            (np.ones(n_pairs), (row_of_pair, n_free + np.arange(n_pairs))),
            shape=(rows_used.size, n_free + n_pairs),
        )
        linked = np.flatnonzero(~is_open[site])
        count = linked.size
        link = sparse.csr_array(
            (
                np.concatenate((np.ones(count), -np.ones(count))),
                (
                    np.concatenate((np.arange(count), np.arange(count))),
                    np.concatenate((n_free + linked, free_position[site[linked]])),
                ),
            ),
            shape=(count, n_free + n_pairs),
        )
        budget, budget_lower, budget_upper = rules.budget_rows(self.k, n_pairs)
        matrix = sparse.vstack((assign, link, budget), format="csr")
        matrix.sort_indices()
        row_lower = np.concatenate((np.ones(rows_used.size), np.full(count, -np.inf), budget_lower))
        row_upper = np.concatenate((np.ones(rows_used.size), np.zeros(count), budget_upper))
        costs = np.concatenate((np.zeros(n_free), need[origin] * minutes))
        report = solve_with_highs(
            costs,
            matrix,
            row_lower,
            row_upper,
            n_free,
            maximize=False,
            time_limit_seconds=self.time_limit_seconds,
            mip_rel_gap=self.mip_rel_gap,
            threads=self.threads,
            options=self.highs_options,
        )
        values = self._record(report, rules, 0.0)
        # assign each row to its nearest open site (the optimum does, up to ties)
        open_mask = np.zeros(n_sites, dtype=bool)
        open_mask[self.open_sites_] = True
        all_origin = times.origin_of_each_pair()
        reachable_open = open_mask[times.indices]
        best = np.full(times.shape[0], np.inf)
        np.minimum.at(best, all_origin[reachable_open], times.minutes[reachable_open])
        self.assignment_: NDArray[np.int64] = np.full(times.shape[0], -1, dtype=np.int64)
        pairs = np.flatnonzero(reachable_open & (times.minutes == best[all_origin]))
        self.assignment_[all_origin[pairs[::-1]]] = times.indices[pairs[::-1]]
        self.objective_: float = float((need * np.where(np.isfinite(best), best, 0.0)).sum())
        self.model_columns_ = int(values.size)
        return self
