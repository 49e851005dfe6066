"""Every reader of a typed number (quality figures, the diagnosis's assumptions and supply file, the territory
importers) reads French thousands the same way: thin and non-breaking spaces, as a French spreadsheet writes them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from maille.core.errors import DomainError
from maille.diagnosis.assumptions import checked_number
from maille.diagnosis.supply import _number as supply_number
from maille.quality.assessments import parse_figure
from maille.territory.importers.base import check_number

TYPED = [("1\xa0225,5", 1225.5), ("1\u202f225,5", 1225.5), ("1 225,5", 1225.5), ("1225.5", 1225.5)]


@pytest.mark.parametrize(("raw", "expected"), TYPED)
def test_the_four_readers_agree(raw, expected):
    assert parse_figure(raw) == Decimal(str(expected))
    assert supply_number(raw) == expected
    assert checked_number(raw, label="Seuil", low=0, high=10_000) == expected
    assert check_number(raw, "APL") == (expected, None)


@pytest.mark.parametrize("raw", ["douze", "1,2,3", "NaN"])
def test_what_is_not_a_number_is_refused_by_each(raw):
    with pytest.raises(DomainError):
        parse_figure(raw)
    assert supply_number(raw) is None
    with pytest.raises(ValueError, match="Seuil : un nombre est attendu"):
        checked_number(raw, label="Seuil", low=0, high=10_000)
    number, reason = check_number(raw, "APL")
    assert number is None
    assert reason.startswith("APL : ")
