"""The site's day and the doctor's day in two browsers: the check-in at the site reaches the doctor's screen
without a reload (real Chromium, strict CSP)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from maille.accounts.models import Role
from tests.browser.pages import DayPage, LoginPage
from tests.factories import ProfessionalFactory, SiteFactory, user_with_role
from tests.scheduling.test_day_views import appointment, today_at

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "motdepasse-test-1"


@pytest.fixture(autouse=True)
def _fast_polling(settings):
    settings.DAY_POLL_SECONDS = 1


def test_a_check_in_at_the_site_reaches_the_doctor_without_reloading(
    page, browser, live_server, transactional_db
):
    site = SiteFactory()
    doctor = ProfessionalFactory(profession="medecin")
    doctor.user = user_with_role(Role.REMOTE_DOCTOR)
    doctor.save(update_fields=["user"])
    appointment(site, doctor, at=today_at(9), last_name="Aubert")
    appointment(site, doctor, at=today_at(9, 30), last_name="Bernard")

    doctor_context = browser.new_context()
    doctor_page = doctor_context.new_page()
    LoginPage(doctor_page, live_server.url).open().log_in(doctor.user.username, PASSWORD)
    doctor_day = DayPage(doctor_page, live_server.url, reverse("scheduling:doctor_day")).open()
    expect(doctor_day.ready_banner).to_have_text("Aucun patient en attente en salle.")
    expect(doctor_day.row_of("Aubert")).to_contain_text("réservé")

    LoginPage(page, live_server.url).open().log_in(
        user_with_role(Role.SITE_STAFF, site=site).username, PASSWORD
    )
    site_day = DayPage(page, live_server.url, reverse("scheduling:site_day", args=[site.pk])).open()
    site_day.click_action("Aubert", "Patient arrivé")
    expect(page.get_by_role("status").first).to_contain_text("Arrivée enregistrée")
    expect(site_day.row_of("Aubert")).to_contain_text("Patient prêt en salle")

    # the doctor's page, untouched, redraws its list on its own
    expect(doctor_day.ready_banner).to_have_text("1 patient prêt en salle", timeout=10_000)
    expect(doctor_day.row_of("Aubert")).to_contain_text("Patient prêt en salle")
    doctor_day.click_action("Aubert", "Commencer")
    expect(doctor_day.row_of("Aubert")).to_contain_text("en cours")
    expect(doctor_day.ready_banner).to_have_text("Aucun patient en attente en salle.")
    # ...and the site's page, untouched, shows the start too. Waiting for it also lets that redraw (it reads and
    # audits identities) finish before the test's database is flushed: a redraw still running then deadlocked
    # the flush once in CI.
    expect(site_day.row_of("Aubert")).to_contain_text("en cours", timeout=10_000)
    doctor_context.close()


def test_the_day_pages_have_no_serious_accessibility_violation(audit_page, live_server, transactional_db):
    site = SiteFactory()
    doctor = ProfessionalFactory(profession="medecin")
    appointment(site, doctor, at=today_at(9), last_name="Aubert")
    LoginPage(audit_page, live_server.url).open().log_in(
        user_with_role(Role.SITE_STAFF, site=site).username, PASSWORD
    )
    site_day = DayPage(audit_page, live_server.url, reverse("scheduling:site_day", args=[site.pk])).open()
    expect(site_day.row_of("Aubert")).to_be_visible()
    assert site_day.accessibility_violations() == []
