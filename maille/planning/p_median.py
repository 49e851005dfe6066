"""The p-median solved exactly by Benders decomposition of the radius formulation, with HiGHS.

The radius formulation (Elloumi 2010; García, Labbé & Marín 2011) writes the cost of a demand row as its
sorted distances and, for each, whether an open site lies within it. Projected on the site variables it
gives one cut per row and distance (Duran-Mateluna, Ales & Elloumi 2023): for any distance ``D`` of row
``i``, ``θ_i ≥ D − Σ_j max(0, D − t_ij) y_j``. The master problem has one variable per site and one per
demand row (``θ_i``); the cuts are found in NumPy for all rows at once (the ``D`` where the open sites
first add up to one) and added to HiGHS until none is violated, the point being stabilised half-way to
the best known solution (in-out). When the LP optimum is integral it is the proven optimum (the LP is a
relaxation); otherwise HiGHS solves the master as a MIP, after fixing at 0 every site whose LP reduced
cost proves it cannot be in a better solution, cuts being added at each integral answer until none is
violated. The model never holds one variable per (row, site) pair, so the whole matrix (2.5 million pairs
for the Grand Est) is usable.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import highspy
import numpy as np
from numpy.typing import ArrayLike, NDArray

from maille.planning.errors import InfeasibleSpecificationError, InvalidInputError, row_names
from maille.planning.highs_model import LocationModel, SolverReport, quiet_highs, raise_unless_solved
from maille.planning.p_median_search import PairLists, SiteSearch
from maille.planning.sites import SiteRules, checked_weights
from maille.planning.travel import TravelTimes

# A cut is added when it is violated by more than this (relative to the row's distance, at least 1e-9).
CUT_TOLERANCE = 1e-7
# In-out stabilisation: cuts are looked for at this fraction of the way from the best solution to the LP point.
STABILISATION = 0.5
MAX_ROUNDS = 500


class PMedian(LocationModel):
    """p-median: open ``k`` new sites to minimise the need-weighted travel time to the nearest open site.

    Parameters
    ----------
    k : int
        Number of new sites.
    unreachable_minutes : float, optional
        What a demand row with no open site within the matrix cut-off costs. When omitted, every demand row
        with positive weight must be served within the cut-off: rows that reach no open or candidate site
        are named in an :class:`InfeasibleSpecificationError`, and so is a budget too small to serve them
        all. When given (at least the cut-off), such rows cost ``weight × unreachable_minutes`` and are
        listed in ``unreachable_``: a documented penalty, so that a short cut-off stays usable.
    min_spacing_minutes, time_limit_seconds, mip_rel_gap, threads, highs_options
        As in :class:`~maille.planning.location.MaximalCoverage`.

    Attributes
    ----------
    selected_, open_sites_, status_, gap_, bound_ : as in :class:`~maille.planning.location.MaximalCoverage`
        ``status_`` is "Optimal" when proven: by the LP relaxation having an integral optimum (HiGHS's LP
        status and objective) or by HiGHS's MIP status on the master problem.
    assignment_ : ndarray of int
        The open site serving each demand row (-1 when none is within the cut-off).
    unreachable_ : ndarray of int
        Demand rows with positive weight and no open site within the cut-off (charged the penalty).
    objective_ : float
        Sum of weight × minutes to the assigned site (the penalty for ``unreachable_`` rows).
    cuts_, rounds_ : int
        Benders cuts added and master problems solved.
    proof_ : str
        "lp" when the LP relaxation's optimum was integral, "mip" when HiGHS branched on the master.

    Examples
    --------
    >>> times = TravelTimes.from_dense([[0, 12, 18], [12, 0, 9], [18, 9, 0]], cutoff_minutes=20)
    >>> model = PMedian(k=1).solve(times, weights=[100, 10, 10])
    >>> model.selected_.tolist(), model.objective_
    ([0], 300.0)
    >>> far = TravelTimes.from_dense([[0, 30], [30, 0]], cutoff_minutes=20)
    >>> model = PMedian(k=1, unreachable_minutes=45).solve(far, weights=[100, 10])
    >>> model.selected_.tolist(), model.unreachable_.tolist(), model.objective_
    ([0], [1], 450.0)
    """

    def __init__(self, k: int, *, unreachable_minutes: float | None = None, **options: object) -> None:
        super().__init__(k, **options)  # type: ignore[arg-type]
        self.unreachable_minutes = unreachable_minutes

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
        deadline = time.perf_counter() + self.time_limit_seconds  # the limit covers the preparation too
        need = checked_weights(weights, times.shape[0], demand_labels)
        penalty = self.unreachable_minutes
        if penalty is not None and not penalty >= times.cutoff_minutes:
            raise InvalidInputError(
                f"unreachable_minutes ({penalty}) must be at least the cut-off ({times.cutoff_minutes})"
            )
        rules = self._rules(times, candidates, fixed, site_times, site_areas, required_areas, site_labels)
        pairs, constant = _relevant_pairs(times, need, rules, penalty, demand_labels)
        solver = _BendersSolver(pairs, rules, self, deadline)
        report, cuts, rounds = solver.run()
        self._record(report, rules, constant)
        self.cuts_ = cuts
        self.rounds_ = rounds
        self.proof_ = solver.proof
        self._assign(times, need, penalty)
        return self

    def _assign(self, times: TravelTimes, need: NDArray[np.float64], penalty: float | None) -> None:
        """Each row to its nearest open site (the optimum does, up to ties), and the true objective."""
        open_mask = np.zeros(times.shape[1], dtype=bool)
        open_mask[self.open_sites_] = True
        origin = times.origin_of_each_pair()
        reachable_open = open_mask[times.indices]
        best = np.full(times.shape[0], np.inf)
        np.minimum.at(best, origin[reachable_open], times.minutes[reachable_open])
        self.assignment_: NDArray[np.int64] = np.full(times.shape[0], -1, dtype=np.int64)
        pairs = np.flatnonzero(reachable_open & (times.minutes == best[origin]))
        self.assignment_[origin[pairs[::-1]]] = times.indices[pairs[::-1]]
        self.unreachable_: NDArray[np.int64] = np.flatnonzero((need > 0) & ~np.isfinite(best))
        cost = np.where(np.isfinite(best), best, 0.0 if penalty is None else penalty)
        self.objective_: float = float((need * cost).sum())


def _relevant_pairs(
    times: TravelTimes,
    need: NDArray[np.float64],
    rules: SiteRules,
    penalty: float | None,
    labels: Sequence[str] | None,
) -> tuple[PairLists, float]:
    """Pairs of rows with positive weight to free sites closer than the nearest open site, and that one.

    Rows whose nearest open site is nearer than every free site cost a constant (returned) and leave.
    """
    n_sites = times.shape[1]
    n_free, n_open = rules.free.size, rules.fixed.size
    column_of_site = np.full(n_sites, -1, dtype=np.int64)
    column_of_site[rules.free] = np.arange(n_free)
    column_of_site[rules.fixed] = n_free + np.arange(n_open)
    is_open = np.zeros(n_sites, dtype=bool)
    is_open[rules.fixed] = True
    origin = times.origin_of_each_pair()
    site = times.indices.astype(np.int64)
    minutes = times.minutes
    nearest_open = np.full(times.shape[0], np.inf if penalty is None else float(penalty))
    np.minimum.at(nearest_open, origin[is_open[site]], minutes[is_open[site]])
    keep = (need[origin] > 0) & (column_of_site[site] >= 0) & (minutes <= nearest_open[origin])
    keep &= ~is_open[site] | (minutes == nearest_open[origin])
    origin, site, minutes = origin[keep], site[keep], minutes[keep]
    column = column_of_site[site]
    if penalty is not None:  # an always-open "unreachable" column at the penalty for rows with no open site
        lonely = np.flatnonzero((need > 0) & ~(nearest_open < penalty))
        origin = np.concatenate((origin, lonely))
        column = np.concatenate((column, np.full(lonely.size, n_free + n_open)))
        minutes = np.concatenate((minutes, np.full(lonely.size, float(penalty))))
    stranded = np.flatnonzero((need > 0) & (np.bincount(origin, minlength=need.size) == 0))
    if stranded.size:
        raise InfeasibleSpecificationError(
            "demand rows with no open or candidate site within the cut-off", row_names(stranded, labels)
        )
    # one sort by (row, minutes): rows are apart by more than any time, so a float key orders both
    span = float(minutes.max(initial=0.0)) + 1.0
    order = np.argsort(origin * span + minutes)
    origin, column, minutes = origin[order], column[order], minutes[order]
    # keep one open pair per row (ties between open sites are equivalent): the first, the nearest
    fixed_column = column >= n_free
    seen_before = np.zeros(origin.size, dtype=bool)
    open_positions = np.flatnonzero(fixed_column)
    if open_positions.size:
        _, first = np.unique(origin[open_positions], return_index=True)
        seen_before[open_positions] = True
        seen_before[open_positions[first]] = False
    origin, column, minutes = origin[~seen_before], column[~seen_before], minutes[~seen_before]
    counts = np.bincount(origin, minlength=need.size)
    free_counts = np.bincount(origin[column < n_free], minlength=need.size)
    # a row with only its open pair costs a constant
    constant_rows = (counts > 0) & (free_counts == 0)
    starts = np.concatenate(([0], np.cumsum(counts)))[:-1]
    constant = float((need[constant_rows] * minutes[starts[constant_rows]]).sum())
    kept = ~constant_rows[origin]
    rows_used, row = np.unique(origin[kept], return_inverse=True)
    n_columns = n_free + n_open + (0 if penalty is None else 1)
    pairs = PairLists(row, column[kept], minutes[kept], need[rows_used], rows_used.size, n_columns, n_free)
    return pairs, constant


class _BendersSolver:
    """The master problem in one HiGHS instance, cuts added in rounds (see the module docstring)."""

    def __init__(self, pairs: PairLists, rules: SiteRules, settings: PMedian, deadline: float) -> None:
        self.pairs = pairs
        self.rules = rules
        self.settings = settings
        self.deadline = deadline
        self.row_start = np.searchsorted(pairs.row, np.arange(pairs.n_rows))
        self.first_minutes = pairs.minutes[self.row_start] if pairs.n_rows else np.zeros(0)
        self.search = SiteSearch(pairs, settings.k)
        self.cuts = 0
        self.rounds = 0
        self.proof = "lp"
        self.highs = quiet_highs()
        for name, value in (
            ("presolve", "off"),  # re-solves after adding rows are warm dual simplex runs
            ("mip_rel_gap", float(settings.mip_rel_gap)),
        ):
            self.highs.setOptionValue(name, value)
        if settings.threads is not None:
            self.highs.setOptionValue("threads", int(settings.threads))
        for name, value in (settings.highs_options or {}).items():
            self.highs.setOptionValue(name, value)
        self._build_master()

    @property
    def n_columns(self) -> int:
        return self.pairs.n_columns + self.pairs.n_rows

    def _build_master(self) -> None:
        pairs, n_free = self.pairs, self.pairs.n_free
        n_sites = pairs.n_columns
        lower = np.concatenate((np.zeros(n_free), np.ones(n_sites - n_free), self.first_minutes))
        upper = np.concatenate((np.ones(n_sites), np.full(pairs.n_rows, highspy.kHighsInf)))
        costs = np.concatenate((np.zeros(n_sites), pairs.weight))
        empty_int, empty_float = np.zeros(0, np.int32), np.zeros(0)
        self.highs.addCols(self.n_columns, costs, lower, upper, 0, empty_int, empty_int, empty_float)
        budget, budget_lower, budget_upper = self.rules.budget_rows(self.settings.k, self.n_columns - n_free)
        budget.sort_indices()
        self.n_budget_rows = budget.shape[0]
        self.highs.addRows(
            budget.shape[0],
            budget_lower,
            budget_upper,
            budget.nnz,
            budget.indptr[:-1].astype(np.int32),
            budget.indices.astype(np.int32),
            budget.data.astype(np.float64),
        )

    def add_cuts(
        self, at: NDArray[np.float64], y: NDArray[np.float64], theta: NDArray[np.float64] | None
    ) -> int:
        """Add the cuts found at the point ``at`` that ``(y, theta)`` violates (all of them if no theta)."""
        pairs = self.pairs
        row, column, minutes = pairs.row, pairs.column, pairs.minutes
        at_pair = at[column]
        running = np.cumsum(at_pair)
        before_row = np.concatenate(([0.0], running))[self.row_start]
        reached = np.flatnonzero(running - before_row[row] >= 1.0 - 1e-9)
        first = np.full(pairs.n_rows, -1, dtype=np.int64)
        first[row[reached[::-1]]] = reached[::-1]
        covered = first >= 0
        radius = np.where(covered, minutes[np.maximum(first, 0)], np.inf)
        # optimality cuts: theta_i + sum_j max(0, D_i - t_ij) y_j >= D_i
        in_cut = covered[row] & (minutes < radius[row])
        coefficient = np.where(in_cut, radius[row] - minutes, 0.0)
        value = radius - np.bincount(row, weights=coefficient * y[column], minlength=pairs.n_rows)
        if theta is None:
            violated = covered & (radius > self.first_minutes)
        else:
            violated = covered & (value > theta + CUT_TOLERANCE * np.maximum(1.0, np.abs(value)))
        # feasibility cuts (no penalty column): sum of the row's sites >= 1
        supply = np.bincount(row, weights=y[column], minlength=pairs.n_rows)
        short = ~covered & (supply < 1.0 - 1e-9)
        self.last_cut_rows = violated
        added = self._add_rows(violated, in_cut, coefficient, radius, with_theta=True)
        added += self._add_rows(
            short, np.ones(row.size, dtype=bool), np.ones(row.size), np.ones(pairs.n_rows)
        )
        self.cuts += added
        return added

    def _add_rows(
        self,
        rows: NDArray[np.bool_],
        in_cut: NDArray[np.bool_],
        coefficient: NDArray[np.float64],
        rhs: NDArray[np.float64],
        *,
        with_theta: bool = False,
    ) -> int:
        which = np.flatnonzero(rows)
        if not which.size:
            return 0
        pairs = self.pairs
        chosen = in_cut & rows[pairs.row]
        counts = np.bincount(pairs.row[chosen], minlength=pairs.n_rows)[which] + int(with_theta)
        starts = np.concatenate(([0], np.cumsum(counts)))
        index = np.empty(starts[-1], dtype=np.int32)
        value = np.empty(starts[-1])
        body = np.ones(starts[-1], dtype=bool)
        if with_theta:
            index[starts[:-1]] = pairs.n_columns + which
            value[starts[:-1]] = 1.0
            body[starts[:-1]] = False
        index[body] = pairs.column[chosen]
        value[body] = coefficient[chosen]
        self.highs.addRows(
            which.size,
            rhs[which],
            np.full(which.size, highspy.kHighsInf),
            index.size,
            starts[:-1].astype(np.int32),
            index,
            value,
        )
        return int(which.size)

    def _run_highs(self) -> tuple[str, NDArray[np.float64]]:
        remaining = max(self.deadline - time.perf_counter(), 0.01)
        if self.proof == "lp":  # HiGHS's LP limit counts the instance's run time, all earlier runs included
            remaining += self.highs.getRunTime()
        self.highs.setOptionValue("time_limit", remaining)
        self.highs.run()
        self.rounds += 1
        status = self.highs.modelStatusToString(self.highs.getModelStatus())
        return status, np.asarray(self.highs.getSolution().col_value, dtype=np.float64)

    def run(self) -> tuple[SolverReport, int, int]:
        pairs, n_free = self.pairs, self.pairs.n_free
        simple = not (self.rules.pairs_too_close.size or self.rules.area_groups)
        incumbent = self.search.heuristic() if simple else None
        best_cost = np.inf if incumbent is None else self.search.total_cost(incumbent)
        if incumbent is not None:
            self.add_cuts(incumbent, incumbent, None)
            if self.highs.getNumRow() == 1 + int(self.last_cut_rows.sum()):  # no feasibility cut
                self._start_from(incumbent)
            core = incumbent
            if not np.isfinite(best_cost):  # it leaves some row without a site: no incumbent
                incumbent = None
        else:
            core = np.ones(pairs.n_columns)
            if n_free:
                core[:n_free] = self.settings.k / n_free
        # ``bound``: the last optimal LP value, a lower bound even when later rounds run out of time (the master
        # with fewer cuts is a relaxation)
        status, values, bound = "Optimal", np.zeros(self.n_columns), -np.inf
        lp_solved = True
        for _ in range(MAX_ROUNDS):
            if self.rounds and time.perf_counter() >= self.deadline:
                status, lp_solved = "Time limit reached", False  # HiGHS holds the last LP, not the cuts since
                break
            status, values = self._run_highs()
            if status != "Optimal":
                lp_solved = False
                break
            bound = float(self.highs.getInfo().objective_function_value)
            y, theta = values[: pairs.n_columns], values[pairs.n_columns :]
            at = STABILISATION * y + (1.0 - STABILISATION) * core
            if self.add_cuts(at, y, theta) == 0:
                core = at
                if self.add_cuts(y, y, theta) == 0:
                    break
        if status == "Infeasible":
            return SolverReport(status, np.nan, np.nan, np.nan, 0.0, values, False), self.cuts, self.rounds
        y = values[: pairs.n_columns]
        integral = bool(np.all(np.abs(y - np.round(y)) <= 1e-6))
        if status == "Optimal" and integral:
            cost = self.search.total_cost(np.round(y))
            if cost < best_cost:
                incumbent, best_cost = np.round(y), cost
        if (
            status == "Optimal"
            and not integral
            and not (self.rules.pairs_too_close.size or self.rules.area_groups)
        ):
            # the LP's k largest sites, then swaps, for a better answer before branching
            for start in (incumbent, self.search.largest(y)):
                if start is not None:
                    better = self.search.improved(start)
                    cost = self.search.total_cost(better)
                    if cost < best_cost:
                        incumbent, best_cost = better, cost
        tolerance = max(float(self.settings.mip_rel_gap), 1e-9) * max(1.0, abs(best_cost))
        if incumbent is not None and best_cost <= bound + tolerance:  # the bound holds even out of time
            return self._report("Optimal", incumbent, best_cost, bound), self.cuts, self.rounds
        return self._solve_mip(incumbent, best_cost, bound, lp_solved=lp_solved)

    def _start_from(self, incumbent: NDArray[np.float64]) -> None:
        """Give the first LP the basis of the heuristic solution (its cuts tight, θ basic in them)."""
        status = highspy.HighsBasisStatus
        pairs = self.pairs
        columns = [status.kUpper if value > 0.5 else status.kLower for value in incumbent[: pairs.n_free]]
        columns += [status.kLower] * (pairs.n_columns - pairs.n_free)
        columns += [status.kBasic if cut else status.kLower for cut in self.last_cut_rows.tolist()]
        basis = highspy.HighsBasis()
        basis.col_status = columns
        basis.row_status = [status.kBasic] + [status.kLower] * int(self.last_cut_rows.sum())
        basis.valid = True
        self.highs.setBasis(basis)

    def _drop_slack_cuts(self) -> None:
        """Remove the cuts that the LP optimum does not hold tight: a smaller MIP (they come back if needed)."""
        activity = np.asarray(self.highs.getSolution().row_value, dtype=np.float64)
        lower = np.asarray(self.highs.getLp().row_lower_, dtype=np.float64)
        slack = activity - lower > 1e-6 * np.maximum(1.0, np.abs(lower))
        slack[: self.n_budget_rows] = False
        rows = np.flatnonzero(slack).astype(np.int32)
        if rows.size:
            self.highs.deleteRows(rows.size, rows)

    def _report(self, status: str, y: NDArray[np.float64], cost: float, bound: float) -> SolverReport:
        gap = 0.0 if cost <= bound else (cost - bound) / max(abs(cost), 1e-12)
        values = np.concatenate((y, self.search.row_costs(y)))
        elapsed = self.settings.time_limit_seconds - (self.deadline - time.perf_counter())
        return SolverReport(status, cost, min(bound, cost), gap, elapsed, values, True)

    def _solve_mip(
        self, incumbent: NDArray[np.float64] | None, best_cost: float, bound: float, *, lp_solved: bool
    ) -> tuple[SolverReport, int, int]:
        """Branch on the master; ``lp_solved`` says HiGHS holds the LP optimum (its duals and row activities)."""
        pairs, n_free = self.pairs, self.pairs.n_free
        self.proof = "mip"
        if incumbent is not None and lp_solved and n_free:
            # reduced-cost fixing: a site whose LP reduced cost lifts the bound above the best known cost
            reduced = np.asarray(self.highs.getSolution().col_dual, dtype=np.float64)[:n_free]
            hopeless = np.flatnonzero(
                (bound + reduced > best_cost + 1e-9 * abs(best_cost)) & (incumbent[:n_free] < 0.5)
            )
            if hopeless.size:
                self.highs.changeColsBounds(
                    hopeless.size, hopeless.astype(np.int32), np.zeros(hopeless.size), np.zeros(hopeless.size)
                )
        if lp_solved:
            self._drop_slack_cuts()
        integer = np.arange(n_free, dtype=np.int32)
        self.highs.changeColsIntegrality(n_free, integer, np.full(n_free, highspy.HighsVarType.kInteger))
        self.highs.setOptionValue("presolve", "on")
        # the start is already within a fraction of a percent: HiGHS's own sub-MIP heuristics and restarts
        # only repeat work (they took 2.6 of 6.2 s on the Grand Est, k = 5)
        for name in (
            "mip_heuristic_run_rins",
            "mip_heuristic_run_rens",
            "mip_heuristic_run_root_reduced_cost",
            "mip_heuristic_run_feasibility_jump",
            "mip_allow_restart",
        ):
            self.highs.setOptionValue(name, False)
        if incumbent is not None:
            start = np.concatenate((incumbent, self.search.row_costs(incumbent)))
            self.highs.setSolution(start.size, np.arange(start.size, dtype=np.int32), start)
        report = SolverReport("Time limit reached", np.nan, bound, np.inf, 0.0, np.zeros(0), False)
        if incumbent is not None:  # what is reported if time runs out first
            report = self._report("Time limit reached", incumbent, best_cost, bound)
        while time.perf_counter() < self.deadline:
            status, values = self._run_highs()
            info = self.highs.getInfo()
            has_solution = int(info.primal_solution_status) == 2
            if status == "Infeasible" or not has_solution:
                report = SolverReport(status, np.nan, bound, np.inf, 0.0, values, False)
                break
            y = np.round(values[: pairs.n_columns])
            theta = values[pairs.n_columns :]
            if status == "Optimal" and self.add_cuts(y, y, theta):
                continue
            cost = self.search.total_cost(y)
            mip_bound = max(float(info.mip_dual_bound), bound)
            if incumbent is not None and best_cost < cost:  # HiGHS stopped early with worse than the start
                y, cost = incumbent, best_cost
            if not np.isfinite(cost):  # stopped early on a choice that leaves rows without a site
                report = SolverReport(status, np.nan, mip_bound, np.inf, 0.0, values, False)
                break
            report = self._report(status, y, cost, mip_bound)
            if status == "Optimal":
                report = SolverReport(
                    status, cost, mip_bound, float(info.mip_gap), report.seconds, report.values, True
                )
            break
        raise_unless_solved(report)
        return report, self.cuts, self.rounds
