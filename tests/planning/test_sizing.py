"""Erlang C sizing: textbook values, and the hours found are the fewest that meet the wait target."""

from __future__ import annotations

import pytest

from maille.planning.errors import InvalidInputError
from maille.planning.sizing import SiteSizing, erlang_c


def test_erlang_c_matches_textbook_values():
    assert erlang_c(1, 0.8) == pytest.approx(0.8)  # M/M/1: probability of waiting = utilisation
    # M/M/2 with a = 1: P0 = 1/3, P(wait) = a^2/(2!(1 - a/2)) × P0 = 1/3
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert erlang_c(3, 3.0) == 1.0


@pytest.mark.parametrize(("demand", "rooms"), [(800, 1), (2350, 1), (6000, 2)])
def test_hours_are_the_fewest_meeting_the_target(demand, rooms):
    sizing = SiteSizing(consultation_minutes=20, target_wait_minutes=10, rooms=rooms).solve(demand)
    assert sizing.mean_wait_minutes_ <= 10
    fewer = SiteSizing(
        consultation_minutes=20,
        target_wait_minutes=10,
        rooms=rooms,
        max_weekly_hours=sizing.weekly_hours_ - 0.5,
    )
    with pytest.raises(InvalidInputError):
        fewer.solve(demand)
    assert sizing.doctor_hours_per_year_ == pytest.approx(sizing.weekly_hours_ * rooms * 47)
    # the consultation time itself always fits in the opening hours
    assert sizing.weekly_hours_ * rooms * 60 >= demand / 47 * 20


def test_no_demand_needs_no_hours_and_bad_demand_is_refused():
    assert SiteSizing().solve(0).weekly_hours_ == 0.0
    with pytest.raises(InvalidInputError):
        SiteSizing().solve(float("nan"))
