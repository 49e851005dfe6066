"""The engine's integer reader gives the same matrix as the database's rows, on either database."""

from __future__ import annotations

import numpy as np
import pytest

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
