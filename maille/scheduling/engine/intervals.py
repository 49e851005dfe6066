"""Interval arithmetic over NumPy arrays, for many resources at once.

An interval set is three int64 arrays ``(group, start, end)`` of half-open intervals
``[start, end)``; ``group`` names the resource (or site) the interval belongs to. Every operation is one
boundary sweep over all groups together: events sorted by (group, time), counts by cumulative sum
(each normalised group sums to zero, so counts restart at zero at each group), no Python loop per
resource or per candidate slot.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

_EMPTY = np.empty(0, dtype=np.int64)
_FALSE, _TRUE = np.zeros(1, dtype=bool), np.ones(1, dtype=bool)


@dataclass(frozen=True)
class Intervals:
    group: np.ndarray
    start: np.ndarray
    end: np.ndarray

    @classmethod
    def empty(cls) -> Intervals:
        return cls(_EMPTY, _EMPTY, _EMPTY)

    @classmethod
    def of(cls, group: object, start: object, end: object) -> Intervals:
        g = np.asarray(group, dtype=np.int64).reshape(-1)
        s = np.asarray(start, dtype=np.int64).reshape(-1)
        e = np.asarray(end, dtype=np.int64).reshape(-1)
        keep = s < e
        return cls(g[keep], s[keep], e[keep])

    def __len__(self) -> int:
        return int(self.start.size)

    def as_tuples(self) -> list[tuple[int, int, int]]:
        return list(zip(self.group.tolist(), self.start.tolist(), self.end.tolist(), strict=True))

    def regroup(self, mapping: np.ndarray) -> Intervals:
        """Rename groups through ``mapping`` (index: old group, value: new group); -1 drops."""
        new = mapping[self.group]
        keep = new >= 0
        return Intervals(new[keep], self.start[keep], self.end[keep])

    def shrink_ends(self, minutes: np.ndarray | int) -> Intervals:
        """Starts at which a duration fits: [s, e - d] as a half-open [s, e - d + 1)."""
        return Intervals.of(self.group, self.start, self.end - minutes + 1)


def _sweep(sets: list[Intervals], keep: Callable[[np.ndarray], np.ndarray]) -> Intervals:
    """Segments where ``keep(counts)`` holds; ``counts[:, k]`` is the coverage by set k."""
    channels = len(sets)
    groups = [s.group for s in sets for _ in (0, 1)]
    times = [t for s in sets for t in (s.start, s.end)]
    g = np.concatenate(groups) if groups else _EMPTY
    t = np.concatenate(times) if times else _EMPTY
    if g.size == 0:
        return Intervals.empty()
    deltas = np.zeros((g.size, channels), dtype=np.int64)
    offset = 0
    for k, s in enumerate(sets):
        n = s.start.size
        deltas[offset : offset + n, k] = 1
        deltas[offset + n : offset + 2 * n, k] = -1
        offset += 2 * n
    order = np.lexsort((t, g))
    g, t, deltas = g[order], t[order], deltas[order]
    is_new = np.ones(g.size, dtype=bool)
    is_new[1:] = (g[1:] != g[:-1]) | (t[1:] != t[:-1])
    first = np.flatnonzero(is_new)
    last = np.append(first[1:] - 1, g.size - 1)  # np.r_ costs several times more on these small arrays
    counts = np.cumsum(deltas, axis=0)[last]
    key_g, key_t = g[first], t[first]
    active = keep(counts)
    segment = active[:-1] & (key_g[1:] == key_g[:-1])
    if not segment.any():
        return Intervals.empty()
    # Merge runs of touching segments: a run starts where the previous key was not a segment start.
    previous = np.concatenate((_FALSE, segment[:-1]))
    following = np.concatenate((segment[1:], _FALSE))
    run_starts = np.flatnonzero(segment & ~previous)
    run_ends = np.flatnonzero(segment & ~following) + 1
    return Intervals(key_g[run_starts], key_t[run_starts], key_t[run_ends])


def normalize(a: Intervals) -> Intervals:
    """Sorted, disjoint, merged intervals per group."""
    return _sweep([a], lambda c: c[:, 0] > 0)


def union(*sets: Intervals) -> Intervals:
    return _sweep([normalize(s) for s in sets], lambda c: (c > 0).any(axis=1))


def intersect(*sets: Intervals) -> Intervals:
    """Time covered by every set (each set is normalised first), per group."""
    return _sweep([normalize(s) for s in sets], lambda c: (c > 0).all(axis=1))


def subtract(a: Intervals, b: Intervals) -> Intervals:
    return _sweep([normalize(a), normalize(b)], lambda c: (c[:, 0] > 0) & (c[:, 1] == 0))


def aligned_starts(a: Intervals, step: int, limit_per_group: int) -> tuple[np.ndarray, np.ndarray]:
    """The first ``limit_per_group`` multiples of ``step`` inside each group's intervals (normalised).

    Returns (group, start) arrays sorted by group then time.
    """
    if len(a) == 0:
        return _EMPTY, _EMPTY
    first = -(-a.start // step) * step
    count = np.maximum(0, -(-(a.end - first) // step))
    keep = count > 0
    g, first, count = a.group[keep], first[keep], np.minimum(count[keep], limit_per_group)
    total = int(count.sum())
    if total == 0:
        return _EMPTY, _EMPTY
    repeat_g = np.repeat(g, count)
    offsets = np.arange(total) - np.repeat(np.cumsum(count) - count, count)
    starts = np.repeat(first, count) + offsets * step
    order = np.lexsort((starts, repeat_g))
    repeat_g, starts = repeat_g[order], starts[order]
    # Rank within group, keep the first limit_per_group of each.
    is_new = np.concatenate((_TRUE, repeat_g[1:] != repeat_g[:-1]))
    group_start = np.maximum.accumulate(np.where(is_new, np.arange(total), 0))
    rank = np.arange(total) - group_start
    keep = rank < limit_per_group
    return repeat_g[keep], starts[keep]
