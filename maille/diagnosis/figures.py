"""The key figures of a zone's diagnosis, and each commune's row: what a committee reads first.

- Accessibility: the official APL of the DREES (2023, general practitioners), population under 2.5
  ("sous-dense", arrêté du 13 novembre 2017) and under 1.5.
- Distance: minutes by car from each commune to the nearest active teleconsultation site of the directory
  (any site, in the zone or not: a site over the border serves too), with the planning library's travel
  model (great-circle distance × detour ÷ speed); population beyond 20 and 30 minutes.
- Coverage gap: a commune under 2.5 with no site within 30 minutes.
- The network: the zone's sites, their weekly room time (current availability rules) and the share of it
  booked over the last four weeks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.utils import timezone
from django.utils.translation import gettext as _

from maille.directory.models import Site
from maille.directory.selectors import sites_visible_to
from maille.planning.points import Points
from maille.planning.travel import GreatCircleEngine
from maille.scheduling.selectors import site_booked_minutes, site_room_minutes_per_week
from maille.territory.models import SOUS_DENSE_APL_THRESHOLD

from .zones import Zone, zone_communes

VERY_LOW_APL = 1.5
TRAVEL_LIMITS = (20, 30)
GAP_MINUTES = 30
OCCUPANCY_WEEKS = 4
TRAVEL_ENGINE = GreatCircleEngine()
CHUNK = 256


@dataclass(frozen=True)
class CommuneRow:
    code: str
    name: str
    population: int
    apl: float | None
    travel_minutes: float | None  # to the nearest active site; None: no site with coordinates
    nearest_site: str

    @property
    def gap(self) -> bool:
        """Under 2.5 and no site within ``GAP_MINUTES``: where a new site would help most."""
        far = self.travel_minutes is None or self.travel_minutes > GAP_MINUTES
        return self.apl is not None and self.apl < SOUS_DENSE_APL_THRESHOLD and far


@dataclass(frozen=True)
class SiteRow:
    pk: int
    name: str
    commune: str
    room_hours_per_week: float
    occupancy: float | None  # share of the room time booked over the last weeks; None: no room time


@dataclass
class Diagnosis:
    zone: Zone
    rows: list[CommuneRow]
    sites: list[SiteRow]
    apl_year: int | None
    computed_at: dt.datetime
    population: int = 0
    under_sous_dense: int = 0
    under_very_low: int = 0
    beyond: dict[int, int] = field(default_factory=dict)
    gap_population: int = 0
    communes_without_apl: int = 0
    envisaged: list[str] = field(default_factory=list)  # communes where the scenario adds a site

    @property
    def room_hours_per_week(self) -> float:
        return sum(site.room_hours_per_week for site in self.sites)

    @property
    def occupancy(self) -> float | None:
        hours = sum(s.room_hours_per_week for s in self.sites if s.occupancy is not None)
        if not hours:
            return None
        booked = sum(s.room_hours_per_week * s.occupancy for s in self.sites if s.occupancy is not None)
        return booked / hours

    def share(self, population: int) -> float:
        return population / self.population if self.population else 0.0


@dataclass(frozen=True)
class WhatIf:
    """A scenario drawn by hand: sites envisaged at communes, existing sites taken away."""

    added: tuple[tuple[str, str, float, float], ...] = ()  # (commune code, name, latitude, longitude)
    removed: frozenset[int] = frozenset()

    @property
    def is_empty(self) -> bool:
        return not self.added and not self.removed


def _network(what_if: WhatIf) -> list[tuple[str, float, float]]:
    """(name, latitude, longitude) of the active sites, minus the removed, plus the envisaged ones."""
    sites = [
        (name, latitude, longitude)
        for pk, name, latitude, longitude in Site.objects.active()
        .filter(latitude__isnull=False, longitude__isnull=False)
        .values_list("pk", "name", "latitude", "longitude")
        if pk not in what_if.removed
    ]
    envisaged = _("site envisagé à %(commune)s")
    return sites + [(envisaged % {"commune": name}, lat, lon) for _code, name, lat, lon in what_if.added]


def _nearest(
    rows: list[tuple[Any, ...]], sites: list[tuple[str, float, float]]
) -> tuple[np.ndarray, list[str]]:
    """Minutes to the nearest site for each (…, latitude, longitude) row, and that site's name."""
    minutes = np.full(len(rows), np.nan)
    names = [""] * len(rows)
    placed = [i for i, row in enumerate(rows) if row[-2] is not None and row[-1] is not None]
    if not sites or not placed:
        return minutes, names
    destinations = Points([s[1] for s in sites], [s[2] for s in sites], check_france=False)
    # dense blocks of bounded size (a national network has 3,000 sites)
    for begin in range(0, len(placed), CHUNK):
        chunk = placed[begin : begin + CHUNK]
        origins = Points([rows[i][-2] for i in chunk], [rows[i][-1] for i in chunk], check_france=False)
        matrix = TRAVEL_ENGINE.minutes_between(origins, destinations)
        best = np.argmin(matrix, axis=1)
        for position, (row_index, site_index) in enumerate(zip(chunk, best.tolist(), strict=True)):
            minutes[row_index] = float(matrix[position, site_index])
            names[row_index] = sites[site_index][0]
    return minutes, names


def diagnose(
    user: Any, zone: Zone, *, now: dt.datetime | None = None, what_if: WhatIf | None = None
) -> Diagnosis:
    """The zone's figures with today's network, or with the sites of ``what_if`` added and removed."""
    now = now or timezone.now()
    what_if = what_if or WhatIf()
    communes = list(
        zone_communes(user, zone)
        .order_by("code")
        .values_list("code", "name", "population", "apl_gp", "apl_year", "latitude", "longitude")
    )
    minutes, nearest = _nearest(communes, _network(what_if))
    rows = [
        CommuneRow(
            code,
            name,
            population or 0,
            apl,
            None if np.isnan(minutes[i]) else round(float(minutes[i]), 1),
            nearest[i],
        )  # fmt: skip
        for i, (code, name, population, apl, _year, _lat, _lon) in enumerate(communes)
    ]
    years = [year for *_, year, _lat, _lon in communes if year]
    sites = [site for site in _sites(user, zone, now) if site.pk not in what_if.removed]
    diagnosis = Diagnosis(zone, rows, sites, max(years) if years else None, now)
    diagnosis.envisaged = [name for _code, name, _lat, _lon in what_if.added]
    diagnosis.population = sum(r.population for r in rows)
    diagnosis.under_sous_dense = sum(
        r.population for r in rows if r.apl is not None and r.apl < SOUS_DENSE_APL_THRESHOLD
    )
    diagnosis.under_very_low = sum(r.population for r in rows if r.apl is not None and r.apl < VERY_LOW_APL)
    diagnosis.beyond = {
        limit: sum(r.population for r in rows if r.travel_minutes is None or r.travel_minutes > limit)
        for limit in TRAVEL_LIMITS
    }
    diagnosis.gap_population = sum(r.population for r in rows if r.gap)
    diagnosis.communes_without_apl = sum(1 for r in rows if r.apl is None)
    return diagnosis


def _sites(user: Any, zone: Zone, now: dt.datetime) -> list[SiteRow]:
    sites = list(
        sites_visible_to(user)
        .active()
        .filter(commune__in=zone_communes(user, zone))
        .select_related("commune")
        .order_by("name")
    )
    ids = [site.pk for site in sites]
    weekly = site_room_minutes_per_week(ids, timezone.localdate(now))
    booked = site_booked_minutes(ids, now - dt.timedelta(weeks=OCCUPANCY_WEEKS), now)
    rows = []
    for site in sites:
        week = weekly.get(site.pk, 0)
        occupancy = booked.get(site.pk, 0) / (week * OCCUPANCY_WEEKS) if week else None
        rows.append(SiteRow(site.pk, site.name, site.commune.name if site.commune_id else "", week / 60,
                            None if occupancy is None else min(occupancy, 1.0)))  # fmt: skip
    return rows


def sorted_rows(rows: list[CommuneRow], order: str, limit: int | None = None) -> list[CommuneRow]:
    """The most under-served communes first: by APL (lowest), travel (longest) or population (largest)."""
    inhabited = [r for r in rows if r.population > 0]
    far = float("inf")
    keys = {
        "apl": lambda r: (r.apl if r.apl is not None else far, -r.population, r.code),
        "trajet": lambda r: (
            -(r.travel_minutes if r.travel_minutes is not None else far),
            -r.population,
            r.code,
        ),
        "population": lambda r: (-r.population, r.code),
        "ecart": lambda r: (not r.gap, -r.population, r.code),
    }
    ordered = sorted(inhabited, key=keys.get(order, keys["apl"]))
    return ordered[:limit] if limit else ordered
