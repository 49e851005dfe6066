"""Scenarios in Chromium: the network APL layer, a site envisaged and one removed from the map itself, the
scenario saved and read with its sizing; an optimisation run to its end by the worker, saved, compared."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from maille.diagnosis.models import OptimisationRun, Scenario
from tests.browser.conftest import PASSWORD
from tests.browser.pages import LoginPage
from tests.diagnosis.conftest import save_drees_bands
from tests.scheduling.factories import weekly

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_scenario_drawn_on_the_map_is_saved_and_sized(page, live_server, network):
    save_drees_bands()
    weekly(room=network["sites"]["MSP de Souilly"].rooms.get(), starts="08:00", ends="18:00")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    LoginPage(page, live_server.url).open().log_in(network["coordinator"].username, PASSWORD)
    page.goto(f"{live_server.url}/territoire/diagnostic/")
    diagnosis_map = page.get_by_test_id("diagnosis-map")
    expect(diagnosis_map).to_have_attribute("data-state", "ready")
    outlines = diagnosis_map.locator("path.leaflet-interactive")

    def fills() -> list[str]:
        return outlines.evaluate_all("paths => paths.map(p => p.getAttribute('fill'))")

    apl_fills = fills()
    page.get_by_label("APL avec le réseau de téléconsultation").check()
    expect(diagnosis_map).to_have_attribute("data-layer", "network")
    expect(page.locator('[data-legend="network"]')).to_be_visible()
    after = fills()
    assert after != apl_fills  # the sites' room time lifts the communes around them a class or more
    # envisage a site by clicking a commune far from every site
    outlines.first.click()
    page.get_by_test_id("envisage-here").click()
    expect(page.get_by_test_id("scenario-summary")).to_contain_text("Commune fictive 1")
    expect(diagnosis_map).to_have_attribute("data-envisaged", "1")
    expect(diagnosis_map.locator(".envisaged-marker")).to_have_count(1)
    # take a site away by clicking its marker
    diagnosis_map.get_by_title("Pharmacie du Centre", exact=False).first.click()
    page.get_by_test_id("remove-site").click()
    expect(diagnosis_map).to_have_attribute("data-removed", "1")
    expect(page.get_by_test_id("scenario-summary")).to_contain_text("1 site retiré")
    expect(diagnosis_map).to_have_attribute("data-state", "ready")
    # saved under a name: the scenario page sizes its sites
    page.get_by_label("Enregistrer ce scénario sous le nom").fill("Un site au coin, sans la pharmacie")
    page.get_by_test_id("save-scenario").get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Un site au coin, sans la pharmacie")
    expect(page.get_by_test_id("sized-site")).to_have_count(3)  # two sites kept, one envisaged
    expect(page.get_by_test_id("scenario-changes")).to_contain_text("Pharmacie du Centre retiré")
    scenario = Scenario.objects.get()
    assert scenario.added_communes == ["55001"]
    assert scenario.removed_sites == [network["sites"]["Pharmacie du Centre"].pk]
    # a refused assumption comes back on its field, nothing saved
    page.get_by_label("Recours à la téléconsultation assistée").fill("-3")
    page.get_by_role("button", name="Enregistrer et recalculer").click()
    expect(page.get_by_test_id("field-error")).to_contain_text("entre 0,001 et 2")
    expect(page.get_by_label("Recours à la téléconsultation assistée")).to_have_value("-3")
    assert errors == []


def test_an_optimisation_runs_to_its_end_and_is_compared(page, live_server, network):
    LoginPage(page, live_server.url).open().log_in(network["coordinator"].username, PASSWORD)
    page.goto(f"{live_server.url}/territoire/diagnostic/")
    page.get_by_test_id("optimise-link").click()
    page.get_by_label("Nombre de nouveaux sites").fill("2")
    page.get_by_test_id("optimise-submit").click()
    state = page.get_by_test_id("run-state")
    expect(state).to_have_attribute("data-state", "queued")
    expect(page.get_by_test_id("cancel-run")).to_be_visible()
    call_command("db_worker", "--batch", "--interval", "0", verbosity=0)  # the task worker, here
    expect(state).to_have_attribute("data-state", "done")  # the page polls its progress
    expect(page.get_by_test_id("run-done")).to_contain_text("Optimum prouvé par le solveur.")
    expect(page.get_by_test_id("proposed-commune")).to_have_count(2)
    page.get_by_test_id("save-proposal").get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_test_id("optimisation-provenance")).to_contain_text("Optimum prouvé")
    assert OptimisationRun.objects.get().scenario == Scenario.objects.get()
    # a second run, cancelled before the worker takes it
    page.goto(f"{live_server.url}/territoire/optimisation/")
    page.get_by_label("Nombre de nouveaux sites").fill("1")
    page.get_by_test_id("optimise-submit").click()
    page.get_by_test_id("cancel-run").click()
    expect(page.get_by_test_id("run-cancelled")).to_be_visible()
    # a hand-drawn alternative, then the two side by side
    page.goto(f"{live_server.url}/territoire/diagnostic/?zone=departement:55&ajout=55030")
    page.get_by_label("Enregistrer ce scénario sous le nom").fill("Un site à la commune 30")
    page.get_by_test_id("save-scenario").get_by_role("button", name="Enregistrer").click()
    page.goto(f"{live_server.url}/territoire/scenarios/?zone=departement:55")
    expect(page.get_by_test_id("scenario-row")).to_have_count(2)
    for box in page.get_by_test_id("compare-form").get_by_role("checkbox").all():
        box.check()
    page.get_by_test_id("compare-button").click()
    comparison = page.get_by_test_id("comparison")
    expect(comparison.get_by_role("columnheader")).to_have_count(4)  # indicator, today, two scenarios
    expect(comparison).to_contain_text("Heures de médecin téléconsultant par semaine")


def test_a_supply_file_is_refused_with_its_report_then_compared(page, live_server, network, tmp_path):
    from maille.territory.models import AplParameter

    save_drees_bands()
    for rank, (value, lower, upper) in enumerate([(0.0, 0, 250), (3600.0, 251, 3600), (None, 3601, 6000),
                                                  (6000.0, 6000, None)], start=1):  # fmt: skip
        AplParameter.objects.create(year=2023, table=AplParameter.Table.ACTIVITY, rank=rank, label=str(rank),
                                    value=value, lower_bound=lower, upper_bound=upper)  # fmt: skip
    bad, good = tmp_path / "faux.csv", tmp_path / "medecins.csv"
    bad.write_text("code_commune;activite_actes\n55001;4000\n99999;12\n55002;-3\n", encoding="utf-8")
    good.write_text("code_commune;activite_actes\n55001;4000\n55009;5200\n", encoding="utf-8")
    LoginPage(page, live_server.url).open().log_in(network["coordinator"].username, PASSWORD)
    page.goto(f"{live_server.url}/territoire/diagnostic/")
    page.get_by_test_id("supply-link").click()
    page.get_by_label("Nom de cette offre").fill("Médecins de la Meuse")
    page.get_by_label("Fichier CSV (10 Mo au plus)").set_input_files(str(bad))
    page.get_by_role("button", name="Importer").click()
    expect(page.get_by_test_id("supply-report")).to_contain_text("Rien n'a été importé : 2 erreurs.")
    expect(page.get_by_test_id("supply-error")).to_have_count(2)
    expect(page.get_by_test_id("supply-error").first).to_contain_text("Commune inconnue")
    expect(page.get_by_label("Nom de cette offre")).to_have_value("Médecins de la Meuse")
    page.get_by_label("Fichier CSV (10 Mo au plus)").set_input_files(str(good))
    page.get_by_role("button", name="Importer").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Médecins de la Meuse")
    expect(page.get_by_test_id("supply-figures")).to_contain_text("calculée avec ce fichier")
    expect(page.get_by_test_id("supply-commune").first).to_be_visible()
