"""Reads of the directory, with the caller's scope applied.

One implementation of each visibility rule and each filter, reused by the pages, /api/v1 and /fhir.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from maille.accounts.scope import scope_for

from .models import NetworkRole, Organisation, Professional, Site, SiteQuerySet


def sites_visible_to(user: Any) -> SiteQuerySet:
    """Sites inside the user's scope (territories, granted sites, sites a remote doctor serves)."""
    return Site.objects.filter(scope_for(user).sites_q())


def organisations_visible_to(user: Any) -> Any:
    """Organisations in the user's territory, plus those hosting a visible site or employing its doctors."""
    scope = scope_for(user)
    if scope.everywhere:
        return Organisation.objects.all()
    visible_sites = sites_visible_to(user).values("pk")
    return Organisation.objects.filter(
        scope.communes_q("commune")
        | Q(pk__in=Site.objects.filter(pk__in=visible_sites).values("host_organisation"))
        | Q(pk__in=NetworkRole.objects.filter(sites__in=visible_sites).values("organisation"))
    )


def professionals_visible_to(user: Any) -> Any:
    """Professionals holding a network role at a visible site or in a visible organisation."""
    scope = scope_for(user)
    if scope.everywhere:
        return Professional.objects.all()
    visible_sites = sites_visible_to(user).values("pk")
    roles = NetworkRole.objects.filter(
        Q(sites__in=visible_sites) | Q(organisation__in=organisations_visible_to(user).values("pk"))
    )
    return Professional.objects.filter(pk__in=roles.values("professional"))


def network_roles_visible_to(user: Any) -> Any:
    return NetworkRole.objects.filter(professional__in=professionals_visible_to(user).values("pk"))


@dataclass(frozen=True)
class SiteFilters:
    """The directory's filters (pages, API and FHIR searches translate their parameters into this)."""

    text: str = ""
    commune: str = ""  # INSEE code
    departement: str = ""
    cpts: int | None = None
    use: str = ""  # Use.code
    level: str = ""
    equipment: str = ""  # EquipmentType.code available in at least one bookable room
    reduced_mobility_access: bool | None = None
    active_only: bool = True


def filter_sites(sites: SiteQuerySet, filters: SiteFilters) -> SiteQuerySet:
    if filters.active_only:
        sites = sites.active()
    if filters.text:
        sites = sites.filter(
            Q(name__icontains=filters.text)
            | Q(commune__name__icontains=filters.text)
            | Q(host_organisation__name__icontains=filters.text)
        )
    if filters.commune:
        sites = sites.filter(commune_id=filters.commune)
    if filters.departement:
        sites = sites.filter(commune__departement_id=filters.departement)
    if filters.cpts:
        sites = sites.filter(commune__cpts=filters.cpts)
    if filters.use:
        sites = sites.filter(site_uses__use__code=filters.use, site_uses__is_active=True)
    if filters.level:
        sites = sites.filter(level=filters.level)
    if filters.equipment:
        sites = sites.filter(rooms__equipment__code=filters.equipment, rooms__is_bookable=True)
    if filters.reduced_mobility_access is not None:
        sites = sites.filter(reduced_mobility_access=filters.reduced_mobility_access)
    return sites.distinct()
