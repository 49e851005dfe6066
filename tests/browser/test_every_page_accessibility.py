"""axe-core over every page the platform serves, generated from the URL configuration (real Chromium).

Each named route is a full page, an HTMX fragment (audited inside the page that loads it) or not HTML at
all; a new route must be classified here or ``test_every_route_is_classified`` fails. Pages are opened as the
administrator (who may open them all), with sample objects of a small demo network. /api/v1/docs has its
own test (tests/api/test_docs_browser.py).
"""

from __future__ import annotations

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from maille.accounts.models import Role
from maille.diagnosis.models import OptimisationRun, RunState, SupplyImport
from maille.diagnosis.optimiser import OptimisationRequest
from maille.diagnosis.scenarios import scenario_create
from maille.diagnosis.zones import zone_for
from maille.directory.models import Profession
from maille.evaluation.costs import cost_scenario_create
from maille.quality.actions import action_create, today
from maille.quality.assessments import answer_save, assessment_start
from maille.quality.charter import charter_draft
from maille.quality.labels import label_request
from maille.quality.services import referential_draft
from tests.browser.conftest import PASSWORD
from tests.browser.pages import BasePage, LoginPage
from tests.diagnosis.conftest import save_drees_bands
from tests.factories import ProfessionalFactory, user_with_role
from tests.quality.helpers import closed_assessment
from tests.quality.samples import pdf_bytes
from tests.scheduling.test_views_support import appointment_at
from tests.test_permission_matrix import _named_routes

# Routes that answer something else than an HTML page (a health check, GeoJSON, the POST-only logout).
NOT_HTML = {
    "core:healthz", "territory:departement_geojson", "accounts:logout", "scheduling:day_action", "diagnosis:csv",
    "diagnosis:geojson", "diagnosis:values", "diagnosis:scenario_report_pdf",
    # POST-only actions (they answer a redirect): their forms are audited on the pages that hold them
    "diagnosis:scenario_create", "diagnosis:scenario_delete", "diagnosis:optimisation_cancel",
    "diagnosis:optimisation_save", "diagnosis:supply_delete",
    "quality:version_draft", "quality:version_submit", "quality:version_return", "quality:version_publish",
    "quality:criterion_edit", "quality:criterion_remove", "quality:criterion_new",
    "quality:assessment_new", "quality:answer", "quality:assessment_submit", "quality:review",
    "quality:assessment_return", "quality:assessment_close", "quality:evidence_delete",
    "quality:evidence",  # an evidence file (PDF or image), as an attachment
    "quality:action_new", "quality:action_edit", "quality:action_status", "quality:label_decision",
    "quality:label_request", "quality:charter_sign", "quality:charter_new", "quality:charter_edit",
    "quality:charter_publish", "quality:maturity_csv", "quality:maturity_gaps_csv",
    "quality:assessment_report_pdf", "quality:label_certificate_pdf",
    "evaluation:activity_csv", "evaluation:indicators_csv", "evaluation:indicators_xlsx",
    "evaluation:open_data_csv", "evaluation:survey_results_csv", "evaluation:survey_results_xlsx",
    "evaluation:cost_scenario_xlsx", "evaluation:committee_pdf", "evaluation:committee_xlsx",
    # POST-only: their forms are audited on the pages that hold them
    "evaluation:cost_scenario_new", "evaluation:cost_scenario_edit", "evaluation:cost_scenario_remove",
}  # fmt: skip
# HTMX fragments → (the page that loads them, the query the page sends).
FRAGMENTS = {
    "scheduling:book_slots": ("scheduling:book", {"use": "tlc-mg"}),
    "scheduling:patient_search": ("scheduling:book", {"recherche-phone": "0612345678"}),
    "scheduling:site_day_list": ("scheduling:site_day", {}),
    "scheduling:doctor_day_list": ("scheduling:doctor_day", {}),
    "diagnosis:figures": ("diagnosis:diagnosis", {"zone": "departement:55", "ajout": "55001"}),
    "diagnosis:optimisation_state": ("diagnosis:optimisation", {}),
    "quality:site_panel": ("directory:site_detail", {}),
}
# Pages audited signed out (signing in sends them elsewhere).
SIGNED_OUT = {
    "quality:verify",
    "accounts:login",
    "accounts:password_reset",
    "accounts:password_reset_done",
    "accounts:password_reset_confirm",
    "accounts:password_reset_complete",
}
# The public booking pages need a booking in progress or a signed link: tests/browser/test_public_booking.py
# walks them on a phone-sized screen and audits each one.
PUBLIC_FLOW = {
    "public:start", "public:slots", "public:hold", "public:identity", "public:code", "public:manage",
    "public:move", "public:offer",
}  # fmt: skip
# The survey page needs an invitation's link: tests/browser/test_survey_pages.py answers it on a phone-sized screen
# and audits it.
SURVEY_FLOW = {"avis:answer"}
# Pages only a remote doctor opens (their own day): audited signed in as the world's doctor.
DOCTOR_PAGES = {"scheduling:doctor_day", "scheduling:doctor_day_list"}
ROUTES = sorted(_named_routes(), key=lambda route: route[0])
PAGES = [
    (name, pattern)
    for name, pattern in ROUTES
    if name not in NOT_HTML and name not in FRAGMENTS and name not in PUBLIC_FLOW | SURVEY_FLOW
]


def test_every_route_is_classified():
    names = {name for name, _ in ROUTES}
    assert set(FRAGMENTS) <= names
    assert names >= NOT_HTML
    assert {name for name in names if name.startswith("public:")} == PUBLIC_FLOW
    assert {name for name in names if name.startswith("avis:")} == SURVEY_FLOW
    assert {host for host, _query in FRAGMENTS.values()} <= {name for name, _ in PAGES}


def in_a_month() -> str:
    import datetime

    return (today() + datetime.timedelta(days=30)).isoformat()


@pytest.fixture
def world(network):
    admin = user_with_role(Role.PLATFORM_ADMIN)
    site = network["sites"]["MSP de Souilly"]
    doctor = ProfessionalFactory(profession=Profession.DOCTOR)
    doctor.user = user_with_role(Role.REMOTE_DOCTOR)
    doctor.save(update_fields=["user"])
    scenario = scenario_create(
        admin, zone_for(admin, "departement:55"), name="Un site au coin", added=["55001"]
    )
    run = OptimisationRun.objects.create(
        zone_key="departement:55", parameters=OptimisationRequest(k=1).as_dict(), state=RunState.DONE,
        result={"rows": [{"rank": 1, "code": "55001", "name": "Commune fictive 1", "population": 200}],
                "summary": {"status": "Optimal", "gap": 0.0, "covered_population": 200, "population": 300}},
    )  # fmt: skip
    save_drees_bands()
    supply = SupplyImport.objects.create(name="Médecins", sha256="0" * 64, departements=["55"],
                                         communes={"55009": {"gps": 2, "activity": 9000.0}}, practitioners=2)  # fmt: skip
    draft = referential_draft(admin)
    staff = user_with_role(Role.SITE_STAFF, site=site)
    closed = closed_assessment(site, staff=staff)
    label = label_request(staff, site=site, assessment_id=closed.pk)  # requested: the page with the decisions
    assessment = assessment_start(admin, site=site)  # in progress: the page with every answer form
    answer_save(admin, assessment=assessment, criterion_id=assessment.version.criteria.get(code="ORG-01").pk,
                compliance="partial", comment="En cours", upload=("analyse.pdf", pdf_bytes()))  # fmt: skip
    action_create(
        admin, site=site, title="Afficher les horaires à l'entrée", owner_id=staff.pk, due_date=in_a_month()
    )
    # drafted from the planning scenario, with the seeds' funding: the page with its full grid
    costs = cost_scenario_create(admin, name="Coûts", departement_code="55", first_year=2027, years=3,
                                 diagnosis_scenario=scenario, seed_example=True)  # fmt: skip
    return {
        "cost_scenario_id": costs.pk,
        "charter_id": charter_draft(admin).pk,  # the draft: the page with the editing form
        "label_id": label.pk,
        "assessment_id": assessment.pk,
        "admin": admin,
        "doctor": doctor.user,
        "version_id": draft.pk,  # the draft: the page with every editing form
        "supply_id": supply.pk,
        "scenario_id": scenario.pk,
        "run_id": run.pk,
        "site_id": site.pk,
        "appointment_id": appointment_at(site),
        "code": "55",
        "uidb64": urlsafe_base64_encode(force_bytes(admin.pk)),
        "token": default_token_generator.make_token(admin),
    }


def _url(live_server, name: str, pattern, world: dict, query: dict | None = None) -> str:
    names = list(getattr(pattern.pattern, "converters", {}))
    missing = [n for n in names if n not in world]
    assert not missing, f"add sample values for URL parameters {missing}"
    url = live_server.url + reverse(name, kwargs={n: world[n] for n in names})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(("name", "pattern"), PAGES, ids=[name for name, _ in PAGES])
def test_page_has_no_serious_accessibility_violation(audit_page, live_server, world, name, pattern):
    if name not in SIGNED_OUT:
        user = world["doctor" if name in DOCTOR_PAGES else "admin"]
        LoginPage(audit_page, live_server.url).open().log_in(user.username, PASSWORD)
    response = audit_page.goto(_url(live_server, name, pattern, world))
    assert response is not None
    assert response.status == 200, f"{name}: {response.status}"
    assert "text/html" in response.headers["content-type"]
    audit_page.wait_for_load_state("networkidle")
    assert BasePage(audit_page, live_server.url).accessibility_violations() == [], name


@pytest.mark.parametrize("name", sorted(FRAGMENTS))
def test_fragment_has_no_serious_accessibility_violation_in_its_page(audit_page, live_server, world, name):
    host, query = FRAGMENTS[name]
    patterns = dict(ROUTES)
    user = world["doctor" if name in DOCTOR_PAGES else "admin"]
    LoginPage(audit_page, live_server.url).open().log_in(user.username, PASSWORD)
    audit_page.goto(_url(live_server, host, patterns[host], world))
    fragment_url = _url(live_server, name, patterns[name], world, query)
    status = audit_page.evaluate(
        """async (url) => {
            const response = await fetch(url, {headers: {"HX-Request": "true"}});
            const holder = document.createElement("section");
            holder.setAttribute("aria-label", "fragment");
            holder.innerHTML = await response.text();
            document.querySelector("main").append(holder);
            return response.status;
        }""",
        fragment_url,
    )
    assert status == 200, f"{name}: {status}"
    assert BasePage(audit_page, live_server.url).accessibility_violations() == [], name
