"""The cost and funding model: acts priced from the activity and the tariffs, results checked against values
computed by hand, the seeds' example, a draft from a planning scenario, and a grid saved whole or not at all."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.http import QueryDict

from maille.accounts.models import Role
from maille.core.models import AuditEvent
from maille.diagnosis.scenarios import scenario_create
from maille.diagnosis.zones import Zone
from maille.evaluation.costs import (
    CostInputError,
    compute_costs,
    cost_scenario_create,
    cost_scenario_save,
    cost_scenarios_visible_to,
    parse_euros,
    site_acts,
)
from maille.evaluation.models import CostLine, CostScenario, CostSite, FundingLine
from maille.evaluation.tariffs import TariffBook
from tests.diagnosis.conftest import network  # noqa: F401 — the planning fixture
from tests.factories import user_with_role
from tests.territory.factories import CommuneFactory, DepartementFactory

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def meuse():
    departement = DepartementFactory(code="55", name="Meuse")
    CommuneFactory(code="55901", departement=departement, population=1500)
    CommuneFactory(code="55902", departement=departement, population=500)
    return departement


@pytest.fixture
def coordinator(meuse):
    return user_with_role(Role.COORDINATOR, departement_id="55")


def blank(coordinator, *, years=2, first_year=2027, **extra):
    return cost_scenario_create(coordinator, name="Réseau", departement_code="55", first_year=first_year,
                                years=years, **extra)  # fmt: skip


# --- acts from the activity -----------------------------------------------------------------------------------
def test_a_nurse_site_bills_the_doctor_and_the_nurse_acts(coordinator):
    scenario = blank(coordinator)
    site = CostSite(scenario=scenario, name="MSP", opening_year=2027, teleconsultations_per_year=1000,
                    assisting_profession="infirmier")  # fmt: skip
    book = TariffBook()
    assert site_acts(site, 2027, book) == (1000, D("37000.00"), D("0.00"))  # TCG 25 € + TLL 12 €
    assert site_acts(site, 2026, book) == (0, D("0"), D("0"))  # not open yet


def test_a_pharmacy_bills_tlm_and_receives_its_forfaits_within_their_cap(coordinator):
    scenario = blank(coordinator)
    pharmacy = CostSite(scenario=scenario, name="Officine", opening_year=2027, teleconsultations_per_year=1000,
                        assisting_profession="pharmacien")  # fmt: skip
    book = TariffBook()
    # 1000 × (TCG 25 + TLM 1); FTA 200 tranches × 25 € capped at 750 €, FTE 1,225 € the opening year only
    assert site_acts(pharmacy, 2027, book) == (1000, D("26000.00"), D("1975.00"))
    assert site_acts(pharmacy, 2028, book) == (1000, D("26000.00"), D("750.00"))
    small = CostSite(scenario=scenario, name="Petite", opening_year=2020, teleconsultations_per_year=14,
                     assisting_profession="pharmacien")  # fmt: skip
    assert site_acts(small, 2027, book)[2] == D("50.00")  # two tranches of five


# --- results against hand-computed values ----------------------------------------------------------------------
def test_results_of_a_small_scenario(coordinator, meuse):
    scenario = blank(coordinator)
    site = CostSite.objects.create(
        scenario=scenario, name="MSP", opening_year=2027, teleconsultations_per_year=500
    )
    CostLine.objects.create(scenario=scenario, site=site, category="locaux", nature="acces", label="Salle",
                            amounts=["3600.00", "3600.00"])  # fmt: skip
    CostLine.objects.create(scenario=scenario, site=site, category="temps_assistant", nature="soin",
                            label="Temps", amounts=["2000.00", "1000.00"])  # fmt: skip
    FundingLine.objects.create(scenario=scenario, funder="departement", nature="acces", label="CD55",
                               amounts=["1000.00", "1000.00"])  # fmt: skip
    FundingLine.objects.create(
        scenario=scenario, funder="ars", nature="acces", label="Démarrage", amounts=["3000.00"]
    )  # a line shorter than the scenario: 0 the second year
    results = compute_costs(scenario)
    assert results.years == [2027, 2028]
    assert results.teleconsultations == [500, 500]
    assert results.acts == [D("18500.00")] * 2  # 500 × 37 €
    assert results.care_costs == [D("20500.00"), D("19500.00")]
    assert results.access_costs == [D("3600.00")] * 2
    assert results.care_funding == [D("18500.00")] * 2
    assert results.access_funding == [D("4000.00"), D("1000.00")]
    assert results.balance == [D("-1600.00"), D("-3600.00")]  # 22,500 − 24,100 and 19,500 − 23,100
    assert results.cumulative_balance == [D("-1600.00"), D("-5200.00")]
    assert results.cost_per_teleconsultation == [D("48.20"), D("46.20")]  # 24,100 / 500 and 23,100 / 500
    assert results.total_cost_per_teleconsultation == D("47.20")
    assert results.access_cost_per_teleconsultation == D("7.20")
    assert results.access_gap == [D("-400.00"), D("2600.00")]
    local = {row.label: row for row in results.local_authorities}
    assert local["Département"].amounts == [D("1000.00")] * 2
    assert results.population == 2000
    assert results.per_inhabitant(local["Département"]) == D("0.50")  # 1,000 € a year / 2,000 inhabitants
    funders = {row.label: row for row in results.funding_by_funder}
    assert funders["Assurance Maladie : actes"].total == D("37000.00")
    assert results.funder_share(funders["ARS (FIR)"]) == round(100 * 3000 / (37000 + 2000 + 3000), 1)
    per_site = {row.label: row.total for row in results.per_site}
    assert per_site == {"MSP": D("10200.00")}


def test_the_seeds_example_funding(coordinator):
    scenario = blank(coordinator, years=5, seed_example=True)
    decreasing, incentive = scenario.funding_lines.order_by("pk")
    assert decreasing.amounts == ["200000.00", "140000.00", "80000.00", "20000.00", "20000.00"]
    assert (decreasing.funder, decreasing.nature) == ("ars", "acces")
    assert incentive.amounts == ["30000.00"] * 5  # 4 practices × 7,500 €
    assert AuditEvent.objects.filter(action="cost_scenario.create", target_id=str(scenario.pk)).exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "Donnez un nom"),
        ("departement_code", "52", "hors de votre périmètre"),
        ("first_year", "deux mille", "une année entre 2000 et 2100"),
        ("years", "0", "de 1 à 10"),
        ("years", "11", "de 1 à 10"),
    ],
)
def test_a_scenario_that_is_not_right_is_refused(coordinator, field, value, message):
    values = {"name": "Réseau", "departement_code": "55", "first_year": "2027", "years": "3", field: value}
    with pytest.raises(CostInputError) as refused:
        cost_scenario_create(coordinator, **values)
    key = "departement" if field == "departement_code" else field
    assert message in refused.value.errors[key]
    assert not CostScenario.objects.exists()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("12 500", D("12500.00")), ("1 225,50", D("1225.50")), ("", D("0")), ("3600 €", D("3600.00"))],
)
def test_amounts_are_read_the_french_way(raw, expected):
    assert parse_euros(raw) == expected
    assert str(parse_euros(raw)).endswith((".00", ".50"))


@pytest.mark.parametrize(
    ("raw", "message"),
    [("-10", "négatif"), ("douze", "illisible"), ("1,234", "deux décimales"), ("1e12", "invraisemblable"),
     ("NaN", "illisible")],
)  # fmt: skip
def test_wrong_amounts_are_refused(raw, message):
    with pytest.raises(ValueError, match=message):
        parse_euros(raw)


# --- the grid -----------------------------------------------------------------------------------------------
def grid(scenario, **cells):
    data = {"name": scenario.name, "departement": scenario.departement_id, "first_year": str(scenario.first_year),
            "years": str(scenario.years), "site-count": "2", "cost-count": "2", "funding-count": "2"}  # fmt: skip
    data.update({key.replace("__", "-"): value for key, value in cells.items()})
    query = QueryDict(mutable=True)
    query.update(data)
    return query


def test_the_grid_saves_sites_costs_and_funding(coordinator):
    scenario = blank(coordinator)
    cost_scenario_save(coordinator, scenario, grid(
        scenario, **{"site-0-name": "MSP", "site-0-opening_year": "2027", "site-0-teleconsultations": "800",
                     "site-0-profession": "pharmacien", "site-0-hours": "6,5",
                     "cost-0-label": "Coordination", "cost-0-category": "coordination", "cost-0-nature": "acces",
                     "cost-0-y0": "5 500", "cost-0-y1": "5 500",
                     "funding-0-label": "Département", "funding-0-funder": "departement", "funding-0-nature": "acces",
                     "funding-0-y0": "2 000"}))  # fmt: skip
    site = CostSite.objects.get()
    assert (site.name, site.teleconsultations_per_year, site.assisting_profession, site.assistant_hours_per_week) == (
        "MSP", 800, "pharmacien", D("6.5"))  # fmt: skip
    assert CostLine.objects.get().amounts == ["5500.00", "5500.00"]
    assert FundingLine.objects.get().amounts == ["2000.00", "0.00"]
    assert AuditEvent.objects.filter(action="cost_scenario.update").count() == 1
    line = CostLine.objects.get()
    cost_scenario_save(coordinator, scenario, grid(
        scenario, **{"site-0-id": str(site.pk), "site-0-name": "MSP", "site-0-opening_year": "2027",
                     "site-0-teleconsultations": "900", "site-0-profession": "pharmacien", "site-0-hours": "6",
                     "cost-0-id": str(line.pk), "cost-0-delete": "1",
                     "cost-1-label": "Salle", "cost-1-site": str(site.pk), "cost-1-category": "locaux",
                     "cost-1-nature": "acces", "cost-1-y0": "3600"}))  # fmt: skip
    assert CostSite.objects.get().teleconsultations_per_year == 900
    assert list(CostLine.objects.values_list("label", "site_id")) == [("Salle", site.pk)]


def test_a_wrong_grid_names_each_wrong_cell_and_saves_nothing(coordinator):
    scenario = blank(coordinator)
    with pytest.raises(CostInputError) as refused:
        cost_scenario_save(coordinator, scenario, grid(
            scenario, **{"years": "3", "site-0-name": "MSP", "site-0-opening_year": "2031",
                         "site-0-teleconsultations": "-4", "site-0-profession": "infirmier", "site-0-hours": "200",
                         "cost-0-label": "Salle", "cost-0-category": "locaux", "cost-0-nature": "acces",
                         "cost-0-y0": "-3600", "cost-0-y2": "trois",
                         "cost-1-y1": "100",
                         "funding-0-label": "Aide", "funding-0-funder": "banque", "funding-0-nature": "soin"}))  # fmt: skip
    errors = refused.value.errors
    assert "au plus tard 2029" in errors["site-0-opening_year"]  # 2027 + 3 years - 1
    assert "nombre entier" in errors["site-0-teleconsultations"]
    assert "168 heures" in errors["site-0-hours"]
    assert errors["cost-0-y0"] == "Coût « Salle », 2027 : un montant ne peut pas être négatif."
    assert errors["cost-0-y2"].startswith("Coût « Salle », 2029 : montant illisible")
    assert "donnez-lui un libellé" in errors["cost-1-label"]
    assert "financeur inconnu" in errors["funding-0-funder"]
    scenario.refresh_from_db()
    assert scenario.years == 2
    assert not CostSite.objects.exists()
    assert not CostLine.objects.exists()
    assert not FundingLine.objects.exists()


def test_scenarios_are_read_within_the_territory(coordinator):
    scenario = blank(coordinator)
    DepartementFactory(code="52", name="Haute-Marne")
    other = user_with_role(Role.COORDINATOR, departement_id="52")
    assert list(cost_scenarios_visible_to(coordinator)) == [scenario]
    assert not cost_scenarios_visible_to(other).exists()
    assert list(cost_scenarios_visible_to(user_with_role(Role.PLATFORM_ADMIN))) == [scenario]


# --- from a planning scenario -------------------------------------------------------------------------------
def test_a_scenario_drafted_from_planning_prices_its_sites(network):  # noqa: F811
    admin = user_with_role(Role.PLATFORM_ADMIN)
    planning = scenario_create(
        admin, Zone("departement", "55", "Meuse"), name="Un site à Loin", added=["55002"]
    )
    scenario = cost_scenario_create(admin, name="Depuis la planification", departement_code="55", first_year=2027,
                                    years=3, diagnosis_scenario=planning)  # fmt: skip
    sites = {s.name: s for s in scenario.sites.all()}
    assert set(sites) == {"Maison de santé de Près", "site envisagé à Loin"}
    existing, envisaged = sites["Maison de santé de Près"], sites["site envisagé à Loin"]
    assert (existing.opening_year, envisaged.opening_year) == (2026, 2027)
    assert envisaged.teleconsultations_per_year > 0
    lines = {(line.site_id, line.category): line for line in scenario.cost_lines.all()}
    assert lines[(envisaged.pk, "formation")].amounts == ["1500.00", "0.00", "0.00"]  # the opening year only
    assert (existing.pk, "formation") not in lines  # an existing site's staff is trained already
    assert lines[(envisaged.pk, "equipement")].amounts == ["3000.00"] * 3  # 15,000 € over 5 years, one room
    assisting = lines[(envisaged.pk, "temps_assistant")]
    expected = max(
        D("0"), envisaged.assistant_hours_per_week * 47 * 35 - 12 * envisaged.teleconsultations_per_year
    )
    assert D(assisting.amounts[0]) == expected.quantize(D("0.01"))
    assert assisting.nature == "soin"
    network_lines = {line.category for line in scenario.cost_lines.filter(site__isnull=True)}
    assert network_lines == {"evaluation", "communication"}
    assert scenario.diagnosis_scenario == planning


def test_a_planning_scenario_without_a_site_in_the_departement_is_refused(network):  # noqa: F811
    admin = user_with_role(Role.PLATFORM_ADMIN)
    planning = scenario_create(admin, Zone("departement", "55", "Meuse"), name="Meuse", added=["55002"])
    with pytest.raises(CostInputError) as refused:
        cost_scenario_create(admin, name="Haute-Marne", departement_code="52", first_year=2027, years=2,
                             diagnosis_scenario=planning)  # fmt: skip
    assert "aucun site dans ce département" in refused.value.errors["diagnosis_scenario"]


@pytest.mark.parametrize(
    ("hours", "message"),
    [("douze", "un nombre d'heures"), ("-2", "ne peut pas être négatif"), ("12,25", "une décimale au plus"),
     ("200", "168 heures par semaine au plus")],
)  # fmt: skip
def test_assisting_hours_are_read_as_hours(coordinator, hours, message):
    scenario = blank(coordinator)
    row = {"site-0-name": "MSP", "site-0-opening_year": "2027", "site-0-teleconsultations": "800",
           "site-0-profession": "infirmier", "site-0-hours": hours}  # fmt: skip
    with pytest.raises(CostInputError) as refused:
        cost_scenario_save(coordinator, scenario, grid(scenario, **row))
    assert message in refused.value.errors["site-0-hours"]
    assert "euros" not in refused.value.errors["site-0-hours"]
    cost_scenario_save(coordinator, scenario, grid(scenario, **{**row, "site-0-hours": "12,5"}))
    assert CostSite.objects.get().assistant_hours_per_week == D("12.5")
