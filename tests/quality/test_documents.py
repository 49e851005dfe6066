"""The quality documents: the assessment report and the label certificate as real PDFs (read back), and the
public verification page (no account, nothing personal, rate-limited)."""

from __future__ import annotations

import io
import re
from html import unescape

import pytest
from django.urls import reverse
from pypdf import PdfReader

from maille.accounts.models import Role
from maille.core.pdf import PdfUnavailable
from maille.quality.assessments import assessment_start
from maille.quality.codes import normalise_code
from maille.quality.labels import label_decide, label_request
from maille.quality.models import LabelStatus
from tests.factories import SiteFactory, user_with_role
from tests.quality.helpers import closed_assessment

pytestmark = pytest.mark.django_db


@pytest.fixture
def site():
    return SiteFactory(
        name="Pharmacie du Centre",
        host_organisation__commune__code="55498",
        host_organisation__commune__departement__code="55",
    )


@pytest.fixture
def staff(site):
    return user_with_role(Role.SITE_STAFF, site=site)


@pytest.fixture
def label(site, staff):
    assessment = closed_assessment(site, staff=staff, not_met=("ACC-02",))
    requested = label_request(staff, site=site, assessment_id=assessment.pk)
    return label_decide(
        user_with_role(Role.COORDINATOR, departement_id="55"), label=requested, status=LabelStatus.GRANTED
    )


def pdf_text(response) -> str:
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    return " ".join(page.extract_text() for page in reader.pages)


def test_codes_are_read_the_way_people_type_them():
    assert normalise_code(" abcd efgh-jkmn ") == "ABCD-EFGH-JKMN"
    assert normalise_code("ABCD-EFGH-JKM") is None
    assert normalise_code("ABCD-EFGH-JKM0") is None  # no 0: it reads as O


def test_the_assessment_report_is_a_pdf_with_its_scores_gaps_and_code(client, site, staff):
    assessment = closed_assessment(site, staff=staff, not_met=("ACC-02",))
    assert re.fullmatch(r"[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}", assessment.verification_code)
    client.force_login(staff)
    text = pdf_text(client.get(reverse("quality:assessment_report_pdf", args=[assessment.pk])))
    assert "Pharmacie du Centre" in text
    assert f"{assessment.score} %".replace(".", ",") in text
    assert "ACC-02" in text
    assert assessment.verification_code in text
    open_one = assessment_start(staff, site=site)
    provisional = pdf_text(client.get(reverse("quality:assessment_report_pdf", args=[open_one.pk])))
    assert "document provisoire" in provisional
    assert "Code de vérification" not in provisional


def test_the_certificate_is_a_pdf_and_only_for_a_label_once_granted(client, site, staff, label):
    client.force_login(staff)
    text = pdf_text(client.get(reverse("quality:label_certificate_pdf", args=[label.pk])))
    assert "Certificat de label qualité" in text
    assert "Pharmacie du Centre" in text
    assert label.verification_code in text
    other_site = SiteFactory(
        host_organisation__commune__code="55001", host_organisation__commune__departement__code="55"
    )
    other_staff = user_with_role(Role.SITE_STAFF, site=other_site)
    client.force_login(other_staff)
    assert client.get(reverse("quality:label_certificate_pdf", args=[label.pk])).status_code == 404


def test_without_pango_the_document_says_why(client, site, staff, label, monkeypatch):
    def missing(_html):
        raise PdfUnavailable

    monkeypatch.setattr("maille.quality.views_documents.render_pdf", missing)
    client.force_login(staff)
    response = client.get(reverse("quality:label_certificate_pdf", args=[label.pk]))
    assert response.status_code == 503
    assert "Pango" in response.content.decode()


def test_anyone_verifies_a_certificate_without_an_account_and_sees_nothing_personal(client, label, staff):
    response = client.get(
        reverse("quality:verify"), {"code": label.verification_code.lower().replace("-", " ")}
    )
    assert response.status_code == 200
    page = unescape(response.content.decode())
    assert "Pharmacie du Centre" in page
    assert "en vigueur" in page
    assert staff.username not in page
    label_decide(user_with_role(Role.COORDINATOR, departement_id="55"), label=label, status=LabelStatus.SUSPENDED,
                 reason="Contrôle")  # fmt: skip
    page = unescape(client.get(reverse("quality:verify"), {"code": label.verification_code}).content.decode())
    assert "suspendu" in page
    assert "Contrôle" not in page  # the reason is for the site, not the public


def test_an_assessment_code_shows_its_result(client, site, staff):
    assessment = closed_assessment(site, staff=staff)
    page = unescape(
        client.get(reverse("quality:verify"), {"code": assessment.verification_code}).content.decode()
    )
    assert f"{assessment.score} %".replace(".", ",") in page
    assert "tous atteints" in page


def test_unknown_and_malformed_codes(client):
    unknown = client.get(reverse("quality:verify"), {"code": "ABCD-EFGH-JKMN"})
    assert unknown.status_code == 404
    assert "Aucun document du réseau ne porte ce code" in unescape(unknown.content.decode())
    malformed = client.get(reverse("quality:verify"), {"code": "<script>"})
    assert malformed.status_code == 400
    assert "<script>" not in malformed.content.decode()


def test_the_verification_page_is_rate_limited_per_address(client, settings, label):
    settings.QUALITY_VERIFY_RATE_LIMIT = (3, 3600)
    for _ in range(3):
        assert client.get(reverse("quality:verify"), {"code": "ABCD-EFGH-JKMN"}).status_code == 404
    refused = client.get(reverse("quality:verify"), {"code": label.verification_code})
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Trop de demandes" in unescape(refused.content.decode())
    # the empty form itself is not counted
    assert client.get(reverse("quality:verify")).status_code == 200
