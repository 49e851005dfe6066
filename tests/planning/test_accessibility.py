"""E2SFCA: hand-computed cases, equality with PySAL ``access`` on real communes, added capacity, what-if."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from access import Access, weights

from maille.planning.accessibility import E2SFCA, AccessibilityWhatIf, DistanceDecay, added_accessibility
from maille.planning.errors import InvalidInputError
from maille.planning.points import Points
from maille.planning.travel import GreatCircleEngine, TravelTimes


def test_decay_is_read_from_the_drees_parameters(apl_decay):
    assert apl_decay.upper_minutes == (10.0, 15.0, 20.0)
    assert apl_decay.weights == pytest.approx((1.0, 2 / 3, 1 / 3))
    assert apl_decay.weight([10.0, 10.01, 15.0, 19.99, 20.01]).tolist() == pytest.approx(
        [1.0, 2 / 3, 2 / 3, 1 / 3, 0.0]
    )


def test_decay_with_explicit_bounds_and_other_bands():
    decay = DistanceDecay.from_labels(
        [("proche", 1.0, 30.0), ("loin", 0.25, 60.0), ("Plus de 60 minutes", 0.0)]
    )
    assert decay.max_minutes == 60.0
    assert decay.weight([29.0, 45.0, 61.0]).tolist() == [1.0, 0.25, 0.0]


@pytest.mark.parametrize(
    "rows",
    [
        [("Moins de 10 minutes", None)],
        [("Plus de 20 minutes", 0.5)],
        [("sans borne", 1.0)],
        [("Moins de 10 minutes", 1.0), ("Moins de 10 minutes", 0.5)],
    ],
)
def test_bad_decay_tables_are_refused(rows):
    with pytest.raises(InvalidInputError):
        DistanceDecay.from_labels(rows)


def test_hand_computed_three_communes_two_offices(apl_decay):
    # Communes A, B, C (standardised populations 1,000, 2,000, 3,000); offices X in A (6,000
    # consultations a year) and Y in C (3,000). Times: A-X 0, B-X 12, C-X 25 (beyond); A-Y 18, B-Y 8, C-Y 0.
    times = TravelTimes.from_dense([[0, 18], [12, 8], [25, 0]], cutoff_minutes=20)
    model = E2SFCA(apl_decay).solve(times, demand=[1000, 2000, 3000], supply=[6000, 3000])
    # D_X = 1000 + 2/3 × 2000 = 2333.33; D_Y = 1/3 × 1000 + 2000 + 3000 = 5333.33
    assert model.weighted_demand_ == pytest.approx([7000 / 3, 16000 / 3])
    r_x, r_y = 6000 / (7000 / 3), 3000 / (16000 / 3)
    assert model.ratio_ == pytest.approx([r_x, r_y])
    assert model.accessibility_ == pytest.approx([r_x + r_y / 3, 2 / 3 * r_x + r_y, r_y])
    # all supply is consumed: sum_i A_i P_i = sum_j S_j
    assert model.accessibility_ @ [1000, 2000, 3000] == pytest.approx(9000)


def test_supply_out_of_reach_of_any_demand_is_reported(apl_decay):
    times = TravelTimes.from_dense([[0, 40]], cutoff_minutes=20)
    model = E2SFCA(apl_decay).solve(times, demand=[100], supply=[50, 70])
    assert model.stranded_supply_.tolist() == [1]
    assert model.accessibility_ == pytest.approx([0.5])


def test_bad_demand_names_the_rows(apl_decay):
    times = TravelTimes.from_dense([[0], [5], [9]], cutoff_minutes=20)
    with pytest.raises(InvalidInputError) as error:
        E2SFCA(apl_decay).solve(
            times, [1.0, -3.0, float("nan")], [1.0], demand_labels=["55001", "55002", "55003"]
        )
    assert error.value.rows == ["55002", "55003"]


def lorraine_inputs(lorraine):
    demand = np.nan_to_num(lorraine.standardised_population)
    # A synthetic but realistic supply: 5,000 consultations per 1,000 people in the larger communes.
    supply = np.where(lorraine.population > 1500, lorraine.population * 5.0, 0.0)
    times = GreatCircleEngine().travel_times(lorraine.points, lorraine.points, cutoff_minutes=20)
    return demand, supply, times


def test_equals_pysal_access_on_real_communes(lorraine, apl_decay):
    demand, supply, times = lorraine_inputs(lorraine)
    ours = E2SFCA(apl_decay).solve(times, demand, supply).accessibility_

    codes = np.array(lorraine.codes)
    cost = pd.DataFrame(
        {"origin": codes[times.origin_of_each_pair()], "dest": codes[times.indices], "cost": times.minutes}
    )
    reference = Access(
        demand_df=pd.DataFrame({"geoid": codes, "pop": demand}).set_index("geoid"),
        demand_index=True,
        demand_value="pop",
        supply_df=pd.DataFrame({"geoid": codes, "doc": supply}).set_index("geoid"),
        supply_index=True,
        supply_value="doc",
        cost_df=cost,
        cost_origin="origin",
        cost_dest="dest",
        cost_name="cost",
    )
    step = weights.step_fn(dict(zip(apl_decay.upper_minutes, apl_decay.weights, strict=True)))
    reference.enhanced_two_stage_fca(name="e2sfca", weight_fn=step, max_cost=apl_decay.max_minutes)
    theirs = reference.access_df["e2sfca_doc"].reindex(codes).fillna(0.0).to_numpy()
    assert times.nnz > 50_000
    assert np.count_nonzero(ours) > 1500
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=0)
    symmetric = GreatCircleEngine().symmetric_travel_times(lorraine.points, cutoff_minutes=20)
    each_pair_once = E2SFCA(apl_decay).solve_symmetric(symmetric, demand, supply).accessibility_
    np.testing.assert_allclose(each_pair_once, theirs, rtol=1e-9, atol=0)


@pytest.mark.parametrize("fixed_minutes", [0.0, 4.0, 12.0, 25.0])
def test_symmetric_solve_equals_the_full_matrix(lorraine, apl_decay, fixed_minutes):
    demand = np.nan_to_num(lorraine.standardised_population)
    supply = np.where(lorraine.population > 1500, lorraine.population * 5.0, 0.0)
    supply[:3] = 100.0  # small villages with supply, and with no one in reach once the trip is too long
    engine = GreatCircleEngine(fixed_minutes=fixed_minutes)
    full = E2SFCA(apl_decay).solve(engine.travel_times(lorraine.points, lorraine.points, 20), demand, supply)
    symmetric = engine.symmetric_travel_times(lorraine.points, 20)
    once = E2SFCA(apl_decay).solve_symmetric(symmetric, demand, supply)
    for name in ("weighted_demand_", "ratio_", "accessibility_"):
        np.testing.assert_allclose(getattr(once, name), getattr(full, name), rtol=1e-12, atol=0)
    assert once.stranded_supply_.tolist() == full.stranded_supply_.tolist()
    assert (
        np.count_nonzero(full.accessibility_) > 1000 if fixed_minutes < 20 else full.stranded_supply_.size > 3
    )


def test_symmetric_solve_names_bad_rows(apl_decay):
    times = GreatCircleEngine().symmetric_travel_times(Points([48.69, 48.70], [6.18, 6.18]), 20)
    with pytest.raises(InvalidInputError) as error:
        E2SFCA(apl_decay).solve_symmetric(times, [1.0, -1.0], [1.0, 1.0], labels=["54395", "54001"])
    assert error.value.rows == ["54001"]


def test_baseline_plus_added_equals_full_recomputation(lorraine, apl_decay):
    demand, supply, times = lorraine_inputs(lorraine)
    baseline = E2SFCA(apl_decay).solve(times, demand, supply).accessibility_
    engine = GreatCircleEngine()
    sites = Points([48.90, 49.10, 48.20, 48.70], [5.50, 6.60, 6.30, 6.20])
    added_supply = np.array([2000.0, 1500.0, 3000.0, 800.0])
    to_sites = engine.travel_times(lorraine.points, sites, cutoff_minutes=20)
    added = added_accessibility(apl_decay, to_sites, demand, added_supply)

    both = np.vstack(
        (
            np.column_stack((times.origin_of_each_pair(), times.indices, times.minutes)),
            np.column_stack(
                (to_sites.origin_of_each_pair(), to_sites.indices + len(lorraine.codes), to_sites.minutes)
            ),
        )
    )
    combined = TravelTimes.from_pairs(
        both[:, 0].astype(np.int64),
        both[:, 1].astype(np.int64),
        both[:, 2],
        (len(lorraine.codes), len(lorraine.codes) + 4),
        20,
    )
    full = E2SFCA(apl_decay).solve(combined, demand, np.concatenate((supply, added_supply))).accessibility_
    assert np.count_nonzero(added) > 100
    np.testing.assert_allclose(baseline + added, full, rtol=1e-12, atol=1e-15)


def test_what_if_updates_only_affected_rows_and_equals_recomputation(lorraine, apl_decay):
    demand = np.nan_to_num(lorraine.standardised_population)
    baseline = np.nan_to_num(lorraine.apl)
    what_if = AccessibilityWhatIf(apl_decay, lorraine.points, demand, baseline=baseline)
    first = what_if.add_site(49.16, 5.38, supply=4000)
    assert 0 < what_if.changed_rows_.size < len(lorraine.codes) // 5
    second = what_if.add_site(48.30, 6.90, supply=2500)
    moved = what_if.move_site(first, 48.95, 5.60, supply=5000)

    engine = GreatCircleEngine()
    sites = Points([48.30, 48.95], [6.90, 5.60])
    expected = baseline + added_accessibility(
        apl_decay, engine.travel_times(lorraine.points, sites, 20), demand, [2500.0, 5000.0]
    )
    np.testing.assert_allclose(what_if.accessibility_, expected, rtol=1e-9)
    what_if.remove_site(second)
    what_if.remove_site(moved)
    np.testing.assert_allclose(what_if.accessibility_, baseline, rtol=1e-9, atol=1e-12)
    with pytest.raises(InvalidInputError):
        what_if.remove_site(moved)
