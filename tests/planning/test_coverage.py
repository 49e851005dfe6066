"""Coverage by APL band and need weights: hand-computed small cases and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from maille.planning.coverage import CoverageByBand, need_weights
from maille.planning.errors import InvalidInputError
from maille.planning.travel import TravelTimes

# rows: APL 1.0, 2.0, 3.0, 5.0, unknown; two sites
TIMES = TravelTimes.from_dense(
    [[4.0, 40.0], [25.0, 14.0], [16.0, 30.0], [50.0, 50.0], [2.0, 9.0]], cutoff_minutes=30
)
POPULATION = [100, 200, 300, 400, 50]
APL = [1.0, 2.0, 3.0, 5.0, np.nan]


def test_need_weights_by_hand():
    assert need_weights([100, 200, 300], [1.0, 2.0, 3.0]).tolist() == [150.0, 100.0, 0.0]
    assert need_weights([100], [np.nan], missing_apl=1.5).tolist() == [100.0]
    with pytest.raises(InvalidInputError, match="APL missing: b"):
        need_weights([1, 2], [1.0, np.nan], labels=["a", "b"])
    with pytest.raises(InvalidInputError, match="non-negative numbers: b"):
        need_weights([1, -2], [1.0, 1.0], labels=["a", "b"])


def test_coverage_by_band_within_15_minutes_of_both_sites():
    model = CoverageByBand(within_minutes=15).solve(TIMES, [0, 1], POPULATION, APL)
    assert model.covered_.tolist() == [True, True, False, False, True]
    assert model.nearest_minutes_.tolist() == [4.0, 14.0, np.inf, np.inf, 2.0]
    table = [
        (b.lower, b.upper, b.unknown, b.communes, b.population, b.covered_population) for b in model.bands_
    ]
    assert table == [
        (None, 1.5, False, 1, 100.0, 100.0),
        (1.5, 2.5, False, 1, 200.0, 200.0),
        (2.5, 4.0, False, 1, 300.0, 0.0),
        (4.0, None, False, 1, 400.0, 0.0),
        (None, None, True, 1, 50.0, 50.0),
    ]
    # need: 100 × 1.5 + 200 × 0.5 (the unknown APL counts as no need)
    assert (model.total_.need, model.total_.covered_need) == (250.0, 250.0)
    assert model.total_.covered_population == 350.0
    assert model.total_.covered_share == pytest.approx(350 / 1050)


def test_coverage_of_one_site_and_an_explicit_need():
    model = CoverageByBand(band_edges=[2.5]).solve(TIMES, [0], POPULATION, APL, need=[1, 1, 1, 1, 1])
    assert model.covered_.tolist() == [True, True, True, False, True]  # the matrix cut-off: 30 minutes
    assert [(b.population, b.covered_population, b.need, b.covered_need) for b in model.bands_] == [
        (300.0, 300.0, 2.0, 2.0),
        (700.0, 300.0, 2.0, 1.0),
        (50.0, 50.0, 1.0, 1.0),
    ]


def test_no_site_covers_nothing_and_bad_input_is_named():
    empty = CoverageByBand().solve(TIMES, [], POPULATION, APL)
    assert empty.total_.covered_population == 0.0
    assert empty.bands_[0].covered_share == 0.0
    with pytest.raises(InvalidInputError, match="unknown site columns: 5"):
        CoverageByBand().solve(TIMES, [5], POPULATION, APL)
    with pytest.raises(InvalidInputError, match="non-negative numbers: c"):
        CoverageByBand().solve(TIMES, [0], [1, 1, -1, 1, 1], APL, demand_labels=list("abcde"))
    with pytest.raises(InvalidInputError, match="increasing"):
        CoverageByBand(band_edges=[2.5, 2.5]).solve(TIMES, [0], POPULATION, APL)
