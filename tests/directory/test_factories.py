"""The factories' traits do what they say, and only when asked (a trait must not leak into defaults)."""

from __future__ import annotations

import pytest

from maille.directory.models import NetworkRoleKind, OrganisationKind, Profession, SiteLevel
from tests.factories import NetworkRoleFactory, ProfessionalFactory, SiteFactory
from tests.patients.factories import VALID_NIR, PatientFactory

pytestmark = pytest.mark.django_db


def test_defaults_are_a_pharmacy_site_and_a_remote_doctor():
    site, role = SiteFactory(), NetworkRoleFactory()
    assert (site.level, site.host_organisation.kind, site.is_fictional) == (
        SiteLevel.HYPER_PROXIMITY,
        OrganisationKind.PHARMACY,
        False,
    )
    assert (role.kind, role.professional.profession) == (NetworkRoleKind.REMOTE_DOCTOR, Profession.DOCTOR)


def test_traits():
    site = SiteFactory(msp=True, step_free=True)
    assert (site.level, site.reduced_mobility_access) == (SiteLevel.MSP_2_0, True)
    assistant = NetworkRoleFactory(assistant=True, sites=[site])
    assert (assistant.kind, assistant.professional.profession) == (
        NetworkRoleKind.ASSISTANT,
        Profession.NURSE,
    )
    assert list(assistant.sites.all()) == [site]
    assert ProfessionalFactory(pharmacist=True).profession == Profession.PHARMACIST
    qualified, phone_only = PatientFactory(qualified=True), PatientFactory(phone_only=True)
    assert (qualified.nir, qualified.identity_status) == (VALID_NIR, "QUAL")
    assert (phone_only.last_name, phone_only.birth_date, phone_only.phone) == ("", None, "+33612345678")
