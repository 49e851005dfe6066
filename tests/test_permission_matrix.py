"""The role × route matrix, generated from the URL configuration and the permission table.

Every named page route must declare its permission (``@require_permission``) or be listed as public here;
a new route without either fails. For each role, a route answers 200 when the role has the permission and
403 otherwise; anonymous users are sent to the login page.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from maille.accounts.models import Role
from maille.accounts.permissions import PERMISSION_ROLES
from maille.diagnosis.models import OptimisationRun, RunState, Scenario, SupplyImport
from maille.evaluation.models import CostScenario
from maille.quality.actions import action_create, today
from maille.quality.assessments import answer_save, assessment_start
from maille.quality.charter import charter_draft, published_charter
from maille.quality.models import Assessment, Label
from maille.quality.services import published_version, referential_draft
from tests.diagnosis.conftest import save_drees_bands
from tests.factories import DepartementFactory, NetworkRoleFactory, RegionFactory, SiteFactory, user_with_role
from tests.quality.samples import pdf_bytes
from tests.scheduling.test_views_support import appointment_at, matrix_user

# Routes anyone may open (login and password reset pages, health check).
PUBLIC_ROUTES = {
    "accounts:login",
    "accounts:logout",
    "accounts:password_reset",
    "accounts:password_reset_done",
    "accounts:password_reset_confirm",
    "accounts:password_reset_complete",
    "core:healthz",
    "quality:verify",  # the quality documents' verification page: anyone, rate-limited (tests/quality)
}
# The public booking pages (patients without an account): their own suite (tests/public) checks that a
# booking in progress opens only in its browser session and an appointment only through its signed link.
# The survey page (a link answers once): tests/evaluation/test_survey_pages.py checks the link decides everything.
PUBLIC_NAMESPACES = {"public", "avis"}
# Routes any authenticated user may open (the home page explains what their role gives).
AUTHENTICATED_ROUTES = {"home"}
# Routes that take POST only → the form they are sent (an action no appointment allows: a redirect back).
POST_ONLY = {
    "evaluation:cost_scenario_remove": {},
    "scheduling:day_action": {"action": "none", "retour": "/agendas/"},
    "diagnosis:scenario_create": {"zone": "departement:55", "name": "Matrice", "ajout": "55498"},
    "diagnosis:scenario_delete": {},
    "diagnosis:optimisation_cancel": {},
    "diagnosis:optimisation_save": {"name": "Proposition"},
    "diagnosis:supply_delete": {},
    "quality:version_draft": {"title": "v2"},
    "quality:version_submit": {},
    "quality:version_return": {"motif": "à revoir"},
    "quality:version_publish": {},
    "quality:criterion_edit": {"title": "Exigence", "requirement": "mandatory", "evidence": "yes_no"},
    "quality:criterion_remove": {},
    "quality:criterion_new": {"title": "Exigence", "requirement": "mandatory", "evidence": "yes_no"},
    "quality:assessment_new": {"site": ""},
    "quality:answer": {"critere": "", "reponse": "met"},
    "quality:assessment_submit": {},
    "quality:review": {"critere": "", "avis": "accepted"},
    "quality:assessment_return": {},
    "quality:assessment_close": {},
    "quality:evidence_delete": {},
    "quality:action_status": {"etat": "in_progress"},
    "quality:label_decision": {"decision": "under_review"},
    "quality:label_request": {},
    "quality:charter_new": {"titre": "Charte 2027"},
    "quality:charter_publish": {},
}
# Routes that take POST only and answer an invalid form with the form again (422): sent an empty title, they
# show the role and scope checks as well as a redirect would.
POST_FORMS = {
    "evaluation:cost_scenario_new": {"name": ""},
    "evaluation:cost_scenario_edit": {},
    "evaluation:survey_campaigns": {"title": ""},
    "quality:action_new": {"titre": ""},
    "quality:action_edit": {"titre": ""},
    "quality:charter_sign": {},
    "quality:charter_edit": {},
}
# Namespaces with their own test suites (Django admin; /api/v1 and /fhir check tokens and roles themselves).
OTHER_SUITES = {"admin", "api", "fhir"}


def _named_routes(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            child = (
                f"{namespace}:{entry.namespace}"
                if namespace and entry.namespace
                else entry.namespace or namespace
            )
            if (entry.namespace or "") in OTHER_SUITES:
                continue
            yield from _named_routes(entry, child or "")
        elif isinstance(entry, URLPattern) and entry.name:
            yield (f"{namespace}:{entry.name}" if namespace else entry.name), entry


PAGE_ROUTES = sorted(
    (name, pattern)
    for name, pattern in _named_routes()
    if name not in PUBLIC_ROUTES | AUTHENTICATED_ROUTES
    and not name.startswith("django")
    and name.partition(":")[0] not in PUBLIC_NAMESPACES
)


def test_every_page_route_declares_a_permission():
    undeclared = [
        name for name, pattern in PAGE_ROUTES if not hasattr(pattern.callback, "required_permission")
    ]
    assert not undeclared, f"routes without @require_permission: {undeclared}"
    unknown = [
        (name, pattern.callback.required_permission)
        for name, pattern in PAGE_ROUTES
        if pattern.callback.required_permission not in PERMISSION_ROLES
    ]
    assert not unknown


def in_a_month() -> str:
    import datetime

    return (today() + datetime.timedelta(days=30)).isoformat()


@pytest.fixture
def world(db):
    """Two sites: Souilly (Meuse, in every role's scope) and Chaumont (Haute-Marne, in none but the
    administrator's); at each an appointment conducted by a remote doctor. The matrix's doctor serves Souilly
    and conducts the appointment there; the Chaumont one is another doctor's."""
    region = RegionFactory(code="44")
    DepartementFactory(code="55", region=region)
    DepartementFactory(code="52", region=region)
    inside = SiteFactory(host_organisation__commune__code="55498", host_organisation__commune__name="Souilly")
    outside = SiteFactory(
        host_organisation__commune__code="52121",
        host_organisation__commune__name="Chaumont",
        host_organisation__commune__departement__code="52",
    )
    doctor_role = NetworkRoleFactory()
    doctor_role.sites.add(inside)
    scenarios = {
        code: Scenario.objects.create(name=f"Scénario {code}", zone_key=f"departement:{code}", added_communes=[commune])
        for code, commune in (("55", "55498"), ("52", "52121"))
    }  # fmt: skip
    runs = {
        code: OptimisationRun.objects.create(
            zone_key=f"departement:{code}",
            parameters={
                "model": "mclp",
                "k": 1,
                "minutes": 20.0,
                "candidates": "toutes",
                "weights": "besoin",
            },
            state=RunState.DONE,
            result={
                "rows": [{"rank": 1, "code": commune, "name": "x", "population": 1}],
                "summary": {"status": "Optimal", "gap": 0.0, "covered_population": 1, "population": 2},
            },
        )  # fmt: skip
        for code, commune in (("55", "55498"), ("52", "52121"))
    }
    published = published_version()
    assessor = user_with_role(Role.PLATFORM_ADMIN)
    assessments = {}
    for code, site in (("55", inside), ("52", outside)):
        # a closed assessment and its label request (written directly: the matrix checks access, the quality
        # suite the rules), then the next assessment in progress
        owner = user_with_role(Role.SITE_STAFF, site=site)
        closed = Assessment.objects.create(site=site, version=published, site_level=site.level, status="closed",
                                           score=100, mandatory_met=True, closed_at=timezone.now())  # fmt: skip
        label = Label.objects.create(site=site, assessment=closed, requested_by=owner, status="granted",
                                     granted_on=timezone.localdate(), expires_on=timezone.localdate(),
                                     verification_code=f"MATR-IXCD-{code}XX")  # fmt: skip
        assessment = assessment_start(assessor, site=site)
        answer = answer_save(assessor, assessment=assessment, criterion_id=published.criteria.get(code="ORG-01").pk,
                             compliance="met", upload=("preuve.pdf", pdf_bytes()))  # fmt: skip
        action = action_create(owner, site=site, title="Action", owner_id=owner.pk, due_date=in_a_month())
        assessments[code] = (assessment.pk, answer.evidence_files.get().pk, action.pk, label.pk)
    draft = referential_draft(user_with_role(Role.PLATFORM_ADMIN))
    charter = published_charter()
    charter_in_preparation = charter_draft(user_with_role(Role.PLATFORM_ADMIN))
    save_drees_bands()
    supplies = {
        code: SupplyImport.objects.create(name=code, sha256="0" * 64, departements=[code],
                                          communes={commune: {"gps": 1, "activity": 4000.0}}, practitioners=1)
        for code, commune in (("55", "55498"), ("52", "52121"))
    }  # fmt: skip
    cost_scenarios = {
        code: CostScenario.objects.create(name=f"Coûts {code}", departement_id=code, first_year=2027, years=2)
        for code in ("55", "52")
    }
    return {
        "cost_scenario_id": cost_scenarios["55"].pk,
        "other_cost_scenario_id": cost_scenarios["52"].pk,
        # the published version is everyone's; the draft only its editors' (out of the others' scope)
        "version_id": published.pk,
        "assessment_id": assessments["55"][0],
        "other_assessment_id": assessments["52"][0],
        "evidence_id": assessments["55"][1],
        "other_evidence_id": assessments["52"][1],
        "action_id": assessments["55"][2],
        "other_action_id": assessments["52"][2],
        # the charter in force is everyone's; the draft only its editors'
        "charter_id": charter.pk,
        "other_charter_id": charter_in_preparation.pk,
        "label_id": assessments["55"][3],
        "other_label_id": assessments["52"][3],
        "other_version_id": draft.pk,
        "criterion_id": draft.criteria.first().pk,
        "other_criterion_id": published.criteria.first().pk,
        "section_id": draft.sections.first().pk,
        "other_section_id": published.sections.first().pk,
        "supply_id": supplies["55"].pk,
        "other_supply_id": supplies["52"].pk,
        "site": inside,
        "other_site": outside,
        "doctor": doctor_role.professional,
        "appointment_id": appointment_at(inside, doctor_role.professional),
        "other_appointment_id": appointment_at(outside),
        "scenario_id": scenarios["55"].pk,
        "other_scenario_id": scenarios["52"].pk,
        "run_id": runs["55"].pk,
        "other_run_id": runs["52"].pk,
    }


def _kwargs_for(pattern: URLPattern, world, in_scope: bool) -> dict[str, object]:
    values = {
        "site_id": world["site" if in_scope else "other_site"].pk,
        "appointment_id": world["appointment_id" if in_scope else "other_appointment_id"],
        "code": "55" if in_scope else "52",
        "scenario_id": world["scenario_id" if in_scope else "other_scenario_id"],
        "run_id": world["run_id" if in_scope else "other_run_id"],
        "supply_id": world["supply_id" if in_scope else "other_supply_id"],
        "version_id": world["version_id" if in_scope else "other_version_id"],
        "criterion_id": world["criterion_id" if in_scope else "other_criterion_id"],
        "section_id": world["section_id" if in_scope else "other_section_id"],
        "assessment_id": world["assessment_id" if in_scope else "other_assessment_id"],
        "evidence_id": world["evidence_id" if in_scope else "other_evidence_id"],
        "action_id": world["action_id" if in_scope else "other_action_id"],
        "label_id": world["label_id" if in_scope else "other_label_id"],
        "charter_id": world["charter_id" if in_scope else "other_charter_id"],
        "cost_scenario_id": world["cost_scenario_id" if in_scope else "other_cost_scenario_id"],
    }
    names = list(pattern.pattern.converters) if hasattr(pattern.pattern, "converters") else []
    missing = [name for name in names if name not in values]
    assert not missing, f"add sample values for URL parameters {missing}"
    return {name: values[name] for name in names}


def _takes_an_object(pattern: URLPattern) -> bool:
    return bool(getattr(pattern.pattern, "converters", None))


# Each route in scope; routes naming an object (site, appointment) out of scope too.
MATRIX_CASES = [
    pytest.param(name, pattern, in_scope, id=f"{name}-{'in' if in_scope else 'out'}")
    for name, pattern in PAGE_ROUTES
    for in_scope in ([True, False] if _takes_an_object(pattern) else [True])
]


@pytest.mark.django_db
@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize(("name", "pattern", "in_scope"), MATRIX_CASES)
def test_role_route_matrix(client, world, role, name, pattern, in_scope):
    """Role without the permission: 403; object outside the scope: 404 (the administrator has no outside)."""
    url = reverse(name, kwargs=_kwargs_for(pattern, world, in_scope))
    client.force_login(matrix_user(role, world))
    if name in POST_ONLY or name in POST_FORMS:
        response = client.post(url, POST_ONLY[name] if name in POST_ONLY else POST_FORMS[name])
    else:
        response = client.get(url)
    allowed = role in PERMISSION_ROLES[pattern.callback.required_permission]
    if not allowed:
        expected = 403
    elif in_scope or role == Role.PLATFORM_ADMIN:
        expected = 302 if name in POST_ONLY else 422 if name in POST_FORMS else 200
    else:
        expected = 404
    assert response.status_code == expected, f"{role} on {name} ({'in' if in_scope else 'out of'} scope)"
    if not allowed:
        assert "Accès refusé" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "pattern"), PAGE_ROUTES, ids=[name for name, _ in PAGE_ROUTES])
def test_anonymous_users_are_sent_to_login(client, world, name, pattern):
    response = client.get(reverse(name, kwargs=_kwargs_for(pattern, world, in_scope=True)))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))
