"""Local wall-clock time (Europe/Paris) to UTC minutes, vectorised, and public holidays by territory.

The engine counts time in whole minutes since the Unix epoch (UTC, int64). Weekly availability is
written in local time and expanded day by day, so a 9:00 opening stays 9:00 across DST changes.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
import numpy as np

PARIS = ZoneInfo("Europe/Paris")
MINUTES_PER_DAY = 1440
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()

# Alsace-Moselle: the library knows the three départements as subdivision "57" ("67"/"68" raise).
_HOLIDAY_SUBDIVISION = {"57": "57", "67": "57", "68": "57"}
_OVERSEAS = {"971", "972", "973", "974", "976"}


def to_minutes(moment: dt.datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: the engine needs aware datetimes")
    return int((moment - _EPOCH).total_seconds() // 60)


def from_minutes(minutes: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(minutes=int(minutes))


def day_number(day: dt.date) -> int:
    return day.toordinal() - _EPOCH_ORDINAL


def day_from_number(number: int) -> dt.date:
    return dt.date.fromordinal(int(number) + _EPOCH_ORDINAL)


def local_day(minutes: int) -> dt.date:
    return from_minutes(minutes).astimezone(PARIS).date()


def local_midnight_minutes(day: dt.date) -> int:
    return to_minutes(dt.datetime.combine(day, dt.time(0), tzinfo=PARIS))


def _offset_minutes(day: dt.date, minute_of_day: int) -> int:
    naive = dt.datetime.combine(day, dt.time(0)) + dt.timedelta(minutes=minute_of_day)
    offset = naive.replace(tzinfo=PARIS).utcoffset()
    return int(offset.total_seconds() // 60) if offset is not None else 0


@lru_cache(maxsize=8192)
def _day_offsets(number: int) -> tuple[int, int]:
    """The UTC offset (minutes) at the start and at the end of a local day: every validation of a booking reads a
    few days' (the zone's rules do not change while the process runs)."""
    day = day_from_number(number)
    return _offset_minutes(day, 0), _offset_minutes(day, MINUTES_PER_DAY - 1)


def local_to_utc_minutes(days: np.ndarray, minute_of_day: np.ndarray) -> np.ndarray:
    """UTC minutes of local (day number, minute of day) pairs.

    The offset is looked up once per day; only on the two DST days a year is it looked up per element
    (a nonexistent local time such as 2:30 in March resolves with the offset before the change).
    """
    days = np.asarray(days, dtype=np.int64)
    minute_of_day = np.asarray(minute_of_day, dtype=np.int64)
    if days.size == 0:
        return np.empty(0, dtype=np.int64)
    unique_days, inverse = np.unique(days, return_inverse=True)
    at_start, at_end = np.array([_day_offsets(number) for number in unique_days.tolist()], dtype=np.int64).T
    offsets = at_start[inverse]
    changing = np.flatnonzero(at_start[inverse] != at_end[inverse])
    for i in changing.tolist():
        offsets[i] = _offset_minutes(day_from_number(int(days[i])), int(minute_of_day[i]))
    result: np.ndarray = days * MINUTES_PER_DAY + minute_of_day - offsets
    return result


def holiday_subdivision(departement_code: str) -> str | None:
    if departement_code in _HOLIDAY_SUBDIVISION:
        return _HOLIDAY_SUBDIVISION[departement_code]
    if departement_code in _OVERSEAS:
        return departement_code
    return None


@lru_cache(maxsize=64)
def public_holidays(departement_code: str, year: int) -> frozenset[dt.date]:
    """French public holidays observed in a département (Alsace-Moselle adds Good Friday and 26 December)."""
    calendar = holidays.country_holidays("FR", subdiv=holiday_subdivision(departement_code), years=year)
    return frozenset(calendar.keys())
