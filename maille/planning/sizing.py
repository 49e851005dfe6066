"""Sizing a teleconsultation site: weekly hours of remote doctor and assisting professional (Erlang C).

Patients arrive at random (Poisson) during opening hours at ``arrival rate = weekly demand / opening hours``;
``rooms`` consultations can run at once, each taking ``consultation_minutes`` on average. The Erlang C formula
gives the probability of waiting and the mean wait; the opening hours are the fewest (in steps of
``hours_step``) that keep the mean wait under ``target_wait_minutes``. The remote doctor is connected and the
assisting professional present during all opening hours in each room.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from maille.planning.errors import InvalidInputError
from maille.planning.sites import checked_weights
from maille.planning.travel import TravelTimes


def erlang_c(servers: int, offered_load: float) -> float:
    """Probability that an arrival waits, for ``servers`` servers and an offered load in Erlangs.

    Examples
    --------
    >>> round(erlang_c(1, 0.5), 6)  # M/M/1: the utilisation
    0.5
    >>> round(erlang_c(2, 1.0), 6)
    0.333333
    """
    if offered_load >= servers:
        return 1.0
    term, total = 1.0, 1.0
    for n in range(1, servers):
        term *= offered_load / n
        total += term
    last = term * offered_load / servers * servers / (servers - offered_load)
    return last / (total + last)


class SiteSizing:
    """Weekly opening hours that keep the mean wait under a target, for a site's expected demand.

    Parameters
    ----------
    consultation_minutes : float, default 20
    target_wait_minutes : float, default 15
    rooms : int, default 1
    weeks_per_year : float, default 47
    hours_step : float, default 0.5
    max_weekly_hours : float, default 60

    Attributes
    ----------
    weekly_hours_ : float
        Opening hours per week (also the remote doctor's and the assistant's hours per room).
    doctor_hours_per_year_, assistant_hours_per_year_ : float
        The cost inputs of the evaluation part (multiply by hourly rates there).
    utilisation_, mean_wait_minutes_ : float

    Examples
    --------
    >>> sizing = SiteSizing(consultation_minutes=20, target_wait_minutes=15).solve(yearly_demand=2350)
    >>> sizing.weekly_hours_, round(sizing.utilisation_, 2), sizing.mean_wait_minutes_ <= 15
    (39.0, 0.43, True)
    """

    def __init__(
        self,
        consultation_minutes: float = 20.0,
        target_wait_minutes: float = 15.0,
        rooms: int = 1,
        weeks_per_year: float = 47.0,
        hours_step: float = 0.5,
        max_weekly_hours: float = 60.0,
    ) -> None:
        self.consultation_minutes = consultation_minutes
        self.target_wait_minutes = target_wait_minutes
        self.rooms = rooms
        self.weeks_per_year = weeks_per_year
        self.hours_step = hours_step
        self.max_weekly_hours = max_weekly_hours

    def solve(self, yearly_demand: float) -> SiteSizing:
        """Size the site for ``yearly_demand`` consultations; returns ``self``."""
        if not (math.isfinite(yearly_demand) and yearly_demand >= 0):
            raise InvalidInputError("yearly demand must be a non-negative number", [yearly_demand])
        if self.rooms < 1 or self.consultation_minutes <= 0 or self.hours_step <= 0:
            raise InvalidInputError("rooms, consultation time and hour step must be positive")
        weekly = yearly_demand / self.weeks_per_year
        service_per_hour = 60.0 / self.consultation_minutes
        hours = self.hours_step if weekly > 0 else 0.0
        while hours <= self.max_weekly_hours:
            if hours == 0.0:
                wait, load = 0.0, 0.0
                break
            load = (weekly / hours) / service_per_hour
            if load < self.rooms:
                waiting = erlang_c(self.rooms, load)
                wait = waiting / (self.rooms * service_per_hour - weekly / hours) * 60.0
                if wait <= self.target_wait_minutes:
                    break
            hours += self.hours_step
        else:
            raise InvalidInputError(
                f"more than {self.max_weekly_hours} weekly hours needed: add rooms or split the demand",
                [yearly_demand],
            )
        self.yearly_demand_ = float(yearly_demand)
        self.weekly_hours_ = float(hours)
        self.utilisation_ = float(load / self.rooms)
        self.mean_wait_minutes_ = float(wait)
        self.doctor_hours_per_year_ = hours * self.rooms * self.weeks_per_year
        self.assistant_hours_per_year_ = hours * self.rooms * self.weeks_per_year
        return self


def nearest_site_catchment(
    times: TravelTimes,
    open_sites: ArrayLike,
    population: ArrayLike,
    *,
    within_minutes: float | None = None,
    demand_labels: Sequence[str] | None = None,
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Assign each demand row to its nearest open site within ``within_minutes``.

    Returns the site of each row (-1 when none is within reach; ties go to the lowest column) and the
    population of each open site's catchment, aligned with ``open_sites`` as given.

    Examples
    --------
    >>> times = TravelTimes.from_dense([[5, 30], [12, 9], [40, 3], [50, 60]], cutoff_minutes=30)
    >>> assignment, catchment = nearest_site_catchment(times, [0, 1], [100, 200, 300, 400], within_minutes=20)
    >>> assignment.tolist(), catchment.tolist()
    ([0, 1, 1, -1], [100.0, 500.0])
    """
    people = checked_weights(population, times.shape[0], demand_labels)
    sites = np.asarray(open_sites, dtype=np.int64).reshape(-1)
    outside = sites[(sites < 0) | (sites >= times.shape[1])]
    if outside.size:
        raise InvalidInputError("unknown site columns", outside.tolist())
    position = np.full(times.shape[1], -1, dtype=np.int64)
    position[sites[::-1]] = np.arange(sites.size)[::-1]
    limit = times.cutoff_minutes if within_minutes is None else within_minutes
    usable = (position[times.indices] >= 0) & (times.minutes <= limit)
    origin = times.origin_of_each_pair()[usable]
    minutes = times.minutes[usable]
    column = times.indices[usable].astype(np.int64)
    # sort by (row, minutes, column): the first pair of each row is its nearest site
    order = np.lexsort((column, minutes, origin))
    origin, column = origin[order], column[order]
    first = np.ones(origin.size, dtype=bool)
    first[1:] = origin[1:] != origin[:-1]
    assignment = np.full(times.shape[0], -1, dtype=np.int64)
    assignment[origin[first]] = column[first]
    served = assignment >= 0
    catchment = np.bincount(
        position[assignment[served]], weights=people[served], minlength=sites.size
    ).astype(np.float64)
    return assignment, catchment


@dataclass(frozen=True)
class SiteCostInputs:
    """What the evaluation part needs to cost a site: hours per year, and their cost when rates are given."""

    yearly_demand: float
    weekly_hours: float
    rooms: int
    doctor_hours_per_year: float
    assistant_hours_per_year: float
    doctor_cost_per_year: float | None
    assistant_cost_per_year: float | None


class NetworkSizing:
    """Size every open site from its catchment: yearly demand, weekly hours (Erlang C) and cost inputs.

    Each demand row goes to its nearest open site within ``within_minutes``; a site's yearly demand is its
    catchment population × ``use_rate`` (teleconsultations per inhabitant per year). Each site gets the
    fewest rooms (up to ``max_rooms``) and weekly hours that keep the mean wait under the target.

    Parameters
    ----------
    use_rate : float
        Assisted teleconsultations per inhabitant per year in a catchment.
    within_minutes : float, optional
        Farthest trip counted in a catchment (the matrix cut-off when omitted).
    site_sizing : SiteSizing, optional
        Queueing settings (consultation length, target wait, weeks per year…); its ``rooms`` is the first
        number of rooms tried.
    max_rooms : int, default 4
    doctor_hourly_cost, assistant_hourly_cost : float, optional
        Hourly costs (EUR); without them the cost fields are ``None``.

    Attributes
    ----------
    assignment_ : ndarray of int
        The open site (column) serving each demand row, -1 when none is within reach.
    catchment_population_, yearly_demand_ : ndarray
        Per open site, in the order of ``open_sites``.
    sites_ : list of SiteCostInputs
        Per open site: hours per year of remote doctor and assistant, and their cost when rates are given.

    Examples
    --------
    >>> times = TravelTimes.from_dense([[5, 30], [12, 9], [40, 3]], cutoff_minutes=30)
    >>> sizing = NetworkSizing(use_rate=0.05, within_minutes=20, doctor_hourly_cost=60.0).solve(
    ...     times, [0, 1], population=[20000, 30000, 17000])
    >>> sizing.yearly_demand_.tolist()
    [1000.0, 2350.0]
    >>> [(s.weekly_hours, s.doctor_cost_per_year, s.assistant_cost_per_year) for s in sizing.sites_]
    [(17.0, 47940.0, None), (39.0, 109980.0, None)]
    """

    def __init__(
        self,
        use_rate: float,
        *,
        within_minutes: float | None = None,
        site_sizing: SiteSizing | None = None,
        max_rooms: int = 4,
        doctor_hourly_cost: float | None = None,
        assistant_hourly_cost: float | None = None,
    ) -> None:
        self.use_rate = use_rate
        self.within_minutes = within_minutes
        self.site_sizing = site_sizing if site_sizing is not None else SiteSizing()
        self.max_rooms = max_rooms
        self.doctor_hourly_cost = doctor_hourly_cost
        self.assistant_hourly_cost = assistant_hourly_cost

    def solve(
        self,
        times: TravelTimes,
        open_sites: ArrayLike,
        population: ArrayLike,
        *,
        demand_labels: Sequence[str] | None = None,
        site_labels: Sequence[str] | None = None,
    ) -> NetworkSizing:
        """Size the open sites (columns of ``times``); returns ``self``."""
        for name, value in (
            ("use rate", self.use_rate),
            ("doctor hourly cost", self.doctor_hourly_cost),
            ("assistant hourly cost", self.assistant_hourly_cost),
        ):
            if value is not None and not (math.isfinite(value) and value >= 0):
                raise InvalidInputError(f"{name} must be a non-negative number", [value])
        sites = np.asarray(open_sites, dtype=np.int64).reshape(-1)
        self.assignment_, self.catchment_population_ = nearest_site_catchment(
            times, sites, population, within_minutes=self.within_minutes, demand_labels=demand_labels
        )
        self.yearly_demand_: NDArray[np.float64] = self.catchment_population_ * self.use_rate
        self.sites_: list[SiteCostInputs] = []
        too_busy: list[str] = []
        base = self.site_sizing
        for position, demand in enumerate(self.yearly_demand_.tolist()):
            sized = None
            for rooms in range(max(base.rooms, 1), max(self.max_rooms, base.rooms) + 1):
                try:
                    sized = SiteSizing(
                        base.consultation_minutes,
                        base.target_wait_minutes,
                        rooms,
                        base.weeks_per_year,
                        base.hours_step,
                        base.max_weekly_hours,
                    ).solve(demand)
                    break
                except InvalidInputError:
                    continue
            if sized is None:
                too_busy.append(site_labels[position] if site_labels else str(int(sites[position])))
                continue
            self.sites_.append(
                SiteCostInputs(
                    yearly_demand=demand,
                    weekly_hours=sized.weekly_hours_,
                    rooms=sized.rooms,
                    doctor_hours_per_year=sized.doctor_hours_per_year_,
                    assistant_hours_per_year=sized.assistant_hours_per_year_,
                    doctor_cost_per_year=_cost(sized.doctor_hours_per_year_, self.doctor_hourly_cost),
                    assistant_cost_per_year=_cost(
                        sized.assistant_hours_per_year_, self.assistant_hourly_cost
                    ),
                )
            )
        if too_busy:
            raise InvalidInputError(
                f"demand too high for {self.max_rooms} rooms open {base.max_weekly_hours} hours a week",
                too_busy,
            )
        return self


def _cost(hours: float, hourly: float | None) -> float | None:
    return None if hourly is None else hours * hourly
