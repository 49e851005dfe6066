"""Weekly availability rules as NumPy arrays, cached per process and reloaded when the rules change.

Rules change a few times a week; searches run many times a second. The cache key is read from the
database on every use (count, highest id and latest ``updated_at`` of rules and exceptions), so every
process sees a change at its next search. Bulk ``QuerySet.update()`` calls must set ``updated_at``.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass

import numpy as np
from django.db import connection

from .models import AvailabilityException, AvailabilityRule
from .wallclock import day_number

_FAR_DAY = day_number(dt.date(9999, 12, 31))
_lock = threading.Lock()
_cache: dict[str, tuple[tuple[object, ...], RuleTable]] = {}


@dataclass(frozen=True)
class RuleTable:
    pk: np.ndarray
    room: np.ndarray  # -1 when the rule is a professional's
    professional: np.ndarray  # -1 when the rule is a room's
    site: np.ndarray  # -1 when none (rooms, doctors)
    weekday: np.ndarray
    starts: np.ndarray  # minute of the local day
    ends: np.ndarray
    valid_from: np.ndarray  # day numbers
    valid_until: np.ndarray
    # (rule pk, day number) -> (cancelled, starts, ends) in local minutes
    exceptions: dict[tuple[int, int], tuple[bool, int, int]]


def _minutes(value: dt.time | None) -> int:
    return value.hour * 60 + value.minute if value is not None else 0


def _token() -> tuple[object, ...]:
    """Count, highest id and latest change of rules and exceptions, in one round trip."""
    parts = ", ".join(
        f"(SELECT count(*) FROM {table}), (SELECT max(id) FROM {table}), (SELECT max(updated_at) FROM {table})"
        for table in (
            connection.ops.quote_name(model._meta.db_table)
            for model in (AvailabilityRule, AvailabilityException)
        )
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {parts}")
        return tuple(cursor.fetchone())


def _load() -> RuleTable:
    rows = list(
        AvailabilityRule.objects.order_by("pk").values_list(
            "pk",
            "room_id",
            "professional_id",
            "site_id",
            "weekday",
            "starts",
            "ends",
            "valid_from",
            "valid_until",
        )
    )

    def column(index: int, convert: object = None) -> np.ndarray:
        values = [r[index] for r in rows]
        if convert is not None:
            values = [convert(v) for v in values]  # type: ignore[operator]
        return np.array(values, dtype=np.int64)

    def or_minus_one(value: int | None) -> int:
        return -1 if value is None else value

    exceptions = {
        (rule_id, day_number(date)): (cancelled, _minutes(starts), _minutes(ends))
        for rule_id, date, cancelled, starts, ends in AvailabilityException.objects.values_list(
            "rule_id", "date", "is_cancelled", "starts", "ends"
        )
    }
    return RuleTable(
        pk=column(0),
        room=column(1, or_minus_one),
        professional=column(2, or_minus_one),
        site=column(3, or_minus_one),
        weekday=column(4),
        starts=column(5, _minutes),
        ends=column(6, _minutes),
        valid_from=column(7, day_number),
        valid_until=column(8, lambda d: _FAR_DAY if d is None else day_number(d)),
        exceptions=exceptions,
    )


def rule_table(token: tuple[object, ...] | None = None) -> RuleTable:
    """The cached table; ``token``: a change token read by the caller that covers the rule tables
    (``resource_cache.change_token`` on PostgreSQL), saving a round trip."""
    token = token if token is not None else _token()
    database = str(connection.settings_dict["NAME"])
    cached = _cache.get(database)
    if cached is not None and cached[0] == token:
        return cached[1]
    table = _load()
    with _lock:
        _cache[database] = (token, table)
    return table
