"""The demo's cost and funding scenarios: one per département of the network, drafted from the optimiser's proposal
(its sites in that département, their demand and assisting hours) with the seeds' example funding, from this year,
four years, plus the département's share of access to care for the Meuse — through the real services."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone

from maille.diagnosis.models import Scenario
from maille.evaluation.costs import cost_scenario_create
from maille.evaluation.models import CostNature, CostScenario, Funder, FundingLine

from .scenarios import PROPOSAL_NAME

DEPARTEMENTS = {"52": "Haute-Marne", "54": "Meurthe-et-Moselle", "55": "Meuse"}
YEARS = 4
MEUSE_ACCESS_SHARE = "40000.00"  # the département funds part of access to care (premises, coordination)


def load_demo_costs(*, today: dt.date | None = None) -> int:
    """Once per database; the number of scenarios created."""
    if CostScenario.objects.filter(is_fictional=True).exists():
        return 0
    today = today or timezone.localdate()
    admin = get_user_model().objects.filter(is_demo=True, username="admin").first()
    proposal = Scenario.objects.filter(name=PROPOSAL_NAME).first()
    if admin is None or proposal is None:
        return 0
    created = 0
    for code, name in DEPARTEMENTS.items():
        scenario = cost_scenario_create(
            admin, name=f"{name} : réseau et 4 nouveaux sites, {today.year}–{today.year + YEARS - 1}",
            departement_code=code, first_year=today.year, years=YEARS, diagnosis_scenario=proposal,
            seed_example=True,
            description="Tiré de la proposition de l'optimiseur ; financements de l'exemple des préconisations.",
        )  # fmt: skip
        if code == "55":
            FundingLine.objects.create(scenario=scenario, funder=Funder.DEPARTEMENT, nature=CostNature.ACCESS,
                                       label="Conseil départemental : locaux et coordination",
                                       amounts=[MEUSE_ACCESS_SHARE] * YEARS)  # fmt: skip
        CostScenario.objects.filter(pk=scenario.pk).update(is_fictional=True)
        created += 1
    return created
