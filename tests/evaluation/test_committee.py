"""The territorial committee's report: periods, the figures it assembles (activity and its trend, satisfaction,
quality, costs, open actions), and its page, PDF (read back) and workbook."""

from __future__ import annotations

import datetime as dt
import html
import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from maille.accounts.models import Role
from maille.diagnosis.zones import Zone
from maille.evaluation.committee import (
    QUARTER,
    YEAR,
    PeriodError,
    ReportPeriod,
    build_committee_report,
    last_full_quarter,
    parse_period,
    recent_periods,
)
from maille.evaluation.costs import cost_scenario_create
from maille.evaluation.models import CostSite
from maille.quality.actions import action_create
from tests.factories import user_with_role
from tests.scheduling.factories import make_network, paris

from .helpers import completed

pytestmark = pytest.mark.django_db
MEUSE = Zone("departement", "55", "Meuse (55)")


# --- periods ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "kind", "start", "end"),
    [
        ("2026-T1", QUARTER, dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
        ("2026-t4", QUARTER, dt.date(2026, 10, 1), dt.date(2026, 12, 31)),
        (" 2025 ", YEAR, dt.date(2025, 1, 1), dt.date(2025, 12, 31)),
    ],
)
def test_periods_are_read(raw, kind, start, end):
    period = parse_period(raw)
    assert (period.kind, period.start, period.end) == (kind, start, end)


@pytest.mark.parametrize(
    "raw",
    ["2026-T5", "T3", "2026-3", "deux mille", "2026-T3; DROP", "", "0000", "0000-T1", "9999-T4", "1999"],
)
def test_wrong_periods_are_refused(raw):
    with pytest.raises(PeriodError, match="Période illisible"):
        parse_period(raw)


def test_the_previous_period_and_the_usual_ones():
    assert ReportPeriod(QUARTER, 2026, 1).previous() == ReportPeriod(QUARTER, 2025, 4)
    assert ReportPeriod(QUARTER, 2026, 3).previous() == ReportPeriod(QUARTER, 2026, 2)
    assert ReportPeriod(YEAR, 2026).previous() == ReportPeriod(YEAR, 2025)
    assert last_full_quarter(dt.date(2026, 12, 5)) == ReportPeriod(QUARTER, 2026, 3)
    assert last_full_quarter(dt.date(2026, 2, 1)) == ReportPeriod(QUARTER, 2025, 4)
    periods = recent_periods(dt.date(2026, 12, 5))
    assert [p.key for p in periods[:2]] == ["2026-T3", "2026-T2"]
    assert [p.key for p in periods[-3:]] == ["2025", "2024", "2023"]
    assert ReportPeriod(QUARTER, 2026, 3).label == "3e trimestre 2026"
    assert ReportPeriod(QUARTER, 2026, 1).label == "1er trimestre 2026"


# --- the report -----------------------------------------------------------------------------------------------
@pytest.fixture
def world(settings, tmp_path):
    settings.NOTIFICATIONS_FILE = str(tmp_path / "outbox.jsonl")
    settings.EVALUATION_INDICATORS_CACHE_SECONDS = 0
    net = make_network(commune_code="55463")
    commune = net.site.commune
    commune.population = 1200
    commune.save()
    # three teleconsultations in the 3rd quarter of 2026, one in the 2nd
    for day in (paris(2026, 7, 6, 9), paris(2026, 8, 3, 9), paris(2026, 9, 7, 9), paris(2026, 5, 4, 9)):
        completed(net, at=day)
    coordinator = user_with_role(Role.COORDINATOR, departement_id="55")
    scenario = cost_scenario_create(coordinator, name="Meuse 2026", departement_code="55", first_year=2026, years=2,
                                    seed_example=True)  # fmt: skip
    CostSite.objects.create(scenario=scenario, name="MSP", opening_year=2026, teleconsultations_per_year=400)
    action_create(coordinator, site=net.site, title="Afficher les horaires", owner_id=coordinator.pk,
                  due_date=dt.date.today() + dt.timedelta(days=30))  # fmt: skip
    return {"net": net, "coordinator": coordinator, "scenario": scenario}


def test_the_report_assembles_the_territorys_figures(world):
    report = build_committee_report(world["coordinator"], MEUSE, ReportPeriod(QUARTER, 2026, 3))
    trends = {t.current.code: t for t in report.trends}
    assert (trends["teleconsultations"].current.value, trends["teleconsultations"].previous.value) == (3, 1)
    assert trends["teleconsultations"].change == 2
    assert [n for _month, n in report.indicators.months] == [1, 1, 1]
    assert report.previous_period == ReportPeriod(QUARTER, 2026, 2)
    # the trend runs over a year of quarters, oldest first
    assert [p.key for p in report.history_periods] == ["2025-T4", "2026-T1", "2026-T2", "2026-T3"]
    assert [f.value for f in trends["teleconsultations"].history] == [0, 0, 1, 3]
    assert [f.value for f in trends["patients"].history] == [0, 0, 1, 3]
    assert ">T2 2026</text>" in report.periods_chart
    assert report.open_action_count == 1
    assert report.overdue_action_count == 0
    assert [a.title for a in report.open_actions] == ["Afficher les horaires"]
    assert [s.name for s in report.maturity.sites] == [world["net"].site.name]
    assert report.costs is not None
    assert report.costs.scenario == world["scenario"]
    assert report.cost_year_index == 0
    assert report.costs.teleconsultations == [400, 400]
    assert report.diagnosis.population == 1200


def test_a_year_outside_the_cost_scenario_says_so(world):
    report = build_committee_report(world["coordinator"], MEUSE, ReportPeriod(YEAR, 2025))
    assert report.costs is not None
    assert report.cost_year_index is None
    assert report.indicators.figure("teleconsultations").value == 0
    assert [p.key for p in report.history_periods] == ["2023", "2024", "2025"]


# --- pages --------------------------------------------------------------------------------------------------
def get(client, user, name="evaluation:committee", **query):
    client.force_login(user)
    return client.get(reverse(name), query)


def test_the_page_chooses_then_shows_the_report(client, world):
    chooser = get(client, world["coordinator"])
    assert chooser.status_code == 200
    assert chooser.context["report"] is None
    page = get(client, world["coordinator"], zone="departement:55", periode="2026-T3")
    assert page.status_code == 200
    text = html.unescape(page.content.decode())
    assert "Comité territorial — " in text
    assert "3e trimestre 2026" in text
    assert "3 téléconsultations sur la période (1 la période précédente)." in text
    assert "1 action(s) qualité ouvertes, dont 0 en retard." in text
    assert 'data-testid="committee-pdf"' in text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"zone": "departement:52", "periode": "2026-T3"}, "Territoire inconnu ou hors de votre périmètre."),
        ({"zone": "departement:55", "periode": "2026-T9"}, "Période illisible"),
        ({"zone": "departement:55", "periode": "2099-T1"}, "Cette période n'a pas commencé."),
        (
            {"zone": "departement:55", "periode": "0000"},
            "Période illisible",
        ),  # not even a date: no server error
    ],
)
def test_a_wrong_choice_is_named(client, world, query, message):
    response = get(client, world["coordinator"], **query)
    assert response.status_code == 400
    assert message in html.unescape(response.content.decode())


def test_the_pdf_is_a_real_document(client, world):
    response = get(client, world["coordinator"], "evaluation:committee_pdf", zone="departement:55",
                   periode="2026-T3")  # fmt: skip
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "rapport-comite-departement-55-2026-T3.pdf" in response["Content-Disposition"]
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    for expected in ("Comité territorial", "1. Activité", "2. Indicateurs et évolution", "5. Qualité et labels",
                     "6. Coûts et financements", "7. Actions ouvertes", "Afficher les horaires"):  # fmt: skip
        assert expected in text
    chooser = get(client, world["coordinator"], "evaluation:committee_pdf")  # nothing chosen yet: the chooser
    assert (chooser.status_code, chooser["Content-Type"]) == (200, "text/html; charset=utf-8")
    assert 'data-testid="committee-form"' in chooser.content.decode()


def test_the_workbook_has_the_report_sheets(client, world):
    from openpyxl import load_workbook

    response = get(client, world["coordinator"], "evaluation:committee_xlsx", zone="departement:55",
                   periode="2026-T3")  # fmt: skip
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Indicateurs", "Par mois", "Par site", "Qualité", "Actions ouvertes",
                                   "Coûts et financements"]  # fmt: skip
    header, *lines = workbook["Indicateurs"].iter_rows(values_only=True)
    assert header[:6] == ("indicateur", "4e trimestre 2025", "1er trimestre 2026", "2e trimestre 2026",
                          "3e trimestre 2026", "évolution")  # fmt: skip
    rows = {row[0]: row for row in lines}
    assert rows["Téléconsultations"][1:6] == (0.0, 0.0, 1.0, 3.0, 2.0)


def test_site_staff_do_not_read_the_committee_report(client, world):
    staff = user_with_role(Role.SITE_STAFF, site=world["net"].site)
    assert get(client, staff, zone="departement:55").status_code == 403
