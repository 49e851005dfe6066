"""The site side of a location model: candidates, sites already open, spacing and per-area rules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import sparse

from maille.planning.errors import InfeasibleSpecificationError, InvalidInputError, row_names
from maille.planning.travel import TravelTimes


def checked_weights(
    weights: ArrayLike, size: int, labels: Sequence[str] | None = None
) -> NDArray[np.float64]:
    """Need weights (population, population × max(0, 2.5 − APL)…): finite and non-negative."""
    values = np.ascontiguousarray(weights, dtype=np.float64).reshape(-1)
    if values.size != size:
        raise InvalidInputError(f"{values.size} weights for {size} demand rows")
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        where = np.flatnonzero(bad)
        raise InvalidInputError("weights must be non-negative numbers", row_names(where, labels))
    return values


@dataclass(frozen=True)
class SiteRules:
    """Which sites may be chosen, given the open ones and the spacing and per-area rules.

    ``free`` are the candidate columns still eligible (not open, not too close to an open site);
    ``pairs_too_close`` are pairs of positions in ``free`` that cannot both be opened; ``area_groups``
    are, for each area without an open site, the positions in ``free`` of its candidates.
    """

    free: NDArray[np.int64]
    fixed: NDArray[np.int64]
    pairs_too_close: NDArray[np.int64]
    area_groups: tuple[NDArray[np.int64], ...]

    @classmethod
    def build(
        cls,
        n_sites: int,
        k: int,
        candidates: ArrayLike | None,
        fixed: ArrayLike,
        *,
        min_spacing_minutes: float | None = None,
        site_times: TravelTimes | None = None,
        site_areas: Sequence[str] | None = None,
        required_areas: Sequence[str] = (),
        site_labels: Sequence[str] | None = None,
    ) -> SiteRules:
        def name(j: int) -> str:
            return site_labels[j] if site_labels else str(j)

        if k < 0:
            raise InfeasibleSpecificationError("the number of new sites must be at least 0", [k])
        chosen = (
            np.arange(n_sites) if candidates is None else np.unique(np.asarray(candidates, dtype=np.int64))
        )
        opened = np.unique(np.asarray(fixed, dtype=np.int64))
        for what, positions in (("candidate", chosen), ("open site", opened)):
            outside = positions[(positions < 0) | (positions >= n_sites)]
            if outside.size:
                raise InvalidInputError(f"unknown {what} columns", outside.tolist())
        free = np.setdiff1d(chosen, opened)
        close: NDArray[np.int64] = np.zeros((0, 2), dtype=np.int64)
        if min_spacing_minutes is not None and min_spacing_minutes > 0:
            if site_times is None or site_times.shape != (n_sites, n_sites):
                raise InvalidInputError("a minimum spacing needs the site × site travel times")
            too_close = site_times.to_csr(np.ones(site_times.nnz)).tocoo()
            near = site_times.minutes < min_spacing_minutes
            a, b = too_close.row[near], too_close.col[near]
            distinct = a != b
            a, b = a[distinct], b[distinct]
            open_mask = np.zeros(n_sites, dtype=bool)
            open_mask[opened] = True
            clash = open_mask[a] & open_mask[b]
            if clash.any():
                raise InfeasibleSpecificationError(
                    "open sites closer than the minimum spacing",
                    sorted(
                        {f"{name(i)}-{name(j)}" for i, j in zip(a[clash], b[clash], strict=True) if i < j}
                    ),
                )
            blocked = np.unique(np.concatenate((b[open_mask[a]], a[open_mask[b]])))
            free = np.setdiff1d(free, blocked)
            position = np.full(n_sites, -1, dtype=np.int64)
            position[free] = np.arange(free.size)
            pa, pb = position[a], position[b]
            keep = (pa >= 0) & (pb >= 0) & (pa < pb)
            close = np.column_stack((pa[keep], pb[keep]))
        groups: list[NDArray[np.int64]] = []
        if required_areas:
            if site_areas is None or len(site_areas) != n_sites:
                raise InvalidInputError("per-area constraints need the area of every site")
            areas = np.asarray(site_areas, dtype=object)
            served = set(areas[opened].tolist())
            empty = []
            for area in dict.fromkeys(required_areas):
                if area in served:
                    continue
                members = np.flatnonzero(areas[free] == area)
                if members.size == 0:
                    empty.append(area)
                groups.append(members)
            if empty:
                raise InfeasibleSpecificationError("areas with neither an open site nor a candidate", empty)
            if len(groups) > k:
                raise InfeasibleSpecificationError(
                    f"{len(groups)} areas still need a site but only {k} new sites are allowed",
                    [a for a in dict.fromkeys(required_areas) if a not in served],
                )
        if k > free.size:
            raise InfeasibleSpecificationError(
                f"{k} new sites asked for but only {free.size} eligible candidates", [k]
            )
        return cls(free, opened, close, tuple(groups))

    def budget_rows(
        self, k: int, n_other_columns: int
    ) -> tuple[sparse.csr_array, NDArray[np.float64], NDArray[np.float64]]:
        """Rows over the ``free`` site variables (placed first): sum = k, spacing pairs, one per area."""
        n_free = self.free.size
        blocks = [sparse.csr_array(np.ones((1, n_free)))]
        lower = [float(k)]
        upper = [float(k)]
        if self.pairs_too_close.size:
            count = self.pairs_too_close.shape[0]
            rows = np.repeat(np.arange(count), 2)
            blocks.append(
                sparse.csr_array(
                    (np.ones(2 * count), (rows, self.pairs_too_close.reshape(-1))), shape=(count, n_free)
                )
            )
            lower += [-np.inf] * count
            upper += [1.0] * count
        for members in self.area_groups:
            blocks.append(
                sparse.csr_array(
                    (np.ones(members.size), (np.zeros(members.size, np.int64), members)), shape=(1, n_free)
                )
            )
            lower.append(1.0)
            upper.append(np.inf)
        matrix = sparse.vstack(blocks, format="csr")
        padded = sparse.hstack((matrix, sparse.csr_array((matrix.shape[0], n_other_columns))), format="csr")
        return padded, np.asarray(lower), np.asarray(upper)
