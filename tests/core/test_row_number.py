"""Numbers typed in queries and forms: identifiers of ASCII digits the database can hold, and decimals typed the
French way; else nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from maille.core.input_guards import french_decimal, row_number


@pytest.mark.parametrize(("raw", "expected"), [("42", 42), (7, 7), ("0", 0), ("9" * 18, int("9" * 18))])
def test_ascii_digits_are_a_row_number(raw, expected):
    assert row_number(raw) == expected


@pytest.mark.parametrize("raw", ["", "²", "①", "٣", "-1", "4 2", "12a", "9" * 19, None])
def test_anything_else_is_none(raw):
    assert row_number(raw) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1 225,50", Decimal("1225.50")), ("12\u202f500 €", Decimal("12500")), ("3.5", Decimal("3.5")),
     ("douze", None), ("NaN", None), ("Infinity", None), ("", None)],
)  # fmt: skip
def test_french_decimals(raw, expected):
    assert french_decimal(raw) == expected
