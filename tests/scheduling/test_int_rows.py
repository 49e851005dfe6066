"""The engine's integer reader gives the same matrix as the database's rows, on either database."""

from __future__ import annotations

import uuid

import numpy as np
import pytest
from django.db import connection

from maille.scheduling.engine.int_rows import int_rows

pytestmark = pytest.mark.django_db


def test_rows_of_integers_come_back_whole_including_negative_and_large_values():
    sql = (
        "SELECT 1, -1, 9007199254740993 UNION ALL SELECT %s, %s, -9007199254740993 "
        "UNION ALL SELECT 0, 2147483648, 7"
    )
    rows = int_rows(sql, [42, -7], 3)
    assert rows.dtype == np.int64
    assert sorted(map(tuple, rows.tolist())) == sorted(
        [(1, -1, 9007199254740993), (42, -7, -9007199254740993), (0, 2147483648, 7)]
    )


def test_no_row_is_an_empty_matrix_of_the_right_width():
    rows = int_rows("SELECT 1, 2 WHERE 1 = 0", [], 2)
    assert rows.shape == (0, 2)


@pytest.mark.postgres
def test_its_statements_are_never_prepared_and_the_connection_still_prepares_others():
    """A prepared busy-rows read plans "any of these keys" once for all (ADR 0017): twice as slow at 3,000 sites."""
    alias = f"probe_{uuid.uuid4().hex}"

    def prepared(text: str) -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", [f"%{text}%"]
            )
            return cursor.fetchone()[0]

    connection.ensure_connection()
    threshold = connection.connection.prepare_threshold
    assert threshold is not None  # the settings prepare statements (ADR 0017)
    for _ in range(threshold + 2):
        assert int_rows(f"SELECT %s AS {alias}, 2", [1], 2).tolist() == [[1, 2]]
    assert prepared(alias) == 0
    assert connection.connection.prepare_threshold == threshold  # restored for every other statement

    other = f"other_{uuid.uuid4().hex}"
    for _ in range(threshold + 2):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT %s AS {other}", [1])
    assert prepared(other) == 1
