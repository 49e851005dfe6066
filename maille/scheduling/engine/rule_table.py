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

from ..models import AvailabilityException, AvailabilityRule
from ..wallclock import day_number
from . import snapshot
from .int_rows import int_rows

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


def _rule_columns_sql() -> str:
    """Every rule as nine integers, converted by the database: building them from ``time`` and ``date``
    objects in Python cost most of a cold search (13,500 rules region-wide)."""
    table = connection.ops.quote_name(AvailabilityRule._meta.db_table)
    if connection.vendor == "postgresql":

        def minutes(column: str) -> str:
            return f"(EXTRACT(HOUR FROM {column}) * 60 + EXTRACT(MINUTE FROM {column}))::bigint"

        def days(column: str) -> str:
            return f"({column} - DATE '1970-01-01')::bigint"
    else:  # SQLite stores times as 'HH:MM[:SS…]' and dates as 'YYYY-MM-DD'

        def minutes(column: str) -> str:
            return f"(CAST(substr({column}, 1, 2) AS INTEGER) * 60 + CAST(substr({column}, 4, 2) AS INTEGER))"

        def days(column: str) -> str:
            return f"CAST(julianday({column}) - 2440587.5 AS INTEGER)"

    columns = [
        "id", "COALESCE(room_id, -1)", "COALESCE(professional_id, -1)", "COALESCE(site_id, -1)", "weekday",
        minutes("starts"), minutes("ends"), days("valid_from"), f"COALESCE({days('valid_until')}, {_FAR_DAY})",
    ]  # fmt: skip
    # every column a bigint: what ``int_rows`` reads
    return f"SELECT {', '.join(f'CAST({c} AS BIGINT)' for c in columns)} FROM {table} ORDER BY id"


def _load() -> RuleTable:
    rows = int_rows(_rule_columns_sql(), [], 9)
    exceptions = {
        (rule_id, day_number(date)): (cancelled, _minutes(starts), _minutes(ends))
        for rule_id, date, cancelled, starts, ends in AvailabilityException.objects.values_list(
            "rule_id", "date", "is_cancelled", "starts", "ends"
        )
    }
    pk, room, professional, site, weekday, starts, ends, valid_from, valid_until = (
        np.ascontiguousarray(rows[:, i]) for i in range(9)
    )
    return RuleTable(
        pk=pk,
        room=room,
        professional=professional,
        site=site,
        weekday=weekday,
        starts=starts,
        ends=ends,
        valid_from=valid_from,
        valid_until=valid_until,
        exceptions=exceptions,
    )


_COLUMNS = ("pk", "room", "professional", "site", "weekday", "starts", "ends", "valid_from", "valid_until")
_SHARED_KEY = "rules"


def _encode(table: RuleTable) -> bytes:
    exceptions = np.array(
        [
            (rule, day, cancelled, starts, ends)
            for (rule, day), (cancelled, starts, ends) in table.exceptions.items()
        ],
        dtype=np.int64,
    ).reshape(-1, 5)
    arrays = {name: getattr(table, name) for name in _COLUMNS}
    arrays["exceptions"] = exceptions
    return snapshot.encode(arrays, None)


def _decode(payload: bytes) -> RuleTable:
    arrays, _ = snapshot.decode(payload)
    exceptions = {
        (rule, day): (bool(cancelled), starts, ends)
        for rule, day, cancelled, starts, ends in arrays.pop("exceptions").tolist()
    }
    return RuleTable(exceptions=exceptions, **arrays)


def rule_table(token: tuple[object, ...] | None = None) -> RuleTable:
    """The cached table; ``token``: a change token read by the caller that covers the rule tables
    (``resource_cache.change_token`` on PostgreSQL), saving a round trip."""
    token = token if token is not None else _token()
    database = str(connection.settings_dict["NAME"])
    cached = _cache.get(database)
    if cached is not None and cached[0] == token:
        return cached[1]
    table = snapshot.shared_or_loaded(_SHARED_KEY, token, None, load=_load, encode=_encode, decode=_decode)
    with _lock:
        _cache[database] = (token, table)
    return table
