"""Satisfaction surveys in Chromium: a patient answers on a phone-sized screen (a forgotten score first, then the
answer, then the link used again), every state of the page passes axe-core; a coordinator reads the results of
their territory, downloads them, and launches a survey of the assisting professionals; a patient without mobile nor
email answers on the site's device, from the site's day page."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from maille.accounts.models import Role
from maille.evaluation.models import SurveyCampaign, SurveyInvitation, SurveyResponse
from maille.evaluation.surveys import PatientAnswers, survey_answer
from maille.notifications.models import Message
from tests.browser.conftest import PASSWORD
from tests.browser.pages import BasePage, LoginPage
from tests.evaluation.helpers import completed
from tests.factories import user_with_role
from tests.patients.factories import PatientFactory
from tests.scheduling.factories import make_network, paris, weekday_at

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"viewport": {"width": 375, "height": 740}, "is_mobile": True, "has_touch": True, "locale": "fr-FR"}


@pytest.fixture
def net(transactional_db, settings, tmp_path):
    settings.NOTIFICATIONS_FILE = str(tmp_path / "outbox.jsonl")
    settings.EVALUATION_SURVEY_MIN_ANSWERS = 5
    settings.EVALUATION_INDICATORS_CACHE_SECONDS = 0
    return make_network(commune_code="55463")


def invited(net, at) -> str:
    """Complete a teleconsultation at ``at``; the path of its survey link."""
    completed(net, at=at, patient=PatientFactory())
    body = Message.objects.get(pk=SurveyInvitation.objects.latest("pk").message_id).body
    match = re.search(r"(/avis/[A-Za-z0-9_-]+/)", body)
    assert match, body
    return match.group(1)


@pytest.fixture
def phone(browser):
    context = browser.new_context(**PHONE)
    yield context.new_page()
    context.close()


@pytest.fixture
def phone_audit(browser):
    context = browser.new_context(bypass_csp=True, **PHONE)
    yield context.new_page()
    context.close()


def test_a_patient_answers_on_a_phone_once(phone, phone_audit, live_server, net):
    link = invited(net, paris(2026, 3, 2, 9))
    audit_link = invited(net, paris(2026, 3, 3, 9))
    phone.goto(live_server.url + link)
    expect(phone.get_by_role("heading", level=1)).to_have_text("Votre avis sur votre téléconsultation")
    phone.get_by_role("button", name="Envoyer mon avis").click()
    expect(phone.get_by_test_id("question-score")).to_contain_text("Choisissez une note de 0 à 10.")
    expect(phone.get_by_test_id("question-score")).to_have_attribute("aria-invalid", "true")
    phone.get_by_test_id("question-score").get_by_label("9", exact=True).check()
    phone.get_by_label("C'est plus près de chez moi").check()
    phone.get_by_label("Je n'ai pas de médecin traitant").check()
    phone.get_by_label("Plutôt facile").check()
    phone.get_by_role("button", name="Envoyer mon avis").click()
    expect(phone.get_by_test_id("survey-thanks")).to_contain_text("Votre réponse est enregistrée.")
    response = SurveyResponse.objects.get()
    assert (response.score, response.reason_closer, response.reason_no_gp, response.booking_ease) == (
        9,
        True,
        True,
        3,
    )
    phone.goto(live_server.url + link)
    expect(phone.get_by_test_id("problem")).to_have_text("Vous avez déjà répondu à ce questionnaire. Merci !")

    audit = BasePage(phone_audit, live_server.url)
    phone_audit.goto(live_server.url + audit_link)
    assert audit.accessibility_violations() == []
    phone_audit.get_by_role("button", name="Envoyer mon avis").click()  # the page with its error
    expect(phone_audit.get_by_test_id("question-score")).to_have_attribute("aria-invalid", "true")
    assert audit.accessibility_violations() == []
    phone_audit.get_by_test_id("question-score").get_by_label("10", exact=True).check()
    phone_audit.get_by_role("button", name="Envoyer mon avis").click()
    expect(phone_audit.get_by_test_id("survey-thanks")).to_be_visible()
    assert audit.accessibility_violations() == []
    phone_audit.goto(live_server.url + audit_link)
    expect(phone_audit.get_by_test_id("problem")).to_be_visible()
    assert audit.accessibility_violations() == []


def test_a_coordinator_reads_downloads_and_launches_a_survey(page, audit_page, live_server, net):
    for day, score in zip([2, 3, 4, 5, 6], [6, 7, 8, 9, 10], strict=True):
        token = invited(net, paris(2026, 3, day, 9)).split("/")[2]
        survey_answer(
            token, PatientAnswers(score=score, reasons=frozenset({"reason_sooner"}), booking_ease=4)
        )
    net.nurse.email = "ide@example.org"
    net.nurse.save()
    coordinator = user_with_role(Role.COORDINATOR, departement_id=net.site.commune.departement_id)
    LoginPage(page, live_server.url).open().log_in(coordinator.username, PASSWORD)
    page.goto(f"{live_server.url}/evaluation/")
    page.get_by_role("link", name="Enquêtes de satisfaction").click()
    page.get_by_label("Du", exact=True).fill("2026-03-01")
    page.get_by_label("Au", exact=True).fill("2026-03-31")
    page.get_by_role("button", name="Afficher").click()
    expect(page.get_by_test_id("patients-answered")).to_have_text("5")
    expect(page.get_by_test_id("patients-score")).to_have_text("8 / 10")
    expect(page.get_by_test_id("score-chart").locator("svg")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_test_id("surveys-csv").click()
    rows = list(
        csv.reader(io.StringIO(download.value.path().read_bytes().decode("utf-8-sig")), delimiter=";")
    )
    assert rows[1][:7] == ["patients", "Ensemble", "5", "5", "5", "100,0", "8,0"]

    page.get_by_role("link", name="Enquêtes auprès des professionnels").first.click()
    page.get_by_label("Titre").fill("Enquête du 1er trimestre")
    page.get_by_label("Clôture le").fill((dt.date.today() + dt.timedelta(days=20)).isoformat())
    page.get_by_role("button", name="Lancer l'enquête et envoyer les invitations").click()
    expect(page.locator(".message-success")).to_contain_text("1 professionnel(s) invité(s)")
    expect(page.get_by_test_id("campaigns-table")).to_contain_text("Enquête du 1er trimestre")
    assert SurveyCampaign.objects.get().invitations.count() == 1

    LoginPage(audit_page, live_server.url).open().log_in(coordinator.username, PASSWORD)
    for path in ("/evaluation/enquetes/?du=2026-03-01&au=2026-03-31", "/evaluation/enquetes/professionnels/"):
        audit_page.goto(live_server.url + path)
        assert BasePage(audit_page, live_server.url).accessibility_violations() == [], path


def test_a_patient_without_mobile_answers_on_the_sites_device(page, audit_page, live_server, net, settings):
    settings.PUBLIC_BASE_URL = live_server.url
    at = weekday_at(-1, 9)  # the last working day before today
    last_working_day = at.date()
    completed(net, at=at, patient=PatientFactory(phone="", email=""))
    completed(net, at=at + dt.timedelta(hours=1), patient=PatientFactory(phone="", email=""))
    assert not SurveyInvitation.objects.exists()  # nobody the outbox could write to
    staff = user_with_role(Role.SITE_STAFF, site=net.site)
    day = f"{reverse('scheduling:site_day', args=[net.site.pk])}?jour={last_working_day.isoformat()}"

    LoginPage(page, live_server.url).open().log_in(staff.username, PASSWORD)
    page.goto(live_server.url + day)
    page.get_by_test_id("survey-at-site-link").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Questionnaire de satisfaction sur place")
    page.get_by_role("button", name="Préparer le questionnaire pour ce patient").click()
    slip = page.get_by_test_id("survey-slip")
    expect(slip.locator("svg title")).to_have_text("Code QR du questionnaire")
    expect(page.get_by_test_id("survey-url")).to_contain_text(f"{live_server.url}/avis/")
    with page.context.expect_page() as opened:
        page.get_by_test_id("survey-open-here").click()
    survey = opened.value
    expect(survey.get_by_role("heading", level=1)).to_have_text("Votre avis sur votre téléconsultation")
    survey.get_by_test_id("question-score").get_by_label("8", exact=True).check()
    survey.get_by_role("button", name="Envoyer mon avis").click()
    expect(survey.get_by_test_id("survey-thanks")).to_contain_text("Votre réponse est enregistrée.")
    assert SurveyResponse.objects.get().score == 8
    assert SurveyInvitation.objects.get().handed_at_site

    # the page again: answered, said in French; the other patient's slip passes axe-core
    page.goto(live_server.url + day)
    page.get_by_test_id("survey-at-site-link").first.click()
    expect(page.get_by_test_id("survey-refusal")).to_have_text(
        "Le patient a déjà répondu au questionnaire de ce rendez-vous."
    )
    LoginPage(audit_page, live_server.url).open().log_in(staff.username, PASSWORD)
    audit_page.goto(live_server.url + day)
    audit_page.get_by_test_id("survey-at-site-link").nth(1).click()
    audit_page.get_by_role("button", name="Préparer le questionnaire pour ce patient").click()
    expect(audit_page.get_by_test_id("survey-slip")).to_be_visible()
    assert BasePage(audit_page, live_server.url).accessibility_violations() == []
