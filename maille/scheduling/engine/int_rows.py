"""Many rows of integers from the database into a NumPy matrix, fast.

On PostgreSQL the rows are packed by the server into one ``bytea`` (each value through ``int8send``: eight
big-endian bytes), read by one ``np.frombuffer``: no Python object per value (the rule table's 135,000 rows
at national size took ~0.3 s through ``fetchall``). Every selected column must be a non-null integer
(``COALESCE`` in the query); the order of the rows is not kept. Elsewhere (SQLite), ``fetchall``.

These statements are never prepared (ADR 0017): PostgreSQL plans a prepared statement once for any
parameters after a few runs, and the busy-rows read's plan for "any of these 13,500 keys" made the slot
engine's 3,000-site worst case twice as long. Planning is cheap beside reading thousands of rows.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np
from django.db import connection


def int_rows(sql: str, params: Sequence[object], columns: int) -> np.ndarray:
    """The query's rows as an ``(n, columns)`` int64 matrix."""
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(sql, params)
            return np.array(cursor.fetchall(), dtype=np.int64).reshape(-1, columns)
        names = [f"c{i}" for i in range(columns)]
        packed = " || ".join(f"int8send(q.{name}::bigint)" for name in names)
        with _not_prepared():
            cursor.execute(
                f"SELECT string_agg({packed}, ''::bytea) FROM ({sql}) AS q({', '.join(names)})", params
            )
        data = cursor.fetchone()[0]
    if data is None:
        return np.empty((0, columns), dtype=np.int64)
    return np.frombuffer(bytes(data), dtype=">i8").astype(np.int64).reshape(-1, columns)


@contextmanager
def _not_prepared() -> Iterator[None]:
    """Through Django's cursor (query log, error translation), psycopg neither prepares nor counts the
    statement run inside: the connection's threshold is off for that one run."""
    driver = connection.connection
    threshold = driver.prepare_threshold
    driver.prepare_threshold = None
    try:
        yield
    finally:
        driver.prepare_threshold = threshold
