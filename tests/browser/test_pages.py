"""A coordinator logs in, reads the territory map, filters the directory and opens a site (real Chromium)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.pages import (
    DirectoryPage,
    HomePage,
    LoginPage,
    SiteDetailPage,
    TerritoryMapPage,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def console_errors(page):
    """Errors the page reports (a CSP refusal, a failed script) fail the test that reads them."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "response",
        lambda response: (
            errors.append(f"{response.status} {response.url}") if response.status >= 400 else None
        ),
    )
    return errors


@pytest.fixture
def coordinator_page(page, live_server, network, console_errors):
    login = LoginPage(page, live_server.url).open()
    login.log_in(network["coordinator"].username, network["password"])
    return page


def test_login_leads_to_the_tasks_of_the_role(page, live_server, network, console_errors):
    LoginPage(page, live_server.url).open("?next=/").log_in(
        network["coordinator"].username, network["password"]
    )
    home = HomePage(page, live_server.url)
    expect(home.heading).to_contain_text("Bonjour")
    expect(home.tasks).to_have_text(
        [
            "Carte du territoire",
            "Diagnostic",
            "Qualité",
            "Évaluation",
            "Annuaire des sites",
            "Agendas",
            "Prendre un rendez-vous",
            "Liste d'attente",
            "Messages",
            "API",
        ]
    )
    expect(home.navigation_link("Administration")).to_have_count(0)
    assert console_errors == []


def test_map_shows_commune_outlines_legend_and_sites(coordinator_page, live_server, network, console_errors):
    # How fast the map becomes interactive is measured by `make bench` (benchmarks/bench_map_page.py), not here.
    territory_map = TerritoryMapPage(coordinator_page, live_server.url).open().wait_until_drawn()
    expect(territory_map.heading).to_have_text("Carte du territoire")
    expect(territory_map.commune_outlines).to_have_count(30)
    expect(territory_map.map).to_have_attribute("data-communes", "30")
    expect(territory_map.legend).to_contain_text("sous-dense")
    expect(territory_map.legend).to_contain_text("pas de valeur publiée")
    # Outlines take the legend's colours: the lowest class and the "no value" grey are both drawn.
    fills = set(
        territory_map.commune_outlines.evaluate_all("paths => paths.map(p => p.getAttribute('fill'))")
    )
    lowest = coordinator_page.locator('[data-apl-class="apl-0"]').evaluate(
        "el => getComputedStyle(el).backgroundColor"
    )
    assert lowest in fills
    assert len(fills) == 7
    expect(territory_map.site_markers).to_have_count(3)
    expect(territory_map.communes_in_need.get_by_role("row")).to_have_count(16)  # header + 15 communes
    # No base tiles by default: nothing is fetched from outside.
    expect(territory_map.map.locator(".leaflet-tile")).to_have_count(0)
    assert console_errors == []


def test_a_site_is_found_from_the_map(coordinator_page, live_server, network):
    territory_map = TerritoryMapPage(coordinator_page, live_server.url).open().wait_until_drawn()
    territory_map.open_site_marker("MSP de Souilly — Commune fictive 9")
    expect(SiteDetailPage(coordinator_page, live_server.url).heading).to_contain_text("MSP de Souilly")


def test_directory_filters_update_results_and_map_then_open_a_site(
    coordinator_page, live_server, network, console_errors
):
    directory = DirectoryPage(coordinator_page, live_server.url).open()
    expect(directory.result_count).to_have_text("3 sites trouvés")
    expect(directory.map).to_have_attribute("data-markers", "3")

    directory.choose("Usage proposé", "Téléconsultation de dermatologie")
    expect(directory.result_count).to_have_text("1 site trouvé")
    expect(directory.result_rows).to_have_count(1)
    expect(directory.map).to_have_attribute("data-markers", "1")
    expect(coordinator_page).to_have_url(re.compile(r"use=tlc-dermato"))

    directory.choose("Usage proposé", "Tous les usages").search("pharmacie")
    expect(directory.result_count).to_have_text("1 site trouvé")
    expect(directory.result_rows.first).to_contain_text("Pharmacie du Centre")
    expect(directory.result_rows.first).to_contain_text("fictif")

    directory.search("").only_accessible()
    expect(directory.result_count).to_have_text("2 sites trouvés")

    detail = directory.open_site("MSP de Souilly")
    expect(detail.heading).to_contain_text("MSP de Souilly")
    expect(detail.rooms).to_have_count(1)
    expect(detail.rooms.first).to_contain_text("Dermatoscope connecté")
    expect(detail.section("Professionnels du réseau")).to_contain_text("Alex Médecin-Fictif")
    expect(detail.section("Professionnels du réseau")).to_contain_text("Sam Infirmier-Fictif")
    expect(detail.section("Horaires d'ouverture")).to_contain_text("09:00–17:00")
    expect(detail.map).to_have_attribute("data-markers", "1")
    assert console_errors == []


def test_directory_filters_work_without_javascript(browser, live_server, network):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        LoginPage(page, live_server.url).open().log_in(network["coordinator"].username, network["password"])
        directory = DirectoryPage(page, live_server.url).open()
        directory.choose("Niveau", "MSP 2.0").submit()
        expect(directory.result_count).to_have_text("1 site trouvé")
        expect(page).to_have_url(re.compile(r"level=msp_2_0"))
    finally:
        context.close()


@pytest.mark.parametrize(
    ("page_class", "query"),
    [
        (LoginPage, ""),
        (HomePage, ""),
        (TerritoryMapPage, ""),
        (DirectoryPage, "?use=tlc-mg"),
    ],
    ids=["login", "home", "map", "directory"],
)
def test_main_pages_have_no_serious_accessibility_violation(
    audit_page, live_server, network, page_class, query
):
    page = audit_page
    if page_class is not LoginPage:
        LoginPage(page, live_server.url).open().log_in(network["coordinator"].username, network["password"])
    current = page_class(page, live_server.url).open(query)
    if page_class is TerritoryMapPage:
        current.wait_until_drawn()
    assert current.accessibility_violations() == []


def test_site_detail_has_no_serious_accessibility_violation(audit_page, live_server, network):
    LoginPage(audit_page, live_server.url).open().log_in(network["coordinator"].username, network["password"])
    detail = DirectoryPage(audit_page, live_server.url).open().open_site("MSP de Souilly")
    expect(detail.map).to_have_attribute("data-state", "ready")
    assert detail.accessibility_violations() == []


def test_repeated_wrong_passwords_show_an_accessible_lockout_page(audit_page, live_server, network):
    login = LoginPage(audit_page, live_server.url)
    for _attempt in range(5):
        login.open()
        audit_page.get_by_label("Identifiant").fill(network["coordinator"].username)
        audit_page.get_by_label("Mot de passe").fill("mauvais-mot-de-passe")
        audit_page.get_by_role("button", name="Se connecter").click()
    expect(audit_page.get_by_role("heading", level=1)).to_have_text("Connexion suspendue")
    expect(audit_page.get_by_role("alert")).to_contain_text("pendant 15 minutes")
    assert login.accessibility_violations() == []
