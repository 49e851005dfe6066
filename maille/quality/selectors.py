"""Who reads what in the quality app.

- Versions of the referential and of the charter: every staff member the published and superseded ones (the
  history refers to them), the editors the version in preparation too.
- Assessments: those of the sites in the user's scope (``scope_for(user).sites_q``: site staff their own sites,
  coordinators and evaluators their territory), for the roles that read assessments at all.
- Action plans: read with the assessments; written by the site's staff and the coordinators of its territory.
- Which sites a user may assess (their staff: ``directory.selectors.sites_managed_by``), which assessments they
  may fill in and which they may review (the own-site rule comes on top, in ``assessments.is_own_site``).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from maille.accounts.permissions import has_permission
from maille.accounts.scope import scope_for
from maille.directory.models import Site
from maille.directory.selectors import sites_managed_by, sites_visible_to

from .models import (
    FROZEN_STATUSES,
    Action,
    Assessment,
    CharterVersion,
    EvidenceFile,
    Label,
    ReferentialVersion,
    VersionStatus,
)


def versions_visible_to(user: Any) -> QuerySet[ReferentialVersion]:
    if has_permission(user, "quality.edit_referential"):
        return ReferentialVersion.objects.all()
    return ReferentialVersion.objects.filter(status__in=FROZEN_STATUSES)


def charter_versions_visible_to(user: Any) -> QuerySet[CharterVersion]:
    """The charter's versions: a draft only to its editors, like the referential's."""
    versions = CharterVersion.objects.all()
    if not has_permission(user, "quality.edit_charter"):
        versions = versions.exclude(status=VersionStatus.DRAFT)
    return versions


def assessments_visible_to(user: Any) -> QuerySet[Assessment]:
    if not has_permission(user, "quality.view_assessments"):
        return Assessment.objects.none()
    return Assessment.objects.filter(scope_for(user).sites_q("site"))


def sites_assessable_by(user: Any) -> QuerySet[Site]:
    if not has_permission(user, "quality.assess"):
        return Site.objects.none()
    return sites_managed_by(user)


def assessments_fillable_by(user: Any) -> QuerySet[Assessment]:
    return assessments_visible_to(user).filter(site__in=sites_assessable_by(user).values("pk"))


def assessments_reviewable_by(user: Any) -> QuerySet[Assessment]:
    if not has_permission(user, "quality.review"):
        return Assessment.objects.none()
    return assessments_visible_to(user)


def evidence_visible_to(user: Any) -> QuerySet[EvidenceFile]:
    return EvidenceFile.objects.filter(answer__assessment__in=assessments_visible_to(user).values("pk"))


def quality_sites_visible_to(user: Any) -> QuerySet[Site]:
    """Sites whose quality record (assessments, plan) the user reads."""
    if not has_permission(user, "quality.view_assessments"):
        return Site.objects.none()
    return sites_visible_to(user)


def sites_plannable_by(user: Any) -> QuerySet[Site]:
    """Sites whose action plan the user writes: their staff, the coordinators of their territory."""
    if not has_permission(user, "quality.plan_actions"):
        return Site.objects.none()
    return sites_managed_by(user)


def actions_visible_to(user: Any) -> QuerySet[Action]:
    return Action.objects.filter(site__in=quality_sites_visible_to(user).values("pk"))


def actions_manageable_by(user: Any) -> QuerySet[Action]:
    return Action.objects.filter(site__in=sites_plannable_by(user).values("pk"))


def labels_visible_to(user: Any) -> QuerySet[Label]:
    return Label.objects.filter(site__in=quality_sites_visible_to(user).values("pk"))


def labels_decidable_by(user: Any) -> QuerySet[Label]:
    """Labels a coordinator instructs and decides: those of the sites of their territory (the own-site rule
    comes on top, in ``labels.label_decide``)."""
    if not has_permission(user, "quality.decide_label"):
        return Label.objects.none()
    return Label.objects.filter(site__in=sites_managed_by(user).values("pk"))


def assessments_label_requestable_by(user: Any) -> QuerySet[Assessment]:
    """Assessments on which the user may request their site's label (its staff)."""
    if not has_permission(user, "quality.request_label"):
        return Assessment.objects.none()
    return assessments_visible_to(user).filter(site__in=sites_managed_by(user).values("pk"))
