"""The cost model's pages: the scenarios of a territory, a new one, its results and grid (saved whole or shown again
with every wrong cell named), its workbook, the comparison, and who may do what."""

from __future__ import annotations

import html
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from maille.accounts.models import Role
from maille.evaluation.costs import cost_scenario_create
from maille.evaluation.models import CostLine, CostScenario, CostSite
from tests.factories import user_with_role
from tests.territory.factories import CommuneFactory, DepartementFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def territory():
    meuse = DepartementFactory(code="55", name="Meuse")
    DepartementFactory(code="52", name="Haute-Marne", region=meuse.region)
    CommuneFactory(code="55901", departement=meuse, population=4000)
    return meuse


@pytest.fixture
def coordinator(territory):
    return user_with_role(Role.COORDINATOR, departement_id="55")


@pytest.fixture
def scenario(coordinator):
    scenario = cost_scenario_create(coordinator, name="Réseau 2027", departement_code="55", first_year=2027, years=2,
                                    seed_example=True)  # fmt: skip
    CostSite.objects.create(scenario=scenario, name="MSP", opening_year=2027, teleconsultations_per_year=1000)
    return scenario


def body(response) -> str:
    return html.unescape(response.content.decode()).replace("\xa0", " ").replace("\u202f", " ")


def test_a_coordinator_creates_a_scenario_with_the_seeds_funding(client, coordinator):
    client.force_login(coordinator)
    page = client.get(reverse("evaluation:cost_scenarios"))
    assert page.status_code == 200
    assert "Nouveau scénario" in body(page)
    created = client.post(reverse("evaluation:cost_scenario_new"),
                          {"name": "Meuse 2027", "departement": "55", "first_year": "2027", "years": "4",
                           "seed": "1"}, follow=True)  # fmt: skip
    assert created.status_code == 200
    text = body(created)
    assert "Scénario « Meuse 2027 » créé." in text
    scenario = CostScenario.objects.get()
    assert scenario.funding_lines.count() == 2
    assert "200 000" in text  # the decreasing subsidy's first year in the grid and the tables


def test_a_wrong_new_scenario_is_shown_again_with_its_errors(client, coordinator):
    client.force_login(coordinator)
    response = client.post(reverse("evaluation:cost_scenario_new"),
                           {"name": "", "departement": "52", "first_year": "20x7", "years": "12", "planning": "9999"})  # fmt: skip
    assert response.status_code == 422
    text = body(response)
    assert "Scénario de planification inconnu ou hors de votre périmètre." in text
    assert not CostScenario.objects.exists()
    response = client.post(reverse("evaluation:cost_scenario_new"),
                           {"name": "", "departement": "52", "first_year": "20x7", "years": "12"})  # fmt: skip
    text = body(response)
    for message in ("Donnez un nom au scénario.", "Département inconnu ou hors de votre périmètre.",
                    "Première année : une année entre 2000 et 2100.", "Nombre d'années : de 1 à 10."):  # fmt: skip
        assert message in text


def test_the_scenario_page_shows_its_results(client, coordinator, scenario):
    client.force_login(coordinator)
    response = client.get(reverse("evaluation:cost_scenario", args=[scenario.pk]))
    assert response.status_code == 200
    results = response.context["results"]
    # 1000 teleconsultations × 37 € a year; the seeds' ARS lines: 200,000 + 30,000 then 140,000 + 30,000
    assert results.acts == [Decimal("37000.00")] * 2
    assert results.total_funding == [Decimal("267000.00"), Decimal("207000.00")]
    text = body(response)
    assert "37,00 €" in text  # cost per teleconsultation: acts only
    assert 'data-testid="cost-grid"' in text


def test_the_grid_is_saved_or_shown_again_with_every_wrong_cell(client, coordinator, scenario):
    client.force_login(coordinator)
    site = scenario.sites.get()
    url = reverse("evaluation:cost_scenario_edit", args=[scenario.pk])
    common = {"name": "Réseau 2027", "departement": "55", "first_year": "2027", "years": "2", "site-count": "1",
              "site-0-id": str(site.pk), "site-0-name": "MSP", "site-0-opening_year": "2027",
              "site-0-teleconsultations": "1000", "site-0-profession": "infirmier", "site-0-hours": "10",
              "cost-count": "1", "funding-count": "0", "cost-0-label": "Salle", "cost-0-site": str(site.pk),
              "cost-0-category": "locaux", "cost-0-nature": "acces"}  # fmt: skip
    wrong = client.post(url, {**common, "cost-0-y0": "-3 600", "cost-0-y1": "3 600"})
    assert wrong.status_code == 422
    text = body(wrong)
    assert "Coût « Salle », 2027 : un montant ne peut pas être négatif." in text
    assert 'value="-3 600"' in text  # what was typed is shown again
    assert not CostLine.objects.filter(label="Salle").exists()
    saved = client.post(url, {**common, "cost-0-y0": "3 600", "cost-0-y1": "3 600"}, follow=True)
    assert "Scénario enregistré." in body(saved)
    assert CostLine.objects.get(label="Salle").amounts == ["3600.00", "3600.00"]


def test_an_evaluator_reads_without_the_grid_and_downloads_the_workbook(client, scenario, territory):
    from openpyxl import load_workbook

    evaluator = user_with_role(Role.EVALUATOR, departement_id="55")
    client.force_login(evaluator)
    page = client.get(reverse("evaluation:cost_scenario", args=[scenario.pk]))
    assert page.status_code == 200
    assert 'data-testid="cost-grid"' not in body(page)
    assert client.post(reverse("evaluation:cost_scenario_edit", args=[scenario.pk]), {}).status_code == 403
    workbook = load_workbook(
        io.BytesIO(client.get(reverse("evaluation:cost_scenario_xlsx", args=[scenario.pk])).content)
    )
    rows = {row[0]: row[1:] for row in workbook["Synthèse"].iter_rows(min_row=2, values_only=True)}
    assert rows["téléconsultations"] == (1000, 1000, 2000)
    assert rows["financements totaux"] == (267000.0, 207000.0, 474000.0)
    assert "Accès aux soins (collectivités)" in workbook.sheetnames


def test_a_scenario_of_another_departement_is_not_found(client, territory, scenario):
    other = user_with_role(Role.COORDINATOR, departement_id="52")
    client.force_login(other)
    assert client.get(reverse("evaluation:cost_scenario", args=[scenario.pk])).status_code == 404
    assert client.post(reverse("evaluation:cost_scenario_remove", args=[scenario.pk])).status_code == 404
    assert CostScenario.objects.filter(pk=scenario.pk).exists()


def test_scenarios_are_compared_side_by_side(client, coordinator, scenario):
    second = cost_scenario_create(coordinator, name="Sans subvention", departement_code="55", first_year=2027,
                                  years=3)  # fmt: skip
    CostSite.objects.create(scenario=second, name="MSP", opening_year=2027, teleconsultations_per_year=500)
    client.force_login(coordinator)
    url = reverse("evaluation:cost_compare")
    response = client.get(url, {"s": [scenario.pk, second.pk]})
    assert response.status_code == 200
    compared = response.context["compared"]
    assert [r.scenario for r in compared] == [scenario, second]
    assert [sum(r.teleconsultations) for r in compared] == [2000, 1500]
    text = body(response)
    assert "Sans subvention" in text
    assert "37,00" in text
    assert client.get(url, {"s": [scenario.pk]}).status_code == 400  # one is not a comparison
    junk = client.get(url, {"s": [scenario.pk, "²"]})
    assert junk.status_code == 400
    assert "Scénario illisible dans la demande." in body(junk)
    DepartementFactory(code="54", name="Meurthe-et-Moselle")
    hidden = cost_scenario_create(user_with_role(Role.PLATFORM_ADMIN), name="Autre", departement_code="54",
                                  first_year=2027, years=2)  # fmt: skip
    outside = client.get(url, {"s": [scenario.pk, hidden.pk]})
    assert outside.status_code == 400
    assert "Autre" not in body(outside)


def test_a_scenario_is_deleted(client, coordinator, scenario):
    client.force_login(coordinator)
    response = client.post(reverse("evaluation:cost_scenario_remove", args=[scenario.pk]), follow=True)
    assert "Scénario « Réseau 2027 » supprimé." in body(response)
    assert not CostScenario.objects.exists()
