"""Reads of the directory, with the caller's scope applied.

One implementation of each visibility rule and each filter, reused by the pages, /api/v1 and /fhir.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from maille.accounts.models import Role
from maille.accounts.scope import scope_for
from maille.core.queries import row_by_key
from maille.core.stamps import StampedCache

from .models import NetworkRole, Organisation, Professional, Site, SiteQuerySet, Use

# The use's own columns (no relation), as stored values: each caller gets a fresh instance.
_USE_FIELDS = tuple(field.attname for field in Use._meta.concrete_fields)


def _use_row(code: str) -> tuple[Any, ...] | None:
    rows = list(Use.objects.filter(code=code).order_by().values_list(*_USE_FIELDS)[:1])
    return rows[0] if rows else None


_uses_by_code: StampedCache[str, tuple[Any, ...] | None] = StampedCache("uses", _use_row)


def use_by_code(code: str) -> Use | None:
    """The use with this code, or None. Uses are not scoped (every role books them by code); read on every
    booking and edited a few times a year, they are kept per process while nothing changes them."""
    row = _uses_by_code.get(code)
    return None if row is None else Use.from_db("default", _USE_FIELDS, row)


def sites_visible_to(user: Any) -> SiteQuerySet:
    """Sites inside the user's scope (territories, granted sites, sites a remote doctor serves)."""
    return Site.objects.filter(scope_for(user).sites_q())


def site_visible_to(user: Any, site_id: int) -> Site | None:
    """The site of ``sites_visible_to(user)`` with this key, its commune loaded; None out of scope. Read on every
    booking, its statement is compiled once per scope (the scope is all it depends on)."""
    scope = scope_for(user)
    return row_by_key(
        ("site_visible_to", scope), lambda: sites_visible_to(user).select_related("commune"), site_id
    )


def sites_managed_by(user: Any) -> SiteQuerySet:
    """Sites whose record and agenda the user may edit: administrators all, coordinators those of their
    territory, site staff their own sites (the role check — ``directory.edit_site``,
    ``scheduling.edit_availability`` — comes on top)."""
    scope = scope_for(user)
    if scope.everywhere:
        return Site.objects.all()
    managed = Q(pk__in=[])
    if scope.has_role(Role.SITE_STAFF) and scope.site_ids:
        managed |= Q(pk__in=sorted(scope.site_ids))
    if scope.has_role(Role.COORDINATOR):
        managed |= scope.communes_q("commune")
    return Site.objects.filter(managed)


def remote_doctors_visible_to(user: Any) -> Any:
    """Remote doctors whose agenda the user may read: their own for a doctor, else those serving a
    visible site."""
    scope = scope_for(user)
    roles = NetworkRole.objects.active().remote_doctors()
    if scope.everywhere:
        return Professional.objects.filter(pk__in=roles.values("professional")).order_by("last_name", "pk")
    mine = Q(pk=scope.professional_id) if scope.professional_id is not None else Q(pk__in=[])
    if scope.roles == {Role.REMOTE_DOCTOR}:
        return Professional.objects.filter(mine)
    served = roles.filter(sites__in=sites_visible_to(user).values("pk")).values("professional")
    return Professional.objects.filter(Q(pk__in=served) | mine).order_by("last_name", "pk")


def remote_doctors_managed_by(user: Any) -> Any:
    """Remote doctors whose agenda the user may edit: themself, for coordinators those serving a site of
    their territory, every one for administrators."""
    scope = scope_for(user)
    roles = NetworkRole.objects.active().remote_doctors()
    if scope.everywhere:
        return Professional.objects.filter(pk__in=roles.values("professional"))
    managed = Q(pk=scope.professional_id) if scope.professional_id is not None else Q(pk__in=[])
    if scope.has_role(Role.COORDINATOR):
        territory_sites = Site.objects.filter(scope.communes_q("commune")).values("pk")
        managed |= Q(pk__in=roles.filter(sites__in=territory_sites).values("professional"))
    return Professional.objects.filter(managed)


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
