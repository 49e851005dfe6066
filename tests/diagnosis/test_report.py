"""The committee report: the same figures as the comparison, maps and charts as SVG, a real PDF (read back)."""

from __future__ import annotations

import io
from html import unescape

import pytest
from django.urls import reverse
from pypdf import PdfReader

from maille.accounts.models import Role
from maille.diagnosis.scenarios import scenario_create
from maille.diagnosis.zones import Zone
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db
MEUSE = Zone("departement", "55", "Meuse")


@pytest.fixture
def two_scenarios(network):
    admin = user_with_role(Role.PLATFORM_ADMIN)
    return [
        scenario_create(admin, MEUSE, name="Un site à Loin", added=["55002"]),
        scenario_create(admin, MEUSE, name="Sans la maison de santé", removed=[network["site"].pk]),
    ]


def test_the_report_page_holds_figures_maps_charts_and_sources(client, two_scenarios):
    client.force_login(user_with_role(Role.EVALUATOR, departement_id="55"))
    response = client.get(reverse("diagnosis:scenario_report"), {"s": [s.pk for s in two_scenarios]})
    assert response.status_code == 200
    html = unescape(response.content.decode())
    assert "Rapport au comité — Meuse (55)" in html
    assert html.count('data-testid="report-map"') == 3  # today and each scenario
    assert html.count('class="report-chart"') == 3
    assert html.count('class="apl-') == 3 * 4  # each of the 4 communes on each of the 3 maps
    assert "site-envisaged" in html  # the envisaged site at Loin
    assert "DREES" in html
    assert "Erlang C" in html
    assert html.count('data-testid="indicator-row"') == 8


def test_the_pdf_is_a_real_document_with_the_same_content(client, two_scenarios):
    client.force_login(user_with_role(Role.COORDINATOR, departement_id="55"))
    response = client.get(reverse("diagnosis:scenario_report_pdf"), {"s": [two_scenarios[0].pk]})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="rapport-departement-55.pdf"' in response["Content-Disposition"]
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) >= 2
    assert "Rapport au comité" in text
    assert "Un site à Loin" in text
    assert "Sans la maison de santé" not in text  # only the scenario asked


def test_a_wrong_choice_is_said_and_a_foreign_scenario_not_found(client, two_scenarios, network):
    admin = user_with_role(Role.PLATFORM_ADMIN)
    foreign = scenario_create(
        admin, Zone("departement", "52", "Haute-Marne"), name="Ailleurs", added=["52001"]
    )
    client.force_login(user_with_role(Role.COORDINATOR, departement_id="55"))
    url = reverse("diagnosis:scenario_report")
    assert 'data-testid="report-prompt"' in client.get(url).content.decode()
    five = [two_scenarios[0].pk] * 5
    assert client.get(url, {"s": ["x"]}).status_code == 400
    assert client.get(url, {"s": five}).status_code == 200  # the same scenario five times is one scenario
    assert client.get(url, {"s": [two_scenarios[0].pk, foreign.pk]}).status_code == 404
    assert client.get(reverse("diagnosis:scenario_report_pdf"), {"s": [foreign.pk]}).status_code == 404
