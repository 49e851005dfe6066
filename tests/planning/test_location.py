"""MCLP, p-median and lazy greedy against exhaustive enumeration on small instances (hypothesis)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from maille.planning.errors import InfeasibleSpecificationError, InvalidInputError
from maille.planning.greedy import WORST_CASE_RATIO, LazyGreedyCoverage
from maille.planning.location import MaximalCoverage, PMedian
from maille.planning.travel import TravelTimes

CUTOFF = 20.0
COVER = 10.0


@st.composite
def instances(draw):
    n_demand = draw(st.integers(2, 9))
    n_sites = draw(st.integers(2, 6))
    minutes = draw(
        st.lists(
            st.lists(st.one_of(st.integers(0, 25), st.just(60)), min_size=n_sites, max_size=n_sites),
            min_size=n_demand,
            max_size=n_demand,
        )
    )
    weights = draw(st.lists(st.integers(0, 50), min_size=n_demand, max_size=n_demand))
    fixed = draw(st.lists(st.integers(0, n_sites - 1), max_size=1, unique=True))
    candidates = [j for j in range(n_sites) if j not in fixed]
    k = draw(st.integers(0, min(3, len(candidates))))
    site_minutes = draw(st.lists(st.integers(1, 20), min_size=n_sites * n_sites, max_size=n_sites * n_sites))
    spacing = draw(st.sampled_from([None, 6.0]))
    return {
        "times": np.array(minutes, dtype=float),
        "weights": np.array(weights, dtype=float),
        "fixed": fixed,
        "candidates": candidates,
        "k": k,
        "site_minutes": _symmetric(np.array(site_minutes, dtype=float).reshape(n_sites, n_sites)),
        "spacing": spacing,
    }


def _symmetric(matrix):
    upper = np.triu(matrix, 1)
    return upper + upper.T


def feasible_choices(instance):
    for choice in itertools.combinations(instance["candidates"], instance["k"]):
        sites = list(choice) + instance["fixed"]
        if instance["spacing"] is not None and any(
            instance["site_minutes"][a, b] < instance["spacing"] for a, b in itertools.combinations(sites, 2)
        ):
            continue
        yield sites


def coverage_of(instance, sites):
    covered = (
        (instance["times"][:, sites] <= COVER).any(axis=1)
        if sites
        else np.zeros(len(instance["weights"]), bool)
    )
    return float(instance["weights"][covered].sum())


def travel_cost_of(instance, sites, unreachable_minutes=None):
    times = np.where(instance["times"] <= CUTOFF, instance["times"], np.inf)[:, sites]
    nearest = times.min(axis=1) if sites else np.full(len(instance["weights"]), np.inf)
    if unreachable_minutes is not None:
        nearest = np.minimum(nearest, unreachable_minutes)
    served = instance["weights"] > 0
    if not np.isfinite(nearest[served]).all():
        return None
    return float((instance["weights"][served] * nearest[served]).sum())


def spacing_inputs(instance):
    if instance["spacing"] is None:
        return {}
    return {"site_times": TravelTimes.from_dense(instance["site_minutes"], cutoff_minutes=CUTOFF)}


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_mclp_equals_exhaustive_enumeration(instance):
    times = TravelTimes.from_dense(instance["times"], cutoff_minutes=CUTOFF)
    choices = list(feasible_choices(instance))
    model = MaximalCoverage(instance["k"], within_minutes=COVER, min_spacing_minutes=instance["spacing"])
    if not choices:
        with pytest.raises(InfeasibleSpecificationError):
            model.solve(
                times,
                instance["weights"],
                candidates=instance["candidates"],
                fixed=instance["fixed"],
                **spacing_inputs(instance),
            )
        return
    best = max(coverage_of(instance, sites) for sites in choices)
    model.solve(
        times,
        instance["weights"],
        candidates=instance["candidates"],
        fixed=instance["fixed"],
        **spacing_inputs(instance),
    )
    assert model.status_ == "Optimal"
    assert model.objective_ == pytest.approx(best)
    assert coverage_of(instance, model.open_sites_.tolist()) == pytest.approx(best)
    assert len(model.selected_) == instance["k"]
    assert set(instance["fixed"]) <= set(model.open_sites_.tolist())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.sampled_from([None, CUTOFF, 45.0]))
def test_p_median_equals_exhaustive_enumeration(instance, unreachable_minutes):
    times = TravelTimes.from_dense(instance["times"], cutoff_minutes=CUTOFF)
    costs = [
        c
        for sites in feasible_choices(instance)
        if (c := travel_cost_of(instance, sites, unreachable_minutes)) is not None
    ]
    model = PMedian(
        instance["k"], min_spacing_minutes=instance["spacing"], unreachable_minutes=unreachable_minutes
    )
    arguments = {"candidates": instance["candidates"], "fixed": instance["fixed"], **spacing_inputs(instance)}
    if not costs:
        with pytest.raises(InfeasibleSpecificationError):
            model.solve(times, instance["weights"], **arguments)
        return
    model.solve(times, instance["weights"], **arguments)
    assert model.status_ == "Optimal"
    assert model.objective_ == pytest.approx(min(costs))
    assert travel_cost_of(instance, model.open_sites_.tolist(), unreachable_minutes) == pytest.approx(
        min(costs)
    )
    assert model.bound_ <= model.objective_ + 1e-9
    unserved = [
        i
        for i, w in enumerate(instance["weights"])
        if w > 0 and not any(instance["times"][i, j] <= CUTOFF for j in model.open_sites_)
    ]
    assert model.unreachable_.tolist() == unserved


@settings(max_examples=120, deadline=None)
@given(instances())
def test_greedy_stays_within_its_bounds(instance):
    times = TravelTimes.from_dense(instance["times"], cutoff_minutes=CUTOFF)
    instance = {**instance, "spacing": None}
    best = max(coverage_of(instance, sites) for sites in feasible_choices(instance))
    greedy = LazyGreedyCoverage(instance["k"], within_minutes=COVER).solve(
        times, instance["weights"], candidates=instance["candidates"], fixed=instance["fixed"]
    )
    assert greedy.objective_ == pytest.approx(coverage_of(instance, greedy.open_sites_.tolist()))
    assert greedy.objective_ >= WORST_CASE_RATIO * best - 1e-9
    assert greedy.objective_ <= best + 1e-9
    assert greedy.upper_bound_ >= best - 1e-9
    if instance["k"]:
        assert greedy.gain_curve_[-1] == pytest.approx(greedy.objective_)


def test_per_area_constraint_forces_a_site_in_each_area():
    # Site 0 covers all the need, but areas A and B each want a site: the second goes to B.
    times = TravelTimes.from_dense([[1, 30, 30], [2, 30, 30], [30, 30, 3]], cutoff_minutes=20)
    model = MaximalCoverage(2).solve(
        times, [100, 100, 1], site_areas=["A", "A", "B"], required_areas=["A", "B"]
    )
    assert sorted(model.selected_.tolist()) == [0, 2]
    reachable = TravelTimes.from_dense([[1, 30, 15], [2, 30, 15], [30, 30, 3]], cutoff_minutes=20)
    assert PMedian(1).solve(reachable, [100, 100, 0]).selected_.tolist() == [0]
    forced = PMedian(1).solve(reachable, [100, 100, 0], site_areas=["A", "A", "B"], required_areas=["B"])
    assert forced.selected_.tolist() == [2]
    assert forced.objective_ == pytest.approx(3000)
    with pytest.raises(InfeasibleSpecificationError):  # site 2 cannot serve rows 0 and 1 within 20 minutes
        PMedian(1).solve(times, [100, 100, 0], site_areas=["A", "A", "B"], required_areas=["B"])


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"k": 3, "candidates": [0, 1]}, "only 2 eligible candidates"),
        ({"k": 1, "candidates": [0, 7]}, "unknown candidate"),
        ({"k": 1, "site_areas": ["A", "A", "B"], "required_areas": ["C"]}, "neither an open site"),
        ({"k": 1, "site_areas": ["A", "B", "C"], "required_areas": ["A", "B"]}, "2 areas still need"),
    ],
)
def test_impossible_specifications_are_named(arguments, message):
    times = TravelTimes.from_dense([[1, 2, 3], [3, 2, 1]], cutoff_minutes=20)
    k = arguments.pop("k")
    with pytest.raises((InfeasibleSpecificationError, InvalidInputError), match=message):
        MaximalCoverage(k).solve(times, [1, 1], **arguments)


def test_open_sites_closer_than_the_spacing_are_a_contradiction():
    times = TravelTimes.from_dense([[1, 2, 3]], cutoff_minutes=20)
    site_times = TravelTimes.from_dense([[0, 3, 15], [3, 0, 15], [15, 15, 0]], cutoff_minutes=20)
    with pytest.raises(InfeasibleSpecificationError, match="closer than the minimum spacing") as error:
        MaximalCoverage(1, min_spacing_minutes=5).solve(
            times, [1], fixed=[0, 1], site_times=site_times, site_labels=["s0", "s1", "s2"]
        )
    assert error.value.rows == ["s0-s1"]


def test_unreachable_demand_in_p_median_names_the_rows():
    times = TravelTimes.from_dense([[1, 30], [40, 50], [2, 3]], cutoff_minutes=20)
    with pytest.raises(InfeasibleSpecificationError) as error:
        PMedian(1).solve(times, [1, 5, 1], demand_labels=["55001", "55002", "55003"])
    assert error.value.rows == ["55002"]


def test_negative_weights_are_refused():
    times = TravelTimes.from_dense([[1]], cutoff_minutes=20)
    with pytest.raises(InvalidInputError):
        MaximalCoverage(1).solve(times, [-1])


def test_unreachable_demand_can_be_charged_a_stated_penalty():
    times = TravelTimes.from_dense([[1, 30], [40, 50], [2, 3]], cutoff_minutes=20)
    model = PMedian(1, unreachable_minutes=60).solve(times, [1, 5, 1])
    assert model.selected_.tolist() == [0]
    assert model.unreachable_.tolist() == [1]
    assert model.assignment_.tolist() == [0, -1, 0]
    assert model.objective_ == pytest.approx(1 + 5 * 60 + 2)
    with pytest.raises(InvalidInputError, match="at least the cut-off"):
        PMedian(1, unreachable_minutes=10).solve(times, [1, 5, 1])


def test_p_median_too_few_sites_to_serve_everyone_is_infeasible():
    # each site alone leaves one row beyond the cut-off: with k = 1 and no penalty, no answer exists
    times = TravelTimes.from_dense([[1, 30], [30, 1]], cutoff_minutes=20)
    with pytest.raises(InfeasibleSpecificationError, match="no set of sites"):
        PMedian(1).solve(times, [1, 1])


def test_p_median_with_a_fractional_lp_is_solved_by_branching():
    # A random instance whose LP relaxation is fractional: HiGHS branches on the master problem.
    minutes = [
        [7, 2, 0, 9, 7, 9],
        [8, 6, 9, 2, 1, 7],
        [6, 2, 9, 3, 9, 5],
        [1, 4, 1, 3, 5, 9],
        [9, 1, 6, 6, 3, 0],
        [5, 0, 8, 2, 7, 9],
    ]
    weights = np.array([5, 7, 4, 8, 7, 1], dtype=float)
    model = PMedian(2).solve(TravelTimes.from_dense(minutes, cutoff_minutes=20), weights)
    dense = np.array(minutes, dtype=float)
    best = min(
        (weights * dense[:, list(pair)].min(axis=1)).sum() for pair in itertools.combinations(range(6), 2)
    )
    assert model.proof_ == "mip"
    assert model.status_ == "Optimal"
    assert model.objective_ == pytest.approx(best)


def test_mclp_with_no_candidate_left_after_the_spacing_rule():
    # the only candidate is too close to the open site; k = 0 is still a valid question
    times = TravelTimes.from_dense([[0, 60], [60, 60]], cutoff_minutes=CUTOFF)
    site_times = TravelTimes.from_dense([[0, 1], [1, 0]], cutoff_minutes=CUTOFF)
    model = MaximalCoverage(0, min_spacing_minutes=6).solve(
        times, [3, 4], candidates=[1], fixed=[0], site_times=site_times
    )
    assert model.selected_.tolist() == []
    assert model.objective_ == 3
