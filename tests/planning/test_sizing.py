"""Erlang C sizing: textbook values, and the hours found are the fewest that meet the wait target."""

from __future__ import annotations

import pytest

from maille.planning.errors import InvalidInputError
from maille.planning.sizing import NetworkSizing, SiteSizing, erlang_c, nearest_site_catchment
from maille.planning.travel import TravelTimes


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


def test_nearest_site_catchment_by_hand():
    times = TravelTimes.from_dense(
        [[5, 30, 8], [12, 9, 40], [40, 3, 3], [50, 60, 50], [7, 50, 7]], cutoff_minutes=60
    )
    assignment, catchment = nearest_site_catchment(
        times, [2, 0], [100, 200, 300, 400, 500], within_minutes=20
    )
    # row 0: site 0 (5 min); row 1: site 0 (12, site 1 is not open); row 2: site 2; row 3: none;
    # row 4: a tie at 7 minutes goes to the lower column
    assert assignment.tolist() == [0, 0, 2, -1, 0]
    assert catchment.tolist() == [300.0, 800.0]  # aligned with the sites as given: [2, 0]
    with pytest.raises(InvalidInputError, match="unknown site columns: 7"):
        nearest_site_catchment(times, [7], [1, 1, 1, 1, 1])


def test_network_sizing_adds_rooms_before_giving_up_and_costs_hours():
    times = TravelTimes.from_dense([[0.0], [5.0]], cutoff_minutes=30)
    # 6,000 consultations a year are 128 a week: one room open 60 h still makes them wait
    # 0.71 / (3 − 2.13) h = 49 minutes on average (M/M/1), so a second room is needed
    model = NetworkSizing(
        use_rate=0.1, doctor_hourly_cost=50.0, assistant_hourly_cost=30.0, site_sizing=SiteSizing()
    ).solve(times, [0], [40_000, 20_000])
    (site,) = model.sites_
    assert model.yearly_demand_.tolist() == [6000.0]
    assert site.rooms == 2
    assert site.weekly_hours * site.rooms * 60 >= 6000 / 47 * 20
    assert site.doctor_cost_per_year == pytest.approx(site.doctor_hours_per_year * 50.0)
    assert site.assistant_cost_per_year == pytest.approx(site.assistant_hours_per_year * 30.0)
    with pytest.raises(InvalidInputError, match="demand too high for 1 rooms.*: Grand site"):
        NetworkSizing(use_rate=0.1, max_rooms=1).solve(
            times, [0], [40_000, 20_000], site_labels=["Grand site"]
        )
    with pytest.raises(InvalidInputError, match="use rate"):
        NetworkSizing(use_rate=-1).solve(times, [0], [1, 1])
