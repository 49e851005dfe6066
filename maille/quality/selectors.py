"""Who reads which version of the referential: every staff member the published and superseded ones (the
history of assessments refers to them), the editors the version in preparation too."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from maille.accounts.permissions import has_permission

from .models import FROZEN_STATUSES, ReferentialVersion


def versions_visible_to(user: Any) -> QuerySet[ReferentialVersion]:
    if has_permission(user, "quality.edit_referential"):
        return ReferentialVersion.objects.all()
    return ReferentialVersion.objects.filter(status__in=FROZEN_STATUSES)
