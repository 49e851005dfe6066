"""The quality referential in Chromium: an administrator prepares version 2 (a criterion reworded after a
refused attempt), submits and publishes it; a coordinator reads what changed, filtered by site level."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from maille.accounts.models import Role
from maille.quality.assessments import answer_review, answer_save, applicable_criteria, assessment_start
from maille.quality.models import Assessment
from tests.browser.conftest import PASSWORD
from tests.browser.pages import BasePage, LoginPage
from tests.factories import user_with_role
from tests.quality.helpers import closed_assessment, sign_charter
from tests.quality.samples import jpeg_bytes, pdf_bytes
from tests.test_permission_matrix import in_a_month

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def console_errors(page):
    """Errors the page reports (a CSP refusal, a failed script)."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


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


def _answer_in_the_page(page, code, choice, *, comment="", file=None):
    article = page.locator(f"[data-testid=criterion][data-code='{code}']")
    details = article.locator("details:has([data-testid=answer-form])")
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    form = article.get_by_test_id("answer-form")
    form.get_by_label(choice, exact=True).check()
    if comment:
        form.get_by_label("Commentaire").fill(comment)
    if file is not None:
        form.locator("input[type=file]").set_input_files(file)
    form.get_by_role("button", name="Enregistrer").click()


def test_a_site_fills_and_submits_its_assessment_and_a_coordinator_reviews_it(
    page, live_server, network, audit_page, tmp_path
):
    site = network["sites"]["MSP de Souilly"]
    staff = user_with_role(Role.SITE_STAFF, site=site)
    LoginPage(page, live_server.url).open().log_in(staff.username, PASSWORD)
    page.goto(f"{live_server.url}/qualite/evaluations/")
    page.get_by_label("Commencer l'auto-évaluation du site").select_option(label=site.name)
    page.get_by_role("button", name="Commencer").click()
    expect(page.get_by_test_id("assessment-status")).to_have_text("En cours")

    # A photo that is not one is refused, the comment kept; the real photo is then accepted.
    fake = tmp_path / "salle.jpg"
    fake.write_bytes(b"<html>pas une photo</html>")
    _answer_in_the_page(page, "LIEU-01", "atteint", comment="Salle fermée au fond", file=str(fake))
    expect(page.get_by_test_id("file-error")).to_contain_text("n'est pas d'un type accepté")
    photo = tmp_path / "salle-vraie.jpg"
    photo.write_bytes(jpeg_bytes())
    form = page.locator("[data-testid=criterion][data-code='LIEU-01']").get_by_test_id("answer-form")
    expect(form.get_by_label("Commentaire")).to_have_value("Salle fermée au fond")
    form.locator("input[type=file]").set_input_files(str(photo))
    form.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_test_id("flash")).to_have_text("Réponse enregistrée.")
    lieu = page.locator("[data-testid=criterion][data-code='LIEU-01']")
    expect(lieu.get_by_test_id("evidence-link")).to_have_text("salle-vraie.jpg")

    # The other criteria are answered the same way (through the services, to keep the test short).
    assessment = Assessment.objects.get(site=site)
    sign_charter(site, staff)
    for criterion in applicable_criteria(assessment):
        if criterion.code != "LIEU-01":
            upload = ("preuve.pdf", pdf_bytes()) if criterion.evidence in ("document", "photo") else None
            answer_save(staff, assessment=assessment, criterion_id=criterion.pk, compliance="met",
                        figure="3" if criterion.evidence == "figure" else "", upload=upload)  # fmt: skip
    page.reload()
    expect(page.get_by_test_id("answered")).to_have_text(f"{len(applicable_criteria(assessment))} / "
                                                         f"{len(applicable_criteria(assessment))}")  # fmt: skip
    page.get_by_test_id("submit-assessment").click()
    expect(page.get_by_test_id("assessment-status")).to_have_text("Soumise à relecture")

    # The coordinator challenges the photo and returns the assessment.
    coordinator = user_with_role(Role.COORDINATOR, departement_id="55")
    LoginPage(audit_page, live_server.url).open().log_in(coordinator.username, PASSWORD)
    audit_page.goto(f"{live_server.url}/qualite/evaluations/{assessment.pk}/")
    review = audit_page.locator("[data-testid=criterion][data-code='LIEU-01']").get_by_test_id("review-form")
    review.get_by_label("contester").check()
    review.get_by_role("button", name="Enregistrer l'avis").click()
    expect(audit_page.locator("text=Dites au site pourquoi vous contestez cette réponse.")).to_be_visible()
    review = audit_page.locator("[data-testid=criterion][data-code='LIEU-01']").get_by_test_id("review-form")
    review.get_by_label("Commentaire pour le site").fill("L'accès à la salle n'apparaît pas.")
    review.get_by_role("button", name="Enregistrer l'avis").click()
    expect(audit_page.get_by_test_id("flash")).to_have_text("Avis enregistré.")
    audit_page.get_by_test_id("return-assessment").click()
    expect(audit_page.get_by_test_id("assessment-status")).to_have_text("Renvoyée au site")

    # The site reads why, answers "partly met", submits again.
    page.reload()
    expect(lieu.get_by_test_id("verdict")).to_contain_text("L'accès à la salle n'apparaît pas.")
    _answer_in_the_page(page, "LIEU-01", "partiellement atteint")
    page.get_by_test_id("submit-assessment").click()
    expect(page.get_by_test_id("assessment-status")).to_have_text("Soumise à relecture")

    # Every answer accepted (the photo in the page), then closed: the gap shows.
    for criterion in applicable_criteria(assessment):
        if criterion.code != "LIEU-01":
            answer_review(coordinator, assessment=assessment, criterion_id=criterion.pk, verdict="accepted")
    audit_page.reload()
    review = audit_page.locator("[data-testid=criterion][data-code='LIEU-01']").get_by_test_id("review-form")
    review.get_by_label("accepter").check()
    review.get_by_role("button", name="Enregistrer l'avis").click()
    audit_page.get_by_label("Conclusion (facultative)").fill("Bon niveau, une photo à compléter.")
    audit_page.get_by_test_id("close-assessment").click()
    expect(audit_page.get_by_test_id("assessment-status")).to_have_text("Close")
    expect(audit_page.get_by_test_id("gap")).to_have_count(1)
    expect(audit_page.get_by_test_id("gap")).to_contain_text("LIEU-01")
    expect(audit_page.get_by_test_id("mandatory-met")).to_contain_text("/")
    assert BasePage(audit_page, live_server.url).accessibility_violations() == []


def test_a_gap_becomes_an_action_which_is_then_done(audit_page, live_server, network):
    page = audit_page
    site = network["sites"]["MSP de Souilly"]
    staff = user_with_role(Role.SITE_STAFF, site=site)
    staff.first_name, staff.last_name = "Sacha", "Accueil"
    staff.save()
    assessment_start(staff, site=site)  # every criterion unanswered: every one is a gap
    LoginPage(page, live_server.url).open().log_in(staff.username, PASSWORD)
    page.goto(f"{live_server.url}/annuaire/sites/{site.pk}/")
    expect(page.get_by_test_id("quality-panel")).to_contain_text("Pas d'action en cours.")
    page.get_by_test_id("quality-panel").get_by_role("link", name="voir le plan").click()
    gap = page.locator("[data-testid=gap][data-code='LIEU-01']")
    gap.locator("summary").click()
    form = gap.get_by_test_id("new-action-form")
    form.get_by_label("Action").fill("Photographier la salle et son accès")
    form.get_by_label("Responsable").select_option(label="Sacha Accueil")
    form.get_by_label("Échéance").fill("2020-01-01")
    form.get_by_role("button", name="Créer l'action").click()
    expect(page.locator("text=L'échéance est déjà passée")).to_be_visible()
    form = page.locator("[data-testid=gap][data-code='LIEU-01']").get_by_test_id("new-action-form")
    expect(form.get_by_label("Action")).to_have_value("Photographier la salle et son accès")
    form.get_by_label("Échéance").fill(in_a_month())
    form.get_by_role("button", name="Créer l'action").click()
    expect(page.get_by_test_id("flash")).to_have_text("Action ajoutée au plan.")
    expect(page.locator("[data-testid=gap][data-code='LIEU-01']")).to_have_count(0)
    action = page.get_by_test_id("action")
    expect(action.get_by_test_id("action-status")).to_have_text("à faire")
    action.get_by_test_id("status-done").click()
    expect(page.get_by_test_id("action").get_by_test_id("action-status")).to_have_text("faite")
    expect(page.get_by_test_id("done")).to_have_text("1 / 1")
    assert BasePage(page, live_server.url).accessibility_violations() == []


def test_a_site_requests_its_label_a_coordinator_grants_it_and_the_directory_shows_it(
    page, live_server, network, audit_page
):
    site = network["sites"]["MSP de Souilly"]
    staff = user_with_role(Role.SITE_STAFF, site=site)
    assessment = closed_assessment(site, staff=staff)
    LoginPage(page, live_server.url).open().log_in(staff.username, PASSWORD)
    page.goto(f"{live_server.url}/qualite/evaluations/{assessment.pk}/")
    page.get_by_role("button", name="Demander le label sur cette auto-évaluation").click()
    expect(page.get_by_test_id("label-status")).to_have_text("Demandé")
    expect(page.get_by_test_id("decision-box")).to_have_count(0)

    coordinator = user_with_role(Role.COORDINATOR, departement_id="55")
    LoginPage(audit_page, live_server.url).open().log_in(coordinator.username, PASSWORD)
    audit_page.goto(f"{live_server.url}/qualite/labels/")
    audit_page.get_by_test_id("label-row").get_by_role("link").click()
    audit_page.get_by_label("refuser").check()
    audit_page.get_by_test_id("decide").click()
    expect(audit_page.get_by_test_id("motif-error")).to_contain_text("se motive")
    audit_page.get_by_label("accorder").check()
    audit_page.get_by_test_id("decide").click()
    expect(audit_page.get_by_test_id("label-status")).to_have_text("Accordé")
    expect(audit_page.get_by_test_id("eligibility")).to_have_text("éligible")
    expect(audit_page.get_by_test_id("verification-code")).to_have_text(
        re.compile(r"^[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}$")
    )
    assert BasePage(audit_page, live_server.url).accessibility_violations() == []

    page.goto(f"{live_server.url}/annuaire/sites/{site.pk}/")
    expect(page.get_by_test_id("attestation")).to_contain_text("Labellisé qualité")
    expect(page.get_by_test_id("panel-label")).to_contain_text("éligible aux financements du réseau")

    # Anyone, without an account, checks the certificate's code as typed from the paper.
    code = audit_page.get_by_test_id("verification-code").inner_text()
    anonymous_context = page.context.browser.new_context()
    anonymous = anonymous_context.new_page()
    anonymous.goto(f"{live_server.url}/qualite/verifier/")
    anonymous.get_by_label("Code de vérification").fill(code.lower().replace("-", " "))
    anonymous.get_by_role("button", name="Vérifier").click()
    expect(anonymous.get_by_test_id("verify-state")).to_have_text("en vigueur")
    expect(anonymous.get_by_test_id("verify-result")).to_contain_text(site.name)
    anonymous_context.close()


def test_a_site_signs_the_charter_and_the_criterion_reads_the_register(page, live_server, network):
    site = network["sites"]["MSP de Souilly"]
    staff = user_with_role(Role.SITE_STAFF, site=site)
    assessment = assessment_start(staff, site=site)
    LoginPage(page, live_server.url).open().log_in(staff.username, PASSWORD)
    page.goto(f"{live_server.url}/qualite/evaluations/{assessment.pk}/")
    org04 = page.locator("[data-testid=criterion][data-code='ORG-04']")
    expect(org04.get_by_test_id("charter-register")).to_contain_text("n'est pas signée")
    _answer_in_the_page(page, "ORG-04", "atteint")
    expect(page.locator("text=n'est pas signée pour ce site : signez-la d'abord")).to_be_visible()
    page.locator("[data-testid=criterion][data-code='ORG-04']").get_by_role(
        "link", name="La lire et la signer"
    ).click()
    expect(page.get_by_test_id("charter-text")).to_contain_text("Le libre choix")
    form = page.get_by_test_id("sign-site-form")
    form.get_by_label("Nom de la personne qui signe").fill("Sacha Exemple")
    form.get_by_label("Sa qualité").fill("référente du site")
    form.get_by_role("button", name="Signer pour ce site").click()
    expect(page.get_by_test_id("flash")).to_contain_text("Charte signée")
    expect(page.get_by_test_id("site-signature")).to_contain_text("Sacha Exemple, référente du site")
    page.goto(f"{live_server.url}/qualite/evaluations/{assessment.pk}/")
    _answer_in_the_page(page, "ORG-04", "atteint")
    expect(page.get_by_test_id("flash")).to_have_text("Réponse enregistrée.")
    expect(
        page.locator("[data-testid=criterion][data-code='ORG-04']").get_by_test_id("charter-register")
    ).to_contain_text("signée le")


def test_the_maturity_dashboard_maps_the_sites_by_level(page, live_server, network, console_errors):
    sites = network["sites"]
    closed_assessment(sites["MSP de Souilly"], not_met=("LIEU-02",))
    coordinator = user_with_role(Role.COORDINATOR, departement_id="55")
    LoginPage(page, live_server.url).open().log_in(coordinator.username, PASSWORD)
    page.goto(f"{live_server.url}/qualite/maturite/")
    maturity_map = page.locator("[data-testid=maturity-map][data-state=ready]")
    expect(maturity_map).to_have_count(1)
    visible = page.get_by_test_id("maturity-site").count()
    assert visible >= 2
    expect(maturity_map).to_have_attribute("data-markers", str(visible))
    expect(page.locator(".leaflet-interactive")).to_have_count(visible)
    expect(page.get_by_test_id("level-2")).to_have_text("1")
    expect(page.get_by_test_id("frequent-gap").first).to_contain_text("LIEU-02")
    with page.expect_download() as download:
        page.get_by_test_id("sites-csv").click()
    assert download.value.suggested_filename == "maturite-sites.csv"
    assert console_errors == []
