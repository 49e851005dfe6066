"""Good p-median answers for the exact solver: greedy, catchments re-centred, best swaps.

They give the Benders solver its first cuts, its stabilisation point and the bound that fixes hopeless
sites before branching; the optimum itself is always proven by HiGHS (see ``p_median``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class PairLists:
    """The pairs that can matter, sorted by (row, minutes); ``column`` indexes the master's site columns."""

    row: NDArray[np.int64]
    column: NDArray[np.int64]
    minutes: NDArray[np.float64]
    weight: NDArray[np.float64]  # per master row
    n_rows: int
    n_columns: int  # free, then open (fixed at 1), then the "unreachable" column when there is a penalty
    n_free: int


class SiteSearch:
    """Answers over the pair lists: ``y`` has one entry per site column (free ones first, then open ones)."""

    def __init__(self, pairs: PairLists, k: int) -> None:
        self.pairs = pairs
        self.k = k

    def row_costs(self, y: NDArray[np.float64]) -> NDArray[np.float64]:
        """Each row's distance to its nearest open site for an integral ``y`` (inf when none)."""
        pairs = self.pairs
        open_positions = np.flatnonzero(y[pairs.column] > 0.5)
        cost = np.full(pairs.n_rows, np.inf)
        rows, first = np.unique(pairs.row[open_positions], return_index=True)
        cost[rows] = pairs.minutes[open_positions[first]]
        return cost

    def total_cost(self, y: NDArray[np.float64]) -> float:
        return float((self.pairs.weight * self.row_costs(y)).sum())

    def heuristic(self) -> NDArray[np.float64]:
        """A good integral solution: greedy, then each catchment re-centred (without spacing or area rules)."""
        pairs = self.pairs
        y = np.zeros(pairs.n_columns)
        y[pairs.n_free :] = 1.0
        far = 2.0 * float(pairs.minutes.max(initial=0.0)) + 1.0
        current = np.minimum(self.row_costs(y), far)
        weighted = pairs.weight[pairs.row]
        for _ in range(self.k):
            saving = weighted * np.maximum(current[pairs.row] - pairs.minutes, 0.0)
            gains = np.bincount(pairs.column, weights=saving, minlength=pairs.n_columns)[: pairs.n_free]
            gains[y[: pairs.n_free] > 0.5] = -1.0
            best = int(np.argmax(gains))
            y[best] = 1.0
            at_best = pairs.column == best
            np.minimum.at(current, pairs.row[at_best], pairs.minutes[at_best])
        best_cost = self.total_cost(y)
        for _ in range(20):  # re-centre each new site's catchment on its best candidate (Maranzana)
            moved = self._recentred(y)
            if moved is None:
                break
            cost = self.total_cost(moved)
            if not cost < best_cost - 1e-9 * max(1.0, best_cost):
                break
            y, best_cost = moved, cost
        return y

    def _recentred(self, y: NDArray[np.float64]) -> NDArray[np.float64] | None:
        pairs, n_free = self.pairs, self.pairs.n_free
        chosen = np.flatnonzero(y[:n_free] > 0.5)
        if not chosen.size:
            return None
        open_positions = np.flatnonzero(y[pairs.column] > 0.5)
        rows, first = np.unique(pairs.row[open_positions], return_index=True)
        serving = np.full(pairs.n_rows, -1, dtype=np.int64)
        serving[rows] = pairs.column[open_positions[first]]
        cluster_of_column = np.full(pairs.n_columns, -1, dtype=np.int64)
        cluster_of_column[chosen] = np.arange(chosen.size)
        cluster = np.where(serving >= 0, cluster_of_column[np.maximum(serving, 0)], -1)
        in_cluster = (cluster[pairs.row] >= 0) & (pairs.column < n_free)
        cell = cluster[pairs.row[in_cluster]] * n_free + pairs.column[in_cluster]
        size = chosen.size * n_free
        cost = np.bincount(
            cell, weights=(pairs.weight[pairs.row] * pairs.minutes)[in_cluster], minlength=size
        )
        reach = np.bincount(cell, minlength=size).reshape(chosen.size, n_free)
        table = cost.astype(np.float64).reshape(chosen.size, n_free)
        members = np.bincount(cluster[cluster >= 0], minlength=chosen.size)
        table[reach < members[:, None]] = np.inf  # a centre must reach every row of its catchment
        centres = np.argmin(table, axis=1)
        if np.unique(centres).size < chosen.size:
            return None
        moved = y.copy()
        moved[:n_free] = 0.0
        moved[centres] = 1.0
        return moved

    def largest(self, y: NDArray[np.float64]) -> NDArray[np.float64]:
        n_free = self.pairs.n_free
        rounded = y.copy()
        rounded[:n_free] = 0.0
        rounded[np.argsort(-y[:n_free], kind="stable")[: self.k]] = 1.0
        return rounded

    def improved(self, y: NDArray[np.float64]) -> NDArray[np.float64]:
        """Best swaps (one new site in, one out) while they lower the cost (Whitaker's fast interchange)."""
        pairs, n_free = self.pairs, self.pairs.n_free
        far = 2.0 * float(pairs.minutes.max(initial=0.0)) + 1.0
        weighted = pairs.weight[pairs.row]
        y = y.copy()
        for _ in range(100):
            open_positions = np.flatnonzero(y[pairs.column] > 0.5)
            rows, first = np.unique(pairs.row[open_positions], return_index=True)
            nearest = np.full(pairs.n_rows, far)
            nearest[rows] = pairs.minutes[open_positions[first]]
            serving = np.full(pairs.n_rows, -1, dtype=np.int64)
            serving[rows] = pairs.column[open_positions[first]]
            rest = np.delete(open_positions, first)
            rows2, second = np.unique(pairs.row[rest], return_index=True)
            runner_up = np.full(pairs.n_rows, far)
            runner_up[rows2] = pairs.minutes[rest[second]]
            chosen = np.flatnonzero(y[:n_free] > 0.5)
            if not chosen.size or chosen.size == n_free:
                return y
            slot = np.full(pairs.n_columns, -1, dtype=np.int64)
            slot[chosen] = np.arange(chosen.size)
            closed = (pairs.column < n_free) & (y[pairs.column] < 0.5)
            d1, d2 = nearest[pairs.row], runner_up[pairs.row]
            gain = np.bincount(
                pairs.column[closed],
                weights=(weighted * np.minimum(pairs.minutes - d1, 0.0))[closed],
                minlength=n_free,
            )[:n_free]
            row_slot = np.where(serving >= 0, slot[np.maximum(serving, 0)], -1)
            owned = row_slot >= 0
            loss = np.bincount(
                row_slot[owned], weights=(pairs.weight * (runner_up - nearest))[owned], minlength=chosen.size
            )
            # rows of the removed site that the new one serves better than their runner-up
            fix = closed & (row_slot[pairs.row] >= 0) & (pairs.minutes < d2)
            term = weighted * ((pairs.minutes - d1) - np.minimum(pairs.minutes - d1, 0.0) - (d2 - d1))
            correction = np.bincount(
                row_slot[pairs.row[fix]] * n_free + pairs.column[fix],
                weights=term[fix],
                minlength=chosen.size * n_free,
            ).reshape(chosen.size, n_free)
            delta = gain[None, :] + loss[:, None] + correction
            delta[:, chosen] = np.inf
            out, into = np.unravel_index(int(np.argmin(delta)), delta.shape)
            if not delta[out, into] < -1e-9 * max(1.0, self.total_cost(y)):
                return y
            y[chosen[out]] = 0.0
            y[into] = 1.0
        return y
