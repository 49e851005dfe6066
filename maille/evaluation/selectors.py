"""Who reads which part of the activity ledger: the one rule, built on ``accounts.scope``."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from maille.accounts.scope import scope_for
from maille.diagnosis.zones import Zone, zone_communes
from maille.directory.models import Site
from maille.directory.selectors import sites_visible_to

from .models import Act, ActImport, IndicatorCell


def acts_visible_to(user: Any) -> QuerySet[Act]:
    """Acts that took place in the user's territory or at their sites (a remote doctor: their own acts)."""
    scope = scope_for(user)
    if scope.is_empty:
        return Act.objects.none()
    if scope.everywhere:
        return Act.objects.all()
    visible = scope.communes_q("commune")
    if scope.site_ids:
        visible |= Q(site_id__in=sorted(scope.site_ids))
    if scope.professional_id is not None:
        visible |= Q(doctor_id=scope.professional_id)
    return Act.objects.filter(visible)


def indicator_cells_visible_to(user: Any) -> QuerySet[IndicatorCell] | None:
    """The stored indicator cells of the acts ``acts_visible_to`` gives, by the same rule; None when that rule
    cannot be written over cells (a remote doctor reads their own acts: their indicators are computed)."""
    scope = scope_for(user)
    if scope.is_empty:
        return IndicatorCell.objects.none()
    if scope.everywhere:
        return IndicatorCell.objects.all()
    if scope.professional_id is not None:
        return None
    visible = scope.communes_q("commune")
    if scope.site_ids:
        visible |= Q(site_id__in=sorted(scope.site_ids))
    return IndicatorCell.objects.filter(visible)


def act_imports_visible_to(user: Any) -> QuerySet[ActImport]:
    """Imports the user made, or that brought acts the user may read."""
    if scope_for(user).is_empty:
        return ActImport.objects.none()
    readable = acts_visible_to(user).filter(batch_id=OuterRef("pk"))
    return ActImport.objects.filter(Q(uploaded_by_id=user.pk) | Exists(readable))


def zone_commune_codes(user: Any, zone: Zone) -> list[str]:
    """The zone's communes (within the user's scope) as a list of codes. Filtering acts on a literal list lets
    PostgreSQL check each act with a hash lookup, where the same condition as a subquery made it join the acts to
    the communes first: measured on a region's quarter of a million-act ledger, 3 s instead of 12 s."""
    return list(zone_communes(user, zone).values_list("pk", flat=True))


def site_choices(user: Any) -> list[Site]:
    """The sites of the pages' site menus: the user's, by name."""
    return list(sites_visible_to(user).order_by("name").only("pk", "name"))
