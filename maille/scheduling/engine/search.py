"""The one slot engine: display, booking, validation and rescheduling all ask it.

Free time = weekly availability (expanded in local time) minus busy rows, absences, site closures,
public holidays and other uses' reserved ranges, computed with interval arithmetic over all candidate
resources at once (``intervals``). A start is feasible at a site when some eligible room, some eligible
assistant there and some eligible doctor serving it are all free for the whole duration plus buffer.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import connection
from django.utils import timezone

from maille.directory.models import Use
from maille.planning.points import Points
from maille.planning.travel import GreatCircleEngine

from ..models import (
    MAX_BUSY_MINUTES,
    ResourceBooking,
    UseBookingPolicy,
    professional_key,
    room_key,
)
from ..wallclock import (
    MINUTES_PER_DAY,
    PARIS,
    day_number,
    from_minutes,
    local_day,
    local_midnight_minutes,
    local_to_utc_minutes,
    public_holidays,
    to_minutes,
)
from . import intervals as iv
from .int_rows import int_rows
from .resource_cache import UseResources, change_token, use_resources
from .rule_table import rule_table

ROOM, ASSISTANT, DOCTOR = 0, 1, 2
DEFAULT_POLICY = UseBookingPolicy(
    min_notice_minutes=60, horizon_days=56, buffer_minutes=0, slot_step_minutes=10
)
# The first days are searched one by one, nearest sites first; beyond, widening windows over all sites
# (days, cut at local midnight).
DAY_BY_DAY_WINDOWS = 7
SEARCH_WINDOWS_DAYS = (7, 28)
# Sites tried in the first ring of a day (the nearest); each further ring doubles.
FIRST_RING_SITES = 100
# Where resources are not cached (SQLite), a search of at most this many named sites loads only theirs.
SITE_LIST_LIMIT = 100
# The units and matched rules of a set of searched sites are kept with the cached resources of a use (a set per
# booked site, and per place searched around) when it counts at most DERIVED_SITES_MAX sites; at most DERIVED_KEPT
# entries (two per set), so the memory they take stays bounded whatever the searches.
DERIVED_KEPT = 512
DERIVED_SITES_MAX = 32


@dataclass(frozen=True)
class SlotQuery:
    use: Use
    latitude: float | None = None
    longitude: float | None = None
    starts_after: dt.datetime | None = None
    ends_before: dt.datetime | None = None
    site_ids: tuple[int, ...] | None = None
    max_travel_minutes: float | None = None
    doctor_sex: str = ""
    doctor_language: str = ""
    limit: int = 10
    # A walk-in: the patient is at the site now, so the use's minimum notice does not apply (site staff only).
    walk_in: bool = False


@dataclass(frozen=True)
class Slot:
    site_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    room_id: int
    assistant_id: int | None
    doctor_ids: tuple[int, ...]  # every eligible doctor free then; one is picked at booking
    travel_minutes: float | None
    distance_km: float | None


def _resource_code(kind: np.ndarray, resource_id: np.ndarray) -> np.ndarray:
    """One integer per person or room (a professional is one person wherever they work)."""
    return resource_id * 2 + (kind != ROOM)


@dataclass
class _Units:
    """Schedulable units: a room, an assistant at one site, a doctor (no site), as parallel arrays."""

    kind: np.ndarray
    site: np.ndarray  # -1 for a doctor
    resource_id: np.ndarray

    @property
    def code(self) -> np.ndarray:
        return _resource_code(self.kind, self.resource_id)


def policy_for(use: Use) -> UseBookingPolicy:
    return UseBookingPolicy.objects.filter(use=use).first() or DEFAULT_POLICY


def _fan_out(data: iv.Intervals, source: np.ndarray, target: np.ndarray) -> iv.Intervals:
    """Copy each interval of group ``source[i]`` to group ``target[i]`` (one-to-many relabelling)."""
    if len(data) == 0 or source.size == 0:
        return iv.Intervals.empty()
    order = np.argsort(source, kind="stable")
    source, target = source[order], target[order]
    size = int(max(source.max(), data.group.max())) + 1
    counts = np.bincount(source, minlength=size)
    begins = np.concatenate((np.zeros(1, dtype=np.int64), np.cumsum(counts)[:-1]))
    copies = counts[data.group]
    total = int(copies.sum())
    if total == 0:
        return iv.Intervals.empty()
    rows = np.repeat(np.arange(len(data)), copies)
    offsets = np.arange(total) - np.repeat(np.cumsum(copies) - copies, copies)
    return iv.Intervals(target[begins[data.group[rows]] + offsets], data.start[rows], data.end[rows])


def weekly_occurrences(
    owner: np.ndarray,
    weekday: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    valid_from: np.ndarray,
    valid_until: np.ndarray,
    first_day: int,
    last_day: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Occurrences of weekly local ranges between two day numbers: (row, day, utc start, utc end)."""
    days = np.arange(first_day, last_day + 1, dtype=np.int64)
    if owner.size == 0 or days.size == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, empty, empty
    day_weekday = (days + 3) % 7  # 1970-01-01 was a Thursday (weekday 3)
    mask = (
        (weekday[:, None] == day_weekday[None, :])
        & (valid_from[:, None] <= days[None, :])
        & (valid_until[:, None] >= days[None, :])
    )
    rows, columns = np.nonzero(mask)
    occurrence_days = days[columns]
    return (
        rows,
        occurrence_days,
        local_to_utc_minutes(occurrence_days, starts[rows]),
        local_to_utc_minutes(occurrence_days, ends[rows]),
    )


class _Problem:
    """Everything the engine needs for one use, a set of sites and a window, loaded in a few queries."""

    def __init__(
        self,
        *,
        use: Use,
        sites: list[dict],
        lo: int,
        hi: int,
        now: dt.datetime,
        query: SlotQuery,
        policy: UseBookingPolicy,
        resources: UseResources,
        token: tuple[object, ...] | None,
    ):
        self.token = token
        self.use, self.lo, self.hi, self.now = use, lo, hi, now
        self.policy = policy
        self.site_ids = np.array([s["id"] for s in sites], dtype=np.int64)
        self.site_position = {s["id"]: i for i, s in enumerate(sites)}
        self.sites = sites
        self.needs_assistant = bool(use.assisting_professions)
        self.resources = resources
        self._load_resources(query, resources)

    def _positions(self, site_ids: np.ndarray) -> np.ndarray:
        """Position of each site id in ``self.sites`` (sorted by id), -1 when not searched."""
        if self.site_ids.size == 0 or site_ids.size == 0:
            return np.full(site_ids.shape, -1, dtype=np.int64)
        order = np.argsort(self.site_ids)
        found = np.clip(np.searchsorted(self.site_ids[order], site_ids), 0, order.size - 1)
        return np.where(self.site_ids[order][found] == site_ids, order[found], -1)

    def _load_resources(self, query: SlotQuery, resources: UseResources) -> None:
        """The units and candidate rows of the searched sites, derived once per set of sites and filters for as long
        as ``resources`` stay valid (a booking validates its start with these same arrays)."""
        key = (
            "units",
            self.site_ids.tobytes(),
            query.doctor_sex,
            query.doctor_language,
            self.needs_assistant,
        )
        self._units_key = key
        self.units, self.candidates = self._derived(key, lambda: self._derive_units(query, resources))

    def _derived(self, key: tuple[object, ...], derive: Callable[[], tuple[Any, ...]]) -> tuple[Any, ...]:
        """``derive()``, kept with the cached resources under ``key`` (its arrays made read-only)."""
        if len(self.sites) > DERIVED_SITES_MAX:
            return derive()  # a wide search: its arrays are large, and its other work far larger
        derived = self.resources.derived.get(key)
        if derived is None:
            derived = derive()
            for value in derived:
                for array in value.__dict__.values() if isinstance(value, _Units) else (value,):
                    array.flags.writeable = False  # shared by the searches of this process
            if len(self.resources.derived) >= DERIVED_KEPT:
                self.resources.derived.clear()  # searches around many places: derived again when met
            self.resources.derived[key] = derived
        return derived  # type: ignore[return-value]

    def _derive_units(self, query: SlotQuery, resources: UseResources) -> tuple[_Units, np.ndarray]:
        doctors = resources.doctors
        if query.doctor_sex or query.doctor_language:
            keep = [
                (not query.doctor_sex or resources.doctor_sex.get(pk) == query.doctor_sex)
                and (
                    not query.doctor_language
                    or query.doctor_language in resources.doctor_languages.get(pk, [])
                )
                for pk in doctors[:, 0].tolist()
            ]
            doctors = doctors[np.array(keep, dtype=bool)] if keep else doctors
        kinds, rows = [ROOM, DOCTOR], [resources.rooms, doctors]
        if self.needs_assistant:
            kinds.insert(1, ASSISTANT)
            rows.insert(1, resources.assistants)
        unit_parts, candidate_parts, offset = [], [], 0
        for kind, pairs in zip(kinds, rows, strict=True):
            position = self._positions(pairs[:, 1])
            pairs, position = pairs[position >= 0], position[position >= 0]
            # A unit is a room, an assistant at one site, or a doctor (one unit for every site served).
            unit_site = np.full(len(pairs), -1, dtype=np.int64) if kind == DOCTOR else pairs[:, 1]
            identity, unit_of_row = np.unique(pairs[:, 0] * (1 << 32) + (unit_site + 1), return_inverse=True)
            unit_parts.append(
                (np.full(len(identity), kind, dtype=np.int64), identity % (1 << 32) - 1, identity >> 32)
            )
            candidate_parts.append(
                np.stack(
                    [position, np.full(len(pairs), kind, dtype=np.int64), unit_of_row.reshape(-1) + offset], 1
                )
            )
            offset += len(identity)
        units = _Units(*(np.concatenate(column) for column in zip(*unit_parts, strict=True)))
        # (site position, kind, unit); the role queries return distinct (person, site) rows.
        return units, np.concatenate(candidate_parts).reshape(-1, 3)

    # --- availability ---------------------------------------------------------------------------
    def _day_range(self) -> tuple[int, int]:
        return day_number(local_day(self.lo)) - 1, day_number(local_day(self.hi)) + 1

    def _match_rules(self, table: Any) -> tuple[np.ndarray, np.ndarray]:
        """(rule row, unit) of the weekly rules of the candidate units: rooms by id, professionals by (id, site or
        -1), matched through a sorted code."""
        kind, resource, site = self.units.kind, self.units.resource_id, self.units.site
        unit_code = np.where(kind == ROOM, resource * 2, (resource * 2 + 1) * (1 << 32) + (site + 1))
        rule_code = np.where(
            table.room >= 0, table.room * 2, (table.professional * 2 + 1) * (1 << 32) + (table.site + 1)
        )
        order = np.argsort(unit_code)
        position = np.clip(np.searchsorted(unit_code[order], rule_code), 0, len(order) - 1)
        rule_rows = np.flatnonzero(unit_code[order][position] == rule_code)
        return rule_rows, order[position[rule_rows]]

    def _available(self) -> iv.Intervals:
        """Weekly rules (cached arrays) of the candidate units, expanded over the window."""
        table = rule_table(self.token)
        if table.pk.size == 0 or self.units.kind.size == 0:
            return iv.Intervals.empty()
        rule_rows, owner = self._derived(("rules", *self._units_key), lambda: self._match_rules(table))
        first_day, last_day = self._day_range()
        rows, days, starts, ends = weekly_occurrences(
            owner,
            table.weekday[rule_rows],
            table.starts[rule_rows],
            table.ends[rule_rows],
            table.valid_from[rule_rows],
            table.valid_until[rule_rows],
            first_day,
            last_day,
        )
        groups = owner[rows]
        if table.exceptions:
            rule_pk = table.pk[rule_rows][rows]
            edited = [
                i
                for i, key in enumerate(zip(rule_pk.tolist(), days.tolist(), strict=True))
                if key in table.exceptions
            ]
            if edited:
                replaced = [table.exceptions[(int(rule_pk[i]), int(days[i]))] for i in edited]
                keep = [i for i, (cancelled, _, _) in zip(edited, replaced, strict=True) if not cancelled]
                new_starts = [r[1] for r in replaced if not r[0]]
                new_ends = [r[2] for r in replaced if not r[0]]
                if keep:
                    kept_days = days[keep]
                    starts[keep] = local_to_utc_minutes(kept_days, np.array(new_starts, dtype=np.int64))
                    ends[keep] = local_to_utc_minutes(kept_days, np.array(new_ends, dtype=np.int64))
                cancelled_rows = [i for i, r in zip(edited, replaced, strict=True) if r[0]]
                ends[cancelled_rows] = starts[cancelled_rows]  # empty: dropped below
        return iv.Intervals.of(groups, np.clip(starts, self.lo, self.hi), np.clip(ends, self.lo, self.hi))

    def _unavailable(self) -> iv.Intervals:
        units = self.units
        n_units = units.kind.size
        codes, unit_key = np.unique(units.code, return_inverse=True)
        unit_key = unit_key.reshape(-1)
        # Busy rows and absences are per person or room: fan out to every unit of that key.
        busy = _busy_rows(self.lo, self.hi, to_minutes(self.now), codes)
        absences = self._absences()
        rows = np.concatenate([busy, absences]) if absences.size else busy
        if codes.size == 0:
            return iv.Intervals.empty()
        position = np.clip(np.searchsorted(codes, rows[:, 0]), 0, codes.size - 1)
        known = codes[position] == rows[:, 0]
        by_key = iv.Intervals.of(position[known], rows[known, 1], rows[known, 2])
        blocked = _fan_out(by_key, unit_key, np.arange(n_units, dtype=np.int64))
        # Site-wide blocks (closures, holidays, other uses' reserved ranges) reach rooms and assistants.
        site_rows = self._site_blocks()
        if site_rows:
            unit_site = self._positions(units.site)
            at_site = np.flatnonzero(unit_site >= 0)
            by_site = iv.Intervals.of(*(np.array(c, dtype=np.int64) for c in zip(*site_rows, strict=True)))
            blocked = iv.union(blocked, _fan_out(by_site, unit_site[at_site], at_site))
        return blocked

    def _absences(self) -> np.ndarray:
        absences = self.resources.absences
        return absences[(absences[:, 1] < self.hi) & (absences[:, 2] > self.lo)]

    def _site_blocks(self) -> list[tuple[int, int, int]]:
        resources = self.resources
        closures = resources.closures
        closures = closures[(closures[:, 1] < self.hi) & (closures[:, 2] > self.lo)]
        position = self._positions(closures[:, 0])
        rows = list(zip(position[position >= 0].tolist(), closures[position >= 0, 1].tolist(),
                        closures[position >= 0, 2].tolist(), strict=True))  # fmt: skip
        first_day, last_day = self._day_range()
        first_date = dt.date(1970, 1, 1) + dt.timedelta(days=first_day)
        last_date = dt.date(1970, 1, 1) + dt.timedelta(days=last_day)
        years = range(first_date.year, last_date.year + 1)
        # Holidays per département, then to every site there that closes on public holidays.
        closing: dict[str, list[int]] = {}
        for position_, site in enumerate(self.sites):
            if not site["open_on_public_holidays"]:
                closing.setdefault(site["departement"], []).append(position_)
        for departement, positions in closing.items():
            for year in years:
                for holiday in public_holidays(departement, year):
                    if first_date <= holiday <= last_date:
                        start = local_midnight_minutes(holiday)
                        end = local_midnight_minutes(holiday + dt.timedelta(days=1))
                        rows += [(p, start, end) for p in positions]
        reserved = resources.reserved
        owner = self._positions(reserved[:, 0])
        reserved, owner = reserved[owner >= 0], owner[owner >= 0]
        if reserved.size:
            row_index, _, starts, ends = weekly_occurrences(
                owner, reserved[:, 1], reserved[:, 2], reserved[:, 3], reserved[:, 4], reserved[:, 5],
                first_day, last_day,
            )  # fmt: skip
            still_reserved = starts - reserved[row_index, 6] > to_minutes(self.now)
            rows.extend(
                zip(
                    owner[row_index][still_reserved].tolist(),
                    starts[still_reserved].tolist(),
                    ends[still_reserved].tolist(),
                    strict=True,
                )
            )
        return rows

    # --- feasible starts --------------------------------------------------------------------------
    def feasible(self) -> tuple[iv.Intervals, iv.Intervals, np.ndarray, np.ndarray]:
        """Feasible starts per site position, and per candidate row (for naming resources)."""
        if self.candidates.size == 0:
            return iv.Intervals.empty(), iv.Intervals.empty(), np.empty(0, np.int64), np.empty(0, np.int64)
        candidate = self.candidates
        available = self._available()
        if len(available) == 0:  # a closed day or ring: nothing to subtract, no busy rows to read
            return iv.Intervals.empty(), iv.Intervals.empty(), candidate[:, 0], candidate[:, 1]
        free = iv.subtract(available, self._unavailable())
        per_candidate = _fan_out(free, candidate[:, 2], np.arange(len(candidate), dtype=np.int64))
        length = np.array([s["duration"] for s in self.sites], dtype=np.int64) + self.policy.buffer_minutes
        starts = per_candidate.shrink_ends(length[candidate[per_candidate.group, 0]])
        # Channel per kind, grouped by site; a start is feasible where all required kinds overlap.
        channels = []
        kinds = [ROOM, ASSISTANT, DOCTOR] if self.needs_assistant else [ROOM, DOCTOR]
        for kind in kinds:
            mapping = np.where(candidate[:, 1] == kind, candidate[:, 0], -1)
            channels.append(starts.regroup(mapping))
        return iv.intersect(*channels), starts, candidate[:, 0], candidate[:, 1]


def _busy_rows(lo: int, hi: int, now: int, codes: np.ndarray) -> np.ndarray:
    """(resource code, start, end) of the busy rows of ``codes`` overlapping [lo, hi), unexpired holds only.

    Read with one plain cursor query (no model instances): region-wide this is thousands of rows.
    The key ("room:<id>" or "pro:<id>") becomes the engine's integer code in SQL. One index range per key
    (resource_key, starts_minute): a row overlapping ``lo`` starts less than a day before it (a check
    constraint), so neither past years nor other resources are read. The keys are one parameter whatever
    their number: an array on PostgreSQL, a JSON list on SQLite.
    """
    if codes.size == 0:
        return np.empty((0, 3), dtype=np.int64)
    keys = [room_key(c // 2) if c % 2 == 0 else professional_key(c // 2) for c in codes.tolist()]
    table = connection.ops.quote_name(ResourceBooking._meta.db_table)
    if connection.vendor == "postgresql":
        among_keys, keys_param = "resource_key = ANY(%s)", keys
    else:
        among_keys, keys_param = "resource_key IN (SELECT value FROM json_each(%s))", json.dumps(keys)
    sql = (
        "SELECT CASE WHEN resource_key LIKE 'room:%%' THEN CAST(SUBSTR(resource_key, 6) AS BIGINT) * 2 "
        "ELSE CAST(SUBSTR(resource_key, 5) AS BIGINT) * 2 + 1 END, starts_minute, ends_minute "
        f"FROM {table} WHERE {among_keys} AND starts_minute < %s AND starts_minute > %s AND ends_minute > %s "
        "AND (hold_expires_minute IS NULL OR hold_expires_minute > %s)"
    )
    return int_rows(sql, [keys_param, hi, lo - MAX_BUSY_MINUTES, lo, now], 3)


# The planning library's travel model, the same one the diagnosis uses (great circle × detour ÷ speed).
TRAVEL_MODEL = GreatCircleEngine()


def _travel_from(
    latitude: float, longitude: float, lats: np.ndarray, lons: np.ndarray
) -> tuple[list[float], list[float]]:
    """Minutes and kilometres from the patient to each site (NaN for a site without coordinates)."""
    minutes, km = np.full(len(lats), np.nan), np.full(len(lats), np.nan)
    located = np.isfinite(lats) & np.isfinite(lons)
    if located.any():
        distances = TRAVEL_MODEL.distances_from(
            Points([latitude], [longitude], check_france=False),
            Points(lats[located], lons[located], check_france=False),
        )
        km[located] = distances
        minutes[located] = TRAVEL_MODEL.minutes_for(distances)
    return minutes.tolist(), km.tolist()


def travel_minutes_from(latitude: float, longitude: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """Minutes by car from a point to each site, with the engine's travel model (NaN: no coordinates)."""
    minutes, _km = _travel_from(latitude, longitude, lats, lons)
    return np.array(minutes, dtype=float)


def eligible_sites(query: SlotQuery, resources: UseResources) -> list[dict]:
    """Active sites offering the use (with the duration there), within the travel limit."""
    rows = resources.sites
    if query.site_ids is not None:
        wanted = set(query.site_ids)
        rows = [r for r in rows if r["id"] in wanted]
    if rows and query.latitude is not None and query.longitude is not None:
        lats = np.array([r["latitude"] for r in rows], dtype=float)
        lons = np.array([r["longitude"] for r in rows], dtype=float)
        minutes, km = _travel_from(query.latitude, query.longitude, lats, lons)
    else:
        minutes = km = [None] * len(rows)
    limit = query.max_travel_minutes
    return [
        {**row, "travel_minutes": travel, "distance_km": distance}
        for row, travel, distance in zip(rows, minutes, km, strict=True)
        if limit is None or travel is None or travel <= limit
    ]


def _named_sites(query: SlotQuery) -> tuple[int, ...] | None:
    if query.site_ids is not None and len(query.site_ids) <= SITE_LIST_LIMIT:
        return tuple(query.site_ids)
    return None


def booking_window(query: SlotQuery, now: dt.datetime, policy: UseBookingPolicy) -> tuple[int, int]:
    """[earliest start, latest end] in UTC minutes after notice and horizon."""
    lo = to_minutes(now) + (1 if query.walk_in else policy.min_notice_minutes)
    hi = to_minutes(now + dt.timedelta(days=policy.horizon_days))
    if query.starts_after is not None:
        lo = max(lo, to_minutes(query.starts_after))
    if query.ends_before is not None:
        hi = min(hi, to_minutes(query.ends_before))
    return lo, hi


def find_slots(query: SlotQuery, *, now: dt.datetime | None = None) -> list[Slot]:
    """The earliest bookable slots, ranked by local date, then travel time, then start."""
    now = now or timezone.now()
    token = change_token()
    resources = use_resources(query.use, timezone.localdate(now), _named_sites(query), token=token)
    policy = resources.policy or DEFAULT_POLICY
    lo, hi = booking_window(query, now, policy)
    if lo >= hi:
        return []
    sites = eligible_sites(query, resources)
    if not sites:
        return []
    sites.sort(key=lambda site: (site["travel_minutes"] or 0.0, site["id"]))

    def problem_over(chosen: list[dict], window_lo: int, window_hi: int) -> _Problem:
        return _Problem(
            use=query.use, sites=chosen, lo=window_lo, hi=window_hi, now=now, query=query, policy=policy,
            resources=resources, token=token,
        )  # fmt: skip

    found: list[Slot] = []
    first = local_day(lo)
    day_lo = lo
    # Day by day first: within one day the nearest sites rank first, so sites are tried in widening rings
    # by travel time and the search stops as soon as the nearer rings fill the day.
    for offset in range(DAY_BY_DAY_WINDOWS):
        day_hi = min(hi, local_midnight_minutes(first + dt.timedelta(days=offset + 1)))
        need = query.limit - len(found)
        today: list[Slot] = []
        for ring in _rings_by_travel(sites):
            today += _search(query, problem_over(ring, day_lo, day_hi), need)
            if len(today) >= need:
                break
        today.sort(key=lambda slot: (slot.travel_minutes or 0.0, slot.starts_at, slot.site_id))
        found += today[:need]
        if len(found) >= query.limit or day_hi >= hi:
            return found
        day_lo = day_hi
    # Sparse availability: the rest of the horizon in widening windows, all sites at once.
    problem = problem_over(sites, day_lo, hi)
    for days in (*SEARCH_WINDOWS_DAYS, None):
        window_hi = (
            hi
            if days is None
            else min(hi, local_midnight_minutes(local_day(day_lo) + dt.timedelta(days=days)))
        )
        problem.hi = window_hi
        slots = _search(query, problem, query.limit - len(found))
        if len(found) + len(slots) >= query.limit or window_hi >= hi:
            return found + slots
    return found


def next_free_by_site(
    use: Use,
    *,
    now: dt.datetime | None = None,
    starts_after: dt.datetime | None = None,
    days: int = 14,
    per_site: int = 6,
) -> dict[int, list[Slot]]:
    """Each site's first ``per_site`` free starts for a use within ``days`` local days, independent of
    where the patient lives (``travel_minutes`` is None): a page that shows "the nearest sites, each with
    its next free times" filters these by travel time instead of searching once per commune.

    One problem over every active site offering the use: ``aligned_starts`` already ranks starts per site."""
    now = now or timezone.now()
    query = SlotQuery(use=use, starts_after=starts_after)
    token = change_token()
    resources = use_resources(use, timezone.localdate(now), None, token=token)
    policy = resources.policy or DEFAULT_POLICY
    lo, hi = booking_window(query, now, policy)
    hi = min(hi, local_midnight_minutes(local_day(lo) + dt.timedelta(days=days)))
    sites = eligible_sites(query, resources)
    if lo >= hi or not sites:
        return {}
    problem = _Problem(
        use=use, sites=sites, lo=lo, hi=hi, now=now, query=query, policy=policy, resources=resources,
        token=token,
    )  # fmt: skip
    feasible, per_candidate, candidate_site, candidate_kind = problem.feasible()
    site_pos, starts = iv.aligned_starts(feasible, policy.slot_step_minutes, per_site)
    found: dict[int, list[Slot]] = {}
    for position, start in zip(site_pos.tolist(), starts.tolist(), strict=True):
        slot = problem_slot(problem, per_candidate, candidate_site, candidate_kind, position, start)
        found.setdefault(slot.site_id, []).append(slot)
    return found


def _rings_by_travel(sites: list[dict]) -> Iterator[list[dict]]:
    """Consecutive groups of travel-sorted sites, doubling in size, never splitting equal travel times
    (every site of a later group is strictly farther than every site of an earlier one)."""
    size, begin = FIRST_RING_SITES, 0
    while begin < len(sites):
        end = min(len(sites), begin + size)
        while end < len(sites) and sites[end]["travel_minutes"] == sites[end - 1]["travel_minutes"]:
            end += 1
        yield sites[begin:end]
        begin, size = end, size * 2


def _search(query: SlotQuery, problem: _Problem, limit: int) -> list[Slot]:
    """The first ``limit`` slots of one window (``problem.lo`` to ``problem.hi``)."""
    sites = problem.sites
    feasible, per_candidate, candidate_site, candidate_kind = problem.feasible()
    step = problem.policy.slot_step_minutes
    site_pos, starts = iv.aligned_starts(feasible, step, limit)
    if starts.size == 0:
        return []
    travel = np.array([s["travel_minutes"] if s["travel_minutes"] is not None else 0.0 for s in sites])
    local_days = (starts + _utc_offsets(starts)) // MINUTES_PER_DAY
    order = np.lexsort((starts, travel[site_pos], local_days))[:limit]
    slots = []
    for i in order.tolist():
        position, start = int(site_pos[i]), int(starts[i])
        slots.append(problem_slot(problem, per_candidate, candidate_site, candidate_kind, position, start))
    return slots


def _utc_offset(minutes: int) -> int:
    offset = from_minutes(minutes).astimezone(PARIS).utcoffset()
    return int(offset.total_seconds() // 60) if offset else 0


def _utc_offsets(moments: np.ndarray) -> np.ndarray:
    """Paris UTC offsets of many instants, looked up once per UTC day (per instant on DST days)."""
    days, inverse = np.unique(moments // MINUTES_PER_DAY, return_inverse=True)
    at_start = np.array([_utc_offset(int(d) * MINUTES_PER_DAY) for d in days.tolist()], dtype=np.int64)
    at_end = np.array([_utc_offset(int(d + 1) * MINUTES_PER_DAY - 1) for d in days.tolist()], dtype=np.int64)
    offsets = at_start[inverse]
    for i in np.flatnonzero(at_start[inverse] != at_end[inverse]).tolist():
        offsets[i] = _utc_offset(int(moments[i]))
    return offsets


def problem_slot(
    problem: _Problem,
    per_candidate: iv.Intervals,
    candidate_site: np.ndarray,
    candidate_kind: np.ndarray,
    position: int,
    start: int,
) -> Slot:
    """Name the resources of a feasible start: lowest room and assistant ids, every free doctor."""
    covering = (per_candidate.start <= start) & (per_candidate.end > start)
    rows = per_candidate.group[covering]
    rows = rows[candidate_site[rows] == position]
    units = problem.units

    def free_ids(kind: int) -> list[int]:
        chosen = rows[candidate_kind[rows] == kind]
        return sorted(set(units.resource_id[problem.candidates[chosen, 2]].tolist()))

    site = problem.sites[position]
    rooms, assistants, doctors = free_ids(ROOM), free_ids(ASSISTANT), free_ids(DOCTOR)
    return Slot(
        site_id=site["id"],
        starts_at=from_minutes(start),
        ends_at=from_minutes(start + site["duration"]),
        room_id=rooms[0],
        assistant_id=assistants[0] if assistants else None,
        doctor_ids=tuple(doctors),
        travel_minutes=site["travel_minutes"],
        distance_km=site["distance_km"],
    )


@dataclass(frozen=True)
class SlotCandidates:
    """Who is free at one exact start at one site (empty lists: not bookable)."""

    room_ids: list[int]
    assistant_ids: list[int]
    doctor_ids: list[int]
    duration_minutes: int
    needs_assistant: bool
    site_offers_use: bool = True  # False: the site (inactive, or without this use) can never be booked for it
    buffer_minutes: int = 0  # the use's buffer, for the busy rows
    equipped_room_ids: list[int] = field(
        default_factory=list
    )  # bookable rooms with the equipment, free or not

    @property
    def bookable(self) -> bool:
        return bool(self.room_ids and self.doctor_ids and (self.assistant_ids or not self.needs_assistant))


def candidates_at(
    *, use: Use, site_id: int, starts_at: dt.datetime, now: dt.datetime | None = None, walk_in: bool = False
) -> SlotCandidates:
    """Validate one start with the same rules as the search (notice, horizon, availability, reservations)."""
    now = now or timezone.now()
    query = SlotQuery(use=use, site_ids=(site_id,), walk_in=walk_in)
    token = change_token()
    resources = use_resources(use, timezone.localdate(now), _named_sites(query), token=token)
    policy = resources.policy or DEFAULT_POLICY
    sites = eligible_sites(query, resources)
    start = to_minutes(starts_at)
    lo, hi = booking_window(query, now, policy)
    needs_assistant, buffer = bool(use.assisting_professions), policy.buffer_minutes
    if not sites:
        return SlotCandidates([], [], [], 0, needs_assistant, site_offers_use=False, buffer_minutes=buffer)
    duration = sites[0]["duration"]
    equipped = sorted(resources.rooms[resources.rooms[:, 1] == site_id, 0].tolist())
    if start < lo or start + duration > hi:
        return SlotCandidates(
            [], [], [], duration, needs_assistant, buffer_minutes=buffer, equipped_room_ids=equipped
        )
    end = start + duration + buffer
    problem = _Problem(
        use=use, sites=sites, lo=start, hi=max(end, start + 1), now=now, query=query, policy=policy,
        resources=resources, token=token,
    )  # fmt: skip
    _, per_candidate, candidate_site, candidate_kind = problem.feasible()
    slot_rows = per_candidate.group[(per_candidate.start <= start) & (per_candidate.end > start)]
    units = problem.units

    def free_ids(kind: int) -> list[int]:
        chosen = slot_rows[candidate_kind[slot_rows] == kind]
        return sorted(set(units.resource_id[problem.candidates[chosen, 2]].tolist()))

    return SlotCandidates(
        free_ids(ROOM), free_ids(ASSISTANT), free_ids(DOCTOR), duration, problem.needs_assistant,
        buffer_minutes=buffer, equipped_room_ids=equipped,
    )  # fmt: skip
