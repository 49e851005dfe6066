"""The demo loads the shipped Grand Est territory and the fictional network, idempotently."""

from __future__ import annotations

import datetime
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from maille.accounts.models import Role
from maille.accounts.permissions import has_permission
from maille.accounts.scope import scope_for
from maille.demo.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD
from maille.directory.models import NetworkRole, NetworkRoleKind, Professional, Site
from maille.directory.selectors import sites_visible_to
from maille.territory.models import Commune, Cpts

pytestmark = pytest.mark.django_db(transaction=True)


def test_demo_loads_the_territory_and_the_fictional_network_idempotently(client):
    """One test, because loading the region takes a while: load, check, load again, check nothing changed."""
    out = io.StringIO()
    call_command("demo", stdout=out)
    demo_output = out.getvalue()

    assert Commune.objects.filter(departement__region_id="44").count() > 5000
    assert Commune.objects.filter(departement_id="55", apl_gp__isnull=False).count() > 400
    assert Site.objects.count() == 16
    assert set(Site.objects.values_list("commune__departement_id", flat=True)) == {"52", "54", "55"}
    assert not Site.objects.filter(is_fictional=False).exists()
    assert Cpts.objects.filter(is_fictional=True).count() == 3
    assert all(cpts.communes.count() > 10 for cpts in Cpts.objects.all())
    doctors = NetworkRole.objects.filter(kind=NetworkRoleKind.REMOTE_DOCTOR)
    assert doctors.count() == 4
    assert {role.organisation.name for role in doctors} == {"Cabinet de télémédecine de Souilly (fictif)"}
    assistants = NetworkRole.objects.filter(kind=NetworkRoleKind.ASSISTANT)
    assert 18 <= assistants.count() <= 24
    assert not Professional.objects.filter(is_fictional=False).exists()
    assert "7 compte(s) créé(s)" in demo_output

    users = get_user_model().objects.in_bulk([account[0] for account in DEMO_ACCOUNTS], field_name="username")
    for username, _first, _last, role, _scope in DEMO_ACCOUNTS:
        assert users[username].check_password(DEMO_PASSWORD), username
        assert role in scope_for(users[username]).roles
    visible = {username: sites_visible_to(users[username]).count() for username in users}
    assert visible["admin"] == 16
    assert visible["coordination55"] == 10
    assert visible["site-souilly"] == 1
    assert visible["docteur"] == 16
    assert visible["operateur"] == 16
    assert has_permission(users["evaluation"], "territory.view_map")
    assert not has_permission(users["docteur"], "territory.view_map")
    assert Role.PLATFORM_ADMIN in scope_for(users["admin"]).roles
    # the e-Meuse scenarios: a proven proposal of 4 sites (run by the loader itself, not queued) and a variant
    from django_tasks_db.models import DBTaskResult

    from maille.diagnosis.models import OptimisationRun, Scenario, ScenarioOrigin

    proposal = Scenario.objects.get(origin=ScenarioOrigin.OPTIMISER)
    assert (proposal.zone_key, len(proposal.added_communes)) == ("departements:52,54,55", 4)
    assert proposal.optimisation["summary"]["status"] == "Optimal"
    assert Scenario.objects.filter(origin=ScenarioOrigin.MANUAL).count() == 1
    assert OptimisationRun.objects.get().scenario == proposal
    assert not DBTaskResult.objects.filter(task_path__contains="run_optimisation").exists()

    # quality: assessments in every state, with evidence, reviewed by someone not of the site
    from maille.quality.models import Action, Assessment, EvidenceFile

    states = sorted(Assessment.objects.values_list("status", flat=True))
    assert states == ["closed"] * 7 + ["in_progress", "returned", "submitted"]
    closed = Assessment.objects.filter(status="closed")
    # three earlier ones (months ago, with gaps) and four of today, three of them with every mandatory criterion
    assert sorted(closed.values_list("mandatory_met", flat=True)) == [False] * 4 + [True] * 3
    assert closed.filter(closed_at__lt=timezone.now() - datetime.timedelta(days=100)).count() == 3
    from maille.quality.labels import valid_labels
    from maille.quality.models import Label

    assert valid_labels().count() == 2
    assert Label.objects.filter(status="suspended").count() == 1
    assert all(
        a.score is not None and a.reviewer.username in ("coordination55", "evaluation") for a in closed
    )
    assert EvidenceFile.objects.count() > 50
    assert Assessment.objects.get(status="in_progress").created_by.username == "site-souilly"
    assert "10 auto-évaluations" in demo_output
    from maille.quality.actions import overdue_actions

    assert Action.objects.count() == 5
    assert overdue_actions().count() == 2
    assert Action.objects.filter(status="done").count() == 1

    counts = (
        Site.objects.count(),
        Professional.objects.count(),
        Commune.objects.count(),
        Cpts.objects.count(),
        Scenario.objects.count(),
        Assessment.objects.count(),
    )
    out = io.StringIO()
    call_command("demo", stdout=out)
    assert (
        Site.objects.count(),
        Professional.objects.count(),
        Commune.objects.count(),
        Cpts.objects.count(),
        Scenario.objects.count(),
        Assessment.objects.count(),
    ) == counts
    assert "0 compte(s) créé(s)" in out.getvalue()
