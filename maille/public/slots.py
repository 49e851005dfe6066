"""The public slot page's data: the nearest sites to a commune, each with its next free times.

Every site's next free times for a use are computed once (``engine.next_free_by_site``, one problem over
all sites) and kept per process for ``PUBLIC_SLOTS_CACHE_SECONDS``; a request then only measures travel from
the patient's commune to each site and keeps the nearest. Patients of every commune share the computation,
so the page holds its load (`make bench`, docs/benchmarks.md). The list may lag a booking by those few
seconds: the hold checks the slot again and a slot just taken answers with the next free ones.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import connection
from django.utils import formats
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from maille.directory.models import Site, Use
from maille.scheduling.engine import next_free_by_site, travel_minutes_from
from maille.scheduling.engine.resource_cache import change_token
from maille.scheduling.slot_groups import SiteSlots
from maille.scheduling.wallclock import PARIS
from maille.territory.models import Commune

logger = logging.getLogger(__name__)
WINDOW_DAYS = 7  # a site full for a week shows no time; "later dates" moves the week
_MAX_ENTRIES = 64


@dataclass(frozen=True)
class TimeButton:
    """One free time as the page shows it: the value sent back ("<site id>_<ISO start>") and its labels."""

    value: str
    day: str  # "lun 7 déc"
    time: str  # "09:50"
    spoken: str  # "lundi 7 décembre à 09:50, Pharmacie des Côtes" (the button's accessible name)
    starts_at: dt.datetime


@dataclass(frozen=True)
class SiteTimes:
    """A site with its next free times, for the public pages (labels computed once, not per request)."""

    site_id: int
    name: str
    address: str  # "8 place de la Mairie, 55210 Vigneulles-lès-Hattonchâtel"
    travel_minutes: float | None
    times: list[TimeButton]
    buttons_html: str = ""  # the escaped list of its time buttons, built once with the snapshot

    def with_travel(self, minutes: float) -> SiteTimes:
        return SiteTimes(self.site_id, self.name, self.address, minutes, self.times, self.buttons_html)


def _buttons_html(times: list[TimeButton]) -> str:
    return "".join(
        f'<li data-testid="slot"><button type="submit" name="creneau" value="{escape(t.value)}" '
        f'class="time-button" aria-label="{escape(t.spoken)}"><span>{escape(t.day)}</span> '
        f"<strong>{escape(t.time)}</strong></button></li>"
        for t in times
    )


def _travel_text(minutes: float | None) -> str:
    if minutes is None:
        return ""
    if minutes < 5:
        return _("Moins de 5 min de trajet en voiture")
    return _("Environ %(minutes)s min de trajet en voiture") % {"minutes": f"{minutes:.0f}"}


def sites_html(sites: list[SiteTimes]) -> SafeString:
    """The list of sites and their time buttons, as the public pages show it (the page loaded most: written
    out here rather than by the template engine, each site's buttons escaped once per snapshot)."""
    items = []
    for site in sites:
        buttons = site.buttons_html or _buttons_html(site.times)
        travel = _travel_text(site.travel_minutes)
        place = escape(site.address) + (f"<br>{escape(travel)}" if travel else "")
        items.append(
            f'<li class="public-site" data-testid="site-group"><h2 id="site-{site.site_id}" class="site-name">'
            f'{escape(site.name)}</h2><p class="muted">{place}</p><ul class="public-times" '
            f'aria-labelledby="site-{site.site_id}">{buttons}</ul></li>'
        )
    return mark_safe(f'<ol class="public-sites" data-testid="site-groups">{"".join(items)}</ol>')


def time_buttons(site_id: int, site_name: str, starts: list[dt.datetime]) -> list[TimeButton]:
    buttons = []
    for start in starts:
        local = start.astimezone(PARIS)
        time_label = local.strftime("%H:%M")
        spoken = _("%(day)s à %(time)s, %(site)s") % {
            "day": formats.date_format(local, "l j F"), "time": time_label, "site": site_name,
        }  # fmt: skip
        buttons.append(
            TimeButton(
                f"{site_id}_{start.isoformat()}",
                formats.date_format(local, "D j M"),
                time_label,
                spoken,
                start,
            )  # fmt: skip
        )
    return buttons


def site_times(groups: list[SiteSlots]) -> list[SiteTimes]:
    """Groups of the engine's slots (the move page's search) as the public pages show them."""
    sites = Site.objects.filter(pk__in=[g.site_id for g in groups]).select_related("commune").in_bulk()
    return [
        SiteTimes(
            g.site_id,
            g.site_name,
            _address(sites.get(g.site_id)),
            g.travel_minutes,
            time_buttons(g.site_id, g.site_name, [t.starts_at for t in g.times]),
        )  # fmt: skip
        for g in groups
    ]


def _address(site: Site | None) -> str:
    if site is None:
        return ""
    place = f"{site.postal_code} {site.commune.name}".strip() if site.commune_id else ""
    return ", ".join(part for part in (site.address, place) if part)


@dataclass(frozen=True)
class _Snapshot:
    site_ids: list[int]
    lats: np.ndarray
    lons: np.ndarray
    sites: list[SiteTimes]  # travel_minutes None: set per request


_lock = threading.Lock()
_cache: dict[tuple[object, ...], tuple[float, _Snapshot]] = {}
_refreshing: set[tuple[object, ...]] = set()
_first_locks: dict[tuple[object, ...], threading.Lock] = {}


def _compute(use: Use, after: dt.date | None, per_site: int) -> _Snapshot:
    starts_after = dt.datetime.combine(after, dt.time(0), tzinfo=PARIS) if after else None
    found = next_free_by_site(use, starts_after=starts_after, days=WINDOW_DAYS, per_site=per_site)
    sites = Site.objects.filter(pk__in=list(found)).select_related("commune").order_by("pk")
    ids, lats, lons, shown = [], [], [], []
    for site in sites:
        ids.append(site.pk)
        lats.append(np.nan if site.latitude is None else site.latitude)
        lons.append(np.nan if site.longitude is None else site.longitude)
        starts = [slot.starts_at for slot in found[site.pk]]
        shown.append(
            SiteTimes(site.pk, site.name, _address(site), None, time_buttons(site.pk, site.name, starts))
        )
    return _Snapshot(ids, np.array(lats, dtype=float), np.array(lons, dtype=float), shown)


def _snapshot(use: Use, after: dt.date | None, per_site: int) -> _Snapshot:
    """The cached snapshot. Once it has expired it keeps answering while a background thread computes the
    next one (a request never waits for a recomputation); only the very first one is computed by a request
    (once per key: the other threads wait for it)."""
    if settings.PUBLIC_SLOTS_CACHE_SECONDS <= 0:  # no cache: every request computes, in parallel
        return _compute(use, after, per_site)
    key = (use.pk, after, per_site, change_token())
    with _lock:
        cached = _cache.get(key)
        if cached is not None:
            if cached[0] <= time.monotonic() and key not in _refreshing:
                _refreshing.add(key)
                threading.Thread(target=_refresh, args=(key, use, after, per_site), daemon=True).start()
            return cached[1]
        first_lock = _first_locks.setdefault(key, threading.Lock())
    with first_lock:  # no snapshot yet: one computation, the other threads wait for it
        with _lock:
            cached = _cache.get(key)
        if cached is not None:
            return cached[1]
        return _store(key, _compute(use, after, per_site))


def _refresh(key: tuple[object, ...], use: Use, after: dt.date | None, per_site: int) -> None:
    try:
        _store(key, _compute(use, after, per_site))
    except Exception:  # the expired snapshot stays; the next request past its time tries again
        logger.exception("public slot snapshot refresh failed")
    finally:
        with _lock:
            _refreshing.discard(key)
        connection.close()  # this thread's own database connection


def _store(key: tuple[object, ...], snapshot: _Snapshot) -> _Snapshot:
    with _lock:
        if len(_cache) >= _MAX_ENTRIES:
            _cache.clear()
            _first_locks.clear()
        _cache[key] = (time.monotonic() + settings.PUBLIC_SLOTS_CACHE_SECONDS, snapshot)
    return snapshot


def forget_cached_slots() -> None:
    with _lock:
        _cache.clear()
        _refreshing.clear()
        _first_locks.clear()


def nearest_sites_with_times(
    use: Use,
    commune: Commune,
    *,
    max_travel_minutes: float | None,
    after: dt.date | None = None,
    sites_shown: int = 5,
    per_site: int = 6,
) -> list[SiteTimes]:
    """The ``sites_shown`` nearest sites within ``max_travel_minutes`` that have free times, nearest first."""
    snapshot = _snapshot(use, after, per_site)
    if not snapshot.site_ids or commune.latitude is None or commune.longitude is None:
        return []
    minutes = travel_minutes_from(commune.latitude, commune.longitude, snapshot.lats, snapshot.lons)
    shown = []
    for index in np.argsort(minutes, kind="stable").tolist():
        travel = float(minutes[index])
        if not np.isfinite(travel) or (max_travel_minutes is not None and travel > max_travel_minutes):
            break
        shown.append(snapshot.sites[index].with_travel(travel))
        if len(shown) == sites_shown:
            break
    return shown
