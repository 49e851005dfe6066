"""The public slot page's data: the nearest sites to a commune, each with its next free times.

Every site's next free times for a use are computed once (``engine.next_free_by_site``, one problem over
all sites) and kept per process for ``PUBLIC_SLOTS_CACHE_SECONDS``; a request then only measures travel from
the patient's commune to each site and keeps the nearest. Patients of every commune share the computation,
so the page holds its load (`make bench`, docs/benchmarks.md). The list may lag a booking by those few
seconds: the hold checks the slot again and a slot just taken answers with the next free ones.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass

import numpy as np
from django.conf import settings

from maille.directory.models import Site, Use
from maille.scheduling.engine import Slot, next_free_by_site, travel_minutes_from
from maille.scheduling.engine.resource_cache import change_token
from maille.scheduling.slot_groups import SiteSlots, SlotChoice
from maille.scheduling.wallclock import PARIS
from maille.territory.models import Commune

WINDOW_DAYS = 14
_MAX_ENTRIES = 64


@dataclass(frozen=True)
class _Snapshot:
    site_ids: list[int]
    names: list[str]
    lats: np.ndarray
    lons: np.ndarray
    times: list[list[Slot]]


_lock = threading.Lock()
_cache: dict[tuple[object, ...], tuple[float, _Snapshot]] = {}


def _compute(use: Use, after: dt.date | None, per_site: int) -> _Snapshot:
    starts_after = dt.datetime.combine(after, dt.time(0), tzinfo=PARIS) if after else None
    found = next_free_by_site(use, starts_after=starts_after, days=WINDOW_DAYS, per_site=per_site)
    rows = (
        Site.objects.filter(pk__in=list(found))
        .order_by("pk")
        .values_list("pk", "name", "latitude", "longitude")
    )
    ids, names, lats, lons = [], [], [], []
    for pk, name, latitude, longitude in rows:
        ids.append(pk)
        names.append(name)
        lats.append(np.nan if latitude is None else latitude)
        lons.append(np.nan if longitude is None else longitude)
    return _Snapshot(ids, names, np.array(lats, dtype=float), np.array(lons, dtype=float),
                     [found[pk] for pk in ids])  # fmt: skip


def _snapshot(use: Use, after: dt.date | None, per_site: int) -> _Snapshot:
    key = (use.pk, after, per_site, change_token())
    now = time.monotonic()
    with _lock:
        cached = _cache.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        # computed under the lock: concurrent requests of a process wait for one computation, not repeat it
        snapshot = _compute(use, after, per_site)
        if len(_cache) >= _MAX_ENTRIES:
            _cache.clear()
        _cache[key] = (now + settings.PUBLIC_SLOTS_CACHE_SECONDS, snapshot)
        return snapshot


def forget_cached_slots() -> None:
    with _lock:
        _cache.clear()


def nearest_sites_with_times(
    use: Use,
    commune: Commune,
    *,
    max_travel_minutes: float | None,
    after: dt.date | None = None,
    sites_shown: int = 5,
    per_site: int = 6,
) -> list[SiteSlots]:
    """The ``sites_shown`` nearest sites within ``max_travel_minutes`` that have free times, nearest first."""
    snapshot = _snapshot(use, after, per_site)
    if not snapshot.site_ids or commune.latitude is None or commune.longitude is None:
        return []
    minutes = travel_minutes_from(commune.latitude, commune.longitude, snapshot.lats, snapshot.lons)
    order = [int(i) for i in np.argsort(minutes, kind="stable") if np.isfinite(minutes[i])]
    groups = []
    for index in order:
        travel = float(minutes[index])
        if max_travel_minutes is not None and travel > max_travel_minutes:
            break
        site_id, name = snapshot.site_ids[index], snapshot.names[index]
        times = [
            SlotChoice(site_id, name, slot.starts_at, slot.ends_at, travel, len(slot.doctor_ids))
            for slot in snapshot.times[index]
        ]
        groups.append(SiteSlots(site_id, name, travel, times))
        if len(groups) == sites_shown:
            break
    return groups
