"""The demo's scenarios on the e-Meuse territory (52, 54, 55): a proposal of 4 new sites by the optimiser
(run here, to its proven optimum) and a hand-drawn alternative, so that the comparison page has something
to compare from the first login."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from maille.diagnosis.models import OptimisationRun, RunState, Scenario, ScenarioOrigin
from maille.diagnosis.optimiser import OptimisationRequest, execute, request_optimisation
from maille.diagnosis.scenarios import scenario_create
from maille.diagnosis.zones import zone_for

DEMO_ZONE = "departements:52,54,55"
PROPOSAL_NAME = "Proposition de l'optimiseur : 4 nouveaux sites"
MANUAL_NAME = "Deux sites dans les communes les moins dotées (Wassy, Gondrecourt-le-Château)"
MANUAL_COMMUNES = ["52550", "55215"]


def load_demo_scenarios() -> dict[str, object]:
    """Idempotent: a scenario already there (by name) is kept as it is."""
    admin = get_user_model().objects.get(username="admin")
    zone = zone_for(admin, DEMO_ZONE)
    if zone is None:
        return {"scenarios": 0, "gain": None}
    created = 0
    proposal = Scenario.objects.filter(zone_key=zone.key, name=PROPOSAL_NAME).first()
    if proposal is None:
        run = request_optimisation(
            admin, zone, OptimisationRequest(model="mclp", k=4, minutes=20), enqueue=False
        )
        execute(run.pk)  # here, not by the worker: the demo must hold it once loaded
        run.refresh_from_db()
        if run.state != RunState.DONE:
            raise RuntimeError(f"demo optimisation ended {run.state}: {run.error}")
        proposal = scenario_create(
            admin, zone, name=PROPOSAL_NAME, added=[row["code"] for row in run.result["rows"]],
            origin=ScenarioOrigin.OPTIMISER,
            optimisation={"parameters": run.parameters, "summary": run.result["summary"], "run": run.pk},
            description=_("Quatre communes qui mettent le plus de besoin (population × écart d'APL sous 2,5) "
                          "à moins de 20 minutes d'un site, les sites d'aujourd'hui gardés."),
        )  # fmt: skip
        OptimisationRun.objects.filter(pk=run.pk).update(scenario=proposal)
        created += 1
    if not Scenario.objects.filter(zone_key=zone.key, name=MANUAL_NAME).exists():
        scenario_create(admin, zone, name=MANUAL_NAME, added=MANUAL_COMMUNES)
        created += 1
    summary = proposal.optimisation.get("summary", {})
    return {"scenarios": created, "gain": summary.get("covered_population"), "proposal": proposal.pk}
