"""Sizing a teleconsultation site: weekly hours of remote doctor and assisting professional (Erlang C).

Patients arrive at random (Poisson) during opening hours at ``arrival rate = weekly demand / opening hours``;
``rooms`` consultations can run at once, each taking ``consultation_minutes`` on average. The Erlang C formula
gives the probability of waiting and the mean wait; the opening hours are the fewest (in steps of
``hours_step``) that keep the mean wait under ``target_wait_minutes``. The remote doctor is connected and the
assisting professional present during all opening hours in each room.
"""

from __future__ import annotations

import math

from maille.planning.errors import InvalidInputError


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
