"""The resources a use can be booked on (sites, rooms, assistants, doctors), as arrays cached per process.

Region-wide, a search reads thousands of rooms and network roles; they change a few times a week. On
PostgreSQL every search first reads a version stamp (one row): statement triggers on every table the
cache holds stamp it with a fresh sequence value on any insert, update, delete or truncate (migration
0005). So every process sees a change at its next search, including changes made earlier in its own
transaction, and a value is never reused after a rollback. SQLite has no such triggers here: there the
resources are loaded on each search (SQLite is for development and tests).
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field

import numpy as np
from django.db import connection
from django.db.models import Q

from maille.directory.models import NetworkRole, Professional, Room, Site, SiteUse, Use

from ..models import (
    Absence,
    AvailabilityException,
    AvailabilityRule,
    ReservedRange,
    SiteClosure,
    SiteSchedulingSettings,
    UseBookingPolicy,
)
from ..wallclock import day_number, to_minutes
from . import snapshot

_lock = threading.Lock()
_cache: dict[tuple[object, ...], tuple[object, UseResources]] = {}
_MAX_ENTRIES = 256
_EMPTY_PAIRS = np.empty((0, 2), dtype=np.int64)


@dataclass(frozen=True)
class UseResources:
    """Everything bookable for one use, over every active site offering it."""

    sites: list[dict]  # id, latitude, longitude, departement, duration, open_on_public_holidays
    rooms: np.ndarray  # (room id, site id) rows of bookable rooms with the required equipment
    assistants: np.ndarray  # (professional id, site id) of current assistants of an admitted profession
    doctors: np.ndarray  # (professional id, site id) of current remote doctors of the right kind
    doctor_sex: dict[int, str]
    doctor_languages: dict[int, list[str]]
    policy: UseBookingPolicy | None  # None: the engine's default policy
    # Other uses' weekly reserved ranges at these sites: (site id, weekday, start and end minute of the
    # local day, first and last valid day number, release minutes before each occurrence).
    reserved: np.ndarray
    closures: np.ndarray  # (site id, start, end) in UTC minutes, ending after the day before ``today``
    absences: np.ndarray  # (resource code: room id * 2 or professional id * 2 + 1, start, end)
    # What the engine derives from these arrays for a set of sites (its units and candidates), kept with them: it
    # lives as long as they do, so a change of the data drops it too. Read-only arrays, shared by threads.
    derived: dict[tuple[object, ...], object] = field(default_factory=dict, compare=False, repr=False)


# The tables whose rows the cache holds; each has a statement trigger that stamps a new version
# (migration 0005, whose frozen list must stay equal to this one: checked by a test).
CACHED_MODELS = (Site, SiteUse, SiteSchedulingSettings, Room, Room.equipment.through, Use,
                 Use.required_equipment.through, NetworkRole, NetworkRole.sites.through, Professional,
                 UseBookingPolicy, ReservedRange, SiteClosure, Absence, AvailabilityRule,
                 AvailabilityException)  # fmt: skip


def cached_tables() -> list[str]:
    return [model._meta.db_table for model in CACHED_MODELS]


def change_token() -> tuple[object, ...] | None:
    """Changes whenever a row the engine caches is inserted, updated or deleted; None (no cache) on SQLite.

    One primary-key read: triggers on every cached table stamp a fresh sequence value (migration 0005).
    Covers the weekly rules too, so that one round trip serves both caches (``rule_table``)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT value FROM maille_engine_data_version WHERE id = 1")
        row = cursor.fetchone()
    # No row (a restored dump without it): never cache rather than risk a stale answer.
    return (row[0],) if row else None


def _pairs(rows: list[tuple[int, int]]) -> np.ndarray:
    return np.array(rows, dtype=np.int64).reshape(-1, 2) if rows else _EMPTY_PAIRS


def _rows(rows: object) -> np.ndarray:
    return np.array(list(rows), dtype=np.int64).reshape(-1, 3)  # type: ignore[call-overload]


def _since(today: dt.date) -> dt.datetime:
    """Midnight UTC of the day before ``today``: nothing searched from ``today`` on ends earlier."""
    return dt.datetime.combine(today - dt.timedelta(days=1), dt.time(0), tzinfo=dt.UTC)


def _reserved(use: Use, offering: object) -> np.ndarray:
    far = day_number(dt.date(9999, 12, 31))
    rows = [
        (site_id, weekday, starts.hour * 60 + starts.minute, ends.hour * 60 + ends.minute, day_number(valid_from),
         day_number(valid_until) if valid_until else far, release_hours * 60)
        for site_id, weekday, starts, ends, valid_from, valid_until, release_hours in (
            ReservedRange.objects.filter(site_id__in=offering).exclude(use=use).values_list(
                "site_id", "weekday", "starts", "ends", "valid_from", "valid_until", "release_hours_before"
            )
        )
    ]  # fmt: skip
    return np.array(rows, dtype=np.int64).reshape(-1, 7)


def _load(use: Use, today: dt.date, site_ids: tuple[int, ...] | None = None) -> UseResources:
    offering = Site.objects.filter(site_uses__use=use, site_uses__is_active=True)
    searched = Site.objects.active().filter(site_uses__use=use, site_uses__is_active=True)
    if site_ids is not None:
        offering, searched = offering.filter(pk__in=site_ids), searched.filter(pk__in=site_ids)
    sites = list(
        searched.order_by("pk").values_list(
            "id",
            "latitude",
            "longitude",
            "commune__departement_id",
            "site_uses__duration_minutes",
            "scheduling_settings__open_on_public_holidays",
        )
    )
    site_rows = [
        {
            "id": pk,
            "latitude": lat,
            "longitude": lon,
            "departement": departement,
            "duration": duration or use.default_duration_minutes,
            "open_on_public_holidays": bool(open_on_holidays),
        }
        for pk, lat, lon, departement, duration, open_on_holidays in sites
    ]
    offering = offering.values("pk")
    rooms = Room.objects.filter(site_id__in=offering).bookable().equipped_for(use)
    current = Q(start_date__isnull=True) | Q(start_date__lte=today)
    current &= Q(end_date__isnull=True) | Q(end_date__gte=today)
    assistants: list[tuple[int, int]] = []
    if use.assisting_professions:
        assistants = list(
            NetworkRole.objects.active()
            .assistants()
            .filter(current, sites__in=offering, professional__profession__in=use.assisting_professions)
            .values_list("professional_id", "sites")
            .distinct()
        )
    doctors = (
        NetworkRole.objects.active()
        .remote_doctors()
        .filter(current, sites__in=offering, professional__profession=use.remote_profession)
    )
    if use.remote_specialty_id:
        doctors = doctors.filter(professional__specialty_id=use.remote_specialty_id)
    doctor_rows = list(doctors.values_list("professional_id", "sites").distinct())
    people = Professional.objects.filter(pk__in={pk for pk, _ in doctor_rows})
    sex, languages = {}, {}
    for pk, professional_sex, spoken in people.values_list("pk", "sex", "languages"):
        sex[pk], languages[pk] = professional_sex, spoken or []
    return UseResources(
        sites=site_rows,
        policy=UseBookingPolicy.objects.filter(use=use).first(),
        reserved=_reserved(use, offering),
        closures=_rows(
            (site_id, to_minutes(s), to_minutes(e))
            for site_id, s, e in SiteClosure.objects.filter(
                site_id__in=offering, ends_at__gt=_since(today)
            ).values_list("site_id", "starts_at", "ends_at")
        ),
        absences=_rows(
            (room_id * 2 if room_id is not None else professional_id * 2 + 1, to_minutes(s), to_minutes(e))
            for room_id, professional_id, s, e in Absence.objects.filter(
                ends_at__gt=_since(today)
            ).values_list("room_id", "professional_id", "starts_at", "ends_at")
        ),
        rooms=_pairs(list(rooms.values_list("pk", "site_id"))),
        assistants=_pairs(assistants),
        doctors=_pairs(doctor_rows),
        doctor_sex=sex,
        doctor_languages=languages,
    )


_ARRAYS = ("rooms", "assistants", "doctors", "reserved", "closures", "absences")
_POLICY_FIELDS = [field.attname for field in UseBookingPolicy._meta.concrete_fields]


def _encode(resources: UseResources) -> bytes:
    policy = resources.policy
    meta = {
        "sites": resources.sites,
        "doctor_sex": list(resources.doctor_sex.items()),
        "doctor_languages": list(resources.doctor_languages.items()),
        "policy": None if policy is None else {name: getattr(policy, name) for name in _POLICY_FIELDS},
    }
    return snapshot.encode({name: getattr(resources, name) for name in _ARRAYS}, meta)


def _decode(payload: bytes) -> UseResources:
    arrays, meta = snapshot.decode(payload)
    assert isinstance(meta, dict)
    policy = meta["policy"]
    return UseResources(
        sites=meta["sites"],
        doctor_sex=dict(meta["doctor_sex"]),
        doctor_languages=dict(meta["doctor_languages"]),
        policy=None if policy is None else UseBookingPolicy(**policy),
        **{name: arrays[name] for name in _ARRAYS},
    )


def use_resources(
    use: Use, today: dt.date, site_ids: tuple[int, ...] | None = None, *, token: tuple[object, ...] | None
) -> UseResources:
    """The use's resources, from the cache while ``token`` (``change_token()``) is unchanged.

    Without a cache (SQLite: no token), ``site_ids`` limits the loading to those sites.
    """
    if token is None:
        return _load(use, today, site_ids)
    key = (
        str(connection.settings_dict["NAME"]),
        use.pk,
        tuple(use.assisting_professions or ()),
        use.remote_profession,
        use.remote_specialty_id,
        use.default_duration_minutes,
        today,
    )
    cached = _cache.get(key)
    if cached is not None and cached[0] == token:
        return cached[1]
    resources = snapshot.shared_or_loaded(
        "resources:" + ":".join(str(part) for part in key[1:]),  # the key without the database's name
        token,
        today,
        load=lambda: _load(use, today),
        encode=_encode,
        decode=_decode,
    )
    with _lock:
        if len(_cache) >= _MAX_ENTRIES:
            _cache.clear()
        _cache[key] = (token, resources)
    return resources
