"""The one slot engine: display, booking, validation and rescheduling all ask it.

Free time = weekly availability (expanded in local time) minus busy rows, absences, site closures,
public holidays and other uses' reserved ranges, computed with interval arithmetic over all candidate
resources at once (``intervals``). A start is feasible at a site when some eligible room, some eligible
assistant there and some eligible doctor serving it are all free for the whole duration plus buffer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
from django.db.models import Count, Q
from django.utils import timezone

from maille.directory.models import NetworkRole, Room, Site, Use

from . import intervals as iv
from .models import (
    Absence,
    ReservedRange,
    ResourceBooking,
    SiteClosure,
    UseBookingPolicy,
    professional_key,
    room_key,
)
from .rule_table import rule_table
from .travel import great_circle_km, travel_minutes
from .wallclock import (
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

ROOM, ASSISTANT, DOCTOR = 0, 1, 2
DEFAULT_POLICY = UseBookingPolicy(
    min_notice_minutes=60, horizon_days=56, buffer_minutes=0, slot_step_minutes=10
)
# Widening search windows (days, cut at local midnight): most searches end on the first day.
SEARCH_WINDOWS_DAYS = (1, 7, 28)
SITE_LIST_LIMIT = 100
# Above this many resources, busy rows are read by time range only (one index range scan).
KEY_FILTER_LIMIT = 200


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


@dataclass
class _Units:
    """Schedulable units: a room, an assistant at one site, a doctor (no site)."""

    kind: list[int] = field(default_factory=list)
    key: list[str] = field(default_factory=list)
    site: list[int] = field(default_factory=list)  # -1 for a doctor
    resource_id: list[int] = field(default_factory=list)
    index: dict[tuple[int, str, int], int] = field(default_factory=dict)

    def add(self, kind: int, key: str, site: int, resource_id: int) -> int:
        ident = (kind, key, site)
        if ident not in self.index:
            self.index[ident] = len(self.kind)
            self.kind.append(kind)
            self.key.append(key)
            self.site.append(site)
            self.resource_id.append(resource_id)
        return self.index[ident]


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
    begins = np.r_[0, np.cumsum(counts)[:-1]]
    copies = counts[data.group]
    total = int(copies.sum())
    if total == 0:
        return iv.Intervals.empty()
    rows = np.repeat(np.arange(len(data)), copies)
    offsets = np.arange(total) - np.repeat(np.cumsum(copies) - copies, copies)
    return iv.Intervals(target[begins[data.group[rows]] + offsets], data.start[rows], data.end[rows])


def _weekly(
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


def _minutes_of(value: dt.time) -> int:
    return value.hour * 60 + value.minute


class _Problem:
    """Everything the engine needs for one use, a set of sites and a window, loaded in a few queries."""

    def __init__(self, *, use: Use, sites: list[dict], lo: int, hi: int, now: dt.datetime, query: SlotQuery):
        self.use, self.lo, self.hi, self.now = use, lo, hi, now
        self.policy = policy_for(use)
        self.site_ids = np.array([s["id"] for s in sites], dtype=np.int64)
        self.site_filter = _site_filter(use, [s["id"] for s in sites])
        self.site_position = {s["id"]: i for i, s in enumerate(sites)}
        self.sites = sites
        self.units = _Units()
        self.candidates: list[tuple[int, int, int]] = []  # (site position, kind, unit)
        self.needs_assistant = bool(use.assisting_professions)
        self._load_resources(query)

    def _load_resources(self, query: SlotQuery) -> None:
        site_ids = self.site_filter
        position = self.site_position
        required = list(self.use.required_equipment.values_list("code", flat=True))
        rooms = Room.objects.filter(site_id__in=site_ids, is_bookable=True)
        if required:
            rooms = rooms.annotate(
                matching=Count("equipment", filter=Q(equipment__in=required), distinct=True)
            ).filter(matching=len(required))
        for room_id, site_id in rooms.order_by("pk").values_list("pk", "site_id"):
            if site_id not in position:
                continue
            unit = self.units.add(ROOM, room_key(room_id), site_id, room_id)
            self.candidates.append((self.site_position[site_id], ROOM, unit))
        today = timezone.localdate(self.now)
        current = Q(start_date__isnull=True) | Q(start_date__lte=today)
        current &= Q(end_date__isnull=True) | Q(end_date__gte=today)
        if self.needs_assistant:
            assistants = (
                NetworkRole.objects.active()
                .assistants()
                .filter(
                    current, sites__in=site_ids, professional__profession__in=self.use.assisting_professions
                )
                .values_list("professional_id", "sites")
                .order_by("professional_id")
            )
            for professional_id, site_id in assistants:
                if site_id not in position:
                    continue
                unit = self.units.add(ASSISTANT, professional_key(professional_id), site_id, professional_id)
                self.candidates.append((self.site_position[site_id], ASSISTANT, unit))
        doctors = (
            NetworkRole.objects.active()
            .remote_doctors()
            .filter(current, sites__in=site_ids, professional__profession=self.use.remote_profession)
        )
        if self.use.remote_specialty_id:
            doctors = doctors.filter(professional__specialty_id=self.use.remote_specialty_id)
        if query.doctor_sex:
            doctors = doctors.filter(professional__sex=query.doctor_sex)
        rows = doctors.values_list("professional_id", "sites", "professional__languages").order_by(
            "professional_id"
        )
        for professional_id, site_id, languages in rows:
            if site_id not in position:
                continue
            if query.doctor_language and query.doctor_language not in (languages or []):
                continue
            unit = self.units.add(DOCTOR, professional_key(professional_id), -1, professional_id)
            self.candidates.append((self.site_position[site_id], DOCTOR, unit))

    # --- availability ---------------------------------------------------------------------------
    def _day_range(self) -> tuple[int, int]:
        return day_number(local_day(self.lo)) - 1, day_number(local_day(self.hi)) + 1

    def _available(self) -> iv.Intervals:
        """Weekly rules (cached arrays) of the candidate units, expanded over the window."""
        units = self.units
        table = rule_table()
        if table.pk.size == 0 or not units.kind:
            return iv.Intervals.empty()
        kind = np.array(units.kind, dtype=np.int64)
        resource = np.array(units.resource_id, dtype=np.int64)
        site = np.array(units.site, dtype=np.int64)
        # Match each rule to a unit by a sorted code: rooms by id, professionals by (id, site or -1).
        unit_code = np.where(kind == ROOM, resource * 2, (resource * 2 + 1) * (1 << 32) + (site + 1))
        rule_code = np.where(
            table.room >= 0, table.room * 2, (table.professional * 2 + 1) * (1 << 32) + (table.site + 1)
        )
        order = np.argsort(unit_code)
        position = np.clip(np.searchsorted(unit_code[order], rule_code), 0, len(order) - 1)
        matched = unit_code[order][position] == rule_code
        rule_rows = np.flatnonzero(matched)
        owner = order[position[rule_rows]]
        first_day, last_day = self._day_range()
        rows, days, starts, ends = _weekly(
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
        n_units = len(units.kind)
        key_ids = {k: i for i, k in enumerate(sorted(set(units.key)))}
        unit_key = np.array([key_ids[k] for k in units.key], dtype=np.int64)
        lo_dt, hi_dt = from_minutes(self.lo), from_minutes(self.hi)
        # Busy rows and absences are per person or room: fan out to every unit of that key.
        busy = ResourceBooking.objects.filter(starts_minute__lt=self.hi, ends_minute__gt=self.lo).filter(
            Q(hold_expires_minute__isnull=True) | Q(hold_expires_minute__gt=to_minutes(self.now))
        )
        if len(key_ids) <= KEY_FILTER_LIMIT:
            busy = busy.filter(resource_key__in=list(key_ids))
        rows = [
            (key_ids[k], s, e)
            for k, s, e in busy.values_list("resource_key", "starts_minute", "ends_minute")
            if k in key_ids
        ]
        room_ids = [units.resource_id[u] for u in range(n_units) if units.kind[u] == ROOM]
        pro_ids = list({units.resource_id[u] for u in range(n_units) if units.kind[u] != ROOM})
        absences = Absence.objects.filter(starts_at__lt=hi_dt, ends_at__gt=lo_dt)
        if len(key_ids) <= KEY_FILTER_LIMIT:
            absences = absences.filter(Q(room_id__in=room_ids) | Q(professional_id__in=pro_ids))
        for room_id, professional_id, s, e in absences.values_list(
            "room_id", "professional_id", "starts_at", "ends_at"
        ):
            key = room_key(room_id) if room_id is not None else professional_key(professional_id)
            if key in key_ids:
                rows.append((key_ids[key], to_minutes(s), to_minutes(e)))
        by_key = (
            iv.Intervals.of(*(np.array(c, dtype=np.int64) for c in zip(*rows, strict=True)))
            if rows
            else iv.Intervals.empty()
        )
        blocked = _fan_out(by_key, unit_key, np.arange(n_units, dtype=np.int64))
        # Site-wide blocks (closures, holidays, other uses' reserved ranges) reach rooms and assistants.
        site_rows = self._site_blocks()
        if site_rows:
            unit_site = np.array([self.site_position.get(s, -1) for s in units.site], dtype=np.int64)
            at_site = np.flatnonzero(unit_site >= 0)
            by_site = iv.Intervals.of(*(np.array(c, dtype=np.int64) for c in zip(*site_rows, strict=True)))
            blocked = iv.union(blocked, _fan_out(by_site, unit_site[at_site], at_site))
        return blocked

    def _site_blocks(self) -> list[tuple[int, int, int]]:
        lo_dt, hi_dt = from_minutes(self.lo), from_minutes(self.hi)
        site_ids = self.site_filter
        rows = [
            (self.site_position[site_id], to_minutes(s), to_minutes(e))
            for site_id, s, e in SiteClosure.objects.filter(
                site_id__in=site_ids, starts_at__lt=hi_dt, ends_at__gt=lo_dt
            ).values_list("site_id", "starts_at", "ends_at")
            if site_id in self.site_position
        ]
        first_day, last_day = self._day_range()
        first_date = dt.date(1970, 1, 1) + dt.timedelta(days=first_day)
        last_date = dt.date(1970, 1, 1) + dt.timedelta(days=last_day)
        years = range(first_date.year, last_date.year + 1)
        for position, site in enumerate(self.sites):
            if site["open_on_public_holidays"]:
                continue
            for year in years:
                for holiday in public_holidays(site["departement"], year):
                    if first_date <= holiday <= last_date:
                        start = local_midnight_minutes(holiday)
                        end = local_midnight_minutes(holiday + dt.timedelta(days=1))
                        rows.append((position, start, end))
        reserved = list(
            ReservedRange.objects.filter(site_id__in=site_ids, valid_from__lte=last_date)
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=first_date))
            .exclude(use=self.use)
            .values_list(
                "site_id", "weekday", "starts", "ends", "valid_from", "valid_until", "release_hours_before"
            )
        )
        reserved = [r for r in reserved if r[0] in self.site_position]
        if reserved:
            far = day_number(dt.date(9999, 12, 31))
            owner = np.array([self.site_position[r[0]] for r in reserved], dtype=np.int64)
            row_index, _, starts, ends = _weekly(
                owner,
                np.array([r[1] for r in reserved], dtype=np.int64),
                np.array([_minutes_of(r[2]) for r in reserved], dtype=np.int64),
                np.array([_minutes_of(r[3]) for r in reserved], dtype=np.int64),
                np.array([day_number(r[4]) for r in reserved], dtype=np.int64),
                np.array([day_number(r[5]) if r[5] else far for r in reserved], dtype=np.int64),
                first_day,
                last_day,
            )
            release = np.array([r[6] * 60 for r in reserved], dtype=np.int64)[row_index]
            still_reserved = starts - release > to_minutes(self.now)
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
        if not self.candidates:
            return iv.Intervals.empty(), iv.Intervals.empty(), np.empty(0, np.int64), np.empty(0, np.int64)
        free = iv.subtract(self._available(), self._unavailable())
        candidate = np.array(self.candidates, dtype=np.int64)
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


def _site_filter(use: Use, site_ids: list[int]) -> object:
    """A filter value for ``site__in``: the id list, or for many sites a subquery (a superset of the
    travel-filtered sites: rows of other sites are skipped), cheaper than hundreds of parameters."""
    if len(site_ids) <= SITE_LIST_LIMIT:
        return site_ids
    return Site.objects.filter(site_uses__use=use, site_uses__is_active=True).values("pk")


def eligible_sites(query: SlotQuery) -> list[dict]:
    """Active sites offering the use (with the duration there), within the travel limit."""
    sites = Site.objects.active().filter(site_uses__use=query.use, site_uses__is_active=True)
    if query.site_ids is not None:
        sites = sites.filter(pk__in=query.site_ids)
    rows = list(
        sites.order_by("pk").values(
            "id",
            "latitude",
            "longitude",
            "commune__departement_id",
            "site_uses__duration_minutes",
            "scheduling_settings__open_on_public_holidays",
        )
    )
    result = []
    if rows and query.latitude is not None and query.longitude is not None:
        lats = np.array([r["latitude"] for r in rows])
        lons = np.array([r["longitude"] for r in rows])
        minutes = travel_minutes(query.latitude, query.longitude, lats, lons)
        km = great_circle_km(query.latitude, query.longitude, lats, lons)
    else:
        minutes = km = None
    for i, row in enumerate(rows):
        travel = float(minutes[i]) if minutes is not None else None
        if query.max_travel_minutes is not None and travel is not None and travel > query.max_travel_minutes:
            continue
        result.append(
            {
                "id": row["id"],
                "departement": row["commune__departement_id"],
                "duration": row["site_uses__duration_minutes"] or query.use.default_duration_minutes,
                "open_on_public_holidays": bool(row["scheduling_settings__open_on_public_holidays"]),
                "travel_minutes": travel,
                "distance_km": float(km[i]) if km is not None else None,
            }
        )
    return result


def booking_window(query: SlotQuery, now: dt.datetime) -> tuple[int, int]:
    """[earliest start, latest end] in UTC minutes after notice and horizon."""
    policy = policy_for(query.use)
    lo = to_minutes(now) + policy.min_notice_minutes
    hi = to_minutes(now + dt.timedelta(days=policy.horizon_days))
    if query.starts_after is not None:
        lo = max(lo, to_minutes(query.starts_after))
    if query.ends_before is not None:
        hi = min(hi, to_minutes(query.ends_before))
    return lo, hi


def find_slots(query: SlotQuery, *, now: dt.datetime | None = None) -> list[Slot]:
    """The earliest bookable slots, ranked by local date, then travel time, then start."""
    now = now or timezone.now()
    lo, hi = booking_window(query, now)
    if lo >= hi:
        return []
    sites = eligible_sites(query)
    if not sites:
        return []
    first = local_day(lo)
    problem = _Problem(use=query.use, sites=sites, lo=lo, hi=hi, now=now, query=query)
    for days in (*SEARCH_WINDOWS_DAYS, None):
        window_hi = hi if days is None else min(hi, local_midnight_minutes(first + dt.timedelta(days=days)))
        problem.hi = window_hi
        slots = _search(query, problem)
        if len(slots) >= query.limit or window_hi >= hi:
            return slots
    return slots


def _search(query: SlotQuery, problem: _Problem) -> list[Slot]:
    """Slots of one window (``problem.lo`` to ``problem.hi``); resources are loaded once per query."""
    sites = problem.sites
    feasible, per_candidate, candidate_site, candidate_kind = problem.feasible()
    step = problem.policy.slot_step_minutes
    site_pos, starts = iv.aligned_starts(feasible, step, query.limit)
    if starts.size == 0:
        return []
    travel = np.array([s["travel_minutes"] if s["travel_minutes"] is not None else 0.0 for s in sites])
    local_days = (starts + _utc_offsets(starts)) // MINUTES_PER_DAY
    order = np.lexsort((starts, travel[site_pos], local_days))[: query.limit]
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
        return sorted({units.resource_id[problem.candidates[r][2]] for r in chosen.tolist()})

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

    @property
    def bookable(self) -> bool:
        return bool(self.room_ids and self.doctor_ids and (self.assistant_ids or not self.needs_assistant))


def candidates_at(
    *, use: Use, site_id: int, starts_at: dt.datetime, now: dt.datetime | None = None
) -> SlotCandidates:
    """Validate one start with the same rules as the search (notice, horizon, availability, reservations)."""
    now = now or timezone.now()
    query = SlotQuery(use=use, site_ids=(site_id,))
    sites = eligible_sites(query)
    start = to_minutes(starts_at)
    lo, hi = booking_window(query, now)
    if not sites or start < lo:
        return SlotCandidates([], [], [], 0, bool(use.assisting_professions))
    duration = sites[0]["duration"]
    end = start + duration + policy_for(use).buffer_minutes
    if start + duration > hi:
        return SlotCandidates([], [], [], duration, bool(use.assisting_professions))
    problem = _Problem(use=use, sites=sites, lo=start, hi=max(end, start + 1), now=now, query=query)
    _, per_candidate, candidate_site, candidate_kind = problem.feasible()
    slot_rows = per_candidate.group[(per_candidate.start <= start) & (per_candidate.end > start)]
    units = problem.units

    def free_ids(kind: int) -> list[int]:
        chosen = slot_rows[candidate_kind[slot_rows] == kind]
        return sorted({units.resource_id[problem.candidates[r][2]] for r in chosen.tolist()})

    return SlotCandidates(
        free_ids(ROOM), free_ids(ASSISTANT), free_ids(DOCTOR), duration, problem.needs_assistant
    )
