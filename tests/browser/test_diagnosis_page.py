"""The diagnosis page in Chromium: key figures, the map's three layers (colours and legend follow the chosen
layer), the sorted table, no serious accessibility violation."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD
from tests.browser.pages import LoginPage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_coordinator_switches_the_map_layers(page, live_server, network, audit_page):
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    LoginPage(page, live_server.url).open().log_in(network["coordinator"].username, PASSWORD)
    page.goto(f"{live_server.url}/territoire/diagnostic/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Meuse")
    expect(page.get_by_test_id("key-figures")).to_contain_text("Population")
    figure = page.get_by_test_id("figure-sites")
    expect(figure).to_have_text("3")
    diagnosis_map = page.get_by_test_id("diagnosis-map")
    expect(diagnosis_map).to_have_attribute("data-state", "ready")
    expect(diagnosis_map).to_have_attribute("data-communes", "30")
    outlines = diagnosis_map.locator("path.leaflet-interactive")

    def fills() -> set[str]:
        return set(outlines.evaluate_all("paths => paths.map(p => p.getAttribute('fill'))"))

    apl_fills = fills()
    expect(page.locator('[data-legend="apl"]')).to_be_visible()
    expect(page.locator('[data-legend="travel"]')).to_be_hidden()
    page.get_by_label("Trajet jusqu'au site le plus proche").check()
    expect(diagnosis_map).to_have_attribute("data-layer", "travel")
    expect(page.locator('[data-legend="travel"]')).to_be_visible()
    expect(page.locator('[data-legend="apl"]')).to_be_hidden()
    travel_fills = fills()
    near = page.locator('[data-travel-class="travel-0"]').evaluate(
        "el => getComputedStyle(el).backgroundColor"
    )
    assert near in travel_fills  # the communes of the sites are less than 10 minutes away
    assert travel_fills != apl_fills
    page.get_by_label("Écarts de couverture").check()
    expect(diagnosis_map).to_have_attribute("data-layer", "gap")
    expect(page.get_by_test_id("map-status")).to_contain_text("Écarts de couverture")
    page.get_by_test_id("sort-trajet").click()
    expect(page.get_by_test_id("commune-row").first).to_be_visible()
    assert errors == []
    LoginPage(audit_page, live_server.url).open().log_in(network["coordinator"].username, PASSWORD)
    audit_page.goto(f"{live_server.url}/territoire/diagnostic/")
    expect(audit_page.get_by_test_id("diagnosis-map")).to_have_attribute("data-state", "ready")
    from tests.browser.pages import BasePage

    assert BasePage(audit_page, live_server.url).accessibility_violations() == []


def test_a_site_envisaged_by_hand_updates_the_figures_without_reloading_the_map(page, live_server, network):
    LoginPage(page, live_server.url).open().log_in(network["coordinator"].username, PASSWORD)
    page.goto(f"{live_server.url}/territoire/diagnostic/")
    diagnosis_map = page.get_by_test_id("diagnosis-map")
    expect(diagnosis_map).to_have_attribute("data-state", "ready")
    diagnosis_map.evaluate("el => { el.dataset.marker = 'same page'; }")  # gone if the page reloads
    page.get_by_test_id("scenario").locator("summary").click()
    page.get_by_label("Envisager un site dans la commune (code INSEE ou nom)").fill("Commune fictive 30")
    page.get_by_role("button", name="Calculer l'effet").click()
    expect(page.get_by_test_id("scenario-summary")).to_contain_text("Commune fictive 30")
    expect(page.get_by_test_id("change").first).to_be_visible()
    expect(diagnosis_map).to_have_attribute("data-marker", "same page")
    expect(page).to_have_url(re.compile(r"ajout=Commune"))
    # the envisaged site stays in the form; a commune nobody knows: the answer (400) says so in place
    expect(page.get_by_label("site envisagé à Commune fictive 30")).to_be_checked()
    page.get_by_label("Envisager un site dans la commune (code INSEE ou nom)").fill("Atlantide")
    page.get_by_role("button", name="Calculer l'effet").click()
    expect(page.get_by_test_id("what-if-error")).to_contain_text("Atlantide")
    expect(page.get_by_test_id("scenario-summary")).to_contain_text("Commune fictive 30")
    expect(diagnosis_map).to_have_attribute("data-marker", "same page")
