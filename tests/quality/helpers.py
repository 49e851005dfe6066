"""Assessments in a given state, through the services (as the pages would)."""

from __future__ import annotations

from maille.accounts.models import Role
from maille.quality.assessments import (
    answer_review,
    answer_save,
    applicable_criteria,
    assessment_close,
    assessment_start,
    assessment_submit,
)
from maille.quality.charter import charter_sign, site_signature
from maille.quality.models import Evidence
from tests.factories import user_with_role
from tests.quality.samples import jpeg_bytes, pdf_bytes


def sign_charter(site, user):
    """The site signs the charter in force (once)."""
    if site_signature(site) is None:
        charter_sign(
            user, site=site, signatory_name="Dominique Référente", signatory_role="référente du site"
        )


def fill_in(assessment, user, *, not_met=()):
    """Answer every applicable criterion (met, or not met for the codes given), with a file where expected;
    the site signs the charter first when its criterion is to be met."""
    for criterion in applicable_criteria(assessment):
        compliance = "not_met" if criterion.code in not_met else "met"
        if criterion.checks == "charter" and compliance == "met":
            sign_charter(assessment.site, user)
        upload = None
        if compliance == "met" and criterion.evidence == Evidence.DOCUMENT:
            upload = ("preuve.pdf", pdf_bytes())
        elif compliance == "met" and criterion.evidence == Evidence.PHOTO:
            upload = ("photo.jpg", jpeg_bytes())
        figure = "4" if criterion.evidence == Evidence.FIGURE and compliance == "met" else ""
        answer_save(user, assessment=assessment, criterion_id=criterion.pk, compliance=compliance,
                    figure=figure, upload=upload)  # fmt: skip


def closed_assessment(site, *, not_met=(), staff=None, reviewer=None):
    """A closed assessment of ``site``: filled by its staff, every answer accepted by a coordinator."""
    staff = staff or user_with_role(Role.SITE_STAFF, site=site)
    reviewer = reviewer or user_with_role(Role.COORDINATOR, departement_id=site.commune.departement_id)
    assessment = assessment_start(staff, site=site)
    fill_in(assessment, staff, not_met=not_met)
    assessment_submit(staff, assessment=assessment)
    for criterion in applicable_criteria(assessment):
        answer_review(reviewer, assessment=assessment, criterion_id=criterion.pk, verdict="accepted")
    return assessment_close(reviewer, assessment=assessment)
