"""The quality referential in Chromium: an administrator prepares version 2 (a criterion reworded after a
refused attempt), submits and publishes it; a coordinator reads what changed, filtered by site level."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from maille.accounts.models import Role
from tests.browser.conftest import PASSWORD
from tests.browser.pages import BasePage, LoginPage
from tests.factories import user_with_role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_new_version_is_prepared_reviewed_published_and_read(page, live_server, territory, audit_page):
    admin = user_with_role(Role.PLATFORM_ADMIN)
    LoginPage(page, live_server.url).open().log_in(admin.username, PASSWORD)
    page.goto(f"{live_server.url}/qualite/referentiel/versions/")
    page.get_by_label("Titre de la nouvelle version").fill("Référentiel 2027")
    page.get_by_role("button", name="Préparer une nouvelle version").click()
    expect(page.get_by_test_id("version-status")).to_have_text("Brouillon")
    criterion = page.locator(
        "#critere-" + page.get_by_test_id("criterion").nth(1).get_attribute("id").split("-")[-1]
    )
    criterion.get_by_text("Modifier ORG-02").click()
    criterion.get_by_label("Exigence").fill("")
    criterion.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_test_id("criterion-errors")).to_be_visible()
    expect(page.locator("text=L'exigence est à écrire.")).to_be_visible()
    form = page.get_by_test_id("criterion-form").filter(has=page.locator("textarea[aria-invalid=true]"))
    form.get_by_label("Exigence").fill(
        "Un référent est nommé et ses coordonnées sont affichées dans la salle."
    )
    form.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_test_id("flash")).to_contain_text("ORG-02 enregistré")
    expect(page.get_by_test_id("change-reworded")).to_contain_text("ORG-02")
    page.get_by_test_id("submit-version").click()
    expect(page.get_by_test_id("version-status")).to_have_text("En relecture")
    page.get_by_test_id("publish-version").click()
    expect(page.get_by_test_id("flash")).to_contain_text("publiée")
    expect(page.get_by_test_id("version-status")).to_have_text("Publiée")

    coordinator = user_with_role(Role.COORDINATOR, departement_id="55")
    LoginPage(audit_page, live_server.url).open().log_in(coordinator.username, PASSWORD)
    audit_page.goto(f"{live_server.url}/qualite/referentiel/")
    expect(audit_page.get_by_test_id("version-title")).to_contain_text("version 2")
    expect(audit_page.get_by_test_id("change-reworded")).to_contain_text("ORG-02")
    audit_page.get_by_label("Critères applicables à un").select_option("hyper_proximite")
    audit_page.get_by_role("button", name="Filtrer").click()
    expect(audit_page.get_by_text("ORG-03", exact=True)).to_have_count(0)
    assert BasePage(audit_page, live_server.url).accessibility_violations() == []
