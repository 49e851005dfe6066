"""The key figures of a zone's diagnosis, and each commune's row: what a committee reads first.

- Accessibility: the official APL of the DREES (2023, general practitioners), population under 2.5
  ("sous-dense", arrêté du 13 novembre 2017) and under 1.5.
- Distance: minutes by car from each commune to the nearest active teleconsultation site of the directory
  (any site, in the zone or not: a site over the border serves too), with the planning library's travel
  model (great-circle distance × detour ÷ speed); population beyond 20 and 30 minutes.
- Coverage gap: a commune under 2.5 with no site within 30 minutes.
- The network: the zone's sites, their weekly room time (current availability rules) and the share of it
  booked over the last four weeks.
- APL with the network: the official APL plus the accessibility the network's teleconsultation time adds,
  computed like the APL itself (E2SFCA, the DREES distance decay, ``planning.added_accessibility``): each
  site offers its weekly room time (an envisaged site, the hours of the assumptions) as consultations a year. Population "lifted" is the
  population under 2.5 by the official APL and at or above 2.5 with the network.
- Sizing (scenarios): each commune goes to its nearest site within the catchment time; each site of the zone
  gets the weekly hours that keep the mean wait under the target (Erlang C, ``planning.sizing``).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.utils import timezone
from django.utils.translation import gettext as _
from numpy.typing import NDArray

from maille.directory.models import Site
from maille.directory.selectors import sites_visible_to
from maille.planning.accessibility import added_accessibility
from maille.planning.errors import PlanningError
from maille.planning.points import Points
from maille.planning.sizing import NetworkSizing, SiteSizing
from maille.planning.travel import GreatCircleEngine
from maille.scheduling.selectors import site_booked_minutes, site_room_minutes_per_week
from maille.territory.models import SOUS_DENSE_APL_THRESHOLD, Commune

from .assumptions import Assumptions
from .territory_inputs import TerritoryInputError, distance_decay
from .zones import Zone, zone_communes

VERY_LOW_APL = 1.5
TRAVEL_LIMITS = (20, 30)
GAP_MINUTES = 30
OCCUPANCY_WEEKS = 4
TRAVEL_ENGINE = GreatCircleEngine()
CHUNK = 256
KM_PER_DEGREE = 111.2


@dataclass(frozen=True)
class CommuneRow:
    code: str
    name: str
    population: int
    apl: float | None
    travel_minutes: float | None  # to the nearest active site; None: no site with coordinates
    nearest_site: str
    network_apl: float | None = None  # the official APL + what the network's teleconsultation time adds

    @property
    def gap(self) -> bool:
        """Under 2.5 and no site within ``GAP_MINUTES``: where a new site would help most."""
        far = self.travel_minutes is None or self.travel_minutes > GAP_MINUTES
        return self.apl is not None and self.apl < SOUS_DENSE_APL_THRESHOLD and far

    @property
    def lifted(self) -> bool:
        """Under 2.5 by the official APL, at or above it with the network."""
        return (
            self.apl is not None
            and self.network_apl is not None
            and self.apl < SOUS_DENSE_APL_THRESHOLD <= self.network_apl
        )


@dataclass(frozen=True)
class SiteRow:
    pk: int
    name: str
    commune: str
    room_hours_per_week: float
    occupancy: float | None  # share of the room time booked over the last weeks; None: no room time
    latitude: float | None = None
    longitude: float | None = None
    is_fictional: bool = False


@dataclass(frozen=True)
class NetworkSite:
    """A site of the network a scenario describes: a directory site (``pk``) or an envisaged one (None)."""

    pk: int | None
    name: str
    commune: str  # INSEE code
    latitude: float
    longitude: float


@dataclass(frozen=True)
class SizedSite:
    name: str
    commune: str
    envisaged: bool
    catchment_population: int
    yearly_demand: float
    rooms: int
    weekly_hours: float
    doctor_hours_per_week: float
    assistant_hours_per_week: float


@dataclass
class Sizing:
    sites: list[SizedSite]
    error: str = ""

    @property
    def doctor_hours_per_week(self) -> float:
        return sum(s.doctor_hours_per_week for s in self.sites)

    @property
    def assistant_hours_per_week(self) -> float:
        return sum(s.assistant_hours_per_week for s in self.sites)

    @property
    def yearly_demand(self) -> float:
        return sum(s.yearly_demand for s in self.sites)


@dataclass
class Diagnosis:
    zone: Zone
    rows: list[CommuneRow]
    sites: list[SiteRow]
    apl_year: int | None
    computed_at: dt.datetime
    assumptions: Assumptions = field(default_factory=Assumptions)
    population: int = 0
    under_sous_dense: int = 0
    under_very_low: int = 0
    beyond: dict[int, int] = field(default_factory=dict)
    gap_population: int = 0
    communes_without_apl: int = 0
    envisaged: list[str] = field(default_factory=list)  # communes where the scenario adds a site
    network: list[NetworkSite] = field(default_factory=list)
    network_note: str = ""  # why the APL with the network is missing, when it is
    lifted_population: int = 0
    under_with_network: int = 0
    mean_travel_minutes: float | None = None

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

    @property
    def within(self) -> dict[int, int]:
        return {limit: self.population - beyond for limit, beyond in self.beyond.items()}

    @property
    def sites_in_zone(self) -> int:
        """Sites of the described network (envisaged ones included) located in the zone's communes."""
        codes = {r.code for r in self.rows}
        return sum(1 for site in self.network if site.commune in codes)


@dataclass(frozen=True)
class WhatIf:
    """A scenario drawn by hand: sites envisaged at communes, existing sites taken away."""

    added: tuple[tuple[str, str, float, float], ...] = ()  # (commune code, name, latitude, longitude)
    removed: frozenset[int] = frozenset()

    @property
    def is_empty(self) -> bool:
        return not self.added and not self.removed


def network_sites(what_if: WhatIf) -> list[NetworkSite]:
    """Every active site with coordinates (any zone: a site over the border serves too), minus the removed,
    plus the envisaged ones."""
    sites = [
        NetworkSite(pk, name, commune or "", latitude, longitude)
        for pk, name, commune, latitude, longitude in Site.objects.active()
        .filter(latitude__isnull=False, longitude__isnull=False)
        .order_by("pk")
        .values_list("pk", "name", "commune_id", "latitude", "longitude")
        if pk not in what_if.removed
    ]
    envisaged = _("site envisagé à %(commune)s")
    return sites + [
        NetworkSite(None, envisaged % {"commune": name}, code, lat, lon)
        for code, name, lat, lon in what_if.added
    ]


def _nearest(rows: list[tuple[Any, ...]], sites: list[NetworkSite]) -> tuple[NDArray[np.float64], list[str]]:
    """Minutes to the nearest site for each (…, latitude, longitude) row, and that site's name."""
    minutes = np.full(len(rows), np.nan)
    names = [""] * len(rows)
    placed = [i for i, row in enumerate(rows) if row[-2] is not None and row[-1] is not None]
    if not sites or not placed:
        return minutes, names
    destinations = Points([s.latitude for s in sites], [s.longitude for s in sites], check_france=False)
    # dense blocks of bounded size (a national network has 3,000 sites)
    for begin in range(0, len(placed), CHUNK):
        chunk = placed[begin : begin + CHUNK]
        origins = Points([rows[i][-2] for i in chunk], [rows[i][-1] for i in chunk], check_france=False)
        matrix = TRAVEL_ENGINE.minutes_between(origins, destinations)
        best = np.argmin(matrix, axis=1)
        for position, (row_index, site_index) in enumerate(zip(chunk, best.tolist(), strict=True)):
            minutes[row_index] = float(matrix[position, site_index])
            names[row_index] = sites[site_index].name
    return minutes, names


@dataclass(frozen=True)
class Box:
    """Latitude/longitude bounds around the zone, widened by a distance."""

    south: float
    north: float
    west: float
    east: float

    @classmethod
    def around(cls, latitudes: list[float], longitudes: list[float]) -> Box:
        return cls(min(latitudes), max(latitudes), min(longitudes), max(longitudes))

    def widened(self, km: float) -> Box:
        dlat = km / KM_PER_DEGREE
        widest = max(abs(self.south), abs(self.north)) + dlat
        dlon = km / (KM_PER_DEGREE * max(math.cos(math.radians(min(widest, 89.0))), 0.01))
        return Box(self.south - dlat, self.north + dlat, self.west - dlon, self.east + dlon)

    def holds(self, latitude: float, longitude: float) -> bool:
        return self.south <= latitude <= self.north and self.west <= longitude <= self.east


@dataclass(frozen=True)
class Surroundings:
    """The placed communes around the zone: the demand of the sites that serve it (a catchment reaches over
    the zone's border both ways)."""

    codes: list[str]
    points: Points
    population: NDArray[np.float64]
    standardised_population: NDArray[np.float64]

    @classmethod
    def within(cls, box: Box) -> Surroundings:
        rows = list(
            Commune.objects.filter(
                latitude__gte=box.south, latitude__lte=box.north,
                longitude__gte=box.west, longitude__lte=box.east,
            ).order_by("code").values_list("code", "latitude", "longitude", "population",
                                            "population_standardised")
        )  # fmt: skip
        population = np.array([r[3] or 0 for r in rows], dtype=np.float64)
        standardised = np.array([r[3] or 0 if r[4] is None else r[4] for r in rows], dtype=np.float64)
        return cls(
            [r[0] for r in rows],
            Points(
                np.array([r[1] for r in rows], dtype=np.float64),
                np.array([r[2] for r in rows], dtype=np.float64),
                check_france=False,
            ),
            population,
            standardised,
        )


def _supply_per_year(
    sites: list[NetworkSite], room_minutes: dict[int, int], assumptions: Assumptions
) -> list[float]:
    """Consultations a year each site can offer: its weekly room time (an envisaged site, the assumed hours)."""
    supply = []
    for site in sites:
        weekly = (
            room_minutes.get(site.pk, 0) if site.pk is not None else assumptions.envisaged_hours_per_week * 60
        )
        supply.append(weekly / assumptions.consultation_minutes * assumptions.weeks_per_year)
    return supply


def network_accessibility(
    communes: list[tuple[Any, ...]], network: list[NetworkSite], assumptions: Assumptions, year: int | None,
    today: dt.date,
) -> tuple[dict[str, float], str]:  # fmt: skip
    """The accessibility the network adds to each placed commune of ``communes`` (code first, latitude and
    longitude last), or an explanation when it cannot be computed."""
    placed = [row for row in communes if row[-2] is not None and row[-1] is not None]
    if not placed:
        return {}, _("Aucune commune placée sur la carte.")
    try:
        decay = distance_decay(year)
    except TerritoryInputError as error:
        return {}, str(error)
    reach_km = TRAVEL_ENGINE.radius_km(decay.max_minutes)
    box = Box.around([r[-2] for r in placed], [r[-1] for r in placed])
    reach = box.widened(reach_km)
    serving = [s for s in network if reach.holds(s.latitude, s.longitude)]
    surroundings = Surroundings.within(box.widened(2 * reach_km))
    position = {code: i for i, code in enumerate(surroundings.codes)}
    if not serving:
        return {row[0]: 0.0 for row in placed if row[0] in position}, ""
    room_minutes = site_room_minutes_per_week([s.pk for s in serving if s.pk is not None], today)
    site_points = Points([s.latitude for s in serving], [s.longitude for s in serving], check_france=False)
    times = TRAVEL_ENGINE.travel_times(surroundings.points, site_points, decay.max_minutes)
    added = added_accessibility(
        decay,
        times,
        surroundings.standardised_population,
        _supply_per_year(serving, room_minutes, assumptions),
    )
    return {row[0]: float(added[position[row[0]]]) for row in placed if row[0] in position}, ""


def diagnose(
    user: Any,
    zone: Zone,
    *,
    now: dt.datetime | None = None,
    what_if: WhatIf | None = None,
    assumptions: Assumptions | None = None,
    with_sites: bool = True,
    zone_sites: list[SiteRow] | None = None,
) -> Diagnosis:
    """The zone's figures with today's network, or with the sites of ``what_if`` added and removed.

    ``zone_sites``: the zone's sites with their room time and occupancy when the caller has them already
    (today's diagnosis of the same zone), so that a scenario does not read them again."""
    now = now or timezone.now()
    what_if = what_if or WhatIf()
    assumptions = assumptions or Assumptions()
    communes = list(
        zone_communes(user, zone)
        .order_by("code")
        .values_list("code", "name", "population", "apl_gp", "apl_year", "latitude", "longitude")
    )
    years = [year for *_, year, _lat, _lon in communes if year]
    apl_year = max(years) if years else None
    network = network_sites(what_if)
    minutes, nearest = _nearest(communes, network)
    added, network_note = network_accessibility(
        communes, network, assumptions, apl_year, timezone.localdate(now)
    )
    rows = []
    for i, (code, name, population, apl, _year, _lat, _lon) in enumerate(communes):
        extra = added.get(code)
        rows.append(CommuneRow(
            code, name, population or 0, apl,
            None if np.isnan(minutes[i]) else round(float(minutes[i]), 1), nearest[i],
            None if apl is None or extra is None else round(apl + extra, 3),
        ))  # fmt: skip
    if zone_sites is None:
        zone_sites = _sites(user, zone, now) if with_sites else []
    sites = [s for s in zone_sites if s.pk not in what_if.removed]
    diagnosis = Diagnosis(zone, rows, sites, apl_year, now, assumptions)
    diagnosis.network = network
    diagnosis.network_note = network_note
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
    diagnosis.lifted_population = sum(r.population for r in rows if r.lifted)
    diagnosis.under_with_network = sum(
        r.population for r in rows if r.network_apl is not None and r.network_apl < SOUS_DENSE_APL_THRESHOLD
    )
    timed = [(r.travel_minutes, r.population) for r in rows if r.travel_minutes is not None and r.population]
    if timed:
        diagnosis.mean_travel_minutes = sum(m * p for m, p in timed) / sum(p for _m, p in timed)
    return diagnosis


def size_network(diagnosis: Diagnosis) -> Sizing:
    """Weekly hours of remote doctor and assistant each site of the zone needs (the sites of the diagnosis's
    network located in the zone, envisaged ones included), with the diagnosis's assumptions."""
    assumptions = diagnosis.assumptions
    zone_codes = {r.code for r in diagnosis.rows}
    located = [s for s in diagnosis.network if s.commune in zone_codes]
    if not located:
        return Sizing([], _("Aucun site dans la zone : rien à dimensionner."))
    reach_km = TRAVEL_ENGINE.radius_km(assumptions.catchment_minutes)
    box = Box.around([s.latitude for s in located], [s.longitude for s in located])
    competing = box.widened(2 * reach_km)  # every site that can take a commune from the zone's sites
    serving = [s for s in diagnosis.network if competing.holds(s.latitude, s.longitude)]
    surroundings = Surroundings.within(box.widened(reach_km))
    site_points = Points([s.latitude for s in serving], [s.longitude for s in serving], check_france=False)
    times = TRAVEL_ENGINE.travel_times(surroundings.points, site_points, assumptions.catchment_minutes)
    try:
        model = NetworkSizing(
            assumptions.use_rate,
            within_minutes=assumptions.catchment_minutes,
            site_sizing=SiteSizing(
                consultation_minutes=assumptions.consultation_minutes,
                target_wait_minutes=assumptions.target_wait_minutes,
                weeks_per_year=assumptions.weeks_per_year,
            ),
            max_rooms=assumptions.max_rooms,
        ).solve(
            times, np.arange(len(serving)), surroundings.population, site_labels=[s.name for s in serving]
        )
    except PlanningError as error:
        names = ", ".join(str(r) for r in error.rows[:5])
        return Sizing([], _(
            "Dimensionnement impossible avec ces hypothèses : la demande dépasse %(rooms)s salles ouvertes "
            "60 heures par semaine (%(sites)s). Augmentez le nombre de salles ou réduisez le recours."
        ) % {"rooms": assumptions.max_rooms, "sites": names})  # fmt: skip
    weeks = assumptions.weeks_per_year
    rows = [
        SizedSite(
            site.name,
            site.commune,
            site.pk is None,
            int(model.catchment_population_[j]),
            round(sized.yearly_demand, 1),
            sized.rooms,
            sized.weekly_hours,
            round(sized.doctor_hours_per_year / weeks, 1),
            round(sized.assistant_hours_per_year / weeks, 1),
        )  # fmt: skip
        for j, (site, sized) in enumerate(zip(serving, model.sites_, strict=True))
        if site.commune in zone_codes
    ]
    return Sizing(rows)


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
                            None if occupancy is None else min(occupancy, 1.0), site.latitude,
                            site.longitude, site.is_fictional))  # fmt: skip
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
