"""The optimiser from the web: a request checked whole, the worker's run to a proven optimum, progress,
cancel (queued, between steps, inside HiGHS), abandoned runs, the pages, and saving a proposal."""

from __future__ import annotations

import datetime as dt
from html import unescape

import numpy as np
import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from maille.accounts.models import Role
from maille.core.models import AuditEvent
from maille.diagnosis import optimiser
from maille.diagnosis.models import OptimisationRun, RunState, Scenario, ScenarioOrigin
from maille.diagnosis.optimiser import (
    OptimisationError,
    OptimisationRequest,
    cancel_optimisation,
    execute,
    fail_abandoned_runs,
    parse_request,
    request_optimisation,
)
from maille.diagnosis.zones import Zone
from maille.directory.models import Organisation, OrganisationKind
from maille.planning import highs_model
from maille.planning.location import MaximalCoverage
from maille.planning.travel import TravelTimes
from tests.factories import OrganisationFactory, user_with_role

pytestmark = pytest.mark.django_db
MEUSE = Zone("departement", "55", "Meuse")


def test_a_request_is_checked_whole(network):
    coordinator = user_with_role(Role.COORDINATOR, departement_id="55")
    assert parse_request(coordinator, MEUSE, {"k": "2"}) == OptimisationRequest(k=2)
    with pytest.raises(OptimisationError) as refused:
        parse_request(coordinator, MEUSE, {"k": "0", "minutes": "200", "model": "x", "weights": "y"})
    assert set(refused.value.errors) == {"k", "minutes", "model", "weights"}
    with pytest.raises(OptimisationError) as too_many:
        parse_request(coordinator, MEUSE, {"k": "5"})  # the Meuse has four inhabited communes
    assert "seulement 4 communes candidates" in too_many.value.errors["k"]
    Organisation.objects.update(kind=OrganisationKind.OTHER)  # the site's host: neither pharmacy nor MSP
    with pytest.raises(OptimisationError) as no_host:
        parse_request(coordinator, MEUSE, {"k": "1", "candidates": "structures"})
    assert "aucune pharmacie" in no_host.value.errors["candidates"]
    OrganisationFactory(kind=OrganisationKind.PHARMACY, commune=network["loin"])
    assert (
        parse_request(coordinator, MEUSE, {"k": "1", "candidates": "structures"}).candidates == "structures"
    )


@pytest.mark.django_db(transaction=True)  # the worker closes its database connection
def test_the_worker_runs_a_request_to_its_proven_optimum(network):
    coordinator = user_with_role(Role.COORDINATOR, departement_id="55")
    run = request_optimisation(coordinator, MEUSE, OptimisationRequest(k=1, minutes=20))
    assert run.state == RunState.QUEUED
    assert AuditEvent.objects.filter(action="optimisation.request", target_id=str(run.pk)).exists()
    call_command("db_worker", "--batch", "--interval", "0", verbosity=0)
    run.refresh_from_db()
    assert run.state == RunState.DONE, run.error
    assert run.progress == 100
    # Loin is the one commune under 2.5 beyond 20 minutes of Près: the most need a new site can cover
    assert [row["code"] for row in run.result["rows"]] == ["55002"]
    assert run.result["summary"]["status"] == "Optimal"
    assert run.result["summary"]["gap"] == 0.0


def test_a_queued_run_cancels_at_once_and_never_starts(network):
    coordinator = user_with_role(Role.COORDINATOR, departement_id="55")
    run = request_optimisation(coordinator, MEUSE, OptimisationRequest(k=1))
    cancel_optimisation(coordinator, run)
    run.refresh_from_db()
    assert run.state == RunState.CANCELLED
    assert execute(run.pk) == RunState.CANCELLED
    assert AuditEvent.objects.filter(action="optimisation.cancel", target_id=str(run.pk)).exists()


def test_a_running_run_stops_at_its_next_step(network):
    coordinator = user_with_role(Role.COORDINATOR, departement_id="55")
    run = request_optimisation(coordinator, MEUSE, OptimisationRequest(k=1))
    OptimisationRun.objects.filter(pk=run.pk).update(cancel_requested=True)  # asked once it had started
    assert execute(run.pk) == RunState.CANCELLED
    run.refresh_from_db()
    assert run.result == {}


def test_a_cancel_stops_highs_inside_its_branch_and_bound(monkeypatch):
    monkeypatch.setattr(highs_model, "INTERRUPT_POLL_SECONDS", 0.0)
    rng = np.random.default_rng(2)
    times = TravelTimes.from_dense(rng.uniform(0, 60, (300, 100)), cutoff_minutes=14)
    need = rng.uniform(1, 100, 300)
    asked = []
    with highs_model.interrupt_when(lambda: asked.append(1) or True):
        model = MaximalCoverage(6, time_limit_seconds=600).solve(times, need)
    assert asked
    assert model.status_ == "Interrupted by user"  # its best solution so far, never called optimal


def test_a_failure_is_said_and_the_run_ends(network, monkeypatch):
    coordinator = user_with_role(Role.COORDINATOR, departement_id="55")
    run = request_optimisation(coordinator, MEUSE, OptimisationRequest(k=1))

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(optimiser, "run_optimise", broken)
    assert execute(run.pk) == RunState.FAILED
    run.refresh_from_db()
    assert run.error == "Erreur inattendue pendant l'optimisation."


def test_runs_left_running_by_a_stopped_worker_are_failed(network):
    run = OptimisationRun.objects.create(zone_key=MEUSE.key, state=RunState.RUNNING,
                                         started_at=timezone.now() - dt.timedelta(hours=2))  # fmt: skip
    recent = OptimisationRun.objects.create(
        zone_key=MEUSE.key, state=RunState.RUNNING, started_at=timezone.now()
    )
    assert fail_abandoned_runs() == 1
    run.refresh_from_db()
    recent.refresh_from_db()
    assert (run.state, recent.state) == (RunState.FAILED, RunState.RUNNING)
    assert "relancez" in run.error


@pytest.mark.django_db(transaction=True)  # the worker closes its database connection
def test_the_pages_from_request_to_saved_proposal(client, network):
    coordinator = user_with_role(Role.COORDINATOR, departement_id="55")
    client.force_login(coordinator)
    form = client.get(reverse("diagnosis:optimise"), {"zone": "departement:55"})
    assert form.status_code == 200
    refused = client.post(reverse("diagnosis:optimise"), {"zone": "departement:55", "k": "9"})
    assert refused.status_code == 422
    assert "seulement 4 communes candidates" in unescape(refused.content.decode())
    assert not OptimisationRun.objects.exists()
    started = client.post(
        reverse("diagnosis:optimise"), {"zone": "departement:55", "k": "1", "model": "mclp"}
    )
    run = OptimisationRun.objects.get()
    assert started.url == reverse("diagnosis:optimisation", args=[run.pk])
    waiting = client.get(reverse("diagnosis:optimisation_state", args=[run.pk]))
    assert 'hx-trigger="every 1s"' in waiting.content.decode()
    call_command("db_worker", "--batch", "--interval", "0", verbosity=0)
    done = unescape(client.get(reverse("diagnosis:optimisation_state", args=[run.pk])).content.decode())
    assert "hx-trigger" not in done
    assert "Optimum prouvé par le solveur." in done
    assert "Loin" in done
    saved = client.post(reverse("diagnosis:optimisation_save", args=[run.pk]), {"name": "Un site à Loin"})
    scenario = Scenario.objects.get()
    assert saved.url == reverse("diagnosis:scenario_detail", args=[scenario.pk])
    assert (scenario.origin, scenario.added_communes) == (ScenarioOrigin.OPTIMISER, ["55002"])
    assert scenario.optimisation["summary"]["status"] == "Optimal"
    detail = unescape(client.get(saved.url).content.decode())
    assert "Optimum prouvé par le solveur." in detail
    run.refresh_from_db()
    assert run.scenario == scenario


def test_a_run_of_another_territory_is_not_found(client, network):
    run = OptimisationRun.objects.create(
        zone_key="departement:52", parameters=OptimisationRequest().as_dict()
    )
    client.force_login(user_with_role(Role.COORDINATOR, departement_id="55"))
    assert client.get(reverse("diagnosis:optimisation", args=[run.pk])).status_code == 404
    assert client.post(reverse("diagnosis:optimisation_cancel", args=[run.pk])).status_code == 404
