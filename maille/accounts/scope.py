"""The one scoping helper: what part of the territory and which sites a user may see.

Every selector, page, API endpoint and FHIR search applies a user's scope through ``scope_for(user)``.
A scope is expressed as ``Q`` objects over a commune path, so a region-wide grant is a join, not a list
of five thousand codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db.models import Q

from maille.core.stamps import StampedCache

from .models import Role, RoleGrant

_CACHE_ATTRIBUTE = "_maille_scope"
GrantRow = tuple[str, str | None, str | None, str | None, int | None, int | None]


@dataclass(frozen=True)
class Scope:
    roles: frozenset[str]
    everywhere: bool
    region_codes: frozenset[str] = frozenset()
    departement_codes: frozenset[str] = frozenset()
    epci_sirens: frozenset[str] = frozenset()
    cpts_ids: frozenset[int] = frozenset()
    site_ids: frozenset[int] = frozenset()
    professional_id: int | None = None

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_empty(self) -> bool:
        return not self.roles

    def communes_q(self, commune_path: str = "") -> Q:
        """Q over a model reaching a commune through ``commune_path`` ("" for Commune itself)."""
        if self.everywhere:
            return Q()
        prefix = f"{commune_path}__" if commune_path else ""
        key = f"{commune_path}__pk" if commune_path else "pk"
        q = Q(pk__in=[])
        if self.region_codes:
            q |= Q(**{f"{prefix}departement__region_id__in": sorted(self.region_codes)})
        if self.departement_codes:
            q |= Q(**{f"{prefix}departement_id__in": sorted(self.departement_codes)})
        if self.epci_sirens:
            q |= Q(**{f"{prefix}epci_id__in": sorted(self.epci_sirens)})
        if self.cpts_ids:
            commune_model = apps.get_model("territory", "Commune")
            members = commune_model.objects.filter(cpts__in=sorted(self.cpts_ids)).values("pk")
            q |= Q(**{f"{key}__in": members})
        return q

    def sites_q(self, site_path: str = "") -> Q:
        """Q over a model reaching a directory Site through ``site_path`` ("" for Site itself)."""
        if self.everywhere:
            return Q()
        prefix = f"{site_path}__" if site_path else ""
        q = self.communes_q(f"{prefix}commune")
        if self.site_ids:
            q |= Q(**{f"{prefix}pk__in": sorted(self.site_ids)})
        if self.professional_id is not None:
            # A remote doctor sees the sites they serve (a subquery: no duplicate rows from the join).
            site_model = apps.get_model("directory", "Site")
            served = site_model.objects.filter(network_roles__professional_id=self.professional_id).values(
                "pk"
            )
            q |= Q(**{f"{prefix}pk__in": served})
        return q

    def departements_q(self, departement_path: str = "") -> Q:
        if self.everywhere:
            return Q()
        prefix = f"{departement_path}__" if departement_path else ""
        key = f"{departement_path}__pk" if departement_path else "pk"
        q = Q(pk__in=[])
        if self.region_codes:
            q |= Q(**{f"{prefix}region_id__in": sorted(self.region_codes)})
        if self.departement_codes:
            q |= Q(**{f"{key}__in": sorted(self.departement_codes)})
        return q


EMPTY_SCOPE = Scope(roles=frozenset(), everywhere=False)


Grants = tuple[tuple[GrantRow, ...], int | None]


def grants_of(user_id: int) -> Grants:
    """A user's grants, and the professional record of a remote doctor (who conducts which appointments)."""
    grants = tuple(
        RoleGrant.objects.filter(user_id=user_id).values_list(
            "role", "region", "departement", "epci", "cpts", "site"
        )
    )
    professional_id = None
    if any(grant[0] == Role.REMOTE_DOCTOR for grant in grants):
        professional = apps.get_model("directory", "Professional")
        professional_id = professional.objects.filter(user_id=user_id).values_list("pk", flat=True).first()
    return grants, professional_id


# Read on every request, changed when an administrator grants or withdraws a role: kept per process while the
# "access" stamp (users, tokens, grants, doctors' records) does not move, so a withdrawn role stops at once.
_grants: StampedCache[int, Grants] = StampedCache("access", grants_of)


def scope_for(user: Any) -> Scope:
    """Compute (once per request: cached on the user object) the scope of a user."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return EMPTY_SCOPE
    cached = getattr(user, _CACHE_ATTRIBUTE, None)
    if isinstance(cached, Scope):
        return cached
    return attach_scope(user, _grants.get(user.pk))


def attach_scope(user: Any, grants_and_professional: Grants) -> Scope:
    """The scope of ``user`` from grants already read (``grants_of``), kept on the user for the request: the
    API reads a token's grants with the token, under the same stamp."""
    grants, professional_id = grants_and_professional
    roles = frozenset(grant[0] for grant in grants)
    if user.is_superuser:
        roles |= {Role.PLATFORM_ADMIN}
    scope = Scope(
        roles=roles,
        everywhere=Role.PLATFORM_ADMIN in roles,
        region_codes=frozenset(g[1] for g in grants if g[1]),
        departement_codes=frozenset(g[2] for g in grants if g[2]),
        epci_sirens=frozenset(g[3] for g in grants if g[3]),
        cpts_ids=frozenset(g[4] for g in grants if g[4]),
        site_ids=frozenset(g[5] for g in grants if g[5]),
        professional_id=professional_id,
    )
    setattr(user, _CACHE_ATTRIBUTE, scope)
    return scope
