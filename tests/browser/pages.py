"""Page objects for the browser tests: each page's steps, located by role, label or test id."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page, expect

AXE_SCRIPT = Path(__file__).parent / "vendor" / "axe.min.js"
BLOCKING_IMPACTS = {"serious", "critical"}


class BasePage:
    path = "/"

    def __init__(self, page: Page, base_url: str):
        self.page = page
        self.base_url = base_url.rstrip("/")

    def open(self, query: str = "") -> BasePage:
        self.page.goto(f"{self.base_url}{self.path}{query}")
        return self

    @property
    def heading(self) -> Locator:
        return self.page.get_by_role("heading", level=1)

    def navigation_link(self, name: str) -> Locator:
        return self.page.get_by_role("navigation", name="Navigation principale").get_by_role(
            "link", name=name
        )

    def accessibility_violations(self) -> list[dict[str, Any]]:
        """Serious and critical axe-core violations of the page as it is now."""
        self.page.add_script_tag(path=str(AXE_SCRIPT))
        results = self.page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        return [
            {
                "id": violation["id"],
                "impact": violation["impact"],
                "help": violation["help"],
                "targets": [node["target"] for node in violation["nodes"]][:5],
            }
            for violation in results["violations"]
            if violation["impact"] in BLOCKING_IMPACTS
        ]


class LoginPage(BasePage):
    path = "/comptes/connexion/"

    def log_in(self, username: str, password: str) -> None:
        self.page.get_by_label("Identifiant").fill(username)
        self.page.get_by_label("Mot de passe").fill(password)
        self.page.get_by_role("button", name="Se connecter").click()
        expect(self.page.get_by_role("button", name="Se déconnecter")).to_be_visible()


class HomePage(BasePage):
    path = "/"

    @property
    def tasks(self) -> Locator:
        return self.page.get_by_test_id("home-tasks").get_by_role("link")


class TerritoryMapPage(BasePage):
    path = "/territoire/carte/"

    @property
    def map(self) -> Locator:
        return self.page.get_by_test_id("territory-map")

    @property
    def legend(self) -> Locator:
        return self.page.get_by_test_id("map-legend")

    @property
    def commune_outlines(self) -> Locator:
        return self.map.locator("path.leaflet-interactive")

    @property
    def site_markers(self) -> Locator:
        return self.map.get_by_role("button").and_(self.map.locator(".leaflet-marker-icon"))

    @property
    def communes_in_need(self) -> Locator:
        return self.page.get_by_test_id("communes-in-need")

    def wait_until_drawn(self) -> TerritoryMapPage:
        expect(self.map).to_have_attribute("data-state", "ready")
        return self

    def choose_departement(self, label: str) -> TerritoryMapPage:
        self.page.get_by_label("Département").select_option(label=label)
        self.page.get_by_role("button", name="Afficher").click()
        return self

    def open_site_marker(self, site_name: str) -> None:
        self.map.get_by_role("button", name=site_name).click()
        self.map.get_by_role("link", name="Voir la fiche du site").click()


class DirectoryPage(BasePage):
    path = "/annuaire/sites/"

    @property
    def result_count(self) -> Locator:
        return self.page.get_by_test_id("result-count")

    @property
    def result_rows(self) -> Locator:
        return self.page.get_by_test_id("site-row")

    @property
    def map(self) -> Locator:
        return self.page.get_by_test_id("sites-map")

    def search(self, text: str) -> DirectoryPage:
        self.page.get_by_role("searchbox", name="Rechercher").fill(text)
        return self

    def choose(self, label: str, option: str) -> DirectoryPage:
        self.page.get_by_label(label, exact=True).select_option(label=option)
        return self

    def only_accessible(self) -> DirectoryPage:
        self.page.get_by_label("Accessible aux personnes à mobilité réduite").check()
        return self

    def submit(self) -> DirectoryPage:
        self.page.get_by_role("button", name="Filtrer").click()
        return self

    def open_site(self, name: str) -> SiteDetailPage:
        self.page.get_by_test_id("site-results").get_by_role("link", name=name).click()
        return SiteDetailPage(self.page, self.base_url)


class SiteDetailPage(BasePage):
    def section(self, title: str) -> Locator:
        return self.page.get_by_role("region", name=title)

    @property
    def rooms(self) -> Locator:
        return self.page.get_by_test_id("room")

    @property
    def map(self) -> Locator:
        return self.page.get_by_test_id("site-map")


# --- scheduling ---------------------------------------------------------------------------------------
class SiteAgendaPage(BasePage):
    def __init__(self, page: Page, base_url: str, site_id: int):
        super().__init__(page, base_url)
        self.path = f"/agendas/sites/{site_id}/"

    @property
    def grid(self) -> Locator:
        return self.page.get_by_test_id("week-grid")

    @property
    def time_grid(self) -> Locator:
        return self.page.get_by_test_id("time-grid")

    def show_list(self) -> None:
        """Open the week's detailed list (folded under the time grid)."""
        details = self.page.get_by_test_id("week-list")
        if details.get_attribute("open") is None:
            details.locator("summary").click()

    def grid_row(self, label: str) -> Locator:
        self.show_list()
        return self.grid.get_by_role("row").filter(has=self.page.get_by_role("rowheader", name=label))

    def add_rule(
        self, *, resource: str, weekday: str, starts: str, ends: str, valid_from: str
    ) -> SiteAgendaPage:
        form = self.page.get_by_test_id("form-rule")
        form.get_by_text("Ajouter une disponibilité récurrente").click()
        form.get_by_label("Ressource").select_option(label=resource)
        form.get_by_label("Jour").select_option(label=weekday)
        form.get_by_label("Début (heure locale)").fill(starts)
        form.get_by_label("Fin (heure locale)").fill(ends)
        form.get_by_label("Valable à partir du").fill(valid_from)
        form.get_by_role("button", name="Ajouter la disponibilité").click()
        return self


class BookingPage(BasePage):
    path = "/agendas/reserver/"

    @property
    def slots(self) -> Locator:
        return self.page.get_by_test_id("slot")

    @property
    def chosen_patient(self) -> Locator:
        return self.page.get_by_test_id("chosen-patient")

    def create_patient_from_phone(self, phone: str) -> BookingPage:
        self.page.get_by_text("Nouveau patient (un numéro de téléphone suffit)").click()
        creation = self.page.get_by_test_id("patient-create")
        creation.get_by_label("Téléphone").fill(phone)
        creation.get_by_role("button", name="Créer le dossier").click()
        return self

    def choose_use(self, name: str) -> BookingPage:
        self.page.get_by_test_id("slot-search").get_by_label("Usage", exact=True).select_option(label=name)
        return self

    def choose_first_slot(self) -> AppointmentPage:
        self.slots.first.get_by_role("button").click()
        return AppointmentPage(self.page, self.base_url)


class AppointmentPage(BasePage):
    @property
    def status(self) -> Locator:
        return self.page.get_by_test_id("appointment-status")

    @property
    def countdown(self) -> Locator:
        return self.page.get_by_test_id("hold-countdown")

    def confirm_hold(self) -> AppointmentPage:
        self.page.get_by_test_id("hold").get_by_role("button", name="Confirmer le rendez-vous").click()
        return self


class OutboxPage(BasePage):
    path = "/messages/"

    @property
    def rows(self) -> Locator:
        return self.page.get_by_test_id("outbox-table").locator("tbody tr")

    def row_of(self, kind: str) -> Locator:
        return self.rows.filter(has=self.page.get_by_role("cell", name=kind, exact=True))

    def filter_state(self, label: str) -> None:
        self.page.get_by_label("État").select_option(label=label)
        self.page.get_by_role("button", name="Filtrer").click()


class DayPage(BasePage):
    """A site's day or a remote doctor's day: the list redraws itself when something changes."""

    def __init__(self, page: Page, base_url: str, path: str):
        super().__init__(page, base_url)
        self.path = path

    def row_of(self, patient_name: str) -> Locator:
        return self.page.get_by_test_id("day-row").filter(has_text=patient_name)

    def click_action(self, patient_name: str, label: str) -> None:
        self.row_of(patient_name).get_by_role("button", name=label).click()

    @property
    def ready_banner(self) -> Locator:
        return self.page.get_by_test_id("ready-banner")


class PublicBookingPage(BasePage):
    """The public booking pages, step by step, as a patient uses them (labels and roles only)."""

    path = "/rdv/"

    @property
    def site_groups(self) -> Locator:
        return self.page.get_by_test_id("site-group")

    @property
    def held_slot(self) -> Locator:
        return self.page.get_by_test_id("held-slot")

    def check(self, audit: list | None, name: str) -> None:
        """Record the page's axe violations under ``name`` when auditing."""
        if audit is not None:
            audit.append((name, self.accessibility_violations()))

    def find(self, *, use: str, place: str) -> None:
        self.page.get_by_label("Pour quoi ?").select_option(label=use)
        self.page.get_by_label("Votre commune ou votre code postal").fill(place)
        self.page.get_by_role("button", name="Voir les créneaux").click()

    def choose_first_time(self) -> None:
        self.site_groups.first.get_by_role("button").first.click()

    def give_identity(self, *, last_name: str, first_name: str, birth_date: str, contact: str) -> None:
        self.page.get_by_label("Nom du patient", exact=True).fill(last_name)
        self.page.get_by_label("Prénom du patient").fill(first_name)
        self.page.get_by_label("Date de naissance du patient").fill(birth_date)
        self.page.get_by_label("Téléphone portable ou adresse électronique").fill(contact)
        self.page.get_by_label("J'accepte une téléconsultation assistée", exact=False).check()
        self.page.get_by_role("button", name="Recevoir le code de confirmation").click()

    def type_code(self, code: str) -> None:
        self.page.get_by_label("Code reçu (6 chiffres)").fill(code)
        self.page.get_by_role("button", name="Confirmer le rendez-vous").click()

    def cancel(self, *, reason: str) -> None:
        self.page.get_by_text("Annuler ce rendez-vous", exact=True).click()
        self.page.get_by_label("Motif (facultatif)").fill(reason)
        self.page.get_by_label("Oui, j'annule ce rendez-vous").check()
        self.page.get_by_role("button", name="Annuler le rendez-vous").click()

    def fits_the_screen(self) -> bool:
        """No horizontal scrolling on a phone."""
        return bool(self.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))
