"""The activity ledger in Chromium: a coordinator imports acts (a refused file first, its report read), reads
the ledger of their territory filtered by site, and downloads its CSV."""

from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import expect

from maille.evaluation.models import Act
from tests.browser.conftest import PASSWORD
from tests.browser.pages import BasePage, LoginPage
from tests.evaluation.test_imports import csv_file, row

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_coordinator_imports_acts_then_reads_and_downloads_the_ledger(
    page, live_server, network, audit_page
):
    souilly = network["sites"]["MSP de Souilly"]
    world = {"site": souilly}
    common = {"commune_patient": "", "date_acte": "02/11/2026", "date_rdv": "28/10/2026"}
    LoginPage(page, live_server.url).open().log_in(network["coordinator"].username, PASSWORD)
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Évaluation", exact=True).first.click()
    page.get_by_role("link", name="Imports d'actes").click()

    bad = csv_file(row(world, **common), row(world, identifiant="A-2", codes="TCG+XYZ", **common))
    page.get_by_label("Fichier CSV").set_input_files(
        {"name": "actes.csv", "mimeType": "text/csv", "buffer": bad}
    )
    page.get_by_role("button", name="Importer").click()
    expect(page.get_by_test_id("import-report")).to_contain_text("Rien n'a été importé : 1 erreur.")
    expect(page.get_by_test_id("import-error")).to_contain_text("Code d'acte inconnu : XYZ")
    assert not Act.objects.exists()

    good = csv_file(
        row(world, **common), row(world, identifiant="A-2", codes="TCG", rpps_accompagnant="", **common)
    )
    page.get_by_label("Fichier CSV").set_input_files(
        {"name": "actes.csv", "mimeType": "text/csv", "buffer": good}
    )
    page.get_by_role("button", name="Importer").click()
    expect(page.locator(".message-success")).to_contain_text("2 acte(s) ajouté(s)")
    page.get_by_test_id("import-row").get_by_role("link").click()
    expect(page.get_by_test_id("total-acts")).to_have_text("2")
    expect(page.get_by_test_id("total-amount")).to_contain_text("62,00")

    page.goto(f"{live_server.url}/evaluation/activite/")
    page.get_by_label("Du", exact=True).fill("2026-11-01")
    page.get_by_label("Au", exact=True).fill("2026-11-30")
    page.get_by_label("Site", exact=True).select_option(label="MSP de Souilly")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.get_by_test_id("act-row")).to_have_count(2)
    expect(page.get_by_test_id("per-code").locator("[data-code=TLL]")).to_contain_text("12,00")
    with page.expect_download() as download:
        page.get_by_test_id("activity-csv").click()
    text = download.value.path().read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert sorted(r[3] for r in rows[1:]) == ["A-1", "A-2"]

    LoginPage(audit_page, live_server.url).open().log_in(network["coordinator"].username, PASSWORD)
    audit_page.goto(f"{live_server.url}/evaluation/activite/?du=2026-11-01&au=2026-11-30")
    assert BasePage(audit_page, live_server.url).accessibility_violations() == []


def test_a_coordinator_reads_the_indicators_of_the_departement_and_downloads_them(page, live_server, network):
    from openpyxl import load_workbook

    from maille.evaluation.imports import act_import_create

    souilly = network["sites"]["MSP de Souilly"]
    world = {"site": souilly}
    rows = [
        row(world, identifiant=f"N-{day}", date_acte=f"{day:02d}/11/2026", date_rdv=f"{day - 1:02d}/11/2026",
            commune_patient="", medecin_traitant="non" if day % 2 else "oui")
        for day in range(2, 12)
    ]  # fmt: skip
    act_import_create(network["coordinator"], data=csv_file(*rows), file_name="novembre.csv")
    LoginPage(page, live_server.url).open().log_in(network["coordinator"].username, PASSWORD)
    page.goto(f"{live_server.url}/evaluation/")
    page.get_by_role("link", name="Indicateurs").click()
    page.get_by_label("Du", exact=True).fill("2026-11-01")
    page.get_by_label("Au", exact=True).fill("2026-11-30")
    page.get_by_label("Zone", exact=True).select_option(label="Meuse (55)")
    page.get_by_role("button", name="Calculer").click()
    expect(page.get_by_test_id("value-teleconsultations")).to_contain_text("10")
    expect(page.get_by_test_id("value-without_gp_share")).to_contain_text("50")
    expect(page.get_by_test_id("months-chart").locator("svg rect")).to_have_count(1)
    with page.expect_download() as download:
        page.get_by_test_id("indicators-xlsx").click()
    workbook = load_workbook(io.BytesIO(download.value.path().read_bytes()))
    assert workbook["Indicateurs"]["B2"].value == 10
    page.locator("[data-indicator=without_gp_share]").get_by_role("link", name="voir les actes").click()
    expect(page.get_by_test_id("act-row")).to_have_count(5)
    expect(page.get_by_test_id("trace-filter")).to_contain_text("sans médecin traitant")


def test_a_coordinator_builds_a_cost_scenario_and_compares_it(page, audit_page, live_server, network):
    from maille.evaluation.models import CostLine, CostScenario

    LoginPage(page, live_server.url).open().log_in(network["coordinator"].username, PASSWORD)
    page.goto(f"{live_server.url}/evaluation/")
    page.get_by_role("link", name="Coûts et financements").click()
    page.get_by_label("Nom", exact=True).fill("Meuse, quatre ans")
    page.get_by_label("Département").select_option("55")
    page.get_by_label("Première année").fill("2027")
    page.get_by_label("Nombre d'années").fill("4")
    page.get_by_label("Ajouter les financements de l'exemple des préconisations", exact=False).check()
    page.get_by_role("button", name="Créer le scénario").click()
    expect(page.locator(".message-success")).to_contain_text("Scénario « Meuse, quatre ans » créé.")
    expect(page.get_by_test_id("row-access-funding")).to_contain_text("200")

    page.get_by_test_id("grid-details").locator("summary").click()
    page.get_by_label("Nom du site 1").fill("MSP de Souilly")
    page.get_by_label("Année d'ouverture du site 1").fill("2027")
    page.get_by_label("Téléconsultations par an du site 1").fill("2000")
    page.get_by_label("Libellé du coût 1").fill("Coordination du réseau")
    page.get_by_label("Poste du coût 1").select_option("coordination")
    page.get_by_label("Nature du coût 1").select_option("acces")
    page.get_by_label("Coût 1, 2027").fill("-5 000")
    page.get_by_role("button", name="Enregistrer le scénario").click()
    expect(page.get_by_test_id("grid-errors")).to_contain_text(
        "Coût « Coordination du réseau », 2027 : un montant ne peut pas être négatif."
    )
    expect(page.get_by_label("Coût 1, 2027")).to_have_attribute("aria-invalid", "true")
    assert not CostLine.objects.exists()
    page.get_by_label("Coût 1, 2027").fill("55 000")
    page.get_by_role("button", name="Enregistrer le scénario").click()
    expect(page.locator(".message-success")).to_contain_text("Scénario enregistré.")
    # 2,000 teleconsultations × 37 € + 55,000 € of coordination the first year: 129,000 € → 64.50 € each
    expect(page.get_by_test_id("row-cost-per-tlc")).to_contain_text("64,50")
    with page.expect_download() as download:
        page.get_by_test_id("cost-xlsx").click()
    assert download.value.suggested_filename.endswith(".xlsx")

    first = CostScenario.objects.get()
    page.goto(f"{live_server.url}/evaluation/couts/")
    page.get_by_label("Nom", exact=True).fill("Sans financement")
    page.get_by_label("Département").select_option("55")
    page.get_by_role("button", name="Créer le scénario").click()
    page.goto(f"{live_server.url}/evaluation/couts/comparer/")
    page.get_by_label("Meuse, quatre ans").check()
    page.get_by_label("Sans financement").check()
    page.get_by_role("button", name="Comparer").click()
    expect(page.get_by_test_id("compare-teleconsultations")).to_contain_text("8")

    LoginPage(audit_page, live_server.url).open().log_in(network["coordinator"].username, PASSWORD)
    for path in (f"/evaluation/couts/{first.pk}/", "/evaluation/couts/",
                 f"/evaluation/couts/comparer/?s={first.pk}&s={first.pk + 1}"):  # fmt: skip
        audit_page.goto(live_server.url + path)
        assert BasePage(audit_page, live_server.url).accessibility_violations() == [], path


def test_a_coordinator_reads_the_committee_report_and_downloads_its_pdf(
    page, audit_page, live_server, network
):
    import datetime as dt

    from django.utils import timezone
    from pypdf import PdfReader

    from maille.evaluation.committee import last_full_quarter
    from maille.evaluation.imports import act_import_create

    quarter = last_full_quarter(timezone.localdate())
    souilly = network["sites"]["MSP de Souilly"]
    day = quarter.start + dt.timedelta(days=14)
    rows = [row({"site": souilly}, identifiant=f"Q-{n}", date_acte=day.strftime("%d/%m/%Y"),
                date_rdv=(day - dt.timedelta(days=2)).strftime("%d/%m/%Y"), commune_patient="")
            for n in range(4)]  # fmt: skip
    act_import_create(network["coordinator"], data=csv_file(*rows), file_name="trimestre.csv")
    LoginPage(page, live_server.url).open().log_in(network["coordinator"].username, PASSWORD)
    page.goto(f"{live_server.url}/evaluation/")
    page.get_by_role("link", name="Rapport au comité territorial").click()
    page.get_by_label("Territoire", exact=True).select_option("departement:55")
    page.get_by_label("Période", exact=True).select_option(quarter.key)
    page.get_by_role("button", name="Afficher le rapport").click()
    expect(page.get_by_test_id("committee-title")).to_contain_text(quarter.label)
    expect(page.get_by_test_id("committee-activity")).to_contain_text("4 téléconsultations sur la période")
    expect(page.get_by_test_id("committee-sites")).to_contain_text("MSP de Souilly")
    # the trend over a year of quarters: a column each, and a bar each in the chart
    headers = page.get_by_test_id("committee-indicators").locator("thead th")
    expect(headers).to_have_count(6)
    expect(headers.nth(4)).to_have_text(quarter.short_label)
    expect(headers.nth(1)).to_have_text(quarter.previous().previous().previous().short_label)
    expect(page.get_by_test_id("committee-periods-chart")).to_contain_text(quarter.short_label)
    with page.expect_download() as download:
        page.get_by_test_id("committee-pdf").click()
    assert download.value.suggested_filename == f"rapport-comite-departement-55-{quarter.key}.pdf"
    pdf = PdfReader(download.value.path())
    text = " ".join(p.extract_text() for p in pdf.pages)
    assert "Comité territorial" in text
    assert "4 téléconsultations sur la période" in text

    LoginPage(audit_page, live_server.url).open().log_in(network["coordinator"].username, PASSWORD)
    audit_page.goto(f"{live_server.url}/evaluation/comite/?zone=departement:55&periode={quarter.key}")
    assert BasePage(audit_page, live_server.url).accessibility_violations() == []
