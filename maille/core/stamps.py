"""Per-process caches of what every request reads and few change, checked against change stamps (PostgreSQL).

Every API request reads its token and its user's role grants; a booking also reads the use it books, the
territory's reminder policy and the active webhook subscriptions. Each is a few rows edited now and then, yet
was read through the ORM on every request. Here a statement trigger on each table a cache holds stamps a named
row of ``maille_change_stamp`` with a fresh sequence value on any insert, update, delete or truncate (migration
``core/0012_change_stamps`` and the apps' own trigger migrations). A cache reads its stamp (a primary-key read,
no ORM; once a request, ``StampsReadOnceMiddleware``) before anything else and reloads when the stamp moved. So
every process sees a change at its next request, a change made earlier in its own request or transaction
included, and a value is never reused after a rollback (a sequence never gives it twice). The slot engine's
caches use the same device with their own stamp (``scheduling.engine.resource_cache.change_token``).

SQLite has no such triggers here: there every read goes to the tables (SQLite is for development and tests).
A cache holds plain values, never model instances: a caller cannot change what the next caller reads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Generic, TypeVar

from django.db import connection

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# The stamps and the tables that move them. Frozen in the migrations that create the triggers; a test checks
# that every table listed here has its trigger, and every cache below its stamp.
STAMPED_TABLES: dict[str, tuple[str, ...]] = {
    # who is calling and what they may see: tokens, users, role grants, and the link of a doctor to their user
    "access": ("accounts_apitoken", "accounts_user", "accounts_rolegrant", "directory_professional"),
    "uses": ("directory_use",),
    "notification_policies": ("notifications_notificationpolicy",),
    "webhook_subscriptions": ("scheduling_webhooksubscription",),
}


# Within a request, every stamp read in one statement, once (a booking read four). Filled only outside a
# transaction, so it holds committed values only; emptied when this connection writes a stamped table, so a
# request sees its own changes. Other processes' changes committed meanwhile are seen from the next request:
# the request reads the settings as they were when it began.
_request_stamps: ContextVar[dict[str, int] | None] = ContextVar("maille_request_stamps", default=None)
_STAMPED = tuple(table for tables in STAMPED_TABLES.values() for table in tables)
_WRITES = ("INSERT", "UPDATE", "DELETE", "TRUNCATE")


def read_stamp(name: str) -> int | None:
    """The stamp's current value; None where there is none (SQLite, or a database restored without the row):
    then nothing is cached rather than risk a stale answer."""
    if connection.vendor != "postgresql":
        return None
    memo = _request_stamps.get()
    if memo is not None and not memo and not connection.in_atomic_block:  # filled with committed values only
        with connection.cursor() as cursor:
            cursor.execute("SELECT name, value FROM maille_change_stamp")
            memo.update(cursor.fetchall())
    if memo:  # in a transaction too: the values read before it began, unless it wrote a stamped table
        return memo.get(name)
    with connection.cursor() as cursor:
        cursor.execute("SELECT value FROM maille_change_stamp WHERE name = %s", [name])
        row = cursor.fetchone()
    return row[0] if row else None


@contextmanager
def stamps_read_once() -> Iterator[None]:
    """Stamps read at most once in this block (a request), except after a write to a stamped table."""
    token = _request_stamps.set({})
    try:
        with connection.execute_wrapper(_forget_after_stamped_writes):
            yield
    finally:
        _request_stamps.reset(token)


def _forget_after_stamped_writes(
    execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
) -> Any:
    try:
        return execute(sql, params, many, context)
    finally:
        if sql.lstrip()[:8].upper().startswith(_WRITES) and any(table in sql for table in _STAMPED):
            memo = _request_stamps.get()
            if memo is not None:
                memo.clear()


class StampsReadOnceMiddleware:
    """Each request reads the change stamps at most once (``stamps_read_once``)."""

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        with stamps_read_once():
            return self.get_response(request)


class StampedCache(Generic[K, V]):
    """``get(key)`` answers ``load(key)``, kept in this process while the stamp ``name`` does not move."""

    def __init__(self, name: str, load: Callable[[K], V], *, max_entries: int = 1024) -> None:
        if name not in STAMPED_TABLES:
            raise KeyError(f"Unknown change stamp {name!r}: add it to STAMPED_TABLES and give it triggers.")
        self.name = name
        self._load = load
        self._max_entries = max_entries
        self._lock = threading.Lock()
        self._stamp: int | None = None
        self._values: dict[K, V] = {}

    def get(self, key: K) -> V:
        stamp = read_stamp(self.name)  # read before loading: a change committed meanwhile moves it again
        if stamp is None:
            return self._load(key)
        with self._lock:
            if stamp == self._stamp and key in self._values:
                return self._values[key]
        value = self._load(key)
        with self._lock:
            if stamp != self._stamp:
                self._stamp, self._values = stamp, {}
            if len(self._values) < self._max_entries:
                self._values[key] = value
        return value
