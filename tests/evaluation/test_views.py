"""The ledger's pages: scope, filters, totals, CSV, the tariff form and the import form with its report."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from maille.accounts.models import Role
from maille.evaluation.models import Act, Tariff
from tests.accounts.factories import user_with_role
from tests.patients.factories import PatientFactory
from tests.scheduling.factories import make_network, paris
from tests.territory.factories import DepartementFactory

from .helpers import completed
from .test_imports import HEADER, csv_file, row

pytestmark = pytest.mark.django_db


@pytest.fixture
def acts():
    """Two completed teleconsultations in the Meuse (one site), one in the Haute-Marne."""
    meuse = make_network()
    marne = make_network(use=meuse.use, departement="52", latitude=47.8, longitude=5.3)
    patient = PatientFactory(last_name="Identifiable", first_name="Personne")
    completed(meuse, at=paris(2026, 11, 2, 9), patient=patient)
    completed(meuse, at=paris(2026, 11, 3, 9), patient=patient)
    completed(marne, at=paris(2026, 11, 2, 9))
    return {"meuse": meuse, "marne": marne}


@pytest.fixture(autouse=True)
def _meuse():
    DepartementFactory(code="55", name="Meuse")


def page(client, user, name="evaluation:activity", **query):
    client.force_login(user)
    return client.get(reverse(name), query)


def test_a_coordinator_reads_the_acts_and_totals_of_their_territory_only(client, acts):
    coordinator = user_with_role(Role.COORDINATOR, departement_id="55")
    response = page(client, coordinator, du="2026-11-01", au="2026-11-30")
    assert response.status_code == 200
    assert response.context["totals"] == {"acts": 2, "patients": 1, "amount": Decimal("74.00")}
    assert {(r["code_id"], r["lines"], r["amount"]) for r in response.context["per_code"]} == {
        ("TCG", 2, Decimal("50.00")), ("TLL", 2, Decimal("24.00"))}  # fmt: skip
    body = html.unescape(response.content.decode())
    assert body.count('data-testid="act-row"') == 2
    assert "Identifiable" not in body  # no patient identity on the ledger
    assert acts["marne"].site.name not in body.split('id="acts-title"')[1]


def test_site_staff_read_their_sites_acts(client, acts):
    staff = user_with_role(Role.SITE_STAFF, site=acts["marne"].site)
    response = page(client, staff, du="2026-11-01", au="2026-11-30")
    assert response.context["totals"]["acts"] == 1


@pytest.mark.parametrize(("role", "status"), [(Role.OPERATOR, 403), (Role.REMOTE_DOCTOR, 403)])
def test_operators_and_doctors_do_not_read_the_ledger(client, acts, role, status):
    user = user_with_role(role, departement_id="55") if role == Role.OPERATOR else user_with_role(role)
    assert page(client, user).status_code == status


def test_filters_narrow_the_acts_and_a_wrong_date_is_named(client, acts):
    admin = user_with_role(Role.PLATFORM_ADMIN)
    assert page(client, admin, du="2026-11-01", au="2026-11-30").context["totals"]["acts"] == 3
    assert (
        page(client, admin, du="2026-11-01", au="2026-11-30", departement="52").context["totals"]["acts"] == 1
    )
    site = acts["meuse"].site.pk
    assert page(client, admin, du="2026-11-03", au="2026-11-30", site=site).context["totals"]["acts"] == 1
    assert (
        page(client, admin, du="2026-11-01", au="2026-11-30", type="teleexpertise").context["totals"]["acts"]
        == 0
    )
    refused = page(client, admin, du="2026-13-45", au="2026-11-30")
    assert refused.status_code == 400
    assert "Date illisible" in html.unescape(refused.content.decode())
    reversed_period = page(client, admin, du="2026-11-30", au="2026-11-01")
    assert "doit précéder" in html.unescape(reversed_period.content.decode())


def test_the_csv_lists_every_act_of_the_filters_with_a_pseudonym(client, acts):
    coordinator = user_with_role(Role.COORDINATOR, departement_id="55")
    response = page(client, coordinator, "evaluation:activity_csv", du="2026-11-01", au="2026-11-30")
    assert response.status_code == 200
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="registre-activite-2026-11-01-2026-11-30.csv"'
    )
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:3] == ["date", "type d'acte", "origine"]
    assert [r[0] for r in rows[1:]] == ["2026-11-02", "2026-11-03"]
    assert {r[7] for r in rows[1:]} == {"TCG+TLL"}
    assert {r[8] for r in rows[1:]} == {"37,00"}
    assert (
        rows[1][12] == rows[2][12] == Act.objects.filter(commune__departement_id="55").first().patient_label
    )
    assert "Identifiable" not in text


def test_an_administrator_opens_a_new_tariff_period_and_a_bad_amount_is_named(client):
    admin = user_with_role(Role.PLATFORM_ADMIN)
    client.force_login(admin)
    url = reverse("evaluation:tariffs")
    tomorrow = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    refused = client.post(url, {"code": "TLL", "amount": "-2", "valid_from": tomorrow, "source": "Avenant"})
    assert refused.status_code == 422
    body = html.unescape(refused.content.decode())
    assert "ne peut pas être négatif" in body
    assert 'value="Avenant"' in body
    assert Tariff.objects.filter(code_id="TLL").count() == 1
    accepted = client.post(
        url, {"code": "TLL", "amount": "13,50", "valid_from": tomorrow, "source": "Avenant"}
    )
    assert accepted.status_code == 302
    assert Tariff.objects.get(code_id="TLL", valid_from=tomorrow).amount == Decimal("13.50")


def test_a_coordinator_reads_the_tariffs_but_cannot_change_them(client):
    coordinator = user_with_role(Role.COORDINATOR, departement_id="55")
    client.force_login(coordinator)
    response = client.get(reverse("evaluation:tariffs"))
    assert response.status_code == 200
    assert 'data-testid="tariff-form"' not in response.content.decode()
    tomorrow = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    refused = client.post(reverse("evaluation:tariffs"), {"code": "TLL", "amount": "13", "valid_from": tomorrow,
                                                          "source": "x"})  # fmt: skip
    assert refused.status_code == 403


def test_the_import_page_takes_a_file_and_shows_each_wrong_row(client, acts):
    coordinator = user_with_role(Role.COORDINATOR, departement_id="55")
    client.force_login(coordinator)
    world = {"site": acts["meuse"].site}
    bad = csv_file(
        row(world, commune_patient="", date_acte="02/11/2026"),
        row(world, identifiant="A-2", duree_minutes="500", commune_patient="", date_acte="02/11/2026"),
    )
    upload = io.BytesIO(bad)
    upload.name = "actes.csv"
    refused = client.post(reverse("evaluation:imports"), {"fichier": upload})
    assert refused.status_code == 422
    body = html.unescape(refused.content.decode())
    assert "Rien n'a été importé : 1 erreur." in body
    assert "Durée impossible" in body
    assert not Act.objects.filter(source="import").exists()
    good = io.BytesIO(csv_file(row(world, commune_patient="", date_acte="02/11/2026")))
    good.name = "actes.csv"
    accepted = client.post(reverse("evaluation:imports"), {"fichier": good}, follow=True)
    assert "1 acte(s) ajouté(s), 0 déjà présent(s)" in html.unescape(accepted.content.decode())
    assert Act.objects.filter(source="import").count() == 1


def test_an_evaluator_reads_the_imports_but_cannot_send_one(client):
    evaluator = user_with_role(Role.EVALUATOR, departement_id="55")
    client.force_login(evaluator)
    response = client.get(reverse("evaluation:imports"))
    assert response.status_code == 200
    assert 'data-testid="import-form"' not in response.content.decode()
    upload = io.BytesIO(HEADER.encode())
    upload.name = "x.csv"
    assert client.post(reverse("evaluation:imports"), {"fichier": upload}).status_code == 403


def test_the_hub_lists_the_evaluation_pages(client):
    response = page(client, user_with_role(Role.EVALUATOR, departement_id="55"), "evaluation:hub")
    titles = [p["title"] for p in response.context["pages"]]
    assert titles == ["Registre d'activité", "Indicateurs", "Enquêtes de satisfaction",
                      "Rapport au comité territorial", "Coûts et financements", "Imports d'actes",
                      "Tarifs des actes"]  # fmt: skip
    # site staff read the activity of their sites, not the territory's budgets
    staff = page(client, user_with_role(Role.SITE_STAFF), "evaluation:hub")
    assert not {"Coûts et financements", "Rapport au comité territorial"} & {
        p["title"] for p in staff.context["pages"]
    }


def test_the_indicators_page_computes_the_zone_and_traces_a_figure_to_its_acts(client, acts):
    coordinator = user_with_role(Role.COORDINATOR, departement_id="55")
    response = page(client, coordinator, "evaluation:indicators", du="2026-11-01", au="2026-11-30",
                    zone="departement:55")  # fmt: skip
    assert response.status_code == 200
    report = response.context["report"]
    assert report.figure("teleconsultations").value == 2
    assert report.figure("report_sent_share").value is None  # the patients' médecin traitant is unknown
    body = html.unescape(response.content.decode())
    assert 'data-indicator="appropriation_rate"' in body
    assert "<svg" in body
    trace = report.figure("teleconsultations").ledger_query
    assert "zone=departement:55" in trace
    listed = client.get(f"{reverse('evaluation:activity')}?{trace}")
    assert listed.context["totals"]["acts"] == 2


def test_a_zone_outside_the_scope_is_named_not_computed(client, acts):
    coordinator = user_with_role(Role.COORDINATOR, departement_id="55")
    response = page(client, coordinator, "evaluation:indicators", zone="departement:52")
    assert response.status_code == 400
    assert "Zone inconnue ou hors de votre territoire" in html.unescape(response.content.decode())


def test_the_indicators_download_as_csv_and_xlsx(client, acts):
    from openpyxl import load_workbook

    admin = user_with_role(Role.PLATFORM_ADMIN)
    query = {"du": "2026-11-01", "au": "2026-11-30"}
    response = page(client, admin, "evaluation:indicators_csv", **query)
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:5] == ["indicateur", "valeur", "unité", "numérateur", "dénominateur"]
    assert rows[1][:3] == ["Téléconsultations", "3", "téléconsultations"]
    assert ["2026-11", "3"] in rows
    workbook = load_workbook(io.BytesIO(page(client, admin, "evaluation:indicators_xlsx", **query).content))
    assert workbook.sheetnames == ["Indicateurs", "Par mois", "Par site"]
    assert workbook["Indicateurs"]["A2"].value == "Téléconsultations"
    assert workbook["Indicateurs"]["B2"].value == 3
    assert sorted(row[1] for row in workbook["Par site"].iter_rows(min_row=2, values_only=True)) == [1, 2]


def test_the_indicators_are_kept_until_the_ledger_changes(
    client, acts, settings, django_assert_max_num_queries
):
    from maille.evaluation.views_indicators import forget_indicator_reports

    settings.EVALUATION_INDICATORS_CACHE_SECONDS = 300
    forget_indicator_reports()
    admin = user_with_role(Role.PLATFORM_ADMIN)
    query = {"du": "2026-11-01", "au": "2026-11-30"}
    assert (
        page(client, admin, "evaluation:indicators", **query)
        .context["report"]
        .figure("teleconsultations")
        .value
        == 3
    )
    # the CSV of the same figures right after: the kept report (no aggregate over the acts again)
    with django_assert_max_num_queries(8):
        csv_response = client.get(reverse("evaluation:indicators_csv"), query)
    assert next(
        csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig").splitlines()[1]), delimiter=";")
    )[:3] == ["Téléconsultations", "3", "téléconsultations"]
    completed(acts["meuse"], at=paris(2026, 11, 4, 9))  # a new act: a new version of the ledger
    again = page(client, admin, "evaluation:indicators", **query)
    assert again.context["report"].figure("teleconsultations").value == 4
    forget_indicator_reports()


@pytest.mark.parametrize("value", ["²", "9" * 40])
def test_a_site_number_that_is_no_number_is_named_not_a_server_error(client, acts, value):
    admin = user_with_role(Role.PLATFORM_ADMIN)
    refused = page(client, admin, "evaluation:indicators", site=value)
    assert refused.status_code == 400
    assert "Site inconnu" in html.unescape(refused.content.decode())
    assert (
        page(client, admin, "evaluation:activity", site=value, du="2026-11-01", au="2026-11-30").status_code
        == 200
    )
