"""The engine's caches copied into the database, so that every server process shares one load (PostgreSQL).

Each process keeps the resources and the weekly rules in memory while the change token stays the same
(``resource_cache``, ``rule_table``). Without this module, every process loads them from a dozen tables
when it starts, on each new day, and after each change: tens of milliseconds at a région's size, hundreds
at the national size, paid by the patient or operator whose search comes first. Here the first process
to load after a change stores what it loaded in one row, keyed by the change token it read *before*
loading; the other processes read that row (one index lookup, arrays copied straight from the bytes).

Why this is safe: a token is a sequence value stamped by every write to the cached tables and never
reused, and the loader reads the token before the tables, so a row is never older than its token. A
row is written only outside a transaction (a search inside a booking may see its own uncommitted
writes, which must not be shared), and an older token never overwrites a newer one.

The payload is NumPy's ``.npz`` format read with ``allow_pickle=False``: arrays and one JSON document,
no code objects, so a row cannot make a process run anything.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import psycopg
from django.db import connection

TABLE = "maille_engine_snapshot"  # created by migration 0013 (PostgreSQL only)
_META = "_meta"
_INT32 = np.iinfo(np.int32)
T = TypeVar("T")


def enabled(token: tuple[object, ...]) -> bool:
    """Snapshots follow the database's change token (``resource_cache.change_token``): PostgreSQL only. The rule
    table's own token (count, highest id, latest change), used without it, is not one."""
    return connection.vendor == "postgresql" and len(token) == 1


def shared_or_loaded(
    key: str,
    token: tuple[object, ...],
    day: dt.date | None,
    *,
    load: Callable[[], T],
    encode: Callable[[T], bytes],
    decode: Callable[[bytes], T],
) -> T:
    """What another process stored under ``key`` for this token, else ``load()``, then stored for the others."""
    if not enabled(token):
        return load()
    payload = read(key, token)
    if payload is not None:
        return decode(payload)
    value = load()
    write(key, token, day, encode(value))
    return value


def encode(arrays: dict[str, np.ndarray], meta: object) -> bytes:
    """Arrays and a JSON-able document as one payload. Integer arrays whose values fit are stored as int32
    (the national rule table in half the bytes to read) and come back as int64."""
    buffer = io.BytesIO()
    payload: dict[str, np.ndarray] = {}
    narrowed = []
    for name, array in arrays.items():
        if array.dtype == np.int64 and (
            array.size == 0 or (array.min() >= _INT32.min and array.max() <= _INT32.max)
        ):
            array = array.astype(np.int32)
            narrowed.append(name)
        payload[name] = array
    document = {"meta": meta, "narrowed": narrowed}
    payload[_META] = np.frombuffer(json.dumps(document, separators=(",", ":")).encode(), dtype=np.uint8)
    np.savez(buffer, **payload)  # stored, not compressed: decoding must cost little more than a copy
    return buffer.getvalue()


def decode(payload: bytes) -> tuple[dict[str, np.ndarray], object]:
    with np.load(io.BytesIO(payload), allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    document = json.loads(arrays.pop(_META).tobytes())
    for name in document["narrowed"]:
        arrays[name] = arrays[name].astype(np.int64)
    return arrays, document["meta"]


def read(key: str, token: tuple[object, ...]) -> bytes | None:
    """The payload stored under ``key`` for exactly this token, if a process stored one.

    Read in binary: as text, PostgreSQL would send the national rule table (10 MB) as 20 MB of hex for
    psycopg to decode, four times slower (40 ms against 10). Django's cursors bind on the client side,
    which cannot ask for binary results, hence psycopg's own cursor on Django's connection.
    """
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(
            f"SELECT payload FROM {TABLE} WHERE key = %s AND token = %s", [key, token[0]], binary=True
        )
        row = cursor.fetchone()
    return bytes(row[0]) if row else None


def write(key: str, token: tuple[object, ...], day: dt.date | None, payload: bytes) -> None:
    """Shares a fresh load with the other processes; skipped inside a transaction (see module docstring)."""
    if connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} AS stored (key, token, day, payload) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (key) DO UPDATE SET token = EXCLUDED.token, day = EXCLUDED.day, payload = EXCLUDED.payload "
            "WHERE stored.token < EXCLUDED.token",
            [key, token[0], day, payload],
        )
        if day is not None:  # rows of past days are never read again
            cursor.execute(f"DELETE FROM {TABLE} WHERE day < %s", [day - dt.timedelta(days=1)])
