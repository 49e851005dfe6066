"""`maille plan` on the hand-placed territory (values computed by hand in the comments) and the real extract."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command

from maille.territory.models import Commune

# The site at A gets 10 h a week × 47 weeks × 3 consultations an hour = 1,410 consultations a year.
# It reaches A (520 standardised inhabitants, weight 1), B (300, weight 2/3, 12.3 minutes), not C nor D:
# weighted demand 520 + 200 = 720, ratio 1,410 / 720 = 1.958333…, added to B: 2/3 of it.
SUPPLY = 10 * 47 * 3
RATIO = SUPPLY / (520 + 300 * 2 / 3)


def plan(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("plan", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def plan_json(*args: str) -> dict:
    return json.loads(plan(*args)[0])


def test_accessibility_adds_exactly_the_hand_computed_values(small_territory):
    result = plan_json("accessibility", "--departement", "55", "--added-hours", "10")
    rows = {row["code"]: row for row in result["rows"]}
    assert list(rows) == ["55001", "55002", "55003"]  # the Vosges is outside the study area
    assert rows["55001"]["added"] == pytest.approx(RATIO, abs=1e-6)
    assert rows["55002"]["added"] == pytest.approx(RATIO * 2 / 3, abs=1e-6)
    assert rows["55003"]["added"] == 0
    assert rows["55002"]["total"] == pytest.approx(1.2 + RATIO * 2 / 3, abs=1e-6)
    summary = result["summary"]
    assert summary["added_consultations_per_year"] == SUPPLY
    assert (summary["sous_dense_communes_before"], summary["sous_dense_communes_after"]) == (2, 0)
    assert (summary["sous_dense_population_before"], summary["sous_dense_population_after"]) == (800, 0)
    assert summary["distance_decay"] == [
        [10.0, 1.0],
        [15.0, pytest.approx(2 / 3)],
        [20.0, pytest.approx(1 / 3)],
    ]


def test_accessibility_with_a_new_site_at_a_commune(small_territory):
    # a second site of 1,410 consultations at C, alone in its reach (1,000 inhabitants): + 1.41 there
    result = plan_json("accessibility", "--added-hours", "10", "--add-at", "55003")
    rows = {row["code"]: row for row in result["rows"]}
    assert rows["55003"]["added"] == pytest.approx(SUPPLY / 1000, abs=1e-6)
    assert rows["88001"]["apl"] is None
    assert rows["88001"]["total"] is None
    assert result["summary"]["sites"] == 2


def test_coverage_by_apl_band(small_territory):
    out, _ = plan("coverage", "--departement", "55", "--minutes", "20", "--format", "csv")
    bands = {row["band"]: row for row in csv.DictReader(io.StringIO(out))}
    assert list(bands) == ["APL < 1.5", "1.5 ≤ APL < 2.5", "2.5 ≤ APL < 4", "APL ≥ 4", "toutes les communes"]
    assert (bands["APL < 1.5"]["population"], bands["APL < 1.5"]["covered_population"]) == ("300", "300")
    assert bands["2.5 ≤ APL < 4"]["covered_population"] == "0"
    total = bands["toutes les communes"]
    # need = 500 × (2.5 − 2.0) + 300 × (2.5 − 1.2) = 250 + 390
    assert (total["population"], total["covered_population"], total["need"], total["covered_need"]) == (
        "1800",
        "800",
        "640.0",
        "640.0",
    )


def test_coverage_lists_communes_without_apl(small_territory):
    result = plan_json("coverage", "--apl-bands", "2.5")
    assert [row["band"] for row in result["rows"]] == [
        "APL < 2.5",
        "APL ≥ 2.5",
        "APL inconnu",
        "toutes les communes",
    ]
    assert result["rows"][2]["population"] == 200


@pytest.mark.parametrize("model", ["mclp", "greedy"])
def test_optimise_adds_the_site_covering_the_most_population(small_territory, model):
    result = plan_json(
        "optimise",
        "--departement",
        "55",
        "--model",
        model,
        "--k",
        "1",
        "--candidates",
        "2",
        "--weights",
        "population",
        "--gain-curve",
    )
    assert [row["code"] for row in result["rows"]] == ["55003"]
    assert result["summary"]["covered_population"] == 1800
    assert result["gain_curve"] == [
        {
            "k": 1,
            "objective": 1800.0,
            "marginal_gain": 1000.0,
            "status": "Optimal" if model == "mclp" else "Heuristic",
        }
    ]


def test_optimise_pmedian(small_territory):
    result = plan_json(
        "optimise",
        "--departement",
        "55",
        "--model",
        "pmedian",
        "--k",
        "1",
        "--candidates",
        "2",
        "--weights",
        "population",
    )
    assert [row["code"] for row in result["rows"]] == ["55003"]
    # B is 12.3 minutes from the open site; A and C are at their sites: 300 × 12.29
    assert result["summary"]["objective"] == pytest.approx(300 * 12.29, rel=1e-3)
    assert result["summary"]["status"] == "Optimal"


def test_optimise_with_more_sites_than_candidates_is_refused(small_territory):
    with pytest.raises(CommandError, match="3 nouveaux sites demandés mais seulement 2 communes candidates"):
        plan("optimise", "--k", "3", "--candidates", "2", "--departement", "55")


def test_sizing_from_catchments(small_territory):
    # the site at A serves A and B (800 people), the new one at C serves C (1,000), D is 58 minutes away;
    # 40 and 50 consultations a year are under 1.1 a week: 1 hour a week keeps the wait under 15 minutes
    # (M/M/1 at 0.85 arrivals an hour: wait 0.284 / (3 − 0.851) h = 7.9 min; at 0.5 h it is 26 min)
    result = plan_json("sizing", "--add-at", "55003", "--use-rate", "0.05", "--doctor-hourly-cost", "60")
    rows = [
        (
            r["commune"],
            r["catchment_population"],
            r["yearly_demand"],
            r["weekly_hours"],
            r["doctor_hours_per_year"],
            r["doctor_cost_per_year"],
            r["assistant_cost_per_year"],
        )
        for r in result["rows"]
    ]
    assert rows == [
        ("55001", 800, 40.0, 1.0, 47.0, 2820.0, None),
        ("55003", 1000, 50.0, 1.0, 47.0, 2820.0, None),
    ]
    assert result["summary"]["study_area_population_beyond_reach"] == 200


def test_output_file_and_csv(small_territory, tmp_path):
    target = tmp_path / "access.csv"
    out, err = plan("accessibility", "--format", "csv", "--output", str(target))
    assert out == ""
    assert "Résultat écrit dans" in err
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert [r["code"] for r in rows] == ["55001", "55002", "55003", "88001"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["coverage", "--departement", "99"], "Département inconnu : 99"),
        (["coverage", "--add-at", "12345"], "Commune\\(s\\) inconnue\\(s\\) ou sans coordonnées : 12345"),
        (["coverage", "--apl-bands", "2.5,1.5"], "band edges must be finite and increasing"),
    ],
)
def test_clear_errors(small_territory, args, message):
    with pytest.raises(CommandError, match=message):
        plan(*args)


@pytest.mark.django_db
def test_nothing_loaded():
    with pytest.raises(CommandError, match="Aucune commune n'est chargée"):
        plan("accessibility")


def test_real_extract_accessibility_and_coverage(real_extract):
    result = plan_json("accessibility", "--departement", "55", "--added-hours", "5", "--add-at", "55463")
    meuse = Commune.objects.filter(departement_id="55").count()
    assert len(result["rows"]) == meuse > 0
    for row in result["rows"]:
        assert row["added"] >= 0
        if row["apl"] is not None:
            assert row["total"] == pytest.approx(row["apl"] + row["added"], abs=1e-6)
    assert any(row["added"] > 0 for row in result["rows"])
    coverage = plan_json("coverage", "--add-at", "55463", "--minutes", "15")
    assert coverage["rows"][-1]["population"] == sum(Commune.objects.values_list("population", flat=True))


def test_optimise_pmedian_with_a_stated_penalty_for_unreachable_communes(small_territory):
    short = ("optimise", "--departement", "55", "--model", "pmedian", "--k", "1", "--candidates", "2")
    short += ("--weights", "population", "--minutes", "5")
    # B is 12.3 minutes from the nearest site: beyond 5 minutes it reaches none, and is named.
    with pytest.raises(CommandError, match="55002"):
        plan(*short)
    result = plan_json(*short, "--unreachable-minutes", "30")
    assert result["summary"]["unreachable_communes"] == 1
    assert result["summary"]["objective"] == pytest.approx(300 * 30, rel=1e-6)
    assert result["parameters"]["unreachable_minutes"] == 30
