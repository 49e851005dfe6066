"""/api/v1 reads of the territory: communes, départements, EPCI, CPTS (scope applied by ``scope_for``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Prefetch, Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema

from maille.accounts.scope import scope_for
from maille.core.api_pagination import Page, PageQuery, paginate

from .models import SOUS_DENSE_APL_THRESHOLD, Commune, Cpts, Departement, Epci

router = Router(tags=["territoire"])


class FormerCommuneOut(Schema):
    code: str = Field(description="Ancien code INSEE (commune fusionnée depuis)")
    name: str
    apl_gp: float | None = Field(description="APL publiée par la DREES pour l'ancienne commune")
    apl_year: int | None
    population_standardised: float | None


class CommuneOut(Schema):
    code: str = Field(description="Code INSEE")
    name: str
    population: int | None
    population_standardised: float | None
    latitude: float | None
    longitude: float | None
    apl_gp: float | None = Field(description="APL médecins généralistes (consultations/hab. standardisé/an)")
    apl_year: int | None
    sous_dense: bool | None = Field(description=f"APL < {SOUS_DENSE_APL_THRESHOLD}")
    departement: str
    epci: str | None = Field(description="SIREN de l'EPCI")
    former_communes: list[FormerCommuneOut] = Field(
        description="Communes fusionnées depuis dans celle-ci, avec la valeur publiée sur l'ancienne géographie"
    )


class CommuneFilters(Schema):
    departement: str | None = Field(None, description="Code du département")
    epci: str | None = Field(None, description="SIREN de l'EPCI")
    cpts: int | None = Field(None, description="Identifiant de la CPTS")
    q: str | None = Field(None, description="Début du code INSEE ou partie du nom")
    sous_dense: bool | None = Field(None, description="Communes sous-denses (APL sous le seuil)")


class DepartementOut(Schema):
    code: str
    name: str
    region: str


class EpciOut(Schema):
    siren: str
    name: str
    kind: str
    population: int | None


class CptsOut(Schema):
    id: int
    name: str
    departement: str
    is_fictional: bool
    communes: list[str] = Field(description="Codes INSEE des communes du périmètre")


def visible_communes(request: HttpRequest) -> Any:
    return Commune.objects.filter(scope_for(request.user).communes_q()).prefetch_related("former_communes")


def commune_dict(commune: Commune) -> dict[str, Any]:
    return {
        "code": commune.code,
        "name": commune.name,
        "population": commune.population,
        "population_standardised": commune.population_standardised,
        "latitude": commune.latitude,
        "longitude": commune.longitude,
        "apl_gp": commune.apl_gp,
        "apl_year": commune.apl_year,
        "sous_dense": commune.is_sous_dense,
        "departement": commune.departement_id,
        "epci": commune.epci_id,
        "former_communes": [
            {
                "code": former.code,
                "name": former.name,
                "apl_gp": former.apl_gp,
                "apl_year": former.apl_year,
                "population_standardised": former.population_standardised,
            }
            for former in commune.former_communes.all()
        ],
    }


def _communes(items: Iterable[Commune]) -> list[dict[str, Any]]:
    return [commune_dict(commune) for commune in items]


@router.get("/communes", response=Page[CommuneOut], summary="Communes du périmètre")
def list_communes(
    request: HttpRequest, filters: Query[CommuneFilters], paging: Query[PageQuery]
) -> dict[str, Any]:
    communes = visible_communes(request)
    if filters.departement:
        communes = communes.filter(departement_id=filters.departement)
    if filters.epci:
        communes = communes.filter(epci_id=filters.epci)
    if filters.cpts is not None:
        communes = communes.filter(cpts=filters.cpts)
    if filters.q:
        communes = communes.filter(Q(code__startswith=filters.q) | Q(name__icontains=filters.q))
    if filters.sous_dense is True:
        communes = communes.sous_denses()
    elif filters.sous_dense is False:
        communes = communes.filter(apl_gp__gte=SOUS_DENSE_APL_THRESHOLD)
    return paginate(request, communes.order_by("code"), paging, _communes)


@router.get("/communes/{code}", response=CommuneOut, summary="Une commune")
def get_commune(request: HttpRequest, code: str) -> dict[str, Any]:
    return commune_dict(get_object_or_404(visible_communes(request), code=code))


@router.get("/departements", response=Page[DepartementOut], summary="Départements du périmètre")
def list_departements(request: HttpRequest, paging: Query[PageQuery]) -> dict[str, Any]:
    departements = Departement.objects.filter(scope_for(request.user).departements_q())
    if not scope_for(request.user).everywhere:
        # Territories below a département (EPCI, CPTS) still show the départements they lie in.
        departements = Departement.objects.filter(
            Q(pk__in=departements.values("pk")) | Q(pk__in=visible_communes(request).values("departement"))
        )
    return paginate(
        request,
        departements.order_by("code"),
        paging,
        lambda items: [{"code": d.code, "name": d.name, "region": d.region_id} for d in items],
    )


@router.get("/epci", response=Page[EpciOut], summary="EPCI du périmètre")
def list_epci(request: HttpRequest, paging: Query[PageQuery]) -> dict[str, Any]:
    epcis = Epci.objects.filter(pk__in=visible_communes(request).values("epci")).order_by("name", "siren")
    return paginate(
        request,
        epcis,
        paging,
        lambda items: [
            {"siren": e.siren, "name": e.name, "kind": e.kind, "population": e.population} for e in items
        ],
    )


def _cpts_dicts(items: Iterable[Cpts]) -> list[dict[str, Any]]:
    return [
        {
            "id": cpts.id,
            "name": cpts.name,
            "departement": cpts.departement_id,
            "is_fictional": cpts.is_fictional,
            "communes": [commune.code for commune in cpts.communes.all()],
        }
        for cpts in items
    ]


def visible_cpts(request: HttpRequest) -> Any:
    return Cpts.objects.filter(pk__in=visible_communes(request).values("cpts")).prefetch_related(
        Prefetch("communes", queryset=Commune.objects.only("code").order_by("code"))
    )


@router.get("/cpts", response=Page[CptsOut], summary="CPTS et leur périmètre")
def list_cpts(
    request: HttpRequest, paging: Query[PageQuery], departement: str | None = None
) -> dict[str, Any]:
    cpts = visible_cpts(request)
    if departement:
        cpts = cpts.filter(departement_id=departement)
    return paginate(request, cpts.order_by("name", "id"), paging, _cpts_dicts)


@router.get("/cpts/{cpts_id}", response=CptsOut, summary="Une CPTS et son périmètre")
def get_cpts(request: HttpRequest, cpts_id: int) -> dict[str, Any]:
    return _cpts_dicts([get_object_or_404(visible_cpts(request), pk=cpts_id)])[0]
