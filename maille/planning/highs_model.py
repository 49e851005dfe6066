"""HiGHS as the location models use it: a whole sparse model in one call, its banner kept off stdout.

Also the settings and results shared by the exact location models (:class:`LocationModel`).
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import highspy
import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import sparse

from maille.planning.errors import InfeasibleSpecificationError
from maille.planning.sites import SiteRules
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


# Asked now and then during a solve (at most every ``INTERRUPT_POLL_SECONDS``): True stops HiGHS, which then
# returns its best solution so far (status "Interrupted by user"). Set with :func:`interrupt_when`.
_should_stop: contextvars.ContextVar[Callable[[], bool] | None] = contextvars.ContextVar(
    "highs_should_stop", default=None
)
INTERRUPT_POLL_SECONDS = 0.5


@contextlib.contextmanager
def interrupt_when(should_stop: Callable[[], bool]) -> Iterator[None]:
    """Let every HiGHS solve inside the block be stopped by ``should_stop`` (a user's cancel, say)."""
    token = _should_stop.set(should_stop)
    try:
        yield
    finally:
        _should_stop.reset(token)


def _watch_interrupt(highs: highspy.Highs, should_stop: Callable[[], bool]) -> None:
    last = [0.0]

    def on_interrupt(event: highspy.HighsCallbackEvent) -> None:
        now = time.monotonic()
        if now - last[0] < INTERRUPT_POLL_SECONDS:
            return
        last[0] = now
        if should_stop():
            event.interrupt()

    highs.cbMipInterrupt.subscribe(on_interrupt)
    highs.cbSimplexInterrupt.subscribe(on_interrupt)


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
    should_stop = _should_stop.get()
    if should_stop is not None:
        _watch_interrupt(highs, should_stop)
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


def raise_unless_solved(report: SolverReport) -> None:
    if report.status == "Infeasible":
        raise InfeasibleSpecificationError("no set of sites satisfies every constraint", [report.status])
    if not report.has_solution:
        raise InfeasibleSpecificationError("HiGHS found no solution in the time allowed", [report.status])


class LocationModel:
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
        raise_unless_solved(report)
        chosen = report.values[: rules.free.size] > 0.5
        self.selected_: NDArray[np.int64] = rules.free[chosen]
        self.open_sites_: NDArray[np.int64] = np.union1d(rules.fixed, self.selected_)
        self.status_: str = report.status
        self.gap_: float = report.gap
        self.bound_: float = report.bound + constant
        self.solver_seconds_: float = report.seconds
        return report.values
