"""The charter of good practice: the shipped version, drafting and publishing, signatures (who, when, which
version) and the referential's criterion that checks them; its pages."""

from __future__ import annotations

from html import unescape

import pytest
from django.urls import reverse

from maille.accounts.models import Role
from maille.core.errors import ConflictError, DomainError
from maille.core.models import AuditEvent
from maille.directory.models import Profession
from maille.quality.assessments import answer_save, assessment_start
from maille.quality.charter import (
    charter_draft,
    charter_publish,
    charter_sign,
    charter_update,
    published_charter,
    site_signature,
)
from maille.quality.models import CharterSignature, VersionStatus
from maille.quality.services import published_version, referential_draft
from tests.factories import ProfessionalFactory, SiteFactory, user_with_role

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
def admin():
    return user_with_role(Role.PLATFORM_ADMIN)


def test_every_installation_has_a_charter_in_force_and_a_criterion_that_checks_it():
    charter = published_charter()
    assert (charter.number, charter.status) == (1, VersionStatus.PUBLISHED)
    assert len(charter.paragraphs()) >= 12
    assert published_version().criteria.get(code="ORG-04").checks == "charter"


def test_the_charter_criterion_carries_over_to_the_next_referential(admin):
    draft = referential_draft(admin)
    assert draft.criteria.get(code="ORG-04").checks == "charter"


def test_the_charter_criterion_is_met_only_once_the_site_has_signed(site, staff):
    assessment = assessment_start(staff, site=site)
    criterion = assessment.version.criteria.get(code="ORG-04")
    with pytest.raises(DomainError) as refused:
        answer_save(staff, assessment=assessment, criterion_id=criterion.pk, compliance="met")
    assert (refused.value.code, refused.value.details) == ("charter_unsigned", {"field": "reponse"})
    answer_save(staff, assessment=assessment, criterion_id=criterion.pk, compliance="not_met")
    signature = charter_sign(staff, site=site, signatory_name="Sacha Exemple", signatory_role="référente")
    assert (signature.version, signature.signed_by, signature.site) == (published_charter(), staff, site)
    answer_save(staff, assessment=assessment, criterion_id=criterion.pk, compliance="met")
    assert AuditEvent.objects.filter(action="charter.sign", actor=staff).exists()


def test_one_signature_per_site_and_version_and_a_name_is_needed(site, staff):
    with pytest.raises(DomainError) as refused:
        charter_sign(staff, site=site, signatory_name="  ")
    assert refused.value.details == {"field": "nom"}
    charter_sign(staff, site=site, signatory_name="Sacha Exemple")
    with pytest.raises(ConflictError):
        charter_sign(staff, site=site, signatory_name="Sacha Exemple")


def test_a_professional_signs_in_their_own_name(site):
    doctor = ProfessionalFactory(
        profession=Profession.DOCTOR, first_name="Claude", last_name="Téléconsultant"
    )
    doctor.user = user_with_role(Role.REMOTE_DOCTOR)
    doctor.save()
    signature = charter_sign(doctor.user, professional=doctor)
    assert (signature.signatory_name, signature.professional, signature.site) == (
        "Claude Téléconsultant",
        doctor,
        None,
    )


def test_a_new_version_in_force_must_be_signed_again(site, staff, admin):
    charter_sign(staff, site=site, signatory_name="Sacha Exemple")
    draft = charter_draft(admin, title="Charte 2027")
    assert draft.body == published_charter().body  # starts from the text in force
    with pytest.raises(ConflictError):
        charter_draft(admin)
    draft = charter_update(
        admin, version=draft, title="Charte 2027", body=draft.body + "\n\n12. Un engagement de plus."
    )
    with pytest.raises(DomainError) as refused:
        charter_update(admin, version=draft, title="Charte 2027", body="  ")
    assert refused.value.details == {"field": "texte"}
    old = published_charter()
    charter_publish(admin, version=draft)
    old.refresh_from_db()
    assert old.status == VersionStatus.SUPERSEDED
    assert published_charter() == draft
    assert site_signature(site) is None  # signed version 1, not version 2
    assert site_signature(site, old) is not None
    with pytest.raises(ConflictError):
        charter_update(admin, version=draft, title="x", body="y")
    with pytest.raises(ConflictError):
        charter_publish(admin, version=old)


# --- Pages ---------------------------------------------------------------------------------------------------


def test_site_staff_sign_for_their_site_through_the_page(client, site, staff):
    other = SiteFactory(
        host_organisation__commune__code="55001", host_organisation__commune__departement__code="55"
    )
    client.force_login(staff)
    page = unescape(client.get(reverse("quality:charter")).content.decode())
    assert "Signer pour ce site" in page
    assert f'value="{other.pk}"' not in page  # only their own site to sign for
    refused = client.post(
        reverse("quality:charter_sign"), {"site": site.pk, "nom": "", "qualite": "référente"}
    )
    assert refused.status_code == 422
    assert 'value="référente"' in unescape(refused.content.decode())
    refused = client.post(reverse("quality:charter_sign"), {"site": other.pk, "nom": "Sacha"})
    assert refused.status_code == 422
    assert (
        client.post(reverse("quality:charter_sign"), {"site": site.pk, "nom": "Sacha Exemple"}).status_code
        == 302
    )
    assert CharterSignature.objects.get().site == site
    page = unescape(client.get(reverse("quality:charter")).content.decode())
    assert "Sacha Exemple" in page
    assert "Signer pour ce site" not in page


def test_the_register_shows_who_has_not_signed(client, site, staff):
    coordinator = user_with_role(Role.COORDINATOR, departement_id="55")
    client.force_login(coordinator)
    page = unescape(client.get(reverse("quality:charter")).content.decode())
    assert f"Pas encore signée par :</strong> {site.name}" in page
    assert client.post(reverse("quality:charter_sign"), {"site": site.pk, "nom": "x"}).status_code == 403


def test_only_administrators_see_and_edit_a_draft(client, admin, staff):
    draft = charter_draft(admin)
    client.force_login(staff)
    assert client.get(reverse("quality:charter_version", args=[draft.pk])).status_code == 404
    client.force_login(admin)
    page = client.get(reverse("quality:charter_version", args=[draft.pk])).content.decode()
    assert 'data-testid="charter-form"' in page
    refused = client.post(
        reverse("quality:charter_edit", args=[draft.pk]), {"titre": "Charte 2027", "texte": ""}
    )
    assert refused.status_code == 422
    assert "Le texte de la charte est vide." in unescape(refused.content.decode())
