"""/api/v1 reads of the directory: organisations, sites, professionals, uses, equipment types.

Visibility comes only from ``selectors`` (one rule for pages, API and FHIR).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.db.models import Prefetch, Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema

from maille.core.api_pagination import Page, PageQuery, paginate

from .attestations import attach_attestations, site_attestations
from .models import (
    EquipmentType,
    NetworkRoleKind,
    OpeningHours,
    OrganisationKind,
    Profession,
    Room,
    Site,
    SiteLevel,
    SiteUse,
    Use,
)
from .selectors import (
    SiteFilters,
    filter_sites,
    network_roles_visible_to,
    organisations_visible_to,
    professionals_visible_to,
    sites_visible_to,
)

router = Router(tags=["annuaire"])


# --- schemas ---------------------------------------------------------------------------------------
class CommuneRef(Schema):
    code: str
    name: str
    departement: str


class OrganisationRef(Schema):
    id: int
    name: str
    kind: OrganisationKind


class OrganisationOut(OrganisationRef):
    kind_label: str
    finess: str
    siret: str
    address: str
    postal_code: str
    commune: CommuneRef
    is_fictional: bool


class OrganisationFilters(Schema):
    q: str | None = Field(None, description="Partie du nom")
    kind: OrganisationKind | None = None
    commune: str | None = Field(None, description="Code INSEE")
    departement: str | None = None
    finess: str | None = None
    siret: str | None = None


class RoomOut(Schema):
    id: int
    name: str
    is_bookable: bool
    equipment: list[str] = Field(description="Codes des types d'équipement")


class OpeningHoursOut(Schema):
    weekday: int = Field(description="0 = lundi … 6 = dimanche")
    opens: str = Field(description="HH:MM, heure locale")
    closes: str


class SiteUseOut(Schema):
    code: str
    name: str
    kind: str
    duration_minutes: int


class AttestationOut(Schema):
    code: str = Field(description="« quality-label » : le label qualité du réseau, en vigueur")
    display: str
    valid_from: datetime.date | None
    valid_until: datetime.date | None


class SiteOut(Schema):
    id: int
    name: str
    level: SiteLevel
    level_label: str
    host_organisation: OrganisationRef
    commune: CommuneRef
    address: str
    postal_code: str
    latitude: float
    longitude: float
    reduced_mobility_access: bool
    public_phone: str
    public_email: str
    access_notes: str
    is_active: bool
    is_fictional: bool
    rooms: list[RoomOut]
    opening_hours: list[OpeningHoursOut]
    uses: list[SiteUseOut]
    attestations: list[AttestationOut] = Field(
        description="Ce qui est attesté du site et en vigueur (son label qualité) : les financements du réseau le suivent"
    )


class SiteQuery(Schema):
    text: str | None = Field(None, description="Recherche dans le nom, la commune, la structure")
    commune: str | None = Field(None, description="Code INSEE")
    departement: str | None = None
    cpts: int | None = None
    use: str | None = Field(None, description="Code d'usage")
    level: SiteLevel | None = None
    equipment: str | None = Field(None, description="Code d'équipement (dans une salle réservable)")
    reduced_mobility_access: bool | None = None


class SpecialtyOut(Schema):
    code: str
    label: str


class NetworkRoleOut(Schema):
    id: int
    kind: NetworkRoleKind
    kind_label: str
    organisation: int | None
    sites: list[int]
    is_active: bool


class ProfessionalOut(Schema):
    id: int
    rpps: str
    last_name: str
    first_name: str
    profession: Profession
    profession_label: str
    specialty: SpecialtyOut | None
    is_fictional: bool
    roles: list[NetworkRoleOut]


class ProfessionalFilters(Schema):
    q: str | None = Field(None, description="Partie du nom ou du prénom")
    rpps: str | None = None
    profession: Profession | None = None
    specialty: str | None = None
    role: NetworkRoleKind | None = None
    site: int | None = Field(None, description="Identifiant d'un site où le professionnel intervient")


class UseOut(Schema):
    code: str
    name: str
    kind: str
    kind_label: str
    default_duration_minutes: int
    remote_profession: str
    remote_specialty: SpecialtyOut | None
    assisting_professions: list[str]
    required_equipment: list[str]


class EquipmentTypeOut(Schema):
    code: str
    label: str
    is_connected_device: bool


# --- organisations ---------------------------------------------------------------------------------
def _commune_ref(commune: Any) -> dict[str, Any]:
    return {"code": commune.code, "name": commune.name, "departement": commune.departement_id}


def _organisation_dicts(items: Iterable[Any]) -> list[dict[str, Any]]:
    return [
        {
            "id": o.id,
            "name": o.name,
            "kind": o.kind,
            "kind_label": o.get_kind_display(),
            "finess": o.finess,
            "siret": o.siret,
            "address": o.address,
            "postal_code": o.postal_code,
            "commune": _commune_ref(o.commune),
            "is_fictional": o.is_fictional,
        }
        for o in items
    ]


@router.get("/organisations", response=Page[OrganisationOut], summary="Organisations")
def list_organisations(
    request: HttpRequest, filters: Query[OrganisationFilters], paging: Query[PageQuery]
) -> dict[str, Any]:
    organisations = organisations_visible_to(request.user).select_related("commune")
    if filters.q:
        organisations = organisations.filter(name__icontains=filters.q)
    if filters.kind:
        organisations = organisations.filter(kind=filters.kind)
    if filters.commune:
        organisations = organisations.filter(commune_id=filters.commune)
    if filters.departement:
        organisations = organisations.filter(commune__departement_id=filters.departement)
    if filters.finess:
        organisations = organisations.filter(finess=filters.finess)
    if filters.siret:
        organisations = organisations.filter(siret=filters.siret)
    return paginate(request, organisations.order_by("name", "id"), paging, _organisation_dicts)


@router.get("/organisations/{organisation_id}", response=OrganisationOut, summary="Une organisation")
def get_organisation(request: HttpRequest, organisation_id: int) -> dict[str, Any]:
    organisations = organisations_visible_to(request.user).select_related("commune")
    return _organisation_dicts([get_object_or_404(organisations, pk=organisation_id)])[0]


# --- sites -----------------------------------------------------------------------------------------
def sites_for_api(user: Any) -> Any:
    """Visible sites with everything the API shows, in a constant number of queries."""
    return (
        sites_visible_to(user)
        .select_related("commune", "host_organisation")
        .prefetch_related(
            Prefetch("rooms", queryset=Room.objects.prefetch_related("equipment").order_by("name")),
            Prefetch("opening_hours", queryset=OpeningHours.objects.order_by("weekday", "opens")),
            Prefetch(
                "site_uses",
                queryset=SiteUse.objects.filter(is_active=True).select_related("use").order_by("use__name"),
            ),
        )
    )


def site_dict(site: Site) -> dict[str, Any]:
    host = site.host_organisation
    return {
        "attestations": [
            {"code": a.code, "display": a.display, "valid_from": a.valid_from, "valid_until": a.valid_until}
            for a in site_attestations(site)
        ],
        "id": site.id,
        "name": site.name,
        "level": site.level,
        "level_label": site.get_level_display(),
        "host_organisation": {"id": host.id, "name": host.name, "kind": host.kind},
        "commune": _commune_ref(site.commune),
        "address": site.address,
        "postal_code": site.postal_code,
        "latitude": site.latitude,
        "longitude": site.longitude,
        "reduced_mobility_access": site.reduced_mobility_access,
        "public_phone": site.public_phone,
        "public_email": site.public_email,
        "access_notes": site.access_notes,
        "is_active": site.is_active,
        "is_fictional": site.is_fictional,
        "rooms": [
            {
                "id": room.id,
                "name": room.name,
                "is_bookable": room.is_bookable,
                "equipment": sorted(equipment.code for equipment in room.equipment.all()),
            }
            for room in site.rooms.all()
        ],
        "opening_hours": [
            {"weekday": hours.weekday, "opens": f"{hours.opens:%H:%M}", "closes": f"{hours.closes:%H:%M}"}
            for hours in site.opening_hours.all()
        ],
        "uses": [
            {
                "code": site_use.use.code,
                "name": site_use.use.name,
                "kind": site_use.use.kind,
                "duration_minutes": site_use.duration_minutes or site_use.use.default_duration_minutes,
            }
            for site_use in site.site_uses.all()
        ],
    }


@router.get("/sites", response=Page[SiteOut], summary="Sites de téléconsultation assistée")
def list_sites(request: HttpRequest, query: Query[SiteQuery], paging: Query[PageQuery]) -> dict[str, Any]:
    filters = SiteFilters(
        text=query.text or "",
        commune=query.commune or "",
        departement=query.departement or "",
        cpts=query.cpts,
        use=query.use or "",
        level=query.level or "",
        equipment=query.equipment or "",
        reduced_mobility_access=query.reduced_mobility_access,
    )
    sites = filter_sites(sites_for_api(request.user), filters).order_by("name", "id")
    return paginate(
        request, sites, paging, lambda items: [site_dict(site) for site in _with_attestations(items)]
    )


def _with_attestations(items: Any) -> list[Any]:
    sites = list(items)
    attach_attestations(sites)
    return sites


@router.get("/sites/{site_id}", response=SiteOut, summary="Un site")
def get_site(request: HttpRequest, site_id: int) -> dict[str, Any]:
    return site_dict(get_object_or_404(sites_for_api(request.user), pk=site_id))


# --- professionals ---------------------------------------------------------------------------------
def professionals_for_api(user: Any) -> Any:
    visible_sites = sites_visible_to(user).only("id").order_by("id")
    roles = network_roles_visible_to(user).prefetch_related(Prefetch("sites", queryset=visible_sites))
    return (
        professionals_visible_to(user)
        .select_related("specialty")
        .prefetch_related(Prefetch("network_roles", queryset=roles.order_by("kind", "id")))
    )


def _professional_dicts(items: Iterable[Any]) -> list[dict[str, Any]]:
    return [
        {
            "id": p.id,
            "rpps": p.rpps,
            "last_name": p.last_name,
            "first_name": p.first_name,
            "profession": p.profession,
            "profession_label": p.get_profession_display(),
            "specialty": {"code": p.specialty.code, "label": p.specialty.label} if p.specialty else None,
            "is_fictional": p.is_fictional,
            "roles": [
                {
                    "id": role.id,
                    "kind": role.kind,
                    "kind_label": role.get_kind_display(),
                    "organisation": role.organisation_id,
                    "sites": [site.id for site in role.sites.all()],
                    "is_active": role.is_active,
                }
                for role in p.network_roles.all()
            ],
        }
        for p in items
    ]


@router.get("/professionals", response=Page[ProfessionalOut], summary="Professionnels du réseau")
def list_professionals(
    request: HttpRequest, filters: Query[ProfessionalFilters], paging: Query[PageQuery]
) -> dict[str, Any]:
    professionals = professionals_for_api(request.user)
    if filters.q:
        professionals = professionals.filter(
            Q(last_name__icontains=filters.q) | Q(first_name__icontains=filters.q)
        )
    if filters.rpps:
        professionals = professionals.filter(rpps=filters.rpps)
    if filters.profession:
        professionals = professionals.filter(profession=filters.profession)
    if filters.specialty:
        professionals = professionals.filter(specialty_id=filters.specialty)
    if filters.role or filters.site is not None:
        roles = network_roles_visible_to(request.user)
        if filters.role:
            roles = roles.filter(kind=filters.role)
        if filters.site is not None:
            roles = roles.filter(sites=filters.site)
        professionals = professionals.filter(pk__in=roles.values("professional"))
    ordered = professionals.order_by("last_name", "first_name", "id")
    return paginate(request, ordered, paging, _professional_dicts)


@router.get("/professionals/{professional_id}", response=ProfessionalOut, summary="Un professionnel")
def get_professional(request: HttpRequest, professional_id: int) -> dict[str, Any]:
    professional = get_object_or_404(professionals_for_api(request.user), pk=professional_id)
    return _professional_dicts([professional])[0]


# --- catalogues (reference data, the same for everyone) --------------------------------------------
def _use_dicts(items: Iterable[Use]) -> list[dict[str, Any]]:
    return [
        {
            "code": use.code,
            "name": use.name,
            "kind": use.kind,
            "kind_label": use.get_kind_display(),
            "default_duration_minutes": use.default_duration_minutes,
            "remote_profession": use.remote_profession,
            "remote_specialty": (
                {"code": use.remote_specialty.code, "label": use.remote_specialty.label}
                if use.remote_specialty
                else None
            ),
            "assisting_professions": list(use.assisting_professions),
            "required_equipment": sorted(equipment.code for equipment in use.required_equipment.all()),
        }
        for use in items
    ]


@router.get("/uses", response=Page[UseOut], summary="Catalogue des usages")
def list_uses(request: HttpRequest, paging: Query[PageQuery], kind: str | None = None) -> dict[str, Any]:
    uses = Use.objects.select_related("remote_specialty").prefetch_related("required_equipment")
    if kind:
        uses = uses.filter(kind=kind)
    return paginate(request, uses.order_by("name", "id"), paging, _use_dicts)


@router.get("/equipment-types", response=Page[EquipmentTypeOut], summary="Types d'équipement")
def list_equipment_types(request: HttpRequest, paging: Query[PageQuery]) -> dict[str, Any]:
    return paginate(
        request,
        EquipmentType.objects.order_by("label", "code"),
        paging,
        lambda items: [
            {"code": e.code, "label": e.label, "is_connected_device": e.is_connected_device} for e in items
        ],
    )
