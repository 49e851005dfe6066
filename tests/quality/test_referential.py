"""The quality referential: the shipped version 1, drafting the next one (carried-over criteria), rewording,
adding and withdrawing criteria, review and publication, frozen versions, and the pages."""

from __future__ import annotations

from html import unescape

import pytest
from django.urls import reverse

from maille.accounts.models import Role
from maille.core.errors import ConflictError, DomainError
from maille.core.models import AuditEvent
from maille.quality.models import Change, Criterion, ReferentialVersion, Requirement, VersionStatus
from maille.quality.services import (
    criterion_add,
    criterion_update,
    criterion_withdraw,
    published_version,
    referential_draft,
    referential_publish,
    referential_return,
    referential_submit,
    version_changes,
)
from maille.quality.shipped import SECTIONS, shipped_criteria_count
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db
VALID = {
    "title": "Une exigence",
    "requirement": "mandatory",
    "evidence": "yes_no",
    "site_levels": [],
    "guidance": "",
}


@pytest.fixture
def admin():
    return user_with_role(Role.PLATFORM_ADMIN)


def test_every_installation_starts_with_a_complete_published_referential():
    version = published_version()
    assert version is not None
    assert (version.number, version.status) == (1, VersionStatus.PUBLISHED)
    assert version.criteria.count() == shipped_criteria_count() >= 25
    assert version.sections.count() == len(SECTIONS) == 9
    assert version.criteria.filter(requirement=Requirement.MANDATORY).count() >= 15
    assert all(c.guidance for c in version.criteria.all())


def test_a_draft_carries_every_criterion_over(admin):
    v1 = published_version()
    draft = referential_draft(admin, title="Référentiel 2027")
    assert (draft.number, draft.status, draft.based_on) == (2, VersionStatus.DRAFT, v1)
    assert draft.criteria.count() == v1.criteria.count()
    assert all(c.carried_from.code == c.code and c.change == Change.UNCHANGED for c in draft.criteria.all())
    with pytest.raises(ConflictError):
        referential_draft(admin)  # one version in preparation at a time
    assert AuditEvent.objects.filter(action="referential.draft", target_id=str(draft.pk)).exists()


def test_changes_are_recorded_and_read_against_the_previous_version(admin):
    draft = referential_draft(admin)
    reworded = draft.criteria.get(code="LIEU-02")
    criterion_update(admin, reworded, {**VALID, "title": "Rien ne s'entend ni ne se voit de l'extérieur."})
    withdrawn_code = "ACC-02"
    criterion_withdraw(admin, draft.criteria.get(code=withdrawn_code))
    added = criterion_add(
        admin, draft.sections.get(code="ACC"), {**VALID, "title": "Un numéro d'urgence est affiché."}
    )
    assert added.code == "ACC-04"
    assert added.change == Change.NEW
    changes = {(c.change, c.code) for c in version_changes(draft) if c.change != "unchanged"}
    assert changes == {("reworded", "LIEU-02"), ("withdrawn", withdrawn_code), ("new", "ACC-04")}
    reworded.refresh_from_db()
    assert reworded.carried_from.title != reworded.title  # version 1 keeps its own words


def test_bad_criterion_fields_are_named_and_nothing_saved(admin):
    draft = referential_draft(admin)
    criterion = draft.criteria.get(code="ORG-01")
    before = criterion.title
    with pytest.raises(DomainError) as refused:
        criterion_update(admin, criterion, {"title": " ", "requirement": "maybe", "evidence": "video",
                                            "site_levels": ["chateau"]})  # fmt: skip
    assert set(refused.value.details) == {"title", "requirement", "evidence", "site_levels"}
    criterion.refresh_from_db()
    assert criterion.title == before


def test_review_then_publication_freezes_both_versions(admin):
    v1 = published_version()
    draft = referential_draft(admin)
    with pytest.raises(ConflictError):
        referential_publish(admin, draft)  # not reviewed yet
    referential_submit(admin, draft)
    with pytest.raises(ConflictError):
        criterion_update(admin, draft.criteria.first(), VALID)  # in review: no more changes
    with pytest.raises(DomainError):
        referential_return(admin, draft, reason="  ")
    referential_return(admin, draft, reason="Reformuler LIEU-02")
    referential_submit(admin, draft)
    referential_publish(admin, draft)
    v1.refresh_from_db()
    assert (v1.status, draft.status) == (VersionStatus.SUPERSEDED, VersionStatus.PUBLISHED)
    assert published_version() == draft
    for frozen in (v1, draft):
        with pytest.raises(ConflictError):
            criterion_update(admin, frozen.criteria.first(), VALID)
        with pytest.raises(ConflictError):
            criterion_withdraw(admin, frozen.criteria.first())
    assert Criterion.objects.filter(version=v1).count() == Criterion.objects.filter(version=draft).count()


def test_the_referential_pages_for_staff_and_for_administrators(client, admin):
    operator = user_with_role(Role.OPERATOR)
    client.force_login(operator)
    page = unescape(client.get(reverse("quality:referential")).content.decode())
    assert page.count('data-testid="criterion"') == shipped_criteria_count()
    assert 'data-testid="criterion-form"' not in page
    filtered = unescape(
        client.get(reverse("quality:referential"), {"niveau": "hyper_proximite"}).content.decode()
    )
    assert "ORG-03" not in filtered  # for sites with health professionals on the premises only
    assert "LIEU-04" in filtered
    draft = referential_draft(admin)
    assert (
        client.get(reverse("quality:version", args=[draft.pk])).status_code == 404
    )  # a draft is the editors'
    assert client.post(reverse("quality:version_submit", args=[draft.pk])).status_code == 403
    client.force_login(admin)
    detail = client.get(reverse("quality:version", args=[draft.pk]))
    assert 'data-testid="criterion-form"' in detail.content.decode()
    criterion = draft.criteria.get(code="ORG-02")
    refused = client.post(reverse("quality:criterion_edit", args=[criterion.pk]),
                          {"title": "", "requirement": "mandatory", "evidence": "yes_no"})  # fmt: skip
    assert refused.status_code == 422
    assert "L'exigence est à écrire." in unescape(refused.content.decode())
    assert refused.content.decode().count('data-testid="criterion-errors"') == 1  # on the refused form only
    saved = client.post(reverse("quality:criterion_edit", args=[criterion.pk]),
                        {"title": "Un référent est nommé.", "requirement": "mandatory", "evidence": "document"})  # fmt: skip
    assert saved.status_code == 302
    client.post(reverse("quality:version_submit", args=[draft.pk]))
    client.post(reverse("quality:version_publish", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.status == VersionStatus.PUBLISHED
    frozen = client.post(reverse("quality:criterion_edit", args=[criterion.pk]), VALID, follow=True)
    assert "ne se modifie plus" in unescape(frozen.content.decode())
    versions = unescape(client.get(reverse("quality:versions")).content.decode())
    assert versions.count('data-testid="version-row"') == ReferentialVersion.objects.count() == 2
