"""Labels: the request rules (a closed assessment, every mandatory criterion met), the workflow and its
reasons, the own-site rule, renewal and expiry, eligibility, and the label in the directory, the API and FHIR."""

from __future__ import annotations

import datetime
import re
from html import unescape

import pytest
from django.urls import reverse

from maille.accounts.models import Role
from maille.core.errors import ConflictError, DomainError
from maille.core.housekeeping import housekeeping_run
from maille.core.models import AuditEvent
from maille.directory.models import SiteUse, Use
from maille.quality.assessments import assessment_start
from maille.quality.labels import expire_labels, is_eligible, label_decide, label_request, today
from maille.quality.models import Label, LabelStatus
from tests.factories import SiteFactory, user_with_role
from tests.quality.helpers import closed_assessment

pytestmark = pytest.mark.django_db


@pytest.fixture
def site():
    return SiteFactory(
        host_organisation__commune__code="55498", host_organisation__commune__departement__code="55"
    )


@pytest.fixture
def staff(site):
    return user_with_role(Role.SITE_STAFF, site=site)


@pytest.fixture
def coordinator(site):
    return user_with_role(Role.COORDINATOR, departement_id="55")


@pytest.fixture
def decider(site):
    return user_with_role(Role.COORDINATOR, departement_id="55")


def granted_label(site, staff, decider):
    assessment = closed_assessment(site, staff=staff)
    label = label_request(staff, site=site, assessment_id=assessment.pk)
    return label_decide(decider, label=label, status=LabelStatus.GRANTED)


def test_a_label_is_requested_on_a_closed_assessment_and_granted(site, staff, decider, settings):
    settings.QUALITY_LABEL_VALIDITY_DAYS = 365
    assessment = closed_assessment(site, staff=staff)
    label = label_request(staff, site=site, assessment_id=assessment.pk)
    assert label.status == LabelStatus.REQUESTED
    assert not is_eligible(site)
    label = label_decide(decider, label=label, status=LabelStatus.UNDER_REVIEW)
    label = label_decide(decider, label=label, status=LabelStatus.GRANTED)
    assert (label.granted_on, label.expires_on) == (today(), today() + datetime.timedelta(days=365))
    assert re.fullmatch(r"[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}", label.verification_code)
    assert is_eligible(site)
    assert [e.status for e in label.events.all()] == ["requested", "under_review", "granted"]
    assert set(AuditEvent.objects.filter(target_type="quality.label").values_list("action", flat=True)) == {
        "label.request",
        "label.review",
        "label.grant",
    }


def test_a_label_with_a_mandatory_criterion_unmet_is_refused_naming_it(site, staff):
    assessment = closed_assessment(site, staff=staff, not_met=("LIEU-02", "ACC-02"))  # ACC-02 is recommended
    with pytest.raises(DomainError) as refused:
        label_request(staff, site=site, assessment_id=assessment.pk)
    assert refused.value.code == "mandatory_unmet"
    assert refused.value.details["unmet"] == ["LIEU-02"]
    assert "LIEU-02" in refused.value.message
    assert not Label.objects.exists()


def test_a_label_needs_a_closed_assessment_of_the_same_site(site, staff):
    open_one = assessment_start(staff, site=site)
    with pytest.raises(DomainError) as refused:
        label_request(staff, site=site, assessment_id=open_one.pk)
    assert refused.value.code == "assessment_not_closed"
    other_site = SiteFactory(
        host_organisation__commune__code="55001", host_organisation__commune__departement__code="55"
    )
    other = closed_assessment(other_site)
    with pytest.raises(DomainError) as refused:
        label_request(staff, site=site, assessment_id=other.pk)
    assert refused.value.details == {"field": "evaluation"}


def test_one_request_at_a_time(site, staff):
    assessment = closed_assessment(site, staff=staff)
    label_request(staff, site=site, assessment_id=assessment.pk)
    with pytest.raises(ConflictError):
        label_request(staff, site=site, assessment_id=assessment.pk)


def test_refusal_and_suspension_need_a_reason_and_suspension_ends_eligibility(site, staff, decider):
    assessment = closed_assessment(site, staff=staff)
    label = label_request(staff, site=site, assessment_id=assessment.pk)
    with pytest.raises(DomainError) as refused:
        label_decide(decider, label=label, status=LabelStatus.REFUSED)
    assert refused.value.details == {"field": "motif"}
    label = label_decide(decider, label=label, status=LabelStatus.GRANTED)
    with pytest.raises(DomainError):
        label_decide(decider, label=label, status=LabelStatus.SUSPENDED, reason="  ")
    label = label_decide(
        decider, label=label, status=LabelStatus.SUSPENDED, reason="Salle fermée depuis un mois"
    )
    assert not is_eligible(site)
    assert label.reason == "Salle fermée depuis un mois"
    with pytest.raises(ConflictError):
        label_request(staff, site=site, assessment_id=assessment.pk)  # suspended: no new request
    label = label_decide(decider, label=label, status=LabelStatus.GRANTED, reason="Salle rouverte")
    assert is_eligible(site)
    assert AuditEvent.objects.filter(action="label.reinstate").exists()


def test_illegal_transitions_are_refused(site, staff, decider):
    label = granted_label(site, staff, decider)
    with pytest.raises(ConflictError):
        label_decide(decider, label=label, status=LabelStatus.UNDER_REVIEW)
    with pytest.raises(DomainError):
        label_decide(decider, label=label, status="expired")  # only the job expires a label


def test_no_one_decides_the_label_of_their_own_site(site, staff, coordinator):
    assessment = closed_assessment(site, staff=staff)
    label = label_request(staff, site=site, assessment_id=assessment.pk)
    coordinator.role_grants.create(role=Role.SITE_STAFF, site=site)
    for user in (coordinator, staff):
        with pytest.raises(DomainError) as refused:
            label_decide(user, label=label, status=LabelStatus.GRANTED)
        assert refused.value.code == "own_site"


def test_a_renewal_replaces_the_label_in_force_once_granted(site, staff, decider):
    first = granted_label(site, staff, decider)
    newer = closed_assessment(site, staff=staff)
    renewal = label_request(staff, site=site, assessment_id=newer.pk)
    assert renewal.renews == first
    assert is_eligible(site)  # the label in force stays valid until the decision
    label_decide(decider, label=renewal, status=LabelStatus.GRANTED)
    first.refresh_from_db()
    assert first.status == LabelStatus.RENEWED
    assert Label.objects.filter(site=site, status=LabelStatus.GRANTED).count() == 1
    # a refused renewal leaves the label in force as it was; another request may follow
    third = closed_assessment(site, staff=staff)
    again = label_request(staff, site=site, assessment_id=third.pk)
    label_decide(decider, label=again, status=LabelStatus.REFUSED, reason="Pièces illisibles")
    label_request(staff, site=site, assessment_id=third.pk)


def test_labels_expire_by_the_housekeeping_job(site, staff, decider):
    label = granted_label(site, staff, decider)
    Label.objects.filter(pk=label.pk).update(expires_on=today() - datetime.timedelta(days=1))
    assert not is_eligible(site)
    assert housekeeping_run()["quality_labels_expire"] == 1
    label.refresh_from_db()
    assert label.status == LabelStatus.EXPIRED
    assert expire_labels() == 0
    assert label.events.last().by is None


# --- The label where the directory shows a site ---------------------------------------------------------------


def test_the_label_in_force_shows_in_the_directory_api_and_fhir(client, site, staff, decider):
    label = granted_label(site, staff, decider)
    site_use = SiteUse.objects.create(site=site, use=Use.objects.get(code="tlc-mg"))
    operator = user_with_role(Role.OPERATOR, departement_id="55")  # reads the directory, not the assessments
    client.force_login(operator)
    listing = unescape(client.get(reverse("directory:site_list")).content.decode())
    assert "Labellisé qualité" in listing
    detail = unescape(client.get(reverse("directory:site_detail", args=[site.pk])).content.decode())
    assert "éligible aux financements du réseau" in detail
    api = client.get(f"/api/v1/sites/{site.pk}").json()
    assert api["attestations"] == [
        {
            "code": "quality-label",
            "display": "Labellisé qualité",
            "valid_from": label.granted_on.isoformat(),
            "valid_until": label.expires_on.isoformat(),
        }
    ]
    listed = client.get("/api/v1/sites").json()["results"]
    assert [item["attestations"][0]["code"] for item in listed if item["id"] == site.pk] == ["quality-label"]
    location = client.get(f"/fhir/Location/site-{site.pk}").json()
    attestation = [e for e in location["extension"] if e["url"].endswith("site-attestation")]
    assert attestation[0]["extension"][0]["valueCoding"]["code"] == "quality-label"
    assert attestation[0]["extension"][1]["valuePeriod"]["end"] == label.expires_on.isoformat()
    service = client.get(f"/fhir/HealthcareService/{site_use.pk}").json()
    assert {c["coding"][0]["code"] for c in service["characteristic"]} >= {"quality-label"}
    # suspended: gone everywhere
    label_decide(decider, label=label, status=LabelStatus.SUSPENDED, reason="Contrôle en cours")
    assert client.get(f"/api/v1/sites/{site.pk}").json()["attestations"] == []
    assert "Labellisé qualité" not in client.get(reverse("directory:site_list")).content.decode()


# --- Pages -----------------------------------------------------------------------------------------------------


def test_requesting_from_the_assessment_page_with_a_mandatory_gap_says_which(client, site, staff):
    assessment = closed_assessment(site, staff=staff, not_met=("PAT-02",))
    client.force_login(staff)
    page = client.get(reverse("quality:assessment", args=[assessment.pk])).content.decode()
    assert 'data-testid="label-request"' in page
    response = client.post(reverse("quality:label_request", args=[assessment.pk]), follow=True)
    assert "ne le sont pas : PAT-02" in unescape(response.content.decode())
    assert not Label.objects.exists()


def test_a_coordinator_decides_in_the_page_and_a_refusal_without_reason_keeps_the_form(
    client, site, staff, decider
):
    assessment = closed_assessment(site, staff=staff)
    client.force_login(staff)
    response = client.post(reverse("quality:label_request", args=[assessment.pk]))
    label = Label.objects.get()
    assert response.url == reverse("quality:label", args=[label.pk])
    assert (
        client.post(reverse("quality:label_decision", args=[label.pk]), {"decision": "granted"}).status_code
        == 403
    )
    client.force_login(decider)
    refused = client.post(
        reverse("quality:label_decision", args=[label.pk]), {"decision": "refused", "motif": ""}
    )
    assert refused.status_code == 422
    assert "Un refus ou une suspension se motive" in unescape(refused.content.decode())
    client.post(reverse("quality:label_decision", args=[label.pk]), {"decision": "granted"})
    page = unescape(client.get(reverse("quality:label", args=[label.pk])).content.decode())
    assert "Accordé" in page
    assert "éligible" in page
    listing = unescape(client.get(reverse("quality:labels")).content.decode())
    assert site.name in listing
