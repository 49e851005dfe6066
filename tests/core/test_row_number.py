"""Identifiers typed in queries and forms: ASCII digits the database can hold, else nothing."""

from __future__ import annotations

import pytest

from maille.core.input_guards import row_number


@pytest.mark.parametrize(("raw", "expected"), [("42", 42), (7, 7), ("0", 0), ("9" * 18, int("9" * 18))])
def test_ascii_digits_are_a_row_number(raw, expected):
    assert row_number(raw) == expected


@pytest.mark.parametrize("raw", ["", "²", "①", "٣", "-1", "4 2", "12a", "9" * 19, None])
def test_anything_else_is_none(raw):
    assert row_number(raw) is None
